"""Roll forward: next round's workbook for each partner, pre-filled with their actions from a summary.

Each carried action keeps its text, lead and time frame (locked); Status and Update are blank to fill in,
with last round's status and update shown read-only beside them. Partners can still add actions below.
The workbook is a normal personalised template with the round's name in its metadata and on the Front sheet,
so it reads back through validate and merge like any return.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl.styles import Font, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from . import layout as L
from .build import build_template, slug
from .compare import read_previous
from .errors import OutputError, UsageError
from .plan import ROLES, Plan, Priority
from .xlsx import WRAP, header, put, save, solid

EDITABLE = ("status", "update")
LOCKED = Protection(locked=True)


def roll_forward(plan: Plan, summary: Path, out_dir: Path, round_name: str) -> list[Path]:
    if not out_dir.is_dir():
        raise OutputError(f"cannot write to {out_dir}: the folder does not exist")
    previous = read_previous(plan, summary)
    paths = []
    for partner in plan.returning_partners:
        wb = build_template(plan, partner, round_name=round_name)
        for priority in plan.priorities:
            rows = [r for r in previous if r["Partner"] == partner and r["Priority"] == priority.title]
            _carry(wb[priority.sheet], plan, priority, rows)
        path = out_dir / f"{slug(partner)}-{slug(round_name)}.xlsx"
        save(wb, path)
        paths.append(path)
    return paths


def _carry(ws: Worksheet, plan: Plan, priority: Priority, rows: list[dict[str, str]]) -> None:
    if len(rows) > plan.input_rows:
        raise UsageError(f"{len(rows)} actions to carry on '{priority.sheet}' but the template has only "
                         f"{plan.input_rows} input rows; raise input_rows in the plan")
    extra = len(ROLES) + 1  # first column right of the template's
    for i, (heading, width) in enumerate(zip(L.CARRIED_HEADERS, (12, 40), strict=True)):
        header(ws.cell(L.HEADER_ROW, extra + i), heading)
        put(ws.cell(L.GUIDANCE_ROW, extra + i), "Read only: as reported last round")
        ws.cell(L.GUIDANCE_ROW, extra + i).font = Font(italic=True, color="595959")
        ws.column_dimensions[get_column_letter(extra + i)].width = width
    first = L.FIRST_DATA_ROW + len(priority.examples)
    for r, row in enumerate(rows, first):
        for col, column in enumerate(plan.columns, 1):
            if column.role in EDITABLE:
                continue  # left blank and unlocked: this round's status and update
            cell = ws.cell(r, col)
            put(cell, row[column.header] or None)
            cell.protection = LOCKED
            cell.fill = solid(L.CARRIED_FILL)
        for i, role in enumerate(EDITABLE):
            cell = ws.cell(r, extra + i)
            put(cell, row[plan.column(role).header] or None)
            cell.protection = LOCKED
            cell.alignment = WRAP
            cell.font = Font(color="595959")
