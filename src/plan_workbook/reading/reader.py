"""Stage 3: read a returned workbook into rows with provenance, reporting its structure problems."""

from __future__ import annotations

import difflib
import io
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePath
from typing import Any

import python_calamine

from .. import layout as L
from ..plan import ROLES, TEXT_ROLES, Plan, Priority, partner_named
from ..problems import ASK, Code, Problem, short
from ..sources.files import file_source
from ..sources.source import Refused, Source
from ..text import units
from . import guard, ods
from .normalise import suggest_partners
from .rows import (
    ROLE_INDEX,
    Row,
    Values,
    carried_columns,
    classify,
    column_letter,
    display,
    find_header,
    is_blank,
    key,
    renamed_column,
)

OWN_REPORT_MARK = L.OWN_REPORT_MARK
OWN_SUMMARY_SHEETS = {"Summary", "Actions", "Returns", "Issues"}  # what `merge` writes: skipped, not a return
# What stops the program itself, never to be taken for one file's failure.
STOPS = (KeyboardInterrupt, SystemExit, GeneratorExit)
PER_AREA = 100  # problems of one kind on one sheet listed one by one; the rest are summed up in one more
LISTED_CHARS = 30_000  # the most of the rest's cells and values kept in that one problem (a cell holds 32,767)


@dataclass
class Return:
    """What one returned workbook holds."""

    file: str  # the name shown in every output (valid text even where the file's own name is not)
    partner: str | None = None
    readable: bool = True
    rows: list[Row] = field(default_factory=list)
    examples_ignored: int = 0
    problems: list[Problem] = field(default_factory=list)
    digest: str = ""  # sha256 of the file, to spot the same file sent twice
    saved: datetime | None = None  # when the workbook says it was last saved
    set_aside: str = ""  # why its rows are left out of the merge (copy, superseded, rejected), or ""
    nil: bool = False  # the partner said there is nothing to report this round
    feedback_of: str = ""  # sha256 of the return this corrected feedback copy was made from
    own_output: bool = False  # a summary or report written by this tool, not a return
    path: str = ""  # where the file really is, for the commands that open it again (feedback)


def read_return(plan: Plan, source: Source | Path, name: str | None = None, debug: bool = False) -> Return:
    """Read one return, from its source (a path is read as a file source). Never raises for a bad workbook:
    problems say what is wrong (with `debug`, an unforeseen error is let through with its traceback)."""
    if isinstance(source, Path):
        source = file_source(source)
    ret = Return(name or source.name, path=str(source.path or ""))
    try:
        return _read_return(plan, source, ret)
    except MemoryError:
        raise  # the worker reports it as too large, and is replaced
    except Exception as e:  # a file nobody foresaw must not stop the other returns being merged
        if debug:
            raise
        return Return(ret.file, path=ret.path, readable=False, digest=ret.digest, problems=[Problem.of(
            ret.file, "", "", "unreadable-file", variant="crashed", error=type(e).__name__, detail=short(str(e)))])


def _read_return(plan: Plan, source: Source, ret: Return) -> Return:
    if source.problems:  # a part of an email or zip that could not be taken out, or an email with no workbook
        ret.readable = not any(p.severity == "error" for p in source.problems)
        ret.problems += source.problems
        return ret
    try:
        data = source.read()
    except Refused as e:
        scan = guard.Scan(fatal=e.fatal)
    else:
        scan = guard.scan_bytes(PurePath(source.name).name, data, unread=L.UNREAD_SHEETS)
    if scan.fatal and ods.is_ods(scan.data):
        return _read_ods(plan, scan.data, ret)
    ret.digest, ret.saved = scan.digest, scan.saved
    if scan.fatal and OWN_REPORT_MARK in scan.data[:2048]:
        ret.own_output = True
        ret.problems.append(Problem.of(ret.file, "", "", "own-output-skipped", variant="report"))
        return ret
    if scan.fatal:
        ret.readable = False
        ret.problems.append(Problem(ret.file, "", "", *scan.fatal))
        return ret
    if scan.macros:
        ret.problems.append(Problem.of(ret.file, "", "", "macros-ignored"))
    if scan.sheets and all(f.grid is not None for f in scan.sheets.values()):  # the guard read every sheet the
        _Reader(plan, _ScannedBook(scan), scan, ret).read()  # reader loads: calamine need not open the file
        return ret
    try:
        wb = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(scan.data))
    except BaseException as e:  # calamine raises several unrelated types; a Rust panic is a BaseException
        if isinstance(e, STOPS):
            raise
        ret.readable = False
        ret.problems.append(Problem.of(ret.file, "", "", "unreadable-file", variant="not-opened",
                                       error=type(e).__name__))
        return ret
    try:
        _Reader(plan, wb, scan, ret).read()
    finally:
        wb.close()
    return ret


