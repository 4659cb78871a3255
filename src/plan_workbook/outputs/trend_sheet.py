"""The summary's sheets across rounds (rounds/trend.py): Trend (status by priority in every round with the
direction of travel, and a native chart), Stuck, Timeliness and Action history. Written into the summary's
workbook with its own cell writers, so text stays text and is cut at Excel's limit."""

from __future__ import annotations

from typing import Any

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from ..plan import Plan
from ..rounds.trend import ALL, NO_STATUS, Trend
from .summary import (
    CHART_BORDER,
    NO_STATUS_FILL,
    PRIORITY,
    _print_setup,
    _Styles,
    _table,
    _written,
    put,
    status_series,
)

TREND, STUCK, TIMELINESS, HISTORY = "Trend", "Stuck", "Timeliness", "Action history"
NOT_REPORTED = "not reported"  # an action's cell in a round it was not in
TRAVEL = ("Direction of travel", "Improved", "Worsened", "Unchanged")
FIRST_ROUND = "Trends start next round: this is the first round recorded."


def write_trend(wb: xlsxwriter.Workbook, styles: _Styles, plan: Plan, trend: Trend) -> None:
    _trend(wb, wb.add_worksheet(TREND), styles, plan, trend)
    if len(trend.rounds) < 2:  # nothing stuck yet, and the rest is this round's Actions and Returns
        return
    _table(wb, STUCK, styles,
           ["Partner", PRIORITY, "Action", "Status", "Rounds at status", "Rounds overdue", "Rounds same update",
            "Why", "File", "Sheet", "Cell"],
           ([s.partner, s.priority, s.action, s.status or NO_STATUS, s.same_status or None, s.overdue or None,
             s.same_update or None, "; ".join(s.reasons), s.file, s.sheet, s.cell] for s in trend.stuck),
           [22, 22, 40, 10, 9, 9, 9, 36, 30, 18, 6], numeric={4, 5, 6}, printed=8)
    _table(wb, TIMELINESS, styles,
           ["Partner", "Rounds", "Returned", "Returned with errors", "Nil returns", "Not usable", "Missing", "Late"],
           ([t.partner, t.rounds, t.returned, t.with_errors, t.nil, t.not_usable, t.missing, t.late]
            for t in trend.timeliness), [36, 8, 9, 10, 8, 8, 8, 8], numeric=set(range(1, 8)))
    rounds = list(trend.rounds)
    _table(wb, HISTORY, styles,
           ["Partner", PRIORITY, "Action", *rounds, "Update last changed", "File", "Sheet", "Cell"],
           ([h.partner, h.priority, h.action,
             *(NOT_REPORTED if s is None else s or NO_STATUS for s in h.statuses),
             rounds[h.update_changed()], h.latest.file, h.latest.sheet, h.latest.cell] for h in trend.histories),
           [22, 22, 40, *([12] * len(rounds)), 14, 30, 18, 6], printed=4 + len(rounds))


def _trend(wb: xlsxwriter.Workbook, ws: Worksheet, styles: _Styles, plan: Plan, trend: Trend) -> None:
    """A table per priority (All priorities first): each round's status counts and its direction of travel;
    beside the first, a stacked column chart of it."""
    statuses = list(trend.statuses)
    heads = ["Round", "As of", *statuses, "Total", *TRAVEL]
    ws.set_column(0, 0, 16)
    ws.set_column(1, len(heads) - 1, 11)
    put(ws, 0, 0, "Trend across rounds", styles, styles.title)
    put(ws, 1, 0, FIRST_ROUND if len(trend.rounds) < 2 else
        f"{len(trend.rounds)} rounds, oldest first. A priority improved into a round when more of its actions in "
        "both rounds moved to a better status than to a worse one.", styles)
    row = 3
    chart_rows = (row + 1, row + 1 + len(trend.rounds))  # All priorities: its header row and last round's row
    for title in [ALL, *trend.priorities[:-1]]:
        put(ws, row, 0, title, styles, styles.heading)
        for col, h in enumerate(heads):
            put(ws, row + 1, col, h, styles, styles.status_header.get(h, styles.header_number if col > 1
                                                                       else styles.header))
        for i, name in enumerate(trend.rounds):
            counts = trend.counts[i][title]
            travel = trend.travel[i - 1][title] if i else None
            moved: list[Any] = ([travel.direction, travel.improved, travel.worsened, travel.unchanged]
                                if travel else [None] * len(TRAVEL))
            values = [name, trend.as_of[i], *(counts[s] for s in statuses), sum(counts.values()), *moved]
            for col, v in enumerate(values):
                put(ws, row + 2 + i, col, v, styles, styles.left_date if col == 1 else styles.count)
        row += len(trend.rounds) + 3
    if trend.rounds:
        _chart(wb, ws, plan, trend, *chart_rows, len(heads) + 1)
    _print_setup(ws, styles.marking)


def _chart(wb: xlsxwriter.Workbook, ws: Worksheet, plan: Plan, trend: Trend, header: int, last: int,
           col: int) -> None:
    """Stacked columns, one per round, each status in its colour (No status grey): the All priorities table."""
    chart = wb.add_chart({"type": "column", "subtype": "stacked"})
    assert chart is not None
    fills = {s.name: s.fill for s in plan.statuses}
    for i, status in enumerate(trend.statuses, 2):
        status_series(chart, TREND, header, last, i, fills.get(status, NO_STATUS_FILL), CHART_BORDER)
    chart.set_title({"name": "Actions by status in every round"})
    chart.set_size({"width": 560, "height": 300})
    alt = ("Stacked column chart of all actions by status in each round, oldest first; the same counts are in the "
           "All priorities table beside it.")
    _written(ws.insert_chart(header - 1, col, chart, {"description": alt}), ws, header - 1, col)
