"""Reading a written summary back, for the commands that build on last round's (chase, --previous, roll-forward).

What they read is the summary's machine contract: the hidden, protected `_data` sheet, one record per row keyed by
role names the tool owns (never the plan's column headings, never the words a sheet shows people), so a plan may
rename every heading between rounds. Records:
  action: partner, priority (its title), the eight roles, file and cell where the action is, and its change
          since the round before (compare.ChangeKind; empty in a first round and in summaries written before it)
  return: partner, state (a file's state, or `missing`), file, owes (1 when the partner is to be chased)
  issue:  file, sheet, cell, severity, message (one per problem)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import python_calamine

from .. import layout as L
from ..errors import UsageError
from ..plan import ROLES

DATA_FIELDS = ("record", "partner", "priority", *ROLES, "file", "cell", "state", "owes", "sheet", "severity",
               "message", "change")
ADDED_FIELDS = ("change",)  # later than the first summaries with the record: read when there
Record = Literal["action", "return", "issue"]


def read_data(path: Path, shown: str) -> dict[Record, list[dict[str, Any]]]:
    """The records of a summary's `_data` sheet, by kind. A workbook without it is refused with a plain error:
    one without the `shown` sheet the command is known by (Returns, Actions) is not a summary at all; one with it
    was written by an older plan-workbook."""
    try:
        rows = read_summary(path, {L.DATA_SHEET: [f for f in DATA_FIELDS if f not in ADDED_FIELDS]})[L.DATA_SHEET]
    except UsageError as e:
        if f"no '{L.DATA_SHEET}' sheet" not in str(e):
            raise
        read_summary(path, {shown: []})  # not a summary at all: says which sheet it lacks
        raise UsageError(f"{path} has no '{L.DATA_SHEET}' sheet: it was written by an older plan-workbook. Run merge "
                         "again on last round's returns to make a new summary.") from None
    out: dict[Record, list[dict[str, Any]]] = {"action": [], "return": [], "issue": []}
    for row in rows:
        kind = row["record"]
        if kind in out:
            out[kind].append(row)
    return out


def read_summary(path: Path, needed: Mapping[str, Sequence[str]]) -> dict[str, list[dict[str, Any]]]:
    """The named sheets of a summary written by `merge`, each as rows keyed by header; every sheet and
    column in `needed` must be there, else a plain error saying what is missing."""
    try:
        wb = python_calamine.CalamineWorkbook.from_path(str(path))
    except Exception as e:  # calamine raises several unrelated types for unreadable files
        raise UsageError(f"cannot read {path} as a summary workbook ({type(e).__name__})") from None
    try:
        out: dict[str, list[dict[str, Any]]] = {}
        for name, columns in needed.items():
            if name not in wb.sheet_names:
                raise UsageError(f"{path} is not a plan-workbook summary: it has no '{name}' sheet")
            out[name] = []
            for part in _parts(name, wb.sheet_names):  # a table longer than a sheet goes on in "Issues (2)"...
                rows = wb.get_sheet_by_name(part).to_python()
                header = [str(h) for h in rows[0]] if rows else []
                missing = [c for c in columns if c not in header]
                if missing:
                    raise UsageError(f"the '{part}' sheet of {path} has no {', '.join(missing)} column: it is not "
                                     "a summary of this plan, or it was written by an older plan-workbook or "
                                     "edited. Run merge again to make a new summary.")
                out[name] += [dict(zip(header, r, strict=True)) for r in rows[1:]]
        return out
    finally:
        wb.close()


def _parts(name: str, sheets: Sequence[str]) -> list[str]:
    """A table's sheet and the sheets it continues on, in order: Issues, Issues (2), Issues (3)..."""
    parts, n = [name], 2
    while f"{name} ({n})" in sheets:
        parts.append(f"{name} ({n})")
        n += 1
    return parts
