"""The summary's long sheets written by two processes at once (outputs/beside.py): the same file as one process
writes, and a copy that fails costs nothing but time."""

from __future__ import annotations

import io
import os
import sys
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from conftest import IR, RA, SC, MakeReturn, action
from plan_workbook.merge import Result, check_returns
from plan_workbook.outputs import beside
from plan_workbook.outputs import summary as summarise
from plan_workbook.outputs.sheetrows import SheetRows
from plan_workbook.outputs.summary import write_summary
from plan_workbook.plan import Plan
from test_sheetrows import assert_same_parts

AS_OF = date(2022, 3, 31)
needs_fork = pytest.mark.skipif(sys.platform != "linux", reason="the copy is made only on Linux (fork)")


@pytest.fixture(autouse=True)
def copies_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The caps on the size of a process copied are tested on their own: the test process may be large by now."""
    monkeypatch.setattr(beside, "MAX_COPY", 2**40)
    monkeypatch.setattr(beside, "MAX_EARLY", 2**40)


@pytest.fixture
def result(plan: Plan, make_return: MakeReturn, tmp_path: Path) -> Result:
    make_return("police", "Leicestershire Police", {
        RA: [action(f"Action {i}", update=f"Update {i}", status=("Green", "Amber", "Red")[i % 3]) for i in range(30)],
        IR: [action("=1+2", status="red", update=None, time_frame="Oct 21"), action(" lead space", lead="Nobody")]})
    make_return("vf", "Victim First", {SC: [action(None), action("x", status="Purple", lead="Nobody Ltd")]})
    return check_returns(plan, sorted((tmp_path / "returns").glob("*.xlsx")))


def forks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every fork run_beside makes, by the copy's process id (seen in this process)."""
    made: list[int] = []
    real = os.fork

    def fork() -> int:
        pid = real()
        if pid:
            made.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", fork)  # beside.py calls os.fork
    return made


