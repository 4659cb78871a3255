"""Stage 5: write the combined summary workbook from a merge result.

Written with XlsxWriter in constant-memory mode, the long sheets' data rows by sheetrows.py (the same XML, several
times faster): rows stream to disk as they are written, so a merge of thousands of returns stays fast and small.
Text always goes in as text (never a formula), control characters and text that looks like an _xHHHH_ escape
are escaped as XlsxWriter does, and fixed document dates make equal inputs give equal files.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from functools import partial
from operator import itemgetter
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.chart import Chart
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_range_abs
from xlsxwriter.worksheet import Worksheet

from .. import layout as L
from ..errors import OutputError
from ..merge import Result, still_to_do
from ..plan import ROLES
from ..reading.fixes import Action
from ..rounds.compare import DIRECTIONS, Change, direction_counts
from ..rounds.readback import DATA_FIELDS
from ..rounds.trend import Trend
from ..text import cell_text
from .atomic import write_atomic
from .beside import Early, Job, run_beside
from .cells import FIXED_TIME, FORMULA_TRIGGERS, line_chars, row_height, wrapped_height
from .sheetrows import SheetRows, pack, sheet_part

PRIORITY = "Priority sheet"  # the priority (a sheet of the template), never confused with the theme column
# Actions and Overdue: the columns a board reads come first and are what is printed, at a readable size on A4
# landscape; the rest (theme, aim, objective, provenance) follow on screen only.
PRINTED_ROLES = ("action", "lead", "time_frame", "status", "update")
SCREEN_ROLES = ("theme", "aim", "objective")
PRINTED_WIDTHS = [15, 15, 34, 15, 9, 8, 34, 10]  # Partner, Priority sheet, the printed roles, Due
SCREEN_WIDTHS = [30, 30, 34, 16, 40, 26]  # the screen roles, Row kind, Source file, Source cell
SHEET_ROWS = 1_048_576  # Excel's rows per sheet; a longer table goes on "Issues (2)" and so on
NO_RETURN = "no return received"
PARTNER_STATE_WORDS = {"received": "received", "nil": "nothing to report", "empty": "return has no actions",
                       "unreadable": "return unreadable", "missing": NO_RETURN}
# Issues: the JSON's fields, the ones a person reads (and prints) first
ISSUE_FIELDS = ("file", "sheet", "cell", "severity", "message", "column", "value", "code")
NO_STATUS_FILL = "D9D9D9"  # grey: no colour of its own, and the word "No status" beside it
CHART_BORDER = "595959"  # dark grey: the outline of a chart's bars where no status colour gives one
STREAM_ROWS = True  # False: every cell through XlsxWriter, the same file more slowly (tests compare the two)


def action_headers(result: Result) -> list[str]:
    head = {c.role: c.header for c in result.plan.columns}
    return ["Partner", PRIORITY, *(head[r] for r in PRINTED_ROLES), "Due", *(head[r] for r in SCREEN_ROLES),
            "Row kind", "Source file", "Source cell"]


_PRINTED = itemgetter(*(ROLES.index(r) for r in PRINTED_ROLES))  # from a Values as a tuple (tuple(a.values))
_SCREEN = itemgetter(*(ROLES.index(r) for r in SCREEN_ROLES))


def action_values(a: Action) -> list[Any]:
    row, values = a.row, tuple(a.values)  # a plain tuple: itemgetter then takes its items in C
    return [a.partner, row.priority, *_PRINTED(values), a.due, *_SCREEN(values), row.kind, row.file, row.source]


class Begun:
    """The Actions and Overdue sheets' rows, begun in a forked copy of this process as soon as the returns are
    read (begin_summary), while this process works out the challenges and the trend: those two sheets show the
    actions alone. write_summary takes them up as it makes the same sheets."""

    def __init__(self, early: Early, rows: Sequence[SheetRows]) -> None:
        self.early = early
        self.rows = {r.part: r for r in rows}

    def cancel(self) -> None:
        """The copy stopped and its files closed: the round ended before its summary was written."""
        self.early.cancel()
        for rows in self.rows.values():
            rows.close()


def begin_summary(result: Result, as_of: date) -> Begun | None:
    """The long sheets that depend on the actions alone (Actions, Overdue), begun now in a forked copy; None
    where no copy is worth it or safe (write_summary then writes them as usual). The sheets are planned here as
    write_summary plans them, on a workbook of the same formats made only for their numbers and sheets' places."""
    if not STREAM_ROWS:
        return None
    wb = xlsxwriter.Workbook(io.BytesIO(), {"strings_to_formulas": False, "strings_to_urls": False,
                                             "strings_to_numbers": False})
    styles = _Styles(wb, result, True)
    wb.add_worksheet("Summary")
    _long_tables(wb, styles, result, as_of)
    early = Early.start(styles.jobs)
    if early is None:
        for rows in styles.streamed:
            rows.close()
        return None
    return Begun(early, styles.streamed)


