"""Feedback to partners: a copy of each return with its problems marked, for the partner to fix and resend.

The copy keeps the template's sheets, protection, dropdowns and hidden details; it gains a first sheet
listing every problem with a link to its cell, and each problem cell gets a thick border in a colour no
status uses, a conditional format of its own that wins over the template's status colours, and a comment
saying what is wrong. The partner's own file is never changed. The reader knows the feedback sheet, so a
fixed copy merges like any return; `_meta` records which return the copy was made from.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.formatting.formatting import ConditionalFormattingList
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Border, Font, PatternFill, Side
from openpyxl.utils.cell import coordinate_from_string
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

from .. import layout as L
from ..errors import OutputError
from ..merge import Result
from ..problems import ASK, Problem
from ..reading import ods
from ..reading.reader import Return
from ..sources.files import file_source
from ..sources.source import Refused, Source
from ..text import PART, cell_text, valid
from .xlsx import WRAP, fit_row_heights, header, print_setup, put, save

# Purple for what must be fixed, blue for what to check: never mistaken for Red, Amber or Green.
MARK = {"error": "7030A0", "warning": "0070C0"}
MARK_FILL = {"error": "E4DFEC", "warning": "DDEBF7"}
LINK = Font(color="0563C1", underline="single")
ROW_HEIGHT = 15.0  # a flagged row gets a height of its own, so no neighbour's text shows through it
ODS_COPY = "plan-workbook: a copy of an OpenDocument return"  # marks such a copy while it is being made
ODS_NOTE = ("Your return was an OpenDocument spreadsheet (.ods); this copy is an Excel workbook (.xlsx) holding the "
            "same values in the same cells, without the template's lists and protection. Correct this copy and send "
            "it back as .xlsx, or make the same corrections in your .ods and send that.")


def write_feedback(result: Result, out_dir: Path) -> tuple[list[Path], list[Problem]]:
    """One feedback workbook per readable return with problems to fix or check. Returns the files written,
    and a problem for each return no copy could be made of (the others are still written)."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"cannot write to {out_dir}: {e.strerror or e}") from None
    inputs = {Path(r.path or r.file).resolve() for r in result.returns}
    written, failed = [], []
    for ret in result.returns:
        mine = [p for p in result.problems if p.file == ret.file and p.severity in MARK]
        if not ret.readable or ret.set_aside or not mine:
            continue
        out = out_dir / f"{_stem(ret, result.sources.get(ret.file))} - feedback.xlsx"
        if out.resolve() in inputs:
            raise OutputError(f"{out} is one of the returns; choose another --out-dir")
        try:
            wb = _feedback(result, ret, mine)
        except _CannotCopy as e:
            failed.append(Problem.of(ret.file, "", "", "unreadable-file",
                                     value=type(e.__cause__).__name__ if e.__cause__ else "", **e.params))
            continue
        save(wb, out)
        written.append(out)
    return written, failed


class _CannotCopy(Exception):
    """This one return cannot be copied; the others still get theirs. `params` are the unreadable-file
    problem's (a copy-... variant)."""

    def __init__(self, variant: str, **params: str) -> None:
        super().__init__(variant)
        self.params = {"variant": variant, **params}


def _stem(ret: Return, source: Source | None) -> str:
    """The copy's name: the return's file name, or for a workbook sent by email or zip, the email's and its own."""
    if source is not None and source.via is not None:
        return f"{source.via.stem} - {Path(ret.file.rsplit(PART, 1)[-1]).stem}"
    return Path(ret.path or ret.file).stem


def _from_ods(data: bytes) -> Workbook:
    """An OpenDocument return as an .xlsx workbook of the same sheets, with the values the partner sent in the
    same cells (openpyxl cannot write .ods); its first sheet says so (ODS_NOTE)."""
    book = ods.read_ods("", data)
    if book.fatal:
        raise _CannotCopy("copy-ods", reason=book.fatal.message)
    wb = Workbook()
    wb.remove(wb.active)
    try:
        for sheet in book.sheets:
            ws = wb.create_sheet(sheet.name)
            ws.sheet_state = "visible" if sheet.visible else "hidden"
            for r, row in enumerate(sheet.rows, 1):
                for c, value in enumerate(row, 1):
                    if value is not None:
                        put(ws.cell(r, c), value)
    except ValueError as e:  # a sheet name Excel does not allow
        raise _CannotCopy("copy-ods-sheet", detail=str(e)) from e
    wb.properties.description = ODS_COPY
    return wb


def _open(ret: Return, source: Source | None) -> Workbook:
    """The return's workbook from its source's bytes: held in memory, or a file read again (with the file
    source's protections) and checked against what was checked."""
    if source is None:  # a result put together by hand, without its sources
        source = file_source(Path(ret.path or ret.file))
    try:
        data = source.read()
    except Refused as e:
        raise _CannotCopy("copy-unreadable", reason=e.reason) from e
    if ret.digest and hashlib.sha256(data).hexdigest() != ret.digest:
        raise _CannotCopy("copy-changed")
    if ods.is_ods(data):
        return _from_ods(data)
    try:
        return load_workbook(io.BytesIO(data), keep_vba=False, keep_links=False)  # no macros, no external links
    except Exception as e:  # openpyxl raises many unrelated types for a file it cannot take apart
        raise _CannotCopy("copy-not-opened", error=type(e).__name__) from e


