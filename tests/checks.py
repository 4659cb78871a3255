"""Checks shared by tests: reading a summary back, and "nothing a partner typed is lost"."""

from __future__ import annotations

import warnings
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import python_calamine
from openpyxl import load_workbook
from openpyxl.utils.escape import unescape

from plan_workbook import layout as L
from plan_workbook.outputs.template import build_template
from plan_workbook.plan import Plan

NOT_PRIORITY = {L.FRONT_SHEET, L.LISTS_SHEET, L.META_SHEET}


def table(path: Path, sheet: str) -> list[dict[str, Any]]:
    """A summary sheet as dicts keyed by its header row, read with calamine (empty cells are '')."""
    wb = python_calamine.CalamineWorkbook.from_path(str(path))
    try:
        rows = wb.get_sheet_by_name(sheet).to_python()
    finally:
        wb.close()
    return [dict(zip([str(h) for h in rows[0]], r, strict=True)) for r in rows[1:]]


def as_seen(value: Any) -> str:
    """A cell value as a person sees it in Excel's General format (independent of the tool's own code)."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.15g}"
    if isinstance(value, datetime) and value.time() == time(0):
        return value.date().isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value)


def template_text(plan: Plan) -> set[str]:
    """Everything the blank template itself has on its priority sheets (titles, headers, examples)."""
    wb = build_template(plan)
    return {as_seen(c.value) for ws in wb.worksheets if ws.title not in NOT_PRIORITY
            for row in ws.iter_rows() for c in row if c.value is not None}


def assert_nothing_lost(plan: Plan, summary: Path, returns: list[Path]) -> int:
    """Every non-empty cell on every sheet but Front/Lists/_meta of each return is template text, or is in
    the summary: in its row of Actions, or in Issues at its own cell, or (past the reader's limit of problems
    per area) listed with its value in the one problem that sums up the rest. Past even that, the number of
    cells left unlisted must be exactly the number that problem says. Returns the number of cells checked."""
    known = template_text(plan)
    in_rows: dict[tuple[str, str, int], set[str]] = {}
    for a in table(summary, "Actions"):
        sheet, _, ref = str(a["Source cell"]).rpartition("!")
        key = (str(a["Source file"]), sheet.strip("'"), int(ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")))
        in_rows[key] = {as_seen(v) for v in a.values()}
    issues = table(summary, "Issues")
    flagged = {(str(i["File"]), str(i["Sheet"]), str(i["Cell"]), str(i["Value"])) for i in issues}
    summed: dict[tuple[str, str], set[tuple[str, str]]] = {}
    unlisted: dict[tuple[str, str], int] = {}  # (file, sheet) -> how many the summing-up problem says it left out
    for i in issues:
        if "more problem(s) like the" in str(i["Message"]):
            listed, _, more = str(i["Value"]).partition(" (and ")
            area = (str(i["File"]), str(i["Sheet"]))
            summed.setdefault(area, set()).update((cell, value) for cell, _, value in
                                                 (item.partition(": ") for item in listed.split("; ")))
            unlisted[area] = unlisted.get(area, 0) + (int(more.split(" ")[0].replace(",", "")) if more else 0)
    left_out: dict[tuple[str, str], int] = {}
    checked = 0
    for path in returns:
        with warnings.catch_warnings():  # openpyxl warns of sheet names longer than Excel's, which the corpus has
            warnings.simplefilter("ignore", UserWarning)
            wb = load_workbook(path)  # openpyxl: a second, independent reader of the partner's file
        for ws in wb.worksheets:
            if ws.title in NOT_PRIORITY:
                continue
            for row in ws.iter_rows():
                for cell in row:
                    if cell.value is None or (isinstance(cell.value, str) and not cell.value.strip()):
                        continue
                    typed = unescape(cell.value) if isinstance(cell.value, str) else as_seen(cell.value)
                    if typed in known:
                        continue
                    checked += 1
                    shown = in_rows.get((str(path), ws.title, cell.row), set())
                    found = typed in shown or (str(path), ws.title, cell.coordinate, typed) in flagged \
                        or (cell.coordinate, typed) in summed.get((str(path), ws.title), set())
                    if not found and unlisted.get((str(path), ws.title)):
                        left_out[str(path), ws.title] = left_out.get((str(path), ws.title), 0) + 1
                        continue
                    assert found, f"lost: {path.name} {ws.title}!{cell.coordinate} = {typed[:80]!r}"
    assert left_out == {k: n for k, n in unlisted.items() if n and k[0] in {str(p) for p in returns}}
    return checked
