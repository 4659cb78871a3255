"""A real spreadsheet application checks the files: LibreOffice headless opens, converts, re-saves.

Skipped with a reason where soffice is missing; CI installs it and fails if it is absent."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path

from openpyxl import load_workbook

from conftest import IR, RA, MakeReturn, action
from plan_workbook import layout as L
from plan_workbook.build import write_template
from plan_workbook.merge import check_returns
from plan_workbook.plan import Plan
from plan_workbook.summarise import write_summary

Convert = Callable[[Path, str], Path]


def test_template_converts_to_pdf(plan: Plan, tmp_path: Path, convert: Convert) -> None:
    pdf = convert(write_template(plan, tmp_path / "template.xlsx"), "pdf")
    assert pdf.read_bytes().startswith(b"%PDF")
    assert pdf.stat().st_size > 10_000


def test_template_resaved_by_libreoffice_keeps_its_controls(plan: Plan, tmp_path: Path, convert: Convert) -> None:
    (tmp_path / "src").mkdir()
    src = write_template(plan, tmp_path / "src" / "template.xlsx")
    wb = load_workbook(convert(src, "xlsx"))
    assert wb.sheetnames == ["Front", *(p.sheet for p in plan.priorities), "Lists", "_meta"]
    assert [wb[n].sheet_state for n in ("Lists", "_meta")] == ["hidden", "hidden"]
    for priority in plan.priorities:
        ws = wb[priority.sheet]
        assert ws.protection.sheet
        first_input = L.FIRST_DATA_ROW + len(priority.examples)
        assert not ws.cell(first_input, 4).protection.locked
        assert not ws.cell(L.FIRST_DATA_ROW, 1).protection.locked
        assert ws.cell(L.HEADER_ROW, 1).protection.locked
        lists = {dv.formula1: (dv.errorStyle or "stop", dv.showErrorMessage)
                 for dv in ws.data_validations.dataValidation}
        assert lists["Statuses"] == ("stop", True)
        assert lists["Partners"] == ("warning", True)
        assert lists["TimeFrames"] == ("warning", True)
        rules = [r for cf in ws.conditional_formatting for r in cf.rules]
        assert sorted(r.formula[0] for r in rules if r.type == "cellIs") == ['"Amber"', '"Green"', '"Red"']
        assert sum(1 for r in rules if r.type == "expression") == 6
    # LibreOffice 7.4 is known to drop workbook structure protection on save; the reader must not rely on it.


def test_a_return_resaved_by_libreoffice_merges_with_nothing_lost(plan: Plan, make_return: MakeReturn,
                                                                   tmp_path: Path, convert: Convert) -> None:
    rows = {RA: [action("Stall at the market", time_frame="Q3 2021/22"),
                 action("=SUM(1,2) is text", lead="Police / OPCC", status="Amber", update="Line one\nLine two")],
            IR: [action("Review", status="green")]}
    original = make_return("police", rows=rows, example_edits={RA: {0: {"status": "Red", "update": "Late"}}})
    resaved_dir = tmp_path / "resaved"
    resaved_dir.mkdir()
    resaved = shutil.copy(convert(original, "xlsx"), resaved_dir / "police.xlsx")
    a = check_returns(plan, [original])
    b = check_returns(plan, [Path(resaved)])
    assert [(x.row.sheet, x.row.row, x.row.kind, x.values) for x in a.actions] == \
        [(x.row.sheet, x.row.row, x.row.kind, x.values) for x in b.actions]
    assert [(p.sheet, p.cell, p.code, p.value) for p in a.problems] == \
        [(p.sheet, p.cell, p.code, p.value) for p in b.problems]
    assert len(b.actions) == 4


def test_summary_converts_to_pdf(plan: Plan, make_return: MakeReturn, tmp_path: Path, convert: Convert) -> None:
    path = make_return(rows={RA: [action(), action("Red one", status="Red", update="x")]})
    out = write_summary(check_returns(plan, [path]), tmp_path / "summary.xlsx", date(2022, 3, 31))
    pdf = convert(out, "pdf")
    assert pdf.read_bytes().startswith(b"%PDF")
