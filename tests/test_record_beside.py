"""Issue 18: the round recorded by a forked copy while the outputs are written (outputs/beside.py Waiting,
store.record_beside): committed only once they are written, the same rows as recording here, and a copy that fails
or is told to give up leaves the store as it was."""

from __future__ import annotations

import os
import sqlite3
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from conftest import IR, RA, MakeReturn, action
from plan_workbook import service
from plan_workbook.errors import OutputError
from plan_workbook.outputs import atomic, beside
from plan_workbook.plan import Plan
from plan_workbook.sources.files import file_source
from plan_workbook.store import record as record_module
from plan_workbook.store.db import open_store

AS_OF = date(2022, 3, 31)
pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the copy is made only on Linux (fork)")
TABLES = ("rounds", "sources", "blobs", "partners", "actions", "problems", "outputs", "trend_inputs")


@pytest.fixture(autouse=True)
def copies_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(record_module, "MIN_ROWS", 0)  # these rounds are small
    monkeypatch.setattr(beside, "MAX_COPY", 2**40)  # and the test process may be large by now (test_beside: the cap)
    monkeypatch.setattr(beside, "MAX_EARLY", 2**40)


def returns(make_return: MakeReturn, plan: Plan) -> list[Path]:
    partners = plan.returning_partners
    return [make_return(f"r{i}", partners[i], {RA: [action(f"Stall {i}"), action(f"Talk {i}", status="amber")],
                                               IR: [action(f"Review {i}", status="Red", update=None)]})
            for i in range(3)]


def rows(store: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every table's rows, but the time a round was recorded."""
    with sqlite3.connect(store) as conn:
        out = {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in TABLES}
    out["rounds"] = [r[:3] + r[4:] for r in out["rounds"]]
    return out


def merge(plan: Plan, files: list[Path], folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    store = folder / "rounds.sqlite"
    service.run_round(plan, [file_source(f) for f in files], folder / "summary.xlsx", AS_OF, store=store)
    return store


def copies(monkeypatch: pytest.MonkeyPatch) -> list[beside.Waiting | None]:
    made: list[beside.Waiting | None] = []
    real = beside.Waiting.start.__func__  # type: ignore[attr-defined]

    def start(cls: type[beside.Waiting], work: Callable[[Callable[[], bool]], None]) -> beside.Waiting | None:
        made.append(real(cls, work))
        return made[-1]

    monkeypatch.setattr(beside.Waiting, "start", classmethod(start))
    return made


def test_the_copy_records_what_this_process_would(plan: Plan, make_return: MakeReturn, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    files = returns(make_return, plan)
    made = copies(monkeypatch)
    in_copy = rows(merge(plan, files, tmp_path / "copy"))
    assert len(made) == 1
    assert made[0] is not None  # recorded by the copy
    monkeypatch.setattr(beside, "ENABLED", False)
    here = rows(merge(plan, files, tmp_path / "here"))
    assert made[1:] == [None]
    assert in_copy == here
    assert len(here["actions"]) == 9
    monkeypatch.setattr(record_module, "MIN_ROWS", 1_000)
    monkeypatch.setattr(beside, "ENABLED", True)
    assert rows(merge(plan, files, tmp_path / "small")) == here
    assert len(made) == 2  # too small a round: no copy even asked for
    assert [o[1:3] for o in here["outputs"]] == [("summary", "summary.xlsx")]


def test_nothing_is_recorded_when_the_outputs_fail(plan: Plan, make_return: MakeReturn, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    files = returns(make_return, plan)
    made = copies(monkeypatch)
    store = merge(plan, files, tmp_path)  # a first round, so the store holds something to keep
    before = rows(store)

    def broken(writers: object) -> None:
        raise OutputError("cannot write summary.xlsx: the disk is full")

    monkeypatch.setattr(atomic, "write_set", broken)
    with pytest.raises(OutputError, match="disk is full"):
        service.run_round(plan, [file_source(f) for f in files], tmp_path / "summary.xlsx", date(2022, 6, 30),
                          store=store)
    assert made[-1] is not None  # the copy had begun, and was told to give up
    assert rows(store) == before
    monkeypatch.undo()
    merge(plan, files, tmp_path)  # the store is not left locked
    assert len(rows(store)["actions"]) == 9


def test_a_copy_that_fails_is_done_again_here(plan: Plan, make_return: MakeReturn, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    files = returns(make_return, plan)
    here = os.getpid()

    def fails_in_the_copy(path: Path, plan: Plan) -> object:
        if os.getpid() != here:
            raise sqlite3.OperationalError("disk I/O error")
        return open_store(path, plan)

    monkeypatch.setattr(record_module, "open_store", fails_in_the_copy)
    made = copies(monkeypatch)
    recorded = rows(merge(plan, files, tmp_path / "failed"))
    assert made[0] is not None
    monkeypatch.setattr(beside, "ENABLED", False)
    assert recorded == rows(merge(plan, files, tmp_path / "here"))


def test_waiting_work_learns_go_or_give_up(tmp_path: Path) -> None:
    def work(name: str) -> Callable[[Callable[[], bool]], None]:
        def run(go: Callable[[], bool]) -> None:
            (tmp_path / name).write_text(str(go()))
        return run

    told = beside.Waiting.start(work("told"))
    assert told is not None
    assert told.go()
    assert (tmp_path / "told").read_text() == "True"
    left = beside.Waiting.start(work("left"))
    assert left is not None
    left.give_up()
    assert (tmp_path / "left").read_text() == "False"

    def crash(go: Callable[[], bool]) -> None:
        raise RuntimeError("the copy fails")

    failing = beside.Waiting.start(crash)
    assert failing is not None
    assert not failing.go()  # so the caller does the work itself
