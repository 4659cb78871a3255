"""Roll forward: next round's workbook for each partner, pre-filled with their actions from a summary.

A carried action's identity (theme, aim, objective, action) is locked; its Lead, Time Frame, Status and Update
are input cells like any other, with the same dropdowns and highlights, so a slipped action can be re-dated and
every problem the reader reports on it points at a cell the partner can change. Status and Update start blank;
last round's are shown read-only beside them. Carried rows have their own shading and a key line on every sheet.
An example carried as an action is left out of the sheet, so it is neither shown nor counted twice.
The workbook is a normal personalised template with the round's name in its metadata and on the Front sheet,
so it reads back through validate and merge like any return.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl.styles import Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from .. import layout as L
from ..errors import OutputError, UsageError
from ..outputs.template import GREY_TEXT, GRID, build_template, carried_key, font, heading, slug
from ..outputs.xlsx import WRAP, fit_row_heights, put, save, solid
from ..plan import ROLES, TEXT_ROLES, Plan, Priority
from .compare import read_previous

LOCKED = Protection(locked=True)
LAST_ROUND = ("status", "update")  # blank to fill in; last round's shown read-only in the CARRIED_HEADERS columns
WIDTHS = (12, 40)

Carried = list[dict[str, str]]  # last round's rows of one partner and priority, keyed by column header


def roll_forward(plan: Plan, summary: Path, out_dir: Path, round_name: str) -> list[Path]:
    if not out_dir.is_dir():
        raise OutputError(f"cannot write to {out_dir}: the folder does not exist")
    previous = read_previous(plan, summary)
    paths = []
    for partner in plan.returning_partners:
        carried = {p.sheet: carried_rows(plan, [r for r in previous if r["Partner"] == partner
                                                and r["Priority"] == p.title]) for p in plan.priorities}
        if any(carried.values()):
            adopted = {p.sheet: adopted_examples(plan, p, carried[p.sheet]) for p in plan.priorities}
            wb = build_template(plan, partner, round_name=round_name, carried=adopted)
            for priority in plan.priorities:
                shown = len(priority.examples) - len(adopted[priority.sheet])
                _carry(wb[priority.sheet], plan, priority, carried[priority.sheet], shown)
        else:  # nothing to carry (no return last round): this round's template, with nothing to explain
            wb = build_template(plan, partner, round_name=round_name)
        path = out_dir / f"{slug(partner)}-{slug(round_name)}.xlsx"
        save(wb, path)
        paths.append(path)
    return paths


def _same(text: str) -> str:
    return " ".join(text.split()).casefold()


def carried_rows(plan: Plan, rows: Carried) -> Carried:
    """Last round's rows, an action listed twice carried once: its text is locked, so a second copy would be
    an `action-duplicate` the partner could never clear."""
    action = plan.column("action").header
    seen: set[str] = set()
    out = []
    for row in rows:
        key = _same(row[action])
        if key and key in seen:
            continue
        seen.add(key)
        out.append(row)
    return out


def adopted_examples(plan: Plan, priority: Priority, rows: Carried) -> frozenset[int]:
    """The examples whose text (theme, aim, objective, action) a carried row has: left out of the sheet."""
    heads = [plan.column(role).header for role in TEXT_ROLES]
    texts = {tuple(row[h].replace("\r\n", "\n") for h in heads) for row in rows}
    return frozenset(i for i, ex in enumerate(priority.examples) if tuple(ex[r] for r in TEXT_ROLES) in texts)


def _carry(ws: Worksheet, plan: Plan, priority: Priority, rows: Carried, examples_shown: int) -> None:
    if len(rows) > plan.input_rows:
        raise UsageError(f"{len(rows)} actions to carry on '{priority.sheet}' but the template has only "
                         f"{plan.input_rows} input rows; raise input_rows in the plan")
    key = ws.cell(L.KEY_ROW, ROLES.index("action") + 1)
    put(key, carried_key(plan))
    key.font = font(italic=True)
    key.fill = solid(L.CARRIED_FILL)
    extra = len(ROLES) + 1  # first column right of the template's; the check column follows (build)
    for i, (title, width) in enumerate(zip(L.CARRIED_HEADERS, WIDTHS, strict=True)):
        heading(ws.cell(L.HEADER_ROW, extra + i), title)
        guide = ws.cell(L.GUIDANCE_ROW, extra + i)
        put(guide, "Read only: as reported last round")
        guide.font = font(italic=True, color=GREY_TEXT)
        guide.alignment = WRAP
        ws.column_dimensions[get_column_letter(extra + i)].width = width
    fit_row_heights(ws, range(L.HEADER_ROW, L.GUIDANCE_ROW + 1))  # the new headings wrap
    first = L.FIRST_DATA_ROW + examples_shown
    for r, row in enumerate(rows, first):
        for col, column in enumerate(plan.columns, 1):
            value = row[column.header] or None
            if column.role in LAST_ROUND:
                continue
            cell = ws.cell(r, col)
            put(cell, value)
            if column.role in TEXT_ROLES and value is not None:
                cell.protection = LOCKED  # the action's identity; an empty one stays open to fill in
                cell.fill = solid(L.CARRIED_FILL)
        for i, role in enumerate(LAST_ROUND):
            cell = ws.cell(r, extra + i)
            put(cell, row[plan.column(role).header] or None)
            cell.protection = LOCKED
            cell.alignment = WRAP
            cell.border = GRID
            cell.fill = solid(L.CARRIED_FILL)
            cell.font = font(color=GREY_TEXT)
    if rows:
        fit_row_heights(ws, range(first, first + len(rows)))
