"""Feedback to partners: a copy of each return with its problems marked, for the partner to fix and resend.

The copy keeps the template's sheets, protection, dropdowns and hidden details; it gains a first sheet
listing every problem with a link to its cell, and each problem cell is highlighted with a comment saying
what is wrong. The partner's own file is never changed. The reader knows the feedback sheet, so a fixed
copy merges like any return.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font
from openpyxl.utils.cell import coordinate_from_string
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

from . import layout as L
from .errors import OutputError
from .merge import Result
from .problems import Problem
from .read import Return
from .xlsx import WRAP, fit_row_heights, header, print_setup, put, save, solid

HIGHLIGHT = {"error": "FFC000", "warning": "FFE699"}  # orange for errors, light orange for warnings
LINK = Font(color="0563C1", underline="single")


def write_feedback(result: Result, out_dir: Path) -> list[Path]:
    """One feedback workbook per readable return with problems; returns the files written."""
    if not out_dir.is_dir():
        raise OutputError(f"cannot write to {out_dir}: the folder does not exist")
    inputs = {Path(r.file).resolve() for r in result.returns}
    written = []
    for ret in result.returns:
        mine = [p for p in result.problems if p.file == ret.file and p.severity in HIGHLIGHT]
        if not ret.readable or ret.set_aside or not mine:
            continue
        out = out_dir / f"{Path(ret.file).stem} - feedback.xlsx"
        if out.resolve() in inputs:
            raise OutputError(f"{out} is one of the returns; choose another --out-dir")
        save(_feedback(result, ret, mine), out)
        written.append(out)
    return written


def _feedback(result: Result, ret: Return, problems: list[Problem]) -> Workbook:
    wb = load_workbook(ret.file, keep_vba=False, keep_links=False)  # macros and external links are dropped
    ws = wb.create_sheet(L.FEEDBACK_SHEET, 0)
    _list(ws, result, ret, problems, set(wb.sheetnames))
    for p in problems:
        if p.sheet in wb.sheetnames and _is_cell(p.cell):
            cell = wb[p.sheet][p.cell]
            cell.fill = solid(HIGHLIGHT[p.severity])
            note = f"{p.severity.capitalize()}: {p.message}"
            cell.comment = Comment(note if cell.comment is None else f"{cell.comment.text}\n\n{note}",
                                   "plan-workbook", width=300, height=120)
    wb.active = 0
    return wb


def _list(ws: Worksheet, result: Result, ret: Return, problems: Iterable[Problem], sheets: set[str]) -> None:
    put(ws["A1"], f"{result.plan.title}: feedback on your return")
    ws["A1"].font = Font(bold=True, size=14)
    put(ws["A2"], "Please fix each point below in this copy (the highlighted cells have a comment too), then "
                  "send this file back. This sheet is ignored when the return is read again.")
    for col, (head, width) in enumerate((("Sheet", 26), ("Cell", 8), ("Severity", 10), ("What to do", 100)), 1):
        header(ws.cell(4, col), head)
        ws.column_dimensions["ABCD"[col - 1]].width = width
    for r, p in enumerate(problems, 5):
        put(ws.cell(r, 1), p.sheet)
        put(ws.cell(r, 2), p.cell)
        if p.sheet in sheets and _is_cell(p.cell):
            # an internal link (location), not an external target, so Excel opens no browser
            ws.cell(r, 2).hyperlink = Hyperlink(ref=f"B{r}", location=f"'{p.sheet}'!{p.cell}")
            ws.cell(r, 2).font = LINK
        put(ws.cell(r, 3), p.severity)
        put(ws.cell(r, 4), p.message)
        ws.cell(r, 4).alignment = WRAP
    ws.protection.sheet = True  # like every template sheet: read-only, so the list is not mistaken for data
    ws.sheet_properties.tabColor = HIGHLIGHT["error"]
    ws.freeze_panes = "A5"
    fit_row_heights(ws, range(5, ws.max_row + 1))
    print_setup(ws, "4:4", result.plan.marking)


def _is_cell(ref: str) -> bool:
    try:
        coordinate_from_string(ref)
    except ValueError:
        return False
    return True