def _read_ods(plan: Plan, data: bytes, ret: Return) -> Return:
    """An OpenDocument spreadsheet: ods.py checks it and gives the grid and facts the guard gives for .xlsx, so
    the same reader, with the same rules and problems, reads it."""
    book = ods.read_ods(ret.file, data, L.UNREAD_SHEETS)
    ret.digest, ret.saved = book.digest, book.saved
    if book.fatal:
        ret.readable = False
        ret.problems.append(Problem(ret.file, "", "", *book.fatal))
        return ret
    scan = guard.Scan(data=data, kind="ods", saved=book.saved,
                      sheets={s.name: s.facts for s in reversed(book.sheets)},  # the first of a repeated name wins
                      sheet_list=[(s.name, "visible" if s.visible else "hidden", "worksheet") for s in book.sheets])
    _Reader(plan, _OdsWorkbook(book), scan, ret).read()
    return ret


class _OdsWorkbook:
    """The few calamine calls the reader makes, answered from a spreadsheet ods.py has read."""

    def __init__(self, book: ods.Book) -> None:
        self.book = book
        self.sheet_names = [s.name for s in book.sheets]
        self.sheets_metadata = [_OdsMeta(s.name, python_calamine.SheetVisibleEnum.Visible if s.visible
                                         else python_calamine.SheetVisibleEnum.Hidden) for s in book.sheets]

    def get_sheet_by_name(self, name: str) -> _OdsSheet:
        return _OdsSheet(next(s for s in self.book.sheets if s.name == name))

    def close(self) -> None:
        """Nothing is held open: the spreadsheet was read whole."""


class _ScannedBook:
    """The calamine calls the reader makes, for a workbook whose every sheet the guard read (SheetFacts.grid):
    the sheets' names and visibility as calamine gives them (tests compare them), from the workbook's own list."""

    def __init__(self, scan: guard.Scan) -> None:
        self.sheet_names = [name for name, _, _ in scan.sheet_list]
        self.sheets_metadata = [_OdsMeta(name, python_calamine.SheetVisibleEnum.Visible if state == "visible"
                                         else python_calamine.SheetVisibleEnum.Hidden)
                                for name, state, _ in scan.sheet_list]

    def get_sheet_by_name(self, name: str) -> _OdsSheet:
        raise LookupError(f"the sheet {name} was read with the workbook's check")  # _load takes the guard's grid

    def close(self) -> None:
        """Nothing was opened."""


@dataclass(frozen=True)
class _OdsMeta:
    name: str
    visible: Any


class _OdsSheet:
    def __init__(self, sheet: ods.Sheet) -> None:
        self.sheet = sheet
        self.merged_cell_ranges = sheet.merged

    def to_python(self, skip_empty_area: bool = False) -> list[list[Any]]:
        return self.sheet.rows


def _too_long(text: str) -> bool:
    return units(text) > guard.MAX_CELL_CHARS


def _cut(text: str) -> str:
    return text.encode("utf-16-le")[: guard.MAX_CELL_CHARS * 2].decode("utf-16-le", "ignore")