def copies_die(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every copy made dies half way through its share, after its first row (as if killed or out of memory)."""
    monkeypatch.setattr(beside, "MIN_WEIGHT", 0)
    parent = os.getpid()
    real_add = SheetRows.add

    def add(self: SheetRows, *args: object, **kwargs: object) -> None:
        real_add(self, *args, **kwargs)  # type: ignore[arg-type]
        if os.getpid() != parent:
            os._exit(9)  # in a copy only

    monkeypatch.setattr(SheetRows, "add", add)


def one_process(result: Result, out: Path) -> Path:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(beside, "ENABLED", False)
        return write_summary(result, out, AS_OF)


@needs_fork
def test_two_processes_write_the_same_file_as_one(result: Result, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(beside, "MIN_WEIGHT", 0)  # a fork even for a few rows
    monkeypatch.setattr(summarise, "SHEET_ROWS", 9)  # and tables over several sheets, shared between the two
    assert beside.can_fork(), "other threads are running: the copy would not be made"
    made = forks(monkeypatch)
    shared = write_summary(result, tmp_path / "shared.xlsx", AS_OF)
    assert len(made) == 1
    assert_same_parts(shared, one_process(result, tmp_path / "alone.xlsx"))


@needs_fork
def test_a_copy_that_fails_costs_only_time(result: Result, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The copy dies half way through its share (as if killed or out of memory): this process writes that share
    again, and the file is whole."""
    copies_die(monkeypatch)
    made = forks(monkeypatch)
    out = write_summary(result, tmp_path / "shared.xlsx", AS_OF)
    assert len(made) == 1
    assert_same_parts(out, one_process(result, tmp_path / "alone.xlsx"))


def test_an_error_here_stops_the_copy_and_is_raised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(beside, "MIN_WEIGHT", 0)
    made = forks(monkeypatch)
    done = tmp_path / "done"

    def slow() -> None:
        threading.Event().wait(30)  # the copy's share; it is stopped long before this ends
        done.write_text("finished")

    def fails() -> None:
        raise ValueError("this process's share failed")

    with pytest.raises(ValueError, match="share failed"):
        beside.run_beside([(10, slow), (20, fails)])  # the heavier share is done here
    if sys.platform == "linux":
        assert len(made) == 1
        with pytest.raises(ChildProcessError):
            os.waitpid(made[0], os.WNOHANG)  # already stopped and reaped
    assert not done.exists()


@needs_fork
def test_no_copy_without_memory_for_it(monkeypatch: pytest.MonkeyPatch) -> None:
    assert beside.room_for_copy()  # this machine: far more free than a test process holds
    real_open = open

    def tight(path: str, *args: object, **kwargs: object) -> object:
        if path == "/proc/meminfo":  # as a machine with 100 MiB left would say
            return io.StringIO("MemTotal:  8000000 kB\nMemAvailable:  102400 kB\n")
        return real_open(path, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(beside, "MAX_COPY", 2**20)  # a process larger than this is not copied
    assert not beside.room_for_copy()
    monkeypatch.undo()
    monkeypatch.setattr("builtins.open", tight)
    assert not beside.room_for_copy()
    assert not beside.can_fork()


def test_jobs_are_shared_by_weight() -> None:
    def job() -> None:
        return None

    jobs: list[tuple[int, Callable[[], None]]] = [(w, job) for w in (500_000, 300_000, 250_000, 10)]
    here, there = beside.share(jobs)
    assert sorted(w for w, _ in here) == [10, 500_000]
    assert sorted(w for w, _ in there) == [250_000, 300_000]
    assert beside.share([(100, job)]) == ([(100, job)], [])  # too little to be worth a fork


def test_no_copy_while_other_threads_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fork copies other threads' locks as they are, maybe held (the desk serves pages on threads)."""
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not beside.can_fork()
    finally:
        stop.set()
        thread.join()
    ran: list[int] = []
    monkeypatch.setattr(beside, "MIN_WEIGHT", 0)
    made = forks(monkeypatch)
    thread = threading.Thread(target=stop.wait)
    stop.clear()
    thread.start()
    try:
        beside.run_beside([(5, lambda: ran.append(1)), (5, lambda: ran.append(2))])
    finally:
        stop.set()
        thread.join()
    assert made == []
    assert sorted(ran) == [1, 2]


@needs_fork
@pytest.mark.parametrize("sheet_rows", [summarise.SHEET_ROWS, 9], ids=["one sheet each", "several sheets each"])
def test_rows_begun_early_give_the_same_file(result: Result, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             sheet_rows: int) -> None:
    """The Actions and Overdue rows, begun in a copy before the rest of the summary is planned
    (begin_summary), give the same file as one process writing everything."""
    monkeypatch.setattr(beside, "MIN_WEIGHT", 0)
    monkeypatch.setattr(summarise, "SHEET_ROWS", sheet_rows)  # at 9, Actions (2) moves Overdue along
    made = forks(monkeypatch)
    begun = summarise.begin_summary(result, AS_OF)
    assert begun is not None
    assert len(made) == 1
    sheets = len(summarise._sheets(len(result.actions))) + len(summarise._sheets(len(result.overdue(AS_OF))))
    assert sheets == (2 if sheet_rows > 100 else 8)
    assert set(begun.rows) == {f"xl/worksheets/sheet{n}.xml" for n in range(2, 2 + sheets)}  # after Summary
    out = write_summary(result, tmp_path / "begun.xlsx", AS_OF, begun=begun)
    assert begun.early.pid is None  # waited for
    assert all(r.size == 0 for r in begun.rows.values())  # their rows written by the copy alone, none here
    assert len(made) == 2  # and the rest shared with a second copy
    assert_same_parts(out, one_process(result, tmp_path / "alone.xlsx"))
    begun.cancel()  # after the summary: nothing left to stop


@needs_fork
def test_rows_begun_by_a_copy_that_fails_are_written_here(result: Result, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    copies_die(monkeypatch)
    begun = summarise.begin_summary(result, AS_OF)
    assert begun is not None
    out = write_summary(result, tmp_path / "begun.xlsx", AS_OF, begun=begun)
    assert_same_parts(out, one_process(result, tmp_path / "alone.xlsx"))


@needs_fork
def test_rows_begun_for_a_round_that_stops_are_stopped(result: Result, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(beside, "MIN_WEIGHT", 0)
    monkeypatch.setattr(SheetRows, "add", lambda *args: threading.Event().wait(60))  # a copy that would go on
    begun = summarise.begin_summary(result, AS_OF)
    assert begun is not None
    assert begun.early.pid is not None
    pid = begun.early.pid
    begun.cancel()
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # stopped and reaped
    assert all(r.file.closed for r in begun.rows.values())


def test_no_rows_begun_where_no_copy_is_made(result: Result, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(beside, "ENABLED", False)
    assert summarise.begin_summary(result, AS_OF) is None


@needs_fork
def test_no_rows_begun_by_a_process_over_the_early_cap(result: Result, monkeypatch: pytest.MonkeyPatch) -> None:
    """The early copy lives beside the two later ones, so it has a lower cap of its own."""
    monkeypatch.undo()  # the caps as shipped, first
    assert beside.MAX_EARLY < beside.MAX_COPY
    monkeypatch.setattr(beside, "MIN_WEIGHT", 0)
    with open("/proc/self/statm") as f:
        resident = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    monkeypatch.setattr(beside, "MAX_COPY", 3 * resident)
    monkeypatch.setattr(beside, "MAX_EARLY", resident // 2)  # room for the later copies, not for this one
    assert beside.can_fork()
    assert summarise.begin_summary(result, AS_OF) is None
    monkeypatch.setattr(beside, "MAX_EARLY", 3 * resident)
    begun = summarise.begin_summary(result, AS_OF)
    assert begun is not None
    begun.cancel()
