"""The pure part of reading a sheet (reading/rows.py), on small grids built in the test: no workbook needed."""

from __future__ import annotations

import pickle
from datetime import date
from typing import Any

import pytest

from plan_workbook.plan import ROLES, Plan
from plan_workbook.reading.rows import HEADER_SEARCH_ROWS, Values, classify, find_header, renamed_column


def headings(plan: Plan) -> list[Any]:
    return [c.header for c in plan.columns]


def test_the_header_is_found_by_its_headings_not_its_row(plan: Plan) -> None:
    grid: list[list[Any]] = [["A title"], [], ["Key: ..."], ["inserted"], headings(plan), ["guidance"]]
    assert find_header(plan, grid) == (4, {role: i for i, role in enumerate(ROLES)})
    moved = [None, *reversed(headings(plan))]  # the columns in another order, one to the right
    assert find_header(plan, [moved]) == (0, {role: 8 - i for i, role in enumerate(ROLES)})


def test_a_header_far_down_is_still_found_and_a_lone_heading_is_not_one(plan: Plan) -> None:
    far: list[list[Any]] = [[] for _ in range(HEADER_SEARCH_ROWS + 10)]
    assert find_header(plan, [*far, [" action ", "LEAD", "Time  Frame", "Update"]]) == (
        HEADER_SEARCH_ROWS + 10, {"action": 0, "lead": 1, "time_frame": 2, "update": 3})
    assert find_header(plan, [["Action"], ["Lead", "Cost"]]) is None


def test_a_renamed_heading_is_matched_by_likeness_or_by_its_place() -> None:
    cols = {"theme": 0, "aim": 1, "action": 3}
    assert renamed_column(["Theme", "Aim", "Objectives", "Action"], cols, {0, 1, 3}, "objective", "Objective") == 2
    assert renamed_column(["Theme", "Aim", "Zzz", "Action"], cols, {0, 1, 3}, "objective", "Objective") == 2
    cols = {"theme": 0, "aim": 1, "action": 4}
    assert renamed_column(["Theme", "Aim", "Zzz", "Yyy", "Action"], cols, {0, 1, 4}, "objective",
                          "Objective") is None  # two candidates: cannot be told


def test_rows_are_told_apart_by_content(plan: Plan) -> None:
    examples = list(plan.priorities[0].examples)
    first = dict(examples[0])
    present = set(ROLES)
    assert classify(Values.of(first), examples, set(), True, present) == "untouched example"
    assert classify(Values.of({**first, "status": "Amber", "update": "Booked"}), examples, set(), True, present) == \
        "adopted example"
    adapted = {**first, "action": first["action"] + " in every library"}
    assert classify(Values.of(adapted), examples, set(), True, present) == "adapted example"
    # below the examples: the partner's own
    assert classify(Values.of(adapted), examples, set(), False, present) == "new"
    matched: set[int] = set()
    assert [classify(Values.of(e), examples, matched, True, present) for e in (first, first)] == [
        "untouched example", "new"]  # an example is matched once
    own = dict.fromkeys(ROLES, "") | {"action": "Something else entirely", "status": "Green"}
    assert classify(Values.of(own), examples, set(), True, present) == "new"


def test_values_are_looked_up_by_role_and_travel_as_values() -> None:
    """A row's values: a tuple in plan.ROLES order (a round holds one for every action), read by role."""
    values = Values.of({"action": "Stall", "status": "Green", "time_frame": date(2021, 10, 31)})
    assert values["action"] == values[ROLES.index("action")] == values.get("action") == "Stall"
    assert values["theme"] is None
    assert values.get("theme", "x") is None
    assert values.get("no such role", "x") == "x"
    with pytest.raises(KeyError):
        values["no such role"]
    assert dict(values) == {**dict.fromkeys(ROLES), "action": "Stall", "status": "Green",
                            "time_frame": date(2021, 10, 31)}
    assert list(values.keys()) == list(ROLES)
    assert [r for r, _ in values.items()] == list(ROLES)
    assert len(values) == len(ROLES)
    assert tuple(values)[ROLES.index("status")] == "Green"
    again = pickle.loads(pickle.dumps(values))
    assert type(again) is Values
    assert again == values
    assert again["status"] == "Green"
    assert "Values(" in repr(values)
    assert "'status': 'Green'" in repr(values)
