"""Stage 4: the automatic fixes and the pandera rules, as (sheet, cell, code) tuples."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import IR, RA, SC, MakeReturn, action
from plan_workbook.merge import check_returns
from plan_workbook.plan import Plan
from plan_workbook.reading.normalise import match_leads
from plan_workbook.reading.rows import key
from plan_workbook.reading.timeframes import FORMS, parse_time_frame


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
    # UK dates, day first
    ("31/03/2022", date(2022, 3, 31)), ("31/3/22", date(2022, 3, 31)), ("01/02/2025", date(2025, 2, 1)),
    ("31.03.2022", date(2022, 3, 31)), ("31 March 2022", date(2022, 3, 31)), ("31st March 2022", date(2022, 3, 31)),
    ("31-Mar-22", date(2022, 3, 31)), ("March 31, 2022", date(2022, 3, 31)), ("2022-03-31", date(2022, 3, 31)),
    ("by end of March 2022", date(2022, 3, 31)), ("By the end of Oct 21", date(2021, 10, 31)),
    # ranges are due at their end
    ("Apr-Jun 22", date(2022, 6, 30)), ("Oct 21 - Mar 22", date(2022, 3, 31)),
    ("April to June 2022", date(2022, 6, 30)), ("Jan–Mar 2022", date(2022, 3, 31)),
    # far-off years are dates (then outside the plan), not crashes
    ("Dec 2300", date(2300, 12, 31)),
])
def test_time_frames_parse_to_due_dates(text: str, due: date) -> None:
    assert parse_time_frame(text) == (due, True)


@pytest.mark.parametrize("text", ["Spring", "Q5 2021/22", "2021/23", "13/2021", "soon", "12/0000", "0000-12",
                                  "31/02/2022", "Soon - Mar 22", "32/01/2022", "Oct", "21 Oct"])
def test_unclear_time_frames_are_not_guessed(text: str) -> None:
    assert parse_time_frame(text) == (None, False)


@pytest.mark.parametrize("text", [" ongoing ", "Ongoing", "Monthly", "quarterly", "Annually", "on-going"])
def test_ongoing_and_recurring_are_understood_without_a_date(text: str) -> None:
    assert parse_time_frame(text) == (None, True)


def test_time_frames_the_readme_shows_parse_as_it_says() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| ([^|]+) \| `([^`]+)` \| ([^|]+) \|$", readme.split("**Time Frame**")[1].split("\n\n")[1],
                      re.MULTILINE)
    assert [(form, example) for form, example, _ in rows] == [(f, e) for f, e, _ in FORMS]
    for form, example, due in rows:
        for text in example.split(", "):
            when = None if due.strip() == "no due date" else datetime.strptime(due.strip(), "%d %b %Y").date()
            assert parse_time_frame(text) == (when, True), (form, text)


def test_odd_years_in_a_time_frame_are_problems_not_crashes(plan: Plan, make_return: MakeReturn) -> None:
    path = make_return(rows={RA: [action("Year nought", time_frame="12/0000"),
                                  action("ISO nought", time_frame="0000-12"), action("Far", time_frame="Dec 2300"),
                                  action("Real far date", time_frame=datetime(2999, 12, 31))]})
    result = check_returns(plan, [path])
    assert [(p.cell, p.code) for p in result.problems] == [
        ("F10", "time-frame-unparsed"), ("F11", "time-frame-unparsed"), ("F12", "time-frame-outside-plan"),
        ("F13", "time-frame-outside-plan")]
    assert "due 31 Dec 2999" in result.problems[-1].message


def test_joint_leads_split_but_partner_names_with_and_stay_whole(plan: Plan) -> None:
    assert match_leads(plan, "Hinckley and Bosworth") == (["Hinckley and Bosworth Borough Council"], [])
    assert match_leads(plan, "Police and Fire") == (
        ["Leicestershire Police", "Leicestershire Fire and Rescue Service"], [])
    assert match_leads(plan, "Police, OPCC & Unknown Org") == (
        ["Leicestershire Police", "Office of the Police and Crime Commissioner"], ["Unknown Org"])


def test_a_row_with_only_an_update_is_one_point(plan: Plan, make_return: MakeReturn) -> None:
    path = make_return(rows={RA: [{"update": "We ran two stalls"}]})
    problems = check_returns(plan, [path]).problems
    assert [(p.cell, p.code) for p in problems] == [("D10", "action-missing")]


def test_the_examples_own_lead_is_not_reported_but_its_update_is(plan: Plan, make_return: MakeReturn) -> None:
    # Example 1 of Raising Awareness: lead 'Police / All', update 'Police to share Comms packs'
    example = plan.priorities[0].examples[0]
    assert (example["lead"], example["update"]) == ("Police / All", "Police to share Comms packs")
    path = make_return(example_edits={RA: {0: {"status": "Green"}}})
    result = check_returns(plan, [path])
    assert [(p.cell, p.code) for p in result.problems] == [("H5", "update-is-example")]
    assert result.problems[0].severity == "warning"
    assert result.actions[0].values["lead"] == "Leicestershire Police / All partners"  # still read as the partners


def test_a_status_that_is_not_the_plans_is_an_error_and_never_a_status(plan: Plan, make_return: MakeReturn) -> None:
    path = make_return(rows={RA: [action("Finished", status="Complete", time_frame="Oct 21")]})
    result = check_returns(plan, [path])
    assert [(p.cell, p.code, p.severity, p.value) for p in result.problems] == [
        ("G10", "status-invalid", "error", "Complete")]
    assert result.actions[0].status == ""
    assert result.status_counts(result.actions)["No status"] == 1


# Words and every kind of white space Python's str.split() knows, in any case
_SPACED = st.text(st.sampled_from([*"aAbß İK", "\t", "\n", "\r", "\x0b", "\x0c", "\x1c", "\x85", "\xa0", "\u2009",
                                   "\u2028", "\u3000", "\u202f"]) | st.characters())


@settings(max_examples=500, deadline=None)
@given(_SPACED)
def test_the_key_that_tells_two_actions_or_headings_apart(text: str) -> None:
    assert key(text) == " ".join(text.split()).casefold()


def test_every_copy_of_an_action_points_at_its_own_first(plan: Plan, make_return: MakeReturn) -> None:
    path = make_return(rows={IR: [action("Alpha"), action("Beta"), action("alpha"), action("BETA"), action("Alpha")]})
    firsts = [p.message for p in check_returns(plan, [path]).problems if p.code == "action-duplicate"]
    assert len(firsts) == 3
    assert ["already in row 8" in m for m in firsts] == [True, False, True]
    assert "already in row 9" in firsts[1]


def test_a_read_return_survives_the_trip_from_a_worker_unchanged(plan: Plan, make_return: MakeReturn) -> None:
    # Row and Action pickle as plain tuples (cheaper for the parent to load): nothing may be lost on the way
    import pickle

    from plan_workbook.merge import read_and_scan
    from plan_workbook.sources.source import Source

    path = make_return(rows={RA: [action("One", status="red"), action("Two", time_frame="Spring 2022")]})
    ret, actions, problems = read_and_scan(plan, Source(path.name, path=path, origin=str(path)))
    again = pickle.loads(pickle.dumps((ret, actions, problems), protocol=pickle.HIGHEST_PROTOCOL))
    assert again == (ret, actions, problems)
    assert len(actions) == 2
    assert again[1][0].row is again[0].rows[0]  # one row object, shared by the return and its action
