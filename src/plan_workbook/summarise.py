"""Stage 5: write the combined summary workbook from a merge result."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from . import layout as L
from .merge import Result
from .plan import ROLES, Status
from .problems import FIELDS
from .validate import Action
from .xlsx import BOLD, WRAP, fit_row_heights, print_setup, put, save, solid


def action_headers(result: Result) -> list[str]:
    return ["Partner", "Priority", *(c.header for c in result.plan.columns),
            "Row kind", "Due", "Source file", "Source cell"]


def action_values(a: Action) -> list[Any]:
    row = a.row
    return [a.partner, row.priority, *(a.values[r] for r in ROLES), row.kind, a.due,
            row.file, f"'{row.sheet}'!{row.cells['theme'].rstrip('0123456789')}{row.row}"]


def build_summary(result: Result, as_of: date) -> Workbook:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Summary"
    _summary(ws, result, as_of)
    widths = [26, 30, *(c.width for c in result.plan.columns), 16, 12, 30, 26]
    _table(wb.create_sheet("Actions"), result, action_headers(result),
           [action_values(a) for a in result.actions], widths)
    overdue = sorted((a for a in result.actions if a.due and a.due < as_of and a.status != result.plan.done_status),
                     key=lambda a: (a.due, a.partner, a.row.file, a.row.sheet, a.row.row))
    _table(wb.create_sheet("Overdue"), result, ["Days overdue", *action_headers(result)],
           [[(as_of - a.due).days if a.due else None, *action_values(a)] for a in overdue], [12, *widths])
    _table(wb.create_sheet("Returns"), result,
           ["Partner", "Return", "File", "Actions", "Examples not used", "Errors", "Warnings"],
           _returns_rows(result), [40, 12, 50, 10, 12, 10, 10])
    _table(wb.create_sheet("Issues"), result, [f.capitalize() for f in FIELDS],
           [[p.as_dict()[f] for f in FIELDS] for p in result.problems], [40, 24, 8, 16, 30, 24, 10, 90])
    wb.active = 0
    return wb


def write_summary(result: Result, out: Path, as_of: date) -> Path:
    save(build_summary(result, as_of), out)
    return out


def _returns_rows(result: Result) -> list[list[Any]]:
    rows: list[list[Any]] = []
    by_partner = {p: [r for r in result.returns if r.partner == p] for p in result.plan.returning_partners}
    for partner, rets in by_partner.items():
        if not rets:
            rows.append([partner, "missing", None, 0, None, None, None])
    for f in result.file_rows():  # received, duplicate, unreadable, or naming no known partner
        rows.append([f["partner"] or "(partner not known)", f["state"], f["file"], f["actions"],
                     f["examples_ignored"], f["errors"], f["warnings"]])
    order = {p: i for i, p in enumerate(result.plan.returning_partners)}
    return sorted(rows, key=lambda r: (order.get(r[0], len(order)), str(r[2] or "")))


def _table(ws: Worksheet, result: Result, headers: list[str], rows: list[list[Any]], widths: list[float]) -> None:
    for col, h in enumerate(headers, 1):
        c = ws.cell(1, col)
        put(c, h)
        c.font = BOLD
        c.fill = solid(L.HEADER_FILL)
        c.alignment = WRAP
        ws.column_dimensions[get_column_letter(col)].width = widths[col - 1]
    statuses = {s.name: s for s in result.plan.statuses}
    status_col = headers.index(result.plan.column("status").header) + 1 \
        if result.plan.column("status").header in headers else None
    for r, values in enumerate(rows, 2):
        for col, v in enumerate(values, 1):
            c = ws.cell(r, col)
            put(c, v)
            c.alignment = WRAP
            if isinstance(v, date):
                c.number_format = "yyyy-mm-dd"
            if col == status_col and v in statuses:  # colour and word, never colour alone
                c.fill = solid(statuses[v].fill)
                c.font = Font(color=statuses[v].font)
    ws.freeze_panes = "A2"
    fit_row_heights(ws)
    print_setup(ws, "1:1")
    ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{max(len(rows) + 1, 2)}"


def _summary(ws: Worksheet, result: Result, as_of: date) -> None:
    plan = result.plan
    summary = result.as_dict()["summary"]
    ws.column_dimensions["A"].width = 48
    for col in "BCDEFGH":
        ws.column_dimensions[col].width = 12
    put(ws["A1"], f"{plan.title}: combined summary")
    ws["A1"].font = Font(bold=True, size=16)
    facts = [
        ("As of", as_of),
        ("Returns received", f"{summary['returns_received']} of {summary['returns_expected']} expected"),
        ("Actions", summary["actions"]),
        ("Errors in returns", summary["errors"]),
        ("Warnings in returns", summary["warnings"]),
    ]
    for r, (label, value) in enumerate(facts, 3):
        put(ws.cell(r, 1), label)
        ws.cell(r, 1).font = BOLD
        put(ws.cell(r, 2), value)
        ws.cell(r, 2).alignment = Alignment(horizontal="left")
        if isinstance(value, date):
            ws.cell(r, 2).number_format = "yyyy-mm-dd"
    names = [*plan.status_names, "No status"]
    top = 3 + len(facts) + 1
    priority_rows = [[p.title, *result.status_counts(a for a in result.actions if a.row.priority == p.title).values()]
                     for p in plan.priorities]
    overall = ["All priorities", *result.status_counts(result.actions).values()]
    end = _count_table(ws, top, "Status by strategic priority", "Strategic priority", names,
                       [*priority_rows, overall], result)
    _chart(ws, top + 1, len(priority_rows), plan.statuses, f"{get_column_letter(len(names) + 4)}{top}")
    partner_rows = [[p, *result.status_counts(a for a in result.actions if a.partner == p).values()]
                    for p in plan.returning_partners]
    _count_table(ws, end + 2, "Status by partner", "Partner", names, partner_rows, result)
    fit_row_heights(ws)
    print_setup(ws)


def _count_table(ws: Worksheet, top: int, title: str, first: str, names: list[str],
                 rows: list[list[Any]], result: Result) -> int:
    put(ws.cell(top, 1), title)
    ws.cell(top, 1).font = Font(bold=True, size=12)
    headers = [first, *names, "Total"]
    statuses = {s.name: s for s in result.plan.statuses}
    for col, h in enumerate(headers, 1):
        c = ws.cell(top + 1, col)
        put(c, h)
        c.font = BOLD
        c.fill = solid(statuses[h].fill) if h in statuses else solid(L.HEADER_FILL)
    for r, values in enumerate(rows, top + 2):
        for col, v in enumerate([*values, sum(values[1:])], 1):
            put(ws.cell(r, col), v)
        ws.cell(r, 1).alignment = WRAP
    return top + 1 + len(rows)


def _chart(ws: Worksheet, header_row: int, n: int, statuses: tuple[Status, ...], anchor: str) -> None:
    """A native stacked bar chart of the status table, each series in its status colour."""
    n_status = len(statuses)
    chart = BarChart()
    chart.type = "bar"
    chart.grouping = "stacked"
    chart.overlap = 100
    chart.title = "Actions by status and priority"
    chart.add_data(Reference(ws, min_col=2, max_col=1 + n_status, min_row=header_row, max_row=header_row + n),
                   titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=header_row + 1, max_row=header_row + n))
    for series, status in zip(chart.series, statuses, strict=True):
        series.graphicalProperties.solidFill = status.fill  # the RAG colour, not the theme's
        series.graphicalProperties.line.solidFill = status.font
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.width, chart.height = 18, 8
    ws.add_chart(chart, anchor)
