"""The pure part of reading a priority sheet: from a grid of cell values (lists of rows, as calamine gives them)
to its header row, its columns and each row's kind. Nothing here opens a file, so it is tested with small grids."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, Literal

from .. import layout as L
from ..plan import ROLES, TEXT_ROLES, Plan
from .normalise import trim

HEADER_SEARCH_ROWS = 30  # where the header is looked for first; then the rest of the sheet
# What a started row is: an example exactly as printed (ignored), an example's text with the partner's own
# status and update, a row among the examples still like one of them, or the partner's own.
RowKind = Literal["untouched example", "adopted example", "adapted example", "new"]
ROLE_INDEX = {role: i for i, role in enumerate(ROLES)}
_item = tuple.__getitem__


class Values(tuple[Any, ...]):
    """A row's values in the order of plan.ROLES, looked up by role as a dict's would be (values["status"]).
    A tuple, because a round holds every action's values at once: 104 bytes an action where a dict of the eight
    took 272 (58 MiB at 3,000 returns). Loops over many rows unpack it in that order instead."""

    __slots__ = ()

    def __getitem__(self, key: Any) -> Any:  # by role, or as a tuple's
        return _item(self, ROLE_INDEX[key] if key.__class__ is str else key)

    @classmethod
    def of(cls, by_role: Mapping[str, Any]) -> Values:
        """From a mapping of role to value; a role it does not hold is None."""
        return cls([by_role.get(role) for role in ROLES])

    def get(self, role: str, default: Any = None) -> Any:
        i = ROLE_INDEX.get(role)
        return default if i is None else _item(self, i)

    def keys(self) -> tuple[str, ...]:
        return ROLES

    def items(self) -> Iterator[tuple[str, Any]]:
        return zip(ROLES, self, strict=True)

    def __repr__(self) -> str:
        return f"Values({dict(self.items())!r})"


# Not frozen (nothing changes a row once read): a frozen dataclass is built through object.__setattr__ for each
# field, four times the cost, and a round builds each row twice (in the worker, and again loading it in this process)
@dataclass(slots=True)
class Row:
    """One started row of a priority sheet, as the partner left it."""

    file: str
    sheet: str
    row: int  # Excel row number
    priority: str  # the priority's full title
    kind: RowKind
    values: Values  # each role's cell value as read (str, float, bool, date, or None)
    columns: dict[str, str]  # role -> column letter, shared by the sheet's rows; "" where the column is missing

    def __reduce__(self) -> tuple[Any, ...]:
        # a plain tuple: a slotted dataclass's default pickling costs the parent twice the worker's time to load
        return Row, (self.file, self.sheet, self.row, self.priority, self.kind, self.values, self.columns)

    @property
    def source(self) -> str:
        """Where the row is: 'Sheet'!A10, at its first column present."""
        for first in self.columns.values():  # a loop, not next() over a generator: this runs for every action
            if first:
                break
        else:
            first = "A"
        return f"'{self.sheet}'!{first}{self.row}"

    def cell(self, role: str) -> str:
        """The A1 reference of a role's cell in the partner's sheet, or "" where the column is missing."""
        letter = self.columns[role]
        return f"{letter}{self.row}" if letter else ""


def display(value: Any) -> str:
    """A cell value as the partner sees it, for messages and text columns."""
    if value.__class__ is str:  # most cells: first, for speed
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):  # Excel shows at most 15 significant digits
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:.15g}"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ") if value.time() != time(0) else value.date().isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value)


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not trim(value))


def column_letter(index: int) -> str:
    """0-based column index to letters."""
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def key(text: Any) -> str:
    """The text in one case, its words one space apart: how headings, labels and actions are compared. At once for
    text spaced so already (most): printable (so its only white space is " "), with no two spaces together and none
    at either end."""
    shown = display(text)
    if shown.isprintable() and "  " not in shown and shown[:1] != " " and shown[-1:] != " ":
        return shown.casefold()
    return " ".join(shown.split()).casefold()


def carried_columns(header: list[Any]) -> set[int]:
    """Columns the template adds right of its own, shown and never read: last round's status and update in a
    rolled-forward workbook, and the check column."""
    shown = {*L.CARRIED_HEADERS, L.CHECK_HEADER}
    return {c for c, h in enumerate(header) if isinstance(h, str) and h in shown}


def find_header(plan: Plan, grid: list[list[Any]]) -> tuple[int, dict[str, int]] | None:
    """(row index, role -> column index) of the row that holds most of the plan's headers: near the top
    first, then anywhere on the sheet (many rows inserted above it)."""
    return _header_in(plan, grid, 0, HEADER_SEARCH_ROWS) or _header_in(plan, grid, HEADER_SEARCH_ROWS, len(grid))


def _header_in(plan: Plan, grid: list[list[Any]], first: int, stop: int) -> tuple[int, dict[str, int]] | None:
    wanted = {key(c.header): c.role for c in plan.columns}
    longest = max(len(h) for h in wanted) + 20  # room for stray spaces; longer text is no heading
    most = len(set(wanted.values()))
    best: tuple[int, dict[str, int]] | None = None
    for r in range(first, min(stop, len(grid))):
        row = grid[r]
        found = {}
        for c, v in enumerate(row):
            role = wanted.get(key(v)) if isinstance(v, str) and len(v) < longest else None
            if role is not None:
                found[role] = c
        if len(found) >= len(ROLES) // 2 and (best is None or len(found) > len(best[1])):
            best = (r, found)
            if len(found) == most:  # no later row can hold more
                break
    return best


def similar(a: str, b: str) -> float:
    """How alike two headings are: by characters, or by words in any order ('RAG status', 'Status (RAG)')."""
    x, y = key(a), key(b)
    words = set(re.findall(r"\w+", x)), set(re.findall(r"\w+", y))
    overlap = len(words[0] & words[1]) / len(words[0] | words[1]) if words[0] | words[1] else 0.0
    return max(difflib.SequenceMatcher(None, x, y).ratio(), overlap)


def renamed_column(header: list[Any], cols: dict[str, int], used: set[int], role: str, expected: str) -> int | None:
    """The column a missing role's heading was renamed to: the unclaimed heading most like the expected one,
    else the only unclaimed heading between the role's neighbours. None when it cannot be told."""
    free = [c for c in range(len(header)) if c not in used and not is_blank(header[c])]
    alike = max(free, key=lambda c: similar(display(header[c]), expected), default=None)
    if alike is not None and similar(display(header[alike]), expected) >= 0.6:
        return alike
    i = ROLES.index(role)
    before = next((cols[r] for r in reversed(ROLES[:i]) if r in cols), -1)
    after = next((cols[r] for r in ROLES[i + 1:] if r in cols), len(header))
    between = [c for c in free if before < c < after]
    return between[0] if len(between) == 1 else None


