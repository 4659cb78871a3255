"""Stage 5: write the combined summary workbook from a merge result.

Written with XlsxWriter in constant-memory mode: rows stream to disk as they are written, so a merge of
thousands of returns stays fast and small. Text always goes in as text (never a formula), control characters
and text that looks like an _xHHHH_ escape are escaped by XlsxWriter, and fixed document dates make equal
inputs give equal files.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from . import layout as L
from .compare import Change, direction_counts
from .merge import Result, still_to_do
from .plan import ROLES
from .problems import FIELDS
from .validate import Action
from .xlsx import FIXED_TIME, FORMULA_TRIGGERS, MAX_CELL_CHARS, row_height, write_atomic


def action_headers(result: Result) -> list[str]:
    return ["Partner", "Priority", *(c.header for c in result.plan.columns),
            "Row kind", "Due", "Source file", "Source cell"]


def action_values(a: Action) -> list[Any]:
    row = a.row
    return [a.partner, row.priority, *(a.values[r] for r in ROLES), row.kind, a.due, row.file, row.source]


def write_summary(result: Result, out: Path, as_of: date, changes: list[Change] | None = None) -> Path:
    """The summary workbook; with `changes` (from compare.compare), a Changes sheet and the direction
    of travel per priority on the Summary sheet."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"constant_memory": True, "strings_to_formulas": False,
                                   "strings_to_urls": False, "strings_to_numbers": False})
    wb.set_properties({"author": "plan-workbook", "created": FIXED_TIME})
    styles = _Styles(wb, result)
    plan = result.plan
    _summary(wb, wb.add_worksheet("Summary"), styles, result, as_of, changes)
    widths = [26, 30, *(c.width for c in plan.columns), 16, 12, 30, 26]
    _table(wb.add_worksheet("Actions"), styles, action_headers(result),
           (action_values(a) for a in result.actions), widths)
    overdue = result.overdue(as_of)
    _table(wb.add_worksheet("Overdue"), styles, ["Days overdue", *action_headers(result)],
           ([(as_of - a.due).days if a.due else None, *action_values(a)] for a in overdue), [12, *widths])
    if changes is not None:
        _table(wb.add_worksheet("Changes"), styles,
               ["Partner", "Priority", "Action", "Change", "Last round", "This round", "Direction", "Update",
                "Source"], ([c.partner, c.priority, c.action, c.change, c.before, c.now, c.direction, c.update,
                             c.where] for c in changes), [26, 30, 50, 20, 12, 12, 12, 60, 50])
    _table(wb.add_worksheet("Returns"), styles,
           ["Partner", "Return", "File", "Actions", "Examples not used", "Errors", "Warnings", "Outstanding"],
           _returns_rows(result), [40, 12, 50, 10, 12, 10, 10, 40])
    _table(wb.add_worksheet("Issues"), styles, [f.capitalize() for f in FIELDS],
           ([p.as_dict()[f] for f in FIELDS] for p in result.problems), [40, 24, 8, 16, 30, 24, 10, 90])
    wb.close()
    write_atomic(out, buf.getvalue())
    return out


class _Styles:
    """The few cell formats the summary uses, made once (XlsxWriter keeps one per combination)."""

    def __init__(self, wb: xlsxwriter.Workbook, result: Result) -> None:
        top = {"text_wrap": True, "valign": "top"}
        self.wrap = wb.add_format(top)
        self.quoted = wb.add_format({**top, "quote_prefix": True})  # text starting = + - @ stays text on edit
        self.date = wb.add_format({**top, "num_format": "yyyy-mm-dd"})
        self.header = wb.add_format({**top, "bold": True, "bg_color": f"#{L.HEADER_FILL}"})
        self.bold = wb.add_format({"bold": True})
        self.title = wb.add_format({"bold": True, "font_size": 16})
        self.heading = wb.add_format({"bold": True, "font_size": 12})
        self.left = wb.add_format({"align": "left"})
        self.left_date = wb.add_format({"align": "left", "num_format": "yyyy-mm-dd"})
        self.status = {s.name: wb.add_format({**top, "bg_color": f"#{s.fill}", "font_color": f"#{s.font}"})
                       for s in result.plan.statuses}
        self.status_header = {s.name: wb.add_format({"bold": True, "bg_color": f"#{s.fill}"})
                              for s in result.plan.statuses}
        self.status_column = result.plan.column("status").header
        self.marking = result.plan.marking


def put(ws: Worksheet, row: int, col: int, value: Any, styles: _Styles, fmt: Format | None = None) -> None:
    """Write one value by its type: text always as text, exactly as typed, never as a formula."""
    if isinstance(value, str):
        quoted = value.startswith(FORMULA_TRIGGERS)
        if ws.write_string(row, col, value, styles.quoted if quoted and fmt in (None, styles.wrap) else fmt) == -2:
            raise ValueError(f"text of {len(value)} characters is longer than Excel's {MAX_CELL_CHARS}")
    elif isinstance(value, bool):
        ws.write_boolean(row, col, value, fmt)
    elif isinstance(value, (int, float)):
        ws.write_number(row, col, value, fmt)
    elif isinstance(value, (date, datetime)):
        ws.write_datetime(row, col, value, styles.date if fmt in (None, styles.wrap) else fmt)
    elif value is not None:
        ws.write_string(row, col, str(value), fmt)


