"""A real spreadsheet application checks the files: LibreOffice headless opens, converts, re-saves.

Skipped with a reason where soffice is missing; CI installs it and fails if it is absent."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path

from click.testing import CliRunner
from openpyxl import load_workbook

from conftest import IR, RA, MakeReturn, action
from plan_workbook import layout as L
from plan_workbook.cli import main
from plan_workbook.merge import check_returns
from plan_workbook.outputs.summary import write_summary
from plan_workbook.outputs.template import write_template
from plan_workbook.plan import Plan

Convert = Callable[[Path, str], Path]


def pdf_fonts(pdf: Path) -> set[str]:
    """The font families a PDF embeds ('ABCDEF+LiberationSans-Bold' -> 'LiberationSans')."""
    names = re.findall(rb"/BaseFont\s*/([^\s/<>\[\]]+)", pdf.read_bytes())
    return {n.decode().split("+")[-1].split("-")[0].split(",")[0] for n in names}


def test_template_converts_to_pdf_in_one_font(plan: Plan, tmp_path: Path, convert: Convert) -> None:
    pdf = convert(write_template(plan, tmp_path / "template.xlsx"), "pdf")
    assert pdf.read_bytes().startswith(b"%PDF")
    assert pdf.stat().st_size > 10_000
    fonts = pdf_fonts(pdf)
    assert len(fonts) == 1, fonts  # headers, guidance and entries alike: no fallback for an unnamed font
    assert not any("Serif" in f for f in fonts), fonts


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
        # the template's own checks: an error and a warning colour on Action, Lead, Time Frame, Status, Update
        assert sum(1 for r in rules if r.type == "expression") == 10
    front = wb["Front"]
    assert front["A5"].value == L.NIL_LABEL
    assert not front["B5"].protection.locked
    assert [dv.formula1 for dv in front.data_validations.dataValidation if "B5" in dv] == [f'"{L.NIL_YES}"']
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


def test_summary_resaved_by_libreoffice_keeps_every_row(plan: Plan, make_return: MakeReturn,
                                                        tmp_path: Path, convert: Convert) -> None:
    """The long sheets' rows are deflated apart from the XML around them and joined (outputs/zipout.py):
    LibreOffice reads every row of them."""
    path = make_return(rows={RA: [action(f"Action {n}", update="x " * n) for n in range(60)],
                             IR: [action("Late", status="Red", update="y", time_frame="Oct 21")]})
    result = check_returns(plan, [path])
    out = write_summary(result, tmp_path / "summary.xlsx", date(2022, 3, 31))
    resaved = load_workbook(convert(out, "xlsx"))
    assert [r[2] for r in resaved["Actions"].iter_rows(min_row=2, values_only=True)] == [
        a.values["action"] for a in result.actions]
    assert [r[3] for r in resaved["Overdue"].iter_rows(min_row=2, values_only=True)] == ["Late"]


def test_rolled_workbook_prints_and_resaves_with_carried_rows_intact(plan: Plan, make_return: MakeReturn,
                                                                    tmp_path: Path, convert: Convert) -> None:
    long_update = "Posters and short videos went out across Leicester, Leicestershire and Rutland in October " * 2
    returned = make_return("police", rows={RA: [action("Run a market stall in every district of the county, "
                                                       "with partners and volunteers from local groups",
                                                       status="Amber", update=long_update)]})
    rolled = tmp_path / "rolled"
    rolled.mkdir()
    runner = CliRunner()
    assert runner.invoke(main, ["merge", str(returned), "--out", str(tmp_path / "s.xlsx")]).exit_code == 0
    assert runner.invoke(main, ["roll-forward", str(tmp_path / "s.xlsx"), "--out-dir", str(rolled),
                                "--round", "Q4"]).exit_code == 0
    path = rolled / "leicestershire-police-q4.xlsx"
    row = L.FIRST_DATA_ROW + len(plan.priorities[0].examples)
    height = load_workbook(path)[RA].row_dimensions[row].height
    assert height is not None
    assert height >= 45  # the update wraps to three lines or more in its 40-wide column
    assert len(pdf_fonts(convert(path, "pdf"))) == 1
    wb = load_workbook(convert(path, "xlsx"))
    ws = wb[RA]
    assert ws.protection.sheet
    assert ws.cell(row, 4).value.startswith("Run a market stall")
    assert ws.cell(row, 4).protection.locked  # the action's identity
    assert not ws.cell(row, 6).protection.locked  # Time Frame: can be re-dated
    assert ws.row_dimensions[row].height >= 45  # LibreOffice keeps the height, so the text does not overprint