def _feedback(result: Result, ret: Return, problems: list[Problem]) -> Workbook:
    wb = _open(ret, result.sources.get(ret.file))
    ws = wb.create_sheet(L.FEEDBACK_SHEET, 0)
    _list(ws, result, ret, problems, set(wb.sheetnames))
    if wb.properties.description == ODS_COPY:
        put(ws["A3"], ODS_NOTE)
        ws["A3"].font = Font(bold=True)
    marked: dict[str, dict[str, str]] = {}  # sheet -> cell -> worst severity
    for p in problems:
        if p.sheet in wb.sheetnames and _is_cell(p.cell):
            cell = wb[p.sheet][p.cell]
            note = cell_text(f"{ASK[p.severity]}: {p.message}")
            cell.comment = Comment(note if cell.comment is None else cell_text(f"{cell.comment.text}\n\n{note}"),
                                   "plan-workbook", width=300, height=120)
            cells = marked.setdefault(p.sheet, {})
            cells[p.cell] = "error" if "error" in (p.severity, cells.get(p.cell)) else p.severity
    for sheet, cells in marked.items():
        _mark(wb[sheet], cells)
    _record_origin(wb, ret)
    wb.active = 0
    return wb


def _mark(ws: Worksheet, cells: dict[str, str]) -> None:
    """A thick border, and a conditional format put before the template's own (which would otherwise paint
    a flagged Status cell green): first by priority for Excel, and first in the file for LibreOffice, which
    goes by order. So the mark shows whatever the cell holds."""
    template = ws.conditional_formatting
    ws.conditional_formatting = ConditionalFormattingList()
    for rank, (severity, colour) in enumerate(MARK.items(), 1):
        refs = [ref for ref, s in cells.items() if s == severity]
        if not refs:
            continue
        side = Side(style="thick", color=colour)
        for ref in refs:
            ws[ref].border = Border(left=side, right=side, top=side, bottom=side)
        edge = Side(style="thin", color=colour)
        rule = FormulaRule(formula=["TRUE"], stopIfTrue=True, fill=PatternFill(bgColor=MARK_FILL[severity],
                           fill_type="solid"), border=Border(edge, edge, edge, edge))
        rule.priority = rank
        ws.conditional_formatting.add(" ".join(refs), rule)
    for cf in template:
        for rule in cf.rules:
            rule.priority += len(MARK)
            ws.conditional_formatting.add(str(cf.sqref), rule)
    rows = sorted({int("".join(ch for ch in ref if ch.isdigit())) for ref in cells})
    fit_row_heights(ws, range(L.FIRST_DATA_ROW, ws.max_row + 1))
    for r in rows:
        if ws.row_dimensions[r].height is None:
            ws.row_dimensions[r].height = ROW_HEIGHT


def _record_origin(wb: Workbook, ret: Return) -> None:
    """feedback_of = the original's sha256, below the template's own keys, so a corrected copy can supersede it."""
    if L.META_SHEET not in wb.sheetnames or not ret.digest:
        return
    meta = wb[L.META_SHEET]
    row = max((c.row for c in meta["A"] if c.value is not None), default=0) + 1
    put(meta.cell(row, 1), L.FEEDBACK_OF)
    put(meta.cell(row, 2), ret.digest)


def _list(ws: Worksheet, result: Result, ret: Return, problems: Iterable[Problem], sheets: set[str]) -> None:
    put(ws["A1"], f"{result.plan.title}: feedback on your return")
    ws["A1"].font = Font(bold=True, size=14)
    put(ws["A2"], "Please fix each point marked 'Must be fixed' and check each point marked 'Please check' in this "
                  "copy (the marked cells have a comment too), then send this file back. This sheet is ignored "
                  "when the return is read again.")
    for col, (head, width) in enumerate((("Sheet", 26), ("Cell", 8), ("Severity", 10), ("What to do", 100)), 1):
        header(ws.cell(4, col), head)
        ws.column_dimensions["ABCD"[col - 1]].width = width
    for r, p in enumerate(problems, 5):
        put(ws.cell(r, 1), cell_text(p.sheet))
        put(ws.cell(r, 2), cell_text(p.cell))
        if p.sheet in sheets and _is_cell(p.cell):
            # an internal link (location), not an external target, so Excel opens no browser
            sheet = valid(p.sheet).replace("'", "''")
            ws.cell(r, 2).hyperlink = Hyperlink(ref=f"B{r}", location=f"'{sheet}'!{p.cell}")
            ws.cell(r, 2).font = LINK
        put(ws.cell(r, 3), p.severity)
        put(ws.cell(r, 4), cell_text(f"{ASK[p.severity]}: {p.message}"))
        ws.cell(r, 4).alignment = WRAP
    ws.protection.sheet = True  # like every template sheet: read-only, so the list is not mistaken for data
    ws.sheet_properties.tabColor = MARK["error"]
    ws.freeze_panes = "A5"
    fit_row_heights(ws, range(5, ws.max_row + 1))
    print_setup(ws, "4:4", result.plan.marking)


def _is_cell(ref: str) -> bool:
    try:
        coordinate_from_string(ref)
    except ValueError:
        return False
    return True