def _returns_rows(result: Result) -> list[list[Any]]:
    rows: list[list[Any]] = []
    received = {r.partner for r in result.returns}
    owed = result.outstanding()
    for partner in result.plan.returning_partners:
        if partner not in received:
            rows.append([partner, "missing", None, 0, None, None, None, "; ".join(owed[partner])])
    for f in result.file_rows():  # received, duplicate, copy, superseded, unreadable, or no known partner
        # a copy or superseded file is left out of the merge: nothing to do on it
        own = [] if f["state"] in ("copy", "superseded") else still_to_do(f["errors"], f["warnings"])
        rows.append([f["partner"] or "(partner not known)", f["state"], f["file"], f["actions"],
                     f["examples_ignored"], f["errors"], f["warnings"], "; ".join(own) or "nothing"])
    order = {p: i for i, p in enumerate(result.plan.returning_partners)}
    return sorted(rows, key=lambda r: (order.get(r[0], len(order)), str(r[2] or "")))


def _table(ws: Worksheet, styles: _Styles, headers: list[str], rows: Iterable[list[Any]],
           widths: list[float]) -> None:
    for col, width in enumerate(widths):
        ws.set_column(col, col, width, styles.wrap)
    ws.set_row(0, row_height(zip(headers, widths, strict=True)))
    for col, h in enumerate(headers):
        put(ws, 0, col, h, styles, styles.header)
    status_col = headers.index(styles.status_column) if styles.status_column in headers else None
    n = 0
    for n, values in enumerate(rows, 1):
        ws.set_row(n, row_height(zip(values, widths, strict=True)))  # before the cells: rows stream to disk
        for col, v in enumerate(values):
            fmt = styles.status.get(v, styles.wrap) if col == status_col and isinstance(v, str) else styles.wrap
            put(ws, n, col, v, styles, fmt)  # status: colour and word, never colour alone
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(n, 1), len(headers) - 1)
    _print_setup(ws, styles.marking, repeat_header=True)


def _print_setup(ws: Worksheet, marking: str, repeat_header: bool = False) -> None:
    """Landscape A4, fitted to the page width, with the header row repeated on every page and the
    plan's protective marking at the top and bottom of every printed page."""
    if marking:
        ws.set_header("&C" + marking.replace("&", "&&"))
        ws.set_footer("&C" + marking.replace("&", "&&"))
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    if repeat_header:
        ws.repeat_rows(0)


def _summary(wb: xlsxwriter.Workbook, ws: Worksheet, styles: _Styles, result: Result, as_of: date,
             changes: list[Change] | None) -> None:
    plan = result.plan
    summary = result.summary()
    ws.set_column(0, 0, 48)
    ws.set_column(1, 7, 12)
    put(ws, 0, 0, f"{plan.title}: combined summary", styles, styles.title)
    facts = [
        ("As of", as_of),
        ("Returns received", f"{summary['returns_received']} of {summary['returns_expected']} expected"),
        ("Actions", summary["actions"]),
        ("Errors in returns", summary["errors"]),
        ("Warnings in returns", summary["warnings"]),
    ]
    for r, (label, value) in enumerate(facts, 2):
        put(ws, r, 0, label, styles, styles.bold)
        put(ws, r, 1, value, styles, styles.left_date if isinstance(value, date) else styles.left)
    names = [*plan.status_names, "No status"]
    top = 2 + len(facts) + 1
    priority_rows = [[p.title, *result.status_counts(a for a in result.actions if a.row.priority == p.title).values()]
                     for p in plan.priorities]
    overall = ["All priorities", *result.status_counts(result.actions).values()]
    end = _count_table(ws, styles, top, "Status by strategic priority", "Strategic priority", names,
                       [*priority_rows, overall])
    partner_rows = [[p, *result.status_counts(a for a in result.actions if a.partner == p).values()]
                    for p in plan.returning_partners]
    _chart(wb, ws, result, top + 1, len(priority_rows))
    if changes is not None:
        end = _count_table(ws, styles, end + 2, "Direction of travel since last round", "Strategic priority",
                           ["Improved", "Worsened", "Unchanged", "New", "Dropped"],
                           direction_counts(result, changes), total=False)
    _count_table(ws, styles, end + 2, "Status by partner", "Partner", names, partner_rows)
    _print_setup(ws, plan.marking)


def _count_table(ws: Worksheet, styles: _Styles, top: int, title: str, first: str, names: list[str],
                 rows: list[list[Any]], total: bool = True) -> int:
    """A table of counts with a title above it; returns the row index of its last row."""
    put(ws, top, 0, title, styles, styles.heading)
    for col, h in enumerate([first, *names, *(["Total"] if total else [])]):
        put(ws, top + 1, col, h, styles, styles.status_header.get(h, styles.header))
    for r, values in enumerate(rows, top + 2):
        ws.set_row(r, row_height([(values[0], 48)]))
        for col, v in enumerate([*values, sum(values[1:])] if total else values):
            put(ws, r, col, v, styles, styles.wrap if col == 0 else None)
    return top + 1 + len(rows)


def _chart(wb: xlsxwriter.Workbook, ws: Worksheet, result: Result, header_row: int, n: int) -> None:
    """A native stacked bar chart of the status-by-priority table, each series in its status colour."""
    chart = wb.add_chart({"type": "bar", "subtype": "stacked"})
    assert chart is not None
    for i, status in enumerate(result.plan.statuses, 1):
        chart.add_series({
            "name": ["Summary", header_row, i],
            "categories": ["Summary", header_row + 1, 0, header_row + n, 0],
            "values": ["Summary", header_row + 1, i, header_row + n, i],
            "fill": {"color": f"#{status.fill}"},  # the RAG colour, not the theme's
            "border": {"color": f"#{status.font}"},
        })
    chart.set_title({"name": "Actions by status and priority"})
    chart.set_size({"width": 680, "height": 300})
    ws.insert_chart(header_row - 1, len(result.plan.statuses) + 3, chart)
