"""Issue 18: a round holds each text once and keeps its actions out of the garbage collector's way, without
changing a thing a partner typed."""

from __future__ import annotations

import gc
from datetime import date
from pathlib import Path

import pytest

from conftest import IR, RA, MakeReturn, action
from plan_workbook import cli
from plan_workbook.heap import long_lived, round_heap
from plan_workbook.merge import Result, check_returns
from plan_workbook.plan import Plan
from plan_workbook.problems import Problem
from plan_workbook.rounds.snapshot import snapshot
from plan_workbook.service import run_round
from plan_workbook.sources.files import file_source

AIM = "Increase reporting of hate incidents"


def two_returns(make_return: MakeReturn, plan: Plan) -> list[Path]:
    partners = plan.returning_partners
    return [make_return(f"r{i}", partners[i], {
        RA: [action(f"Stall {i}", aim=AIM, update=f"Update {i}"), action(f"Talk {i}", aim=AIM, update=f"Update {i}"),
             action(f"Padded {i}", aim=AIM, status=" green ")],
        IR: [action(f"Review {i}", aim=AIM, status="Red", update=None)]}) for i in range(2)]


def test_recurring_texts_are_one_object_and_read_as_typed(plan: Plan, make_return: MakeReturn) -> None:
    files = two_returns(make_return, plan)
    result = check_returns(plan, files, jobs=2)  # read in worker processes: each return's texts arrive anew
    first, second = (a for a in result.actions if a.values["action"] in ("Stall 0", "Stall 1"))
    for role in ("aim", "theme", "objective", "lead", "time_frame", "status"):
        assert first.values[role] == second.values[role]
        assert first.values[role] is second.values[role], role  # across returns: one object
    talk = next(a for a in result.actions if a.values["action"] == "Talk 0")
    assert talk.values["update"] is first.values["update"] == "Update 0"  # within a return: one object
    assert first.values["action"] is not second.values["action"]
    # a row left as typed shares its values with the action; a fixed one keeps both, the typed text unchanged
    assert first.values is first.row.values
    padded = next(a for a in result.actions if a.values["action"] == "Padded 0")
    assert padded.values is not padded.row.values
    assert (padded.values["status"], padded.row.values["status"]) == ("Green", " green ")
    assert result.as_dict() == check_returns(plan, files, jobs=1).as_dict()


def test_a_snapshot_reuses_an_actions_texts_only_when_they_are_all_text(plan: Plan, make_return: MakeReturn) -> None:
    result = check_returns(plan, two_returns(make_return, plan), jobs=1)
    snap = snapshot(result, "Q4", date(2022, 3, 31))
    for a, record in zip(result.actions, snap.actions, strict=True):
        as_text = {r: "" if v is None else str(v) for r, v in a.values.items()}
        assert dict(record.values) == as_text
        assert (record.values is a.values) == (None not in a.values)
    assert any(r.values is not a.values for a, r in zip(result.actions, snap.actions, strict=True))  # no update


def test_the_collector_gets_everything_back_after_a_round(plan: Plan, make_return: MakeReturn,
                                                           tmp_path: Path) -> None:
    files = two_returns(make_return, plan)
    assert gc.get_freeze_count() == 0
    check_returns(plan, files, jobs=1)
    assert gc.get_freeze_count() == 0
    run_round(plan, [file_source(f) for f in files], tmp_path / "summary.xlsx", date(2022, 3, 31),
              store=tmp_path / "rounds.sqlite")
    assert gc.get_freeze_count() == 0
    frozen = []

    @round_heap()
    def stops_half_way() -> None:
        long_lived()
        frozen.append(gc.get_freeze_count())
        raise ValueError("stopped")

    with pytest.raises(ValueError, match="stopped"):
        stops_half_way()
    assert frozen[0] > 0
    assert gc.get_freeze_count() == 0  # given back also when a round stops half way


def test_a_long_table_of_problems_prints_as_one_table(plan: Plan, make_return: MakeReturn,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """More than a thousand problems: written a thousand at a time, the same table as all at once."""
    result = check_returns(plan, two_returns(make_return, plan), jobs=1)
    many = [Problem.of(f"r{i % 7}" + "x" * (i % 5) + ".xlsx", RA, f"D{i + 8}", "action-missing", "Action", "",
                       row=i + 8) for i in range(2345)]
    result = Result(plan, result.returns, result.actions, many)
    cli._render(result, "text", None)
    lines = capsys.readouterr().out.split("\n")
    assert len(lines) == 1 + 2345 + 2 + 1  # header, problems, a blank line, the verdict, the last newline
    assert lines[0].startswith("file ")
    assert lines[1 + 2345] == ""
    assert lines[-2].startswith("2 return(s) checked")
    starts = {line.index(p.message) for line, p in zip(lines[1:2346], many, strict=True)}
    assert starts == {lines[0].index("message")}  # every message in the one column, over all the pieces
    assert [line.split()[:3] for line in lines[1:2346]] == [[p.file, *RA.split()] for p in many]
