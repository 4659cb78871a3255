"""Writing xlsx files: text that never turns into formulas, fixed properties, atomic saves."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from .. import layout as L
from ..text import cell_text
from .atomic import write_atomic
from .cells import FIXED_TIME, FORMULA_TRIGGERS, row_height

BOLD = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")


def solid(rgb: str) -> PatternFill:
    return PatternFill(fill_type="solid", start_color=rgb, end_color=rgb)


# Characters XML 1.0 cannot hold (openpyxl's ILLEGAL_CHARACTERS_RE), which Excel stores as _xHHHH_
# escapes; text that already looks like an escape gets its "_" escaped, as Excel does, so it reads back as typed.
_ESCAPE = re.compile(r"[\x00-\x08\x0b-\x1f\ufffe\uffff]|_(?=x[0-9A-Fa-f]{4}_)")


def put(cell: Cell, value: Any) -> None:
    """Write a value; text is always written as text, exactly as typed, never as a formula."""
    if isinstance(value, str):
        value = _ESCAPE.sub(lambda m: f"_x{ord(m.group()):04X}_", cell_text(value))  # cut visibly past Excel's limit
        cell.value = value
        if value.startswith(FORMULA_TRIGGERS):
            cell.data_type = "s"
            cell.quotePrefix = True
    else:
        cell.value = value


def header(cell: Cell, text: str) -> None:
    """A column heading in the template's style: bold, wrapped, on the header fill."""
    put(cell, text)
    cell.font = BOLD
    cell.fill = solid(L.HEADER_FILL)
    cell.alignment = WRAP


def save(wb: Workbook, path: Path) -> None:
    """Save with fixed document dates and zip times, so equal input gives an equal file,
    through a temporary file in the same folder so a crash never leaves half a file."""
    wb.properties.creator = "plan-workbook"
    wb.properties.lastModifiedBy = "plan-workbook"
    wb.properties.created = FIXED_TIME
    buf = io.BytesIO()
    wb.save(buf)
    out = io.BytesIO()
    with zipfile.ZipFile(buf) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps "modified" with now()
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2021-04-01T00:00:00Z", data)
            zi = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            zout.writestr(zi, data)
    write_atomic(path, out.getvalue())


def fit_row_heights(ws: Worksheet, rows: range | None = None, line_height: float = 15.0) -> None:
    """Set heights for the rows of wrapped text of an openpyxl sheet."""
    widths = {k: (d.width or 8.43) for k, d in ws.column_dimensions.items()}
    rows = rows or range(1, ws.max_row + 1)
    # one pass over the rows: ws[r] recomputes the sheet's width each time, which is quadratic
    for cells in ws.iter_rows(min_row=rows.start, max_row=rows.stop - 1):
        height = row_height(((c.value, widths.get(c.column_letter, 8.43)) for c in cells), line_height)
        if height:
            ws.row_dimensions[cells[0].row].height = height


def print_setup(ws: Worksheet, title_rows: str | None = None, marking: str = "") -> None:
    """Landscape A4, fitted to the page width, with header rows repeated on every page and the
    plan's protective marking at the top and bottom of every printed page."""
    if marking:
        ws.oddHeader.center.text = ws.oddFooter.center.text = marking.replace("&", "&&")
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    if title_rows:
        ws.print_title_rows = title_rows