def write_summary(result: Result, out: Path, as_of: date, changes: list[Change] | None = None,
                  trend: Trend | None = None, begun: Begun | None = None) -> Path:
    """The summary workbook; with `changes` (from compare.compare), a Changes sheet and the direction
    of travel per priority on the Summary sheet; with `trend` (rounds/trend.py), the sheets across rounds;
    `begun`, from begin_summary(result, as_of), has the Actions and Overdue rows on their way."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"constant_memory": True, "strings_to_formulas": False,
                                   "strings_to_urls": False, "strings_to_numbers": False})
    # Excel's accessibility checker asks for a document title; no person's name or path goes in the properties.
    wb.set_properties({"title": f"{result.plan.title}: combined summary", "author": "plan-workbook",
                       "created": FIXED_TIME})
    styles = _Styles(wb, result, STREAM_ROWS, begun)
    _summary(wb, wb.add_worksheet("Summary"), styles, result, as_of, changes)
    _long_tables(wb, styles, result, as_of)
    if changes is not None:
        _table(wb, "Changes", styles,
               ["Partner", PRIORITY, "Action", "Change", "Last round", "This round", "Direction", "Update",
                "Source"], Rows((changes, lambda c: [c.partner, c.priority, c.action, c.change, c.before, c.now,
                                                     c.direction, c.update, c.where])),
               [20, 18, 40, 16, 10, 10, 11, 40, 40], printed=8)
    if trend is not None:  # Trend, Stuck, Timeliness and Action history (outputs/trend_sheet.py)
        from .trend_sheet import write_trend

        write_trend(wb, styles, result.plan, trend)
    returns = _returns_rows(result)
    _table(wb, "Returns", styles,
           ["Partner", "Return", "File", "Actions", "Examples not used", "Errors", "Warnings", "Outstanding",
            "Received", "From"],  # an emailed return's Date and sender; blank for a file
           Rows((returns, lambda r: r[0])), [28, 11, 36, 9, 10, 8, 9, 36, 20, 28], numeric={3, 4, 5, 6})
    _table(wb, "Issues", styles, [f.capitalize() for f in ISSUE_FIELDS],
           Rows((result.problems, lambda p: _issue_values(p.as_dict()))), [24, 18, 6, 9, 70, 14, 24, 20],
           printed=ISSUE_FIELDS.index("message") + 1)
    _data(wb, styles, result, returns, changes or [])
    try:
        run_beside(styles.jobs)  # the long sheets' rows, which the calls above only planned
        if begun is not None:
            begun.early.finish()
        wb.close()
        if styles.streamed:
            buf.seek(0)
            write_atomic(out, partial(pack, buf, styles.streamed))
        else:
            write_atomic(out, buf.getvalue())
    finally:
        for rows in styles.streamed:
            rows.close()
    return out


def _long_tables(wb: xlsxwriter.Workbook, styles: _Styles, result: Result, as_of: date) -> None:
    """The Actions and Overdue sheets, after the Summary sheet: what begin_summary can begin early."""
    widths: list[float] = [*PRINTED_WIDTHS, *SCREEN_WIDTHS]
    due = len(PRINTED_WIDTHS) - 1
    _table(wb, "Actions", styles, action_headers(result), Rows((result.actions, action_values)), widths,
           numeric={due}, printed=len(PRINTED_WIDTHS))
    overdue = result.overdue(as_of)
    _table(wb, "Overdue", styles, ["Days overdue", *action_headers(result)],
           Rows((overdue, lambda a: [(as_of - a.due).days if a.due else None, *action_values(a)])), [8, *widths],
           numeric={0, due + 1}, printed=len(PRINTED_WIDTHS) + 1)


def _issue_values(problem: dict[str, Any]) -> list[Any]:
    return [problem[f] for f in ISSUE_FIELDS]


class _Styles:
    """The few cell formats the summary uses, made once (XlsxWriter keeps one per combination)."""

    def __init__(self, wb: xlsxwriter.Workbook, result: Result, stream_rows: bool, begun: Begun | None = None
                 ) -> None:
        top = {"text_wrap": True, "valign": "top"}
        self.wrap = wb.add_format(top)
        self.quoted = wb.add_format({**top, "quote_prefix": True})  # text starting = + - @ stays text on edit
        self.date = wb.add_format({**top, "num_format": "yyyy-mm-dd"})
        head = {**top, "bold": True, "bg_color": f"#{L.HEADER_FILL}"}
        self.header = wb.add_format(head)
        self.header_number = wb.add_format({**head, "align": "right"})  # over a column of numbers
        self.bold = wb.add_format({"bold": True})
        self.title = wb.add_format({"bold": True, "font_size": 16})
        self.heading = wb.add_format({"bold": True, "font_size": 12})
        self.left = wb.add_format({"align": "left"})
        self.count = wb.add_format({"valign": "top"})  # level with the first line of a wrapped title
        self.left_date = wb.add_format({"align": "left", "num_format": "yyyy-mm-dd"})
        self.status = {s.name: wb.add_format({**top, "bg_color": f"#{s.fill}", "font_color": f"#{s.font}"})
                       for s in result.plan.statuses}
        self.status_header = {s.name: wb.add_format({"bold": True, "bg_color": f"#{s.fill}", "align": "right"})
                              for s in result.plan.statuses}
        self.status_column = result.plan.column("status").header
        self.marking = result.plan.marking
        # Style numbers given now, in this order, rather than as cells first use them: a streamed row gives its
        # cells' numbers itself, and the file is the same whichever way its rows were written.
        for fmt in (self.wrap, self.quoted, self.date, self.header, self.header_number, self.bold, self.title,
                    self.heading, self.left, self.count, self.left_date, *self.status.values(),
                    *self.status_header.values()):
            fmt._get_xf_index()  # XlsxWriter's own way to number a format
        self.stream_rows = stream_rows
        self.streamed: list[SheetRows] = []  # the sheets whose rows sheetrows.py writes
        self.jobs: list[Job] = []  # the writing of those rows, done at the end, some beside this process
        self.begun = begun.rows if begun is not None else {}  # sheets whose rows a copy is writing already

    def rows(self, wb: xlsxwriter.Workbook, columns: int, plain: Format | None) -> SheetRows | None:
        """The row writer for the sheet just added, or None to write its cells through XlsxWriter."""
        if not self.stream_rows:
            return None
        sheet = len(wb.worksheets())
        # the same sheet, planned alike by begin_summary: its rows are on their way
        rows = self.begun.get(sheet_part(sheet)) or SheetRows(
            sheet, columns, {None, self.xf(plain)}, int(self.quoted._get_xf_index()), int(self.date._get_xf_index()))
        self.streamed.append(rows)
        return rows

    def later(self, rows: SheetRows, count: int, columns: int, write: Callable[[], None], cost: int = 1) -> None:
        """Plan the writing of a sheet's `count` rows, done once every sheet is made (outputs/beside.py); `cost`
        is a cell's, as a multiple of a bare cell's."""
        rows.last = count
        if self.begun.get(rows.part) is not rows:
            self.jobs.append((count * columns * cost, write))

    @staticmethod
    def xf(fmt: Format | None) -> int | None:
        return None if fmt is None else int(fmt._get_xf_index())


def _written(code: int, ws: Worksheet, row: int, col: int) -> None:
    """XlsxWriter reports a failed write by its return code, never by an exception: check every one."""
    if code < 0:
        raise OutputError(f"could not write cell ({row}, {col}) of the '{ws.name}' sheet (XlsxWriter code {code})")


def put(ws: Worksheet, row: int, col: int, value: Any, styles: _Styles, fmt: Format | None = None) -> None:
    """Write one value by its type: text always as text, exactly as typed (cut with a visible mark only
    past Excel's cell limit), never as a formula."""
    if isinstance(value, bool):
        code = ws.write_boolean(row, col, value, fmt)
    elif isinstance(value, (int, float)):
        code = ws.write_number(row, col, value, fmt)
    elif isinstance(value, (date, datetime)):
        code = ws.write_datetime(row, col, value, styles.date if fmt in (None, styles.wrap) else fmt)
    elif value is None:
        return
    else:
        text = cell_text(value if isinstance(value, str) else str(value))
        quoted = text.startswith(FORMULA_TRIGGERS) and fmt in (None, styles.wrap)
        code = ws.write_string(row, col, text, styles.quoted if quoted else fmt)
    _written(code, ws, row, col)


def _returns_rows(result: Result) -> list[tuple[list[Any], bool]]:
    """The Returns table's rows, each with whether its partner is to be chased for it."""
    rows: list[tuple[list[Any], bool]] = []
    owed = result.outstanding()
    for partner, state in result.partner_states.items():
        if state == "missing":
            rows.append(([partner, "missing", None, None, None, None, None, "; ".join(owed[partner]), None, None],
                         True))
    for f in result.file_rows():  # one row per file, whatever became of it
        # a copy, superseded or rejected file is left out of the merge: nothing to do on it but what Issues says
        own = ([] if f["state"] in ("copy", "superseded") else
               ["return has no actions"] if f["state"] == "empty" else
               ["return could not be read"] if f["state"] == "unreadable" else [])
        own += still_to_do(f["errors"], f["warnings"]) if f["state"] not in ("copy", "superseded") else []
        rows.append(([f["partner"] or "(partner not known)", f["state"], f["file"], f["actions"],
                      f["examples_ignored"], f["errors"], f["warnings"], "; ".join(own) or "nothing",
                      f.get("received"), f.get("sender")], bool(own)))
    order = {p: i for i, p in enumerate(result.plan.returning_partners)}
    return sorted(rows, key=lambda r: (order.get(r[0][0], len(order)), str(r[0][2] or "")))


def _data(wb: xlsxwriter.Workbook, styles: _Styles, result: Result, returns: list[tuple[list[Any], bool]],
          changes: list[Change]) -> None:
    """The machine contract (rounds/readback.py): what later rounds read back, keyed by role, on a hidden and
    protected sheet; past Excel's last row it goes on to "_data (2)" and so on."""
    blank = [None] * len(ROLES)
    change = {c.where: c.change for c in changes}  # an action's change since last round, by where it is
    def action(a: Action) -> list[Any]:
        source = a.row.source
        return ["action", a.partner, a.row.priority, *a.values, a.row.file, source, None,
                None, None, None, None, change.get(f"{a.row.file} {source}") if change else None]

    records = Rows(
        (result.actions, action),
        (returns, lambda r: ["return", r[0][0], None, *blank, r[0][2], None, r[0][1], int(r[1]), None, None, None,
                             None]),
        (result.problems, lambda p: ["issue", None, None, *blank, p.file, p.cell, None, None, p.sheet, p.severity,
                                     p.message, None]))
    for part, (start, stop) in enumerate(_sheets(len(records)), 1):
        ws = wb.add_worksheet(L.DATA_SHEET if part == 1 else f"{L.DATA_SHEET} ({part})")
        ws.hide()
        ws.protect()
        _print_setup(ws, styles.marking)  # hidden, but marked like every sheet should it be printed
        for col, field in enumerate(DATA_FIELDS):
            put(ws, 0, col, field, styles)
        fast = styles.rows(wb, len(DATA_FIELDS), None)
        if fast is not None:
            styles.later(fast, stop - start, len(DATA_FIELDS), partial(_stream_data, fast, records, start, stop))
            continue
        for n, values in enumerate(records.between(start, stop), 1):
            for col, v in enumerate(values):
                put(ws, n, col, v, styles)


def _stream_data(fast: SheetRows, records: Rows, start: int, stop: int) -> None:
    fast.restart()
    unformatted = [None] * len(DATA_FIELDS)
    for n, values in enumerate(records.between(start, stop), 1):
        fast.add(n, values, unformatted, None)
    fast.finish()


def _sheets(rows: int) -> list[tuple[int, int]]:
    """The (start, stop) of the rows on each sheet of a table: past Excel's last row, it goes on to another."""
    per_sheet = SHEET_ROWS - 1  # after the header row
    return [(start, min(start + per_sheet, rows)) for start in range(0, max(rows, 1), per_sheet)]


def _table(wb: xlsxwriter.Workbook, name: str, styles: _Styles, headers: list[str], rows: Rows | Iterable[list[Any]],
           widths: list[float], numeric: set[int] | frozenset[int] = frozenset(), printed: int = 0) -> None:
    """A table on its own sheet; past Excel's last row it goes on to "<name> (2)", "<name> (3)" and so on
    with the same header, so no row is ever dropped. The first `printed` columns are the print area."""
    rows = rows if isinstance(rows, Rows) else Rows((list(rows), _as_is))
    status_col = headers.index(styles.status_column) if styles.status_column in headers else None
    chars = [line_chars(w) for w in widths]  # for each row's height
    for part, (start, stop) in enumerate(_sheets(len(rows)), 1):
        ws = _table_sheet(wb, name if part == 1 else f"{name} ({part})", part, styles, headers, widths, numeric)
        fast = styles.rows(wb, len(headers), styles.wrap)
        if fast is not None:
            styles.later(fast, stop - start, len(headers),  # a cell with a format and a row height to work out
                         partial(_stream_table, fast, rows, start, stop, chars, status_col, styles), cost=2)
        else:
            for n, values in enumerate(rows.between(start, stop), 1):
                _written(ws.set_row(n, wrapped_height(values, chars)), ws, n, 0)  # before the cells: rows stream
                for col, v in enumerate(values):
                    fmt = styles.status.get(v, styles.wrap) if col == status_col and isinstance(v, str) else styles.wrap
                    put(ws, n, col, v, styles, fmt)  # status: colour and word, never colour alone
        _table_end(ws, styles, headers, stop - start, printed)


def _stream_table(fast: SheetRows, rows: Rows, start: int, stop: int, chars: list[int], status_col: int | None,
                  styles: _Styles) -> None:
    fast.restart()
    wrapped = [styles.xf(styles.wrap)] * len(chars)
    status_xf = {k: styles.xf(f) for k, f in styles.status.items()}
    for n, values in enumerate(rows.between(start, stop), 1):
        formats = wrapped
        if status_col is not None and isinstance(values[status_col], str) and values[status_col] in status_xf:
            formats = [*wrapped]  # status: colour and word, never colour alone
            formats[status_col] = status_xf[values[status_col]]
        fast.add(n, values, formats, wrapped_height(values, chars))
    fast.finish()


class Rows:
    """A table's rows, each made only when it is written (so memory stays flat), their number known at once
    (a table longer than a sheet goes on over several): parts of (items, how an item becomes a row)."""

    def __init__(self, *parts: tuple[Sequence[Any], Callable[[Any], list[Any]]]) -> None:
        self.parts = parts

    def __len__(self) -> int:
        return sum(len(items) for items, _ in self.parts)

    def between(self, start: int, stop: int) -> Iterator[list[Any]]:
        at = 0
        for items, make in self.parts:
            lo, hi = max(start - at, 0), min(stop - at, len(items))
            if lo < hi:
                yield from map(make, items if (lo, hi) == (0, len(items)) else items[lo:hi])
            at += len(items)


def _as_is(row: list[Any]) -> list[Any]:
    return row


def _table_sheet(wb: xlsxwriter.Workbook, name: str, part: int, styles: _Styles, headers: list[str],
                 widths: list[float], numeric: set[int] | frozenset[int]) -> Worksheet:
    ws = wb.add_worksheet(name)
    # The header row named as screen readers (JAWS, NVDA) look for it; constant-memory mode has no Excel tables.
    wb.define_name(f"'{name}'!ColumnTitle", f"='{name}'!{xl_range_abs(0, 0, 0, len(headers) - 1)}")
    for col, width in enumerate(widths):
        _written(ws.set_column(col, col, width, styles.wrap), ws, 0, col)
    _written(ws.set_row(0, row_height(zip(headers, widths, strict=True))), ws, 0, 0)
    for col, h in enumerate(headers):
        put(ws, 0, col, h, styles, styles.header_number if col in numeric else styles.header)
    return ws


def _table_end(ws: Worksheet, styles: _Styles, headers: list[str], last: int, printed: int) -> None:
    ws.freeze_panes(1, 0)
    _written(ws.autofilter(0, 0, max(last, 1), len(headers) - 1), ws, 0, 0)
    if printed:
        _written(ws.print_area(0, 0, max(last, 1), printed - 1), ws, 0, 0)
    _print_setup(ws, styles.marking, repeat_header=True)


def _print_setup(ws: Worksheet, marking: str, repeat_header: bool = False) -> None:
    """Landscape A4, fitted to the page width with narrow margins, the header row repeated on every page,
    page numbers, and the plan's protective marking at the top and bottom of every printed page."""
    mark = marking.replace("&", "&&")
    ws.set_header(f"&C{mark}" if mark else "")
    ws.set_footer(f"&C{mark}&RPage &P of &N" if mark else "&RPage &P of &N")
    ws.set_landscape()
    ws.set_paper(9)
    ws.set_margins(left=0.25, right=0.25, top=0.6, bottom=0.6)
    ws.fit_to_pages(1, 0)
    if repeat_header:
        ws.repeat_rows(0)


def _summary(wb: xlsxwriter.Workbook, ws: Worksheet, styles: _Styles, result: Result, as_of: date,
             changes: list[Change] | None) -> None:
    plan = result.plan
    figures = result.figures
    last = len(plan.statuses) + 2  # the statuses, No status and Total
    ws.set_column(0, 0, 48)
    ws.set_column(1, last, 11)
    ws.set_column(last + 1, last + 1, 18)  # the partner table's Return
    put(ws, 0, 0, f"{plan.title}: combined summary", styles, styles.title)
    facts = [
        ("As of", as_of),
        ("Returns received", f"{figures.returns_received} of {figures.returns_expected} expected"),
        ("Actions", figures.actions),
        ("Errors in returns", figures.errors),
        ("Warnings in returns", figures.warnings),
        ("Fixed automatically", figures.fixed),  # shown with the original value in Issues
    ]
    for r, (label, value) in enumerate(facts, 2):
        put(ws, r, 0, label, styles, styles.bold)
        put(ws, r, 1, value, styles, styles.left_date if isinstance(value, date) else styles.left)
    names = [*plan.status_names, "No status"]
    top = 2 + len(facts) + 1
    priority_rows = [[title, *counts.values()] for title, counts in figures.by_priority.items()]
    overall = ["All priorities", *figures.status.values()]
    end = _count_table(ws, styles, top, "Status by priority", PRIORITY, names, [*priority_rows, overall])
    if changes is not None:
        end = _count_table(ws, styles, end + 2, "Direction of travel since last round", PRIORITY,
                           list(DIRECTIONS), direction_counts(result, changes), total=False)
    partner_rows: list[list[Any]] = []
    for p, state in result.partner_states.items():
        counts = figures.by_partner[p]
        if counts is not None:
            partner_rows.append([p, *counts.values(), sum(counts.values()), PARTNER_STATE_WORDS[state]])
        else:  # blank counts: no return (or none that could be read or had actions) is not a return of zero
            partner_rows.append([p, *([None] * (len(names) + 1)), PARTNER_STATE_WORDS[state]])
    end = _count_table(ws, styles, end + 2, "Status by partner", "Partner", [*names, "Total", "Return"],
                       partner_rows, total=False, text_last=True)
    _chart(wb, ws, result, top + 1, len(priority_rows), end + 2)  # below the tables: the page stays readable
    _print_setup(ws, plan.marking)


def _count_table(ws: Worksheet, styles: _Styles, top: int, title: str, first: str, names: list[str],
                 rows: list[list[Any]], total: bool = True, text_last: bool = False) -> int:
    """A table of counts with a title above it; returns the row index of its last row. With `text_last`,
    the last column holds words, not counts."""
    put(ws, top, 0, title, styles, styles.heading)
    heads = [first, *names, *(["Total"] if total else [])]
    for col, h in enumerate(heads):
        number = 0 < col < len(heads) - (1 if text_last else 0)
        put(ws, top + 1, col, h, styles,
            styles.status_header.get(h, styles.header_number if number else styles.header))
    for r, values in enumerate(rows, top + 2):
        _written(ws.set_row(r, row_height([(values[0], 48)])), ws, r, 0)
        for col, v in enumerate([*values, sum(values[1:])] if total else values):
            put(ws, r, col, v, styles, styles.wrap if col == 0 else styles.count)
    return top + 1 + len(rows)


def status_series(chart: Chart, sheet: str, header: int, last: int, col: int, fill: str, border: str) -> None:
    """One status's series of a stacked chart: its name in the header row, its counts in column `col` below it
    down to row `last`, against the first column's labels, in its own colours."""
    chart.add_series({
        "name": [sheet, header, col],
        "categories": [sheet, header + 1, 0, last, 0],
        "values": [sheet, header + 1, col, last, col],
        "fill": {"color": f"#{fill}"},
        "border": {"color": f"#{border}"},
    })


def _chart(wb: xlsxwriter.Workbook, ws: Worksheet, result: Result, header_row: int, n: int, at: int) -> None:
    """A native stacked bar chart of the status-by-priority table, each series in its status colour."""
    chart = wb.add_chart({"type": "bar", "subtype": "stacked"})
    assert chart is not None
    last = header_row + n
    for i, status in enumerate(result.plan.statuses, 1):  # the RAG colours, not the theme's
        status_series(chart, "Summary", header_row, last, i, status.fill, status.font)
    no_status = len(result.plan.statuses) + 1  # counted in the table, so drawn too: the totals agree
    status_series(chart, "Summary", header_row, last, no_status, NO_STATUS_FILL, CHART_BORDER)
    chart.set_title({"name": "Actions by status and priority"})
    chart.set_size({"width": 680, "height": 300})
    alt = ("Stacked bar chart of actions by status for each strategic priority; the same counts are in the "
           "Status by priority table above.")
    _written(ws.insert_chart(at, 0, chart, {"description": alt}), ws, at, 0)