class _Reader:
    """Reads one opened workbook into its Return, reporting what is wrong with its structure."""

    def __init__(self, plan: Plan, wb: python_calamine.CalamineWorkbook | _OdsWorkbook | _ScannedBook,
                 scan: guard.Scan, ret: Return) -> None:
        self.plan, self.wb, self.scan, self.ret = plan, wb, scan, ret
        self.names = list(wb.sheet_names)
        self.hidden = {m.name for m in wb.sheets_metadata if m.visible != python_calamine.SheetVisibleEnum.Visible}
        self.grids: dict[str, list[list[Any]] | None] = {}
        self.merged: dict[str, list[tuple[tuple[int, int], tuple[int, int]]]] = {}
        self.counts: dict[tuple[str, str], int] = {}
        self.overflow: dict[tuple[str, Code], list[tuple[str, str]]] = {}
        self.texts: dict[str, str] = {}  # each text once: the same aim, lead or update on many rows is one object

    def problem(self, sheet: str, cell: str, code: Code, column: str = "", value: str = "", **params: object) -> None:
        key = (sheet, code)
        self.counts[key] = self.counts.get(key, 0) + 1
        if self.counts[key] > PER_AREA and cell:  # e.g. a sheet of stray cells: one problem each would
            self.overflow.setdefault(key, []).append((cell, value))  # bury every other return's
            return
        self.ret.problems.append(Problem.of(self.ret.file, sheet, cell, code, column, value, **params))

    def _sum_up_overflow(self) -> None:
        """One problem for what was past the per-area limit, naming how many, where, and their values."""
        for (sheet, code), rest in self.overflow.items():
            listed, size = [], 0
            for cell, value in rest:
                item = f"{cell}: {value}"
                if size + len(item) > LISTED_CHARS:
                    break
                listed.append(item)
                size += len(item) + 2
            left = len(rest) - len(listed)
            more = f" (and {left:,} more)" if left else ""
            params = {"variant": "more-cut", "left": f"{left:,}"} if left else {"variant": "more"}
            self.ret.problems.append(Problem.of(
                self.ret.file, sheet, rest[0][0], code, value="; ".join(listed) + more, count=f"{len(rest):,}",
                per_area=PER_AREA, name=short(sheet, 40), first=rest[0][0], last=rest[-1][0], **params))

    def grid(self, sheet: str) -> list[list[Any]] | None:
        """Values with row 0 = Excel row 1 and column 0 = column A, empty cells None; None for a sheet
        that is too large or damaged (reported once)."""
        if sheet not in self.grids:
            self.grids[sheet] = self._load(sheet)
        return self.grids[sheet]

    def _load(self, sheet: str) -> list[list[Any]] | None:
        facts = self.scan.sheets.get(sheet, guard.SheetFacts())
        if facts.too_large:
            self.problem(sheet, "", "too-large", **dict(facts.too_large))
            return None
        if facts.blocked:  # calamine would refuse the whole sheet for this one cell: say which cell
            why = facts.damaged.get(facts.blocked, "cannot be read")
            self.problem(sheet, facts.blocked, "cell-damaged", value=why, variant="blocks-sheet",
                         why=short(why, 160), name=short(sheet, 40))
            return None
        if facts.grid is not None:  # read by the guard, as calamine would read it
            grid, self.merged[sheet] = facts.grid, facts.merged
        else:
            try:
                ws = self.wb.get_sheet_by_name(sheet)
                values = ws.to_python(skip_empty_area=False)
                self.merged[sheet] = list(ws.merged_cell_ranges or [])
            except BaseException as e:  # calamine's XmlError, a Rust panic: one damaged sheet, not the whole merge
                if isinstance(e, STOPS):
                    raise
                self.problem(sheet, "", "unreadable-file", variant="sheet-unreadable", error=type(e).__name__,
                             detail=short(str(e)))
                return None
            grid = [[None if v == "" else v for v in r] for r in values]
        half = guard.MAX_CELL_CHARS // 2  # shorter text cannot be too long, even counted in UTF-16 units
        long = [] if facts.grid is not None and facts.longest <= half else [
            (r, c, v) for r, row in enumerate(grid) for c, v in enumerate(row) if isinstance(v, str) and len(v) > half]
        for r, c, v in long:
            if _too_long(v):
                grid[r][c] = _cut(v)
                self.problem(sheet, f"{column_letter(c)}{r + 1}", "cell-too-long", value=short(v, 200),
                             length=f"{units(v):,}", limit=f"{guard.MAX_CELL_CHARS:,}")
        self._cell_facts(sheet, grid, facts)
        for cell, (formula, has_value) in facts.formulas.items():
            if L.template_formula(sheet, formula):  # the template's own checks (Front panel, check column)
                continue
            if has_value:
                self.problem(sheet, cell, "formula-value", value=f"={formula}", formula=short(formula))
            else:
                self.problem(sheet, cell, "formula-no-value", value=f"={formula}", formula=short(formula))
        return grid

    def _cell_facts(self, sheet: str, grid: list[list[Any]], facts: guard.SheetFacts) -> None:
        """What calamine does not give: Excel error values (kept as their text), cells whose value cannot be
        trusted (left empty: calamine would show another cell's text), and notes attached to cells (listed, so
        nothing typed there is lost)."""
        for cell, text in facts.errors.items():
            _set(grid, cell, text)
            self.problem(sheet, cell, "cell-error", value=text, error=short(text, 20))
        for cell, why in facts.damaged.items():
            _set(grid, cell, None)
            self.problem(sheet, cell, "cell-damaged", value=why, why=short(why, 160))
        for cell, text in facts.notes.items():
            note = _partners_note(text)
            if not note:
                continue
            self.problem(sheet, cell, "cell-note", value=note, note=short(note))

    def read(self) -> None:
        plan, names = self.plan, self.names
        meta = self._meta()
        claimed = {n for n in names if n in L.RESERVED_SHEETS}
        found: dict[str, str] = {p.sheet: p.sheet for p in plan.priorities if p.sheet in names}
        claimed.update(found.values())
        if not meta and not found and L.FRONT_SHEET not in names and set(names) >= OWN_SUMMARY_SHEETS:
            self.ret.own_output = True
            self.problem("", "", "own-output-skipped", variant="summary")
            return
        if not meta and not found and L.FRONT_SHEET not in names:
            self.ret.readable = False
            self.problem("", "", "not-a-template", title=plan.title,
                         sheets=", ".join(p.sheet for p in plan.priorities))
            return
        self._check_meta(meta)
        self._partner(meta)
        if self.ret.set_aside:  # another plan's return: its problems only, nothing counted
            return
        self.ret.feedback_of = meta.get(L.FEEDBACK_OF, "")
        for priority in plan.priorities:
            sheet = found.get(priority.sheet) or self._renamed(priority, claimed)
            if sheet is not None:
                found[priority.sheet] = sheet
                claimed.add(sheet)
        self._check_order(found)
        for priority in plan.priorities:
            if priority.sheet in found:
                self._read_sheet(priority, found[priority.sheet])
        kinds = {name: kind for name, _, kind in self.scan.sheet_list}
        for name in sorted({n for n in names if names.count(n) > 1}):
            self.problem(name, "", "unreadable-file", value=name, variant="sheets-same-name",
                         count=names.count(name), name=short(name, 40))
        for extra in dict.fromkeys(names):
            if extra in claimed or kinds.get(extra, "worksheet") != "worksheet":  # a chart sheet holds no entries
                continue
            copy = self._copy_of(extra)
            if copy is not None:
                self.problem(extra, "", "sheet-duplicated", value=extra, original=copy.sheet, title=copy.title)
                self._read_sheet(copy, extra)
            else:
                self._extra_sheet(extra)
                self.grids.pop(extra, None)  # a workbook of many extra sheets must not be held all at once
        self._nil_or_empty()
        self._sum_up_overflow()

    def _nil_or_empty(self) -> None:
        """A return with no actions says so (a nil return), or is chased as empty."""
        cell, typed = self._front_value(L.NIL_LABEL)
        said_nil = isinstance(typed, str) and key(typed) in {"yes", "y", "true"}
        if self.ret.partner is None:
            return
        if said_nil and not self.ret.rows:
            self.ret.nil = True
            self.problem(L.FRONT_SHEET, cell, "nil-return", value=display(typed), partner=self.ret.partner)
        elif said_nil:
            self.problem(L.FRONT_SHEET, cell, "nil-return", value=display(typed), variant="with-actions",
                         count=len(self.ret.rows))
        elif not self.ret.rows:
            if cell:
                self.problem(L.FRONT_SHEET, cell, "return-empty", variant="cell", label=L.NIL_LABEL.lower(),
                             yes=L.NIL_YES)
            else:
                self.problem("", "", "return-empty", label=L.NIL_LABEL.lower())

    def _front_value(self, label: str) -> tuple[str, Any]:
        """(A1 reference, value) of the input cell right of a label on the Front sheet; ("", None) if absent."""
        grid = self.grid(L.FRONT_SHEET) if L.FRONT_SHEET in self.names else None
        for r, row in enumerate(grid or []):
            for c, v in enumerate(row):
                if isinstance(v, str) and key(v) == key(label):
                    return f"{column_letter(c + 1)}{r + 1}", row[c + 1] if c + 1 < len(row) else None
        return "", None

    def _meta(self) -> dict[str, str]:
        grid = self.grid(L.META_SHEET) if L.META_SHEET in self.names else None
        return {row[0]: display(row[1]) for row in grid or [] if len(row) >= 2 and isinstance(row[0], str)}

    def _check_meta(self, meta: dict[str, str]) -> None:
        plan = self.plan
        if not meta:
            self.problem(L.META_SHEET, "", "template-version-mismatch", variant="no-details")
        elif meta.get("plan_id") and meta.get("plan_id") != plan.id:
            self.problem(L.META_SHEET, "B1", "plan-mismatch", value=meta["plan_id"], plan_id=short(meta["plan_id"]),
                         current=plan.id)
        elif meta.get("plan_version") != plan.version or meta.get("template_version") != L.TEMPLATE_VERSION:
            self.problem(L.META_SHEET, "B2", "template-version-mismatch", value=meta.get("plan_version", ""),
                         variant="older", plan_version=short(meta.get("plan_version", "")),
                         template_version=short(meta.get("template_version", "")), current_plan=plan.version,
                         current_template=L.TEMPLATE_VERSION)
        if meta.get("plan_id") and meta.get("plan_id") != plan.id:
            self.ret.set_aside = "rejected"

    def _partner(self, meta: dict[str, str]) -> None:
        plan, sheet = self.plan, L.FRONT_SHEET
        cell, typed = self._front_value(L.PARTNER_LABEL)
        personal = meta.get("partner", "")
        if is_blank(typed) and personal:
            typed = personal
        if is_blank(typed):
            self.problem(sheet, cell, "partner-missing", column=L.PARTNER_LABEL,
                         **({"variant": "cell"} if cell else {}))
            return
        self.ret.partner = partner_named(plan, display(typed))
        if self.ret.partner is None:
            close = suggest_partners(plan, display(typed), n=1)
            hint = {"variant": "closest", "closest": close[0]} if close else {}
            self.problem(sheet, cell, "partner-unknown", column=L.PARTNER_LABEL, value=display(typed),
                         name=short(display(typed)), **hint)
        elif personal and self.ret.partner != personal:
            self.problem(sheet, cell, "partner-mismatch", column=L.PARTNER_LABEL, value=display(typed),
                         made_for=short(personal), partner=self.ret.partner)

    def _title_of(self, sheet: str) -> str:
        grid = self.grid(sheet)
        return key(grid[0][0]) if grid and grid[0] else ""

    def _renamed(self, priority: Priority, claimed: set[str]) -> str | None:
        """A priority sheet under another name: found by its title cell or a close name."""
        free = [n for n in self.names if n not in claimed]
        by_title = [n for n in free if self._title_of(n) == key(priority.title)]
        close = difflib.get_close_matches(priority.sheet, free, n=1, cutoff=0.75)
        found = (by_title or close or [""])[0]
        if found:
            self.problem(found, "", "sheet-renamed", value=found, expected=priority.sheet)
            return found
        close = difflib.get_close_matches(priority.sheet, free, n=1, cutoff=0.3)
        hint = {"variant": "closest", "closest": close[0]} if close else {}
        self.problem(priority.sheet, "", "sheet-missing", title=priority.title, **hint)
        return None

    def _copy_of(self, sheet: str) -> Priority | None:
        """The priority whose sheet this one copies: same title cell, or Excel's 'Name (2)'."""
        for p in self.plan.priorities:
            if self._title_of(sheet) == key(p.title) or key(sheet).startswith(key(p.sheet) + " ("):
                return p
        return None

    def _check_order(self, found: dict[str, str]) -> None:
        placed = sorted(found, key=lambda s: self.names.index(found[s]))
        wanted = [p.sheet for p in self.plan.priorities if p.sheet in found]
        if placed != wanted:
            self.problem("", "", "sheets-reordered", order=", ".join(found[s] for s in placed))

    def _extra_sheet(self, extra: str) -> None:
        grid = self.grid(extra)
        if grid is None:
            return
        filled = sum(1 for r in grid for v in r if not is_blank(v))
        self.problem(extra, "", "sheet-extra", filled=filled)
        for r, row in enumerate(grid):
            for c, v in enumerate(row):
                if not is_blank(v):
                    self.problem(extra, f"{column_letter(c)}{r + 1}", "data-outside-area", value=display(v),
                                 variant="extra-sheet")

    def _read_sheet(self, priority: Priority, sheet: str) -> None:
        plan, ret = self.plan, self.ret
        grid = self.grid(sheet)
        if grid is None:
            return
        if sheet in self.hidden:
            self.problem(sheet, "", "sheet-hidden", value=sheet)
        found = find_header(plan, grid)
        if found is None:
            self.problem(sheet, "", "header-missing", headers=", ".join(c.header for c in plan.columns))
            return
        head_r, cols = found
        header = grid[head_r]
        if head_r + 1 != L.HEADER_ROW:
            self.problem(sheet, f"A{head_r + 1}", "header-moved", row=head_r + 1, expected=L.HEADER_ROW)
        placed = sorted(cols, key=cols.__getitem__)
        if placed != [r for r in ROLES if r in cols]:
            self.problem(sheet, f"A{head_r + 1}", "columns-moved",
                         order=", ".join(short(display(header[cols[r]]), 30) for r in placed))
        self._check_columns(sheet, head_r, header, cols)
        used = set(cols.values()) | carried_columns(header)
        self._check_layout(sheet, grid, head_r)

        letters = {role: column_letter(cols[role]) if role in cols else "" for role in ROLES}
        examples = list(priority.examples)
        prepared_last = head_r + 1 + len(examples) + plan.input_rows  # 0-based index of the last prepared row
        zone = len(examples)  # rows where an edited example may sit; grows by each row inserted among them
        seen = 0
        matched: set[int] = set()
        below: list[int] = []
        present, hidden_rows = set(cols), self.scan.sheets.get(sheet, guard.SheetFacts()).hidden_rows
        texts = self.texts
        outside = [c for c in range(max(map(len, grid[head_r + 1:]), default=0)) if c not in used]
        places = [(ROLE_INDEX[role], c) for role, c in cols.items()]  # (place in Values, column)
        for r in range(head_r + 1, len(grid)):
            row = grid[r]
            for c in outside:
                if c < len(row) and not is_blank(row[c]):
                    self.problem(sheet, f"{column_letter(c)}{r + 1}", "data-outside-area", variant="columns",
                                 column=display(header[c]) if c < len(header) else "", value=display(row[c]))
            cells: list[Any] = [None] * len(ROLES)
            width = len(row)
            for i, c in places:
                if c < width:
                    value = row[c]
                    cells[i] = texts.setdefault(value, value) if value.__class__ is str else value
            values = Values(cells)
            if r == head_r + 1 and self._guidance_row(sheet, r, values, letters, examples):
                continue
            in_zone = seen < zone
            seen += 1
            if all(is_blank(v) for v in values):
                zone += 1 if in_zone and zone < 2 * len(examples) else 0
                continue
            kind = classify(values, examples, matched, in_zone, present=present)
            if kind == "new" and in_zone and zone < 2 * len(examples):
                zone += 1  # a row inserted among the examples pushes the rest down
            if kind == "untouched example":
                ret.examples_ignored += 1
                continue
            if r > prepared_last:
                below.append(r + 1)
            if r + 1 in hidden_rows:
                self.problem(sheet, f"A{r + 1}", "hidden-cells", value=display(values["action"]), variant="row",
                             row=r + 1)
            # a missing column has no cell; its problem is the column-missing error, not one per row
            ret.rows.append(Row(ret.file, sheet, r + 1, priority.title, kind, values, letters))
        if below:
            self.problem(sheet, f"A{below[0]}", "data-outside-area",
                         value=f"row {below[0]}" if len(below) == 1 else f"rows {below[0]}-{below[-1]}",
                         variant="below", count=f"{len(below):,}", first=below[0], last=below[-1])

    def _guidance_row(self, sheet: str, r: int, values: Values, letters: dict[str, str],
                      examples: list[dict[str, str]]) -> bool:
        """Whether the row under the header is the template's guidance row; text typed over the guidance is
        reported at its cell (kept, never read as an action). A row holding an example is not the guidance row:
        that row was deleted."""
        guidance = {role: key(self.plan.column(role).guidance) for role in ROLES}
        texts = [display(values[role]).replace("\r\n", "\n") for role in TEXT_ROLES]
        if any(texts == [ex[role] for role in TEXT_ROLES] for ex in examples):
            return False
        for role, v in values.items():
            if not is_blank(v) and key(v) != guidance[role] and letters[role]:
                self.problem(sheet, f"{letters[role]}{r + 1}", "guidance-edited",
                             column=self.plan.column(role).header, value=display(v), text=short(display(v)))
        return True

    def _check_columns(self, sheet: str, head_r: int, header: list[Any], cols: dict[str, int]) -> None:
        """Map missing roles to a renamed heading in their place, and report missing and extra columns."""
        used = set(cols.values())
        for role in ROLES:
            if role in cols:
                continue
            expected = self.plan.column(role).header
            neighbour = renamed_column(header, cols, used, role, expected)
            if neighbour is not None:
                cols[role] = neighbour
                used.add(neighbour)
                self.problem(sheet, f"{column_letter(neighbour)}{head_r + 1}", "column-renamed",
                             column=expected, value=display(header[neighbour]),
                             heading=short(display(header[neighbour])))
            else:
                self.problem(sheet, f"{column_letter(ROLES.index(role))}{head_r + 1}", "column-missing",
                             column=expected)
        shown = used | carried_columns(header)
        for c in range(len(header)):
            if c not in shown and not is_blank(header[c]):
                self.problem(sheet, f"{column_letter(c)}{head_r + 1}", "column-extra", value=display(header[c]),
                             heading=short(display(header[c])))

    def _check_layout(self, sheet: str, grid: list[list[Any]], head_r: int) -> None:
        """Merged cells and hidden columns in the header and input area: read, but worth fixing."""
        for (r0, c0), (r1, c1) in self.merged.get(sheet, []):
            if r1 >= head_r:
                ref = f"{column_letter(c0)}{r0 + 1}:{column_letter(c1)}{r1 + 1}"
                self.problem(sheet, f"{column_letter(c0)}{r0 + 1}", "merged-cells", value=ref, cells=ref)
        for c in sorted(self.scan.sheets.get(sheet, guard.SheetFacts()).hidden_columns):
            if any(c < len(row) and not is_blank(row[c]) for row in grid[head_r + 1:]):
                self.problem(sheet, f"{column_letter(c)}{head_r + 1}", "hidden-cells", variant="column",
                             letter=column_letter(c))


def _partners_note(text: str) -> str:
    """A note without the tool's own marks (a feedback copy comments each problem cell), so only what a partner
    wrote is reported."""
    ours = tuple(f"{ask}: " for ask in ASK.values())
    return "\n\n".join(part for part in text.split("\n\n") if not part.startswith(ours)).strip()


def _set(grid: list[list[Any]], cell: str, value: Any) -> None:
    """Put a value at an A1 reference, growing the grid (within the guard's limits) as needed."""
    r, c = guard.position(cell)
    while len(grid) <= r:
        grid.append([])
    row = grid[r]
    row.extend([None] * (c + 1 - len(row)))
    row[c] = value


