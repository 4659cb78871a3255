"""Stage 4: the automatic fixes and the pandera rules, as (sheet, cell, code) tuples."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from conftest import IR, RA, SC, MakeReturn, action
from plan_workbook.merge import check_returns
from plan_workbook.normalise import match_leads, parse_time_frame
from plan_workbook.plan import Plan


def test_each_rule_points_at_its_cell(plan: Plan, make_return: MakeReturn) -> None:
    path = make_return(rows={
        RA: [
            action("No status", status=None),                                     # row 10
            action("Bad status", status="Purple"),                                # row 11
            action(None, lead="Police"),                                          # row 12: no action
            action("No lead or time", lead=None, time_frame=None),                # row 13
            action("Red without update", status="Red", update=None),              # row 14
            action("Unknown lead", lead="Leicestershire Polise / Fire"),          # row 15
            action("Odd time", time_frame="Spring 2022"),                         # row 16
            action("Late", time_frame="Oct 24"),                                  # row 17
            action("Twice"), action("  twice "),                                  # rows 18, 19
        ]})
    found = [(p.sheet, p.cell, p.code) for p in check_returns(plan, [path]).problems]
    assert found == [
        (RA, "G10", "status-missing"),
        (RA, "G11", "status-invalid"),
        (RA, "D12", "action-missing"),
        (RA, "E12", "lead-normalised"),
        (RA, "E13", "lead-missing"),
        (RA, "F13", "time-frame-missing"),
        (RA, "H14", "update-missing"),
        (RA, "E15", "lead-unknown"),
        (RA, "F16", "time-frame-unparsed"),
        (RA, "F17", "time-frame-outside-plan"),
        (RA, "D19", "action-duplicate"),
        (RA, "D19", "spaces-trimmed"),
    ]


def test_messages_say_what_and_how_to_fix(plan: Plan, make_return: MakeReturn) -> None:
    path = make_return(rows={IR: [action("Unknown lead", lead="Polise"), action("Twice"), action("Twice")]})
    problems = {p.code: p for p in check_returns(plan, [path]).problems}
    assert "'Polise' (closest: Leicestershire Police)" in problems["lead-unknown"].message
    assert "already in row 9" in problems["action-duplicate"].message
    assert problems["action-duplicate"].severity == "warning"


def test_fixes_are_reported_with_the_original_value(plan: Plan, make_return: MakeReturn) -> None:
    path = make_return(rows={SC: [action("A", status="GREEN "), action("B", status="g", lead="Police & VF"),
                                  action("C", status="amber", update=None)]})
    result = check_returns(plan, [path])
    fixes = [(p.cell, p.code, p.value) for p in result.problems]
    assert fixes == [
        ("G8", "spaces-trimmed", "GREEN "),
        ("G8", "status-normalised", "GREEN "),
        ("E9", "lead-normalised", "Police & VF"),
        ("G9", "status-normalised", "g"),
        ("G10", "status-normalised", "amber"),
        ("H10", "update-missing", ""),
    ]
    assert [a.values["status"] for a in result.actions] == ["Green", "Green", "Amber"]
    assert result.actions[1].values["lead"] == "Leicestershire Police / Victim First"


def test_a_real_excel_date_is_a_due_date(plan: Plan, make_return: MakeReturn) -> None:
    path = make_return(rows={RA: [action(time_frame=datetime(2022, 1, 31))]})
    result = check_returns(plan, [path])
    assert result.problems == []
    assert result.actions[0].due == date(2022, 1, 31)


@pytest.mark.parametrize(("text", "due"), [
    ("Oct 21", date(2021, 10, 31)), ("October 2021", date(2021, 10, 31)), ("10/2021", date(2021, 10, 31)),
    ("Sept 22", date(2022, 9, 30)), ("Q3 2021/22", date(2021, 12, 31)), ("Q4 21/22", date(2022, 3, 31)),
    ("2022/23", date(2023, 3, 31)), ("by Mar 23", date(2023, 3, 31)), ("2021-11", date(2021, 11, 30)),
])
def test_time_frames_parse_to_due_dates(text: str, due: date) -> None:
    assert parse_time_frame(text) == (due, True)


@pytest.mark.parametrize("text", ["Spring", "01/02/2025", "Q5 2021/22", "2021/23", "13/2021", "soon"])
def test_unclear_time_frames_are_not_guessed(text: str) -> None:
    assert parse_time_frame(text) == (None, False)


def test_ongoing_is_understood_without_a_date() -> None:
    assert parse_time_frame(" ongoing ") == (None, True)


def test_joint_leads_split_but_partner_names_with_and_stay_whole(plan: Plan) -> None:
    assert match_leads(plan, "Hinckley and Bosworth") == (["Hinckley and Bosworth Borough Council"], [])
    assert match_leads(plan, "Police and Fire") == (
        ["Leicestershire Police", "Leicestershire Fire and Rescue Service"], [])
    assert match_leads(plan, "Police, OPCC & Unknown Org") == (
        ["Leicestershire Police", "Office of the Police and Crime Commissioner"], ["Unknown Org"])
