"""Fill a template the way a partner would: used for the shipped samples, tests and benchmarks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from . import layout as L
from .outputs.template import build_template
from .outputs.xlsx import put, save
from .plan import ROLES, Plan

Entries = Mapping[str, Sequence[Mapping[str, Any]]]  # sheet name -> rows of role -> value


def fill_template(plan: Plan, partner: str | None, new_rows: Entries | None = None,
                  example_edits: Mapping[str, Mapping[int, Mapping[str, Any]]] | None = None,
                  front_partner: str | None = None, personalise: bool = True, nil: bool = False) -> Workbook:
    """A template with `new_rows` typed into the input rows and `example_edits` made to example rows
    (sheet -> example number from 0 -> role -> value). A blank template's partner cell gets
    `front_partner` (default: `partner`). `nil` chooses 'nothing to report this round'."""
    wb = build_template(plan, partner if personalise else None)
    if not personalise:
        put(wb[L.FRONT_SHEET][L.PARTNER_CELL], front_partner if front_partner is not None else partner)
    if nil:
        put(wb[L.FRONT_SHEET][L.NIL_CELL], L.NIL_YES)
    by_sheet = {p.sheet: p for p in plan.priorities}
    for sheet, edits in (example_edits or {}).items():
        for index, values in edits.items():
            _write_row(wb, sheet, L.FIRST_DATA_ROW + index, values)
    for sheet, rows in (new_rows or {}).items():
        first = L.FIRST_DATA_ROW + len(by_sheet[sheet].examples)
        for i, values in enumerate(rows):
            _write_row(wb, sheet, first + i, values)
    return wb


def _write_row(wb: Workbook, sheet: str, row: int, values: Mapping[str, Any]) -> None:
    ws = wb[sheet]
    for role, value in values.items():
        put(ws.cell(row, ROLES.index(role) + 1), value)


def write_filled(path: Path, plan: Plan, partner: str | None, new_rows: Entries | None = None,
                 example_edits: Mapping[str, Mapping[int, Mapping[str, Any]]] | None = None,
                 **kwargs: Any) -> Path:
    save(fill_template(plan, partner, new_rows, example_edits, **kwargs), path)
    return path