def classify(values: Values, examples: list[dict[str, str]], matched: set[int], in_zone: bool,
              present: set[str]) -> RowKind:
    """Untouched or adopted: an example's text, unchanged. Adapted: a row among the examples that still
    looks like one of them (two of its text cells unchanged, or most of its wording), matched by content so
    an inserted row does not shift the rest. Otherwise new."""

    text: dict[str, str] = {}

    def same(role: str, example: dict[str, str]) -> bool:
        # exact, so a partner's small edit (case, a space) is never dropped as "untouched"
        if role not in text:
            text[role] = display(values[role]).replace("\r\n", "\n")
        return role not in present or text[role] == example[role]

    for i, ex in enumerate(examples):
        if i not in matched and all(same(role, ex) for role in TEXT_ROLES):
            matched.add(i)
            return "untouched example" if all(same(role, ex) for role in ROLES) else "adopted example"
    if not in_zone:
        return "new"
    # theme and aim are shared headings: an example is told by its objective and action
    own = ("objective", "action")
    mine = " ".join(key(values[r]) for r in own)  # similarity ignores case and spacing
    best, best_score = -1, 0.0
    for i, ex in enumerate(examples):
        if i in matched:
            continue
        ratio = difflib.SequenceMatcher(None, mine, " ".join(key(ex[r]) for r in own)).ratio()
        kept = sum(same(r, ex) for r in TEXT_ROLES) >= 2 and any(same(r, ex) for r in own)
        score = max(ratio, 1.0 if kept else 0.0)
        if score >= 0.6 and score > best_score:
            best, best_score = i, score
    if best >= 0:
        matched.add(best)
        return "adapted example"
    return "new"
