"""The pure part of reading a sheet (reading/rows.py), on small grids built in the test: no workbook needed."""

from __future__ import annotations

from typing import Any

from plan_workbook.plan import ROLES, Plan
from plan_workbook.reading.rows import HEADER_SEARCH_ROWS, classify, find_header, renamed_column


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
    assert classify(first, examples, set(), True, present) == "untouched example"
    assert classify({**first, "status": "Amber", "update": "Booked"}, examples, set(), True, present) == \
        "adopted example"
    adapted = {**first, "action": first["action"] + " in every library"}
    assert classify(adapted, examples, set(), True, present) == "adapted example"
    assert classify(adapted, examples, set(), False, present) == "new"  # below the examples: the partner's own
    matched: set[int] = set()
    assert [classify(dict(e), examples, matched, True, present) for e in (first, first)] == [
        "untouched example", "new"]  # an example is matched once
    own = dict.fromkeys(ROLES, "") | {"action": "Something else entirely", "status": "Green"}
    assert classify(own, examples, set(), True, present) == "new"
