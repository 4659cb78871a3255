"""Stage 3: reading returns: partner, classification of rows, structure problems."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook, load_workbook

from conftest import IR, RA, MakeReturn, action
from plan_workbook.merge import check_returns
from plan_workbook.plan import Plan
from plan_workbook.reading.reader import PER_AREA, read_return


def codes(plan: Plan, *paths: Path) -> list[tuple[str, str, str]]:
    return [(p.sheet, p.cell, p.code) for p in check_returns(plan, list(paths)).problems]


def test_rows_are_classified(plan: Plan, make_return: MakeReturn) -> None:
    path = make_return(rows={RA: [action("A new action")]}, example_edits={
        RA: {0: {"status": "Green", "update": "Shared"},  # adopted: text unchanged
             1: {"action": "Our own version of the NHCAW campaign", "lead": "Police", "time_frame": "Oct 21",
                 "status": "Amber", "update": "Planned"}}})  # adapted: text changed
    ret = read_return(plan, path)
    kinds = [(r.sheet, r.row, r.kind) for r in ret.rows]
    assert kinds == [(RA, 5, "adopted example"), (RA, 6, "adapted example"), (RA, 10, "new")]
    assert ret.examples_ignored == 9  # 11 examples, 2 used
    assert ret.partner == "Leicestershire Police"


def test_a_clean_return_has_no_problems(plan: Plan, make_return: MakeReturn) -> None:
    path = make_return(rows={RA: [action()], IR: [action("Review outcomes", status="Amber", update="Late")]})
    assert codes(plan, path) == []


def test_partner_missing_and_unknown_name_the_cell(plan: Plan, make_return: MakeReturn) -> None:
    missing = make_return("missing", None, {RA: [action()]}, personalise=False, front_partner="")
    unknown = make_return("unknown", "Leicester Citty Council", {RA: [action()]}, personalise=False)
    assert codes(plan, missing) == [("Front", "B4", "partner-missing")]
    result = check_returns(plan, [unknown])
    assert [(p.sheet, p.cell, p.code, p.value) for p in result.problems] == [
        ("Front", "B4", "partner-unknown", "Leicester Citty Council")]
    assert "closest: Leicester City Council" in result.problems[0].message


def test_header_moved_down_and_examples_deleted_still_read(plan: Plan, make_return: MakeReturn,
                                                           tmp_path: Path) -> None:
    path = make_return(rows={RA: [action("Moved action")]})
    wb = load_workbook(path)
    ws = wb[RA]
    ws.protection.sheet = False
    ws.delete_rows(5, 5)  # all five example rows
    ws.insert_rows(1, 3)  # push the header down
    moved = tmp_path / "moved.xlsx"
    wb.save(moved)
    ret = read_return(plan, moved)
    assert [(r.row, r.kind, r.values["action"]) for r in ret.rows] == [(8, "new", "Moved action")]
    assert [(p.sheet, p.cell, p.code) for p in ret.problems] == [(RA, "A6", "header-moved")]


def test_renamed_missing_and_extra_sheets(plan: Plan, make_return: MakeReturn, tmp_path: Path) -> None:
    path = make_return(rows={RA: [action()], IR: [action("Kept")]})
    wb = load_workbook(path)
    wb[RA].title = "Raising awareness (ours)"
    del wb["Strengthening Communities"]
    wb.create_sheet("Notes")["B2"] = "See the board paper"
    broken = tmp_path / "broken.xlsx"
    wb.save(broken)
    result = check_returns(plan, [broken])
    assert [(p.sheet, p.cell, p.code) for p in result.problems] == [
        ("Strengthening Communities", "", "sheet-missing"),
        ("Notes", "", "sheet-extra"),
        ("Notes", "B2", "data-outside-area"),
        ("Raising awareness (ours)", "", "sheet-renamed"),
    ]
    assert "renamed 'Raising awareness (ours)'" in result.problems[-1].message
    assert [a.row.values["action"] for a in result.actions] == ["Run a hate crime awareness stall", "Kept"]


def test_extra_and_renamed_columns_and_data_outside_the_area(plan: Plan, make_return: MakeReturn,
                                                             tmp_path: Path) -> None:
    path = make_return(rows={RA: [action()]})
    wb = load_workbook(path)
    ws = wb[RA]
    ws["C3"] = "Objectives"  # renamed header
    ws["I3"] = "Cost"
    ws["I10"] = 500
    ws["A200"] = "Typed far below"
    ws["D200"] = "An action below the prepared rows"
    out = tmp_path / "cols.xlsx"
    wb.save(out)
    result = check_returns(plan, [out])
    found = [(p.cell, p.code, p.value) for p in result.problems]
    assert ("C3", "column-renamed", "Objectives") in found
    assert ("I3", "column-extra", "Cost") in found
    assert ("I10", "data-outside-area", "500") in found
    assert ("A200", "data-outside-area", "row 200") in found
    assert any(a.row.row == 200 for a in result.actions)


def test_return_from_another_plan(plan: Plan, make_return: MakeReturn, tmp_path: Path) -> None:
    path = make_return(rows={RA: [action()]})
    wb = load_workbook(path)
    wb["_meta"]["B1"] = "another-plan"
    other = tmp_path / "other.xlsx"
    wb.save(other)
    assert codes(plan, other) == [("_meta", "B1", "plan-mismatch")]


def test_not_a_template_and_not_a_workbook(plan: Plan, tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    wb.worksheets[0]["A1"] = "hello"
    wb.save(tmp_path / "random.xlsx")
    (tmp_path / "notes.xlsx").write_text("this is not a workbook", encoding="utf-8")
    result = check_returns(plan, [tmp_path / "random.xlsx", tmp_path / "notes.xlsx"])
    assert [(p.file.rsplit("/", 1)[-1], p.code) for p in result.problems] == [
        ("random.xlsx", "not-a-template"), ("notes.xlsx", "wrong-format")]
    assert [result.return_state(r) for r in result.returns] == ["unreadable", "unreadable"]


def test_missing_column_and_missing_header(plan: Plan, make_return: MakeReturn, tmp_path: Path) -> None:
    path = make_return(rows={RA: [action()], IR: [action("Kept")]})
    wb = load_workbook(path)
    wb[RA].delete_cols(6)  # Time Frame gone; Status and Update move left
    for cell in wb[IR][3]:
        cell.value = None  # header row wiped
    out = tmp_path / "cols.xlsx"
    wb.save(out)
    result = check_returns(plan, [out])
    assert [(p.sheet, p.cell, p.code) for p in result.problems] == [
        (RA, "F3", "column-missing"), (IR, "", "header-missing")]
    assert [a.values["status"] for a in result.actions] == ["Green"]  # still read by header, not position


def test_partner_mismatch_and_duplicate_returns(plan: Plan, make_return: MakeReturn, tmp_path: Path) -> None:
    first = make_return("first", "Victim First", {RA: [action()]})
    second = make_return("second", "Victim First", {RA: [action("Another")]})
    wb = load_workbook(first)
    wb["Front"]["B4"] = "Melton Borough Council"
    mixed = tmp_path / "mixed.xlsx"
    wb.save(mixed)
    result = check_returns(plan, [mixed, first, second])
    assert [(p.file.rsplit("/", 1)[-1], p.cell, p.code) for p in result.problems] == [
        ("mixed.xlsx", "B4", "partner-mismatch"), ("first.xlsx", "", "duplicate-return"),
        ("second.xlsx", "", "duplicate-return")]
    assert [result.return_state(r) for r in result.returns] == ["received", "duplicate", "duplicate"]


def test_older_template_version_is_a_warning(plan: Plan, make_return: MakeReturn, tmp_path: Path) -> None:
    wb = load_workbook(make_return(rows={RA: [action()]}))
    wb["_meta"]["B3"] = "0"
    old = tmp_path / "old.xlsx"
    wb.save(old)
    assert codes(plan, old) == [("_meta", "B2", "template-version-mismatch")]


def test_a_small_edit_to_an_example_is_never_dropped_as_untouched(plan: Plan, make_return: MakeReturn) -> None:
    ex = plan.priorities[0].examples[1]
    path = make_return(example_edits={RA: {1: {"aim": ex["aim"].lower() + " "}}})
    ret = read_return(plan, path)
    assert [(r.row, r.kind, r.values["aim"]) for r in ret.rows] == [(6, "adapted example", "increase reporting ")]


def _unprotected(path: Path) -> Workbook:
    wb = load_workbook(path)
    for ws in wb.worksheets:
        ws.protection.sheet = False
    return wb


def test_text_typed_into_the_guidance_row_is_kept_but_never_an_action(plan: Plan, make_return: MakeReturn,
                                                                       tmp_path: Path) -> None:
    wb = _unprotected(make_return(rows={RA: [action("Real action")]}))
    wb[RA]["D4"] = "Run a stall at the market"
    wb[RA]["G4"] = "Green"
    typed = tmp_path / "typed.xlsx"
    wb.save(typed)
    result = check_returns(plan, [typed])
    assert [a.values["action"] for a in result.actions] == ["Real action"]
    assert [(p.cell, p.code, p.value) for p in result.problems] == [
        ("D4", "guidance-edited", "Run a stall at the market"), ("G4", "guidance-edited", "Green")]
    ret = result.returns[0]
    assert [(r.row, r.kind) for r in ret.rows] == [(10, "new")]
    assert ret.examples_ignored == 11  # the examples still match: the guidance row did not shift them


def test_an_inserted_row_does_not_shift_example_matching(plan: Plan, make_return: MakeReturn, tmp_path: Path) -> None:
    wb = _unprotected(make_return(example_edits={
        RA: {1: {"action": "Our own version of the NHCAW campaign", "status": "Amber", "update": "Planned"}}}))
    wb[RA].insert_rows(6)  # a blank row above the adapted example
    wb[RA]["D6"] = None
    moved = tmp_path / "moved.xlsx"
    wb.save(moved)
    ret = read_return(plan, moved)
    assert [(r.row, r.kind) for r in ret.rows] == [(7, "adapted example")]
    assert ret.examples_ignored == 10


def test_a_new_row_sharing_a_theme_and_aim_with_an_example_is_new(plan: Plan, make_return: MakeReturn) -> None:
    ex = plan.priorities[0].examples[0]
    path = make_return(rows={RA: [action("Something else entirely", theme=ex["theme"], aim=ex["aim"])]})
    assert [(r.row, r.kind) for r in read_return(plan, path).rows] == [(10, "new")]


def test_a_header_far_down_is_still_found(plan: Plan, make_return: MakeReturn, tmp_path: Path) -> None:
    wb = _unprotected(make_return(rows={RA: [action("Far down")]}))
    wb[RA].insert_rows(1, 40)
    far = tmp_path / "far.xlsx"
    wb.save(far)
    result = check_returns(plan, [far])
    assert [(p.sheet, p.cell, p.code) for p in result.problems] == [(RA, "A43", "header-moved")]
    assert [a.values["action"] for a in result.actions] == ["Far down"]


def test_a_column_inserted_before_a_renamed_status_is_not_read_as_status(plan: Plan, make_return: MakeReturn,
                                                                          tmp_path: Path) -> None:
    wb = _unprotected(make_return(rows={RA: [action("Costed", status="Amber", update="Half way")]}))
    ws = wb[RA]
    ws.insert_cols(7)  # before Status
    ws["G3"], ws["G10"] = "Cost", "£500"
    ws["H3"] = "RAG status"  # Status renamed
    odd = tmp_path / "odd.xlsx"
    wb.save(odd)
    result = check_returns(plan, [odd])
    assert [(p.cell, p.code, p.value) for p in result.problems] == [
        ("G3", "column-extra", "Cost"), ("H3", "column-renamed", "RAG status"), ("G10", "data-outside-area", "£500")]
    assert result.actions[0].status == "Amber"


def test_problems_past_the_limit_are_summed_up_not_dropped(plan: Plan, make_return: MakeReturn,
                                                           tmp_path: Path) -> None:
    wb = _unprotected(make_return(rows={RA: [action()]}))
    notes = wb.create_sheet("Scribbles")
    for r in range(1, 501):
        notes.cell(r, 1, f"note {r}")
    many = tmp_path / "many.xlsx"
    wb.save(many)
    problems = [p for p in check_returns(plan, [many]).problems if p.sheet == "Scribbles"]
    outside = [p for p in problems if p.code == "data-outside-area"]
    assert len(outside) == PER_AREA + 1
    rest = outside[-1]
    assert rest.cell == f"A{PER_AREA + 1}"
    assert f"{500 - PER_AREA} more problem(s)" in rest.message
    assert rest.value.startswith(f"A{PER_AREA + 1}: note {PER_AREA + 1}; ")
    assert rest.value.endswith("A500: note 500")


def test_a_return_from_another_plan_counts_for_nothing(plan: Plan, make_return: MakeReturn, tmp_path: Path) -> None:
    wb = _unprotected(make_return(rows={RA: [action("Counted elsewhere")]}))
    wb["_meta"]["B1"] = "another-plan"
    other = tmp_path / "other.xlsx"
    wb.save(other)
    result = check_returns(plan, [other])
    assert result.actions == []
    assert result.return_state(result.returns[0]) == "rejected"
    assert result.summary()["returns_received"] == 0


def test_partner_suggestions_know_initials_and_aliases(plan: Plan, make_return: MakeReturn) -> None:
    initials = make_return("lcc", None, front_partner="LCC", personalise=False)
    result = check_returns(plan, [initials])
    assert [(p.cell, p.code) for p in result.problems] == [("B4", "partner-unknown")]
    assert "(closest: Leicester City Council)" in result.problems[0].message  # not Rutland County Council
