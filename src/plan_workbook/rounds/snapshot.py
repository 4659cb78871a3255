"""One round as the round store keeps it and the trend reads it: plain records keyed by role, never by the plan's
column headings or the words a sheet shows people, so rounds compare across a plan that renamed its headings.

A snapshot is made from a Result (this round) or loaded from the store (earlier rounds); the trend, the action
histories, the stuck list and partner timeliness are all worked out from a list of snapshots, oldest first.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from sys import intern
from typing import TYPE_CHECKING

from ..reading.rows import Values, display

if TYPE_CHECKING:
    from ..merge import PartnerState, Result
    from ..reading.fixes import Action
    from .compare import Change


@dataclass(frozen=True, slots=True)
class ActionRecord:
    """One action of a round, after the automatic fixes."""

    partner: str
    priority: str  # the priority's full title
    values: Values  # each role's text (plan.ROLES), as the summary shows it
    due: date | None
    file: str  # the return it is in (Source.name)
    sheet: str
    cell: str  # the Action cell in the partner's sheet ("D7"), or the row's first cell where there is no Action column
    change: str  # its change since the round before (compare.ChangeKind), "" in a first round

    @property
    def status(self) -> str:
        status: str = self.values["status"]
        return status


@dataclass(frozen=True)
class PartnerRecord:
    """Where one returning partner stood at the end of a round."""

    partner: str
    state: PartnerState
    errors: int  # in the returns that count for the partner (set-aside copies and superseded returns excluded)
    warnings: int
    received: datetime | None  # the earliest email Date of its counted returns; None for files or no return


@dataclass(frozen=True)
class Snapshot:
    name: str  # "Q3 2021/22"
    as_of: date
    partners: tuple[PartnerRecord, ...]  # in the plan's order
    actions: tuple[ActionRecord, ...]  # in file order


def snapshot(result: Result, name: str, as_of: date, changes: Iterable[Change] = ()) -> Snapshot:
    """This round's snapshot, each action with its change since last round when `changes` (compare.compare) are
    given. One snapshot serves the trend and the round store."""
    where = {c.where: c.change for c in changes}
    severities = Counter((p.file, p.severity) for p in result.problems)
    counted: dict[str, list[str]] = {}
    for ret in result.returns:
        partner = result.partner_of(ret)
        if partner and not ret.set_aside:
            counted.setdefault(partner, []).append(ret.file)
    partners = []
    for partner, state in result.partner_states.items():
        files = counted.get(partner, [])
        times = [t for f in files if (s := result.sources.get(f)) is not None and s.via is not None
                 and (t := s.received) is not None]
        partners.append(PartnerRecord(partner, state, sum(severities[f, "error"] for f in files),
                                      sum(severities[f, "warning"] for f in files), min(times, default=None)))
    actions = tuple(
        ActionRecord(a.partner, a.row.priority, _texts(a.values), a.due, a.row.file, a.row.sheet,
                     intern(a.row.cell("action") or source.split("!")[-1]),  # a few cells, in many returns
                     where.get(f"{a.row.file} {source}", "") if where else "")
        for a, source in zip(result.actions, sources(result.actions) if where else _no_sources(result.actions),
                             strict=True))
    return Snapshot(name, as_of, tuple(partners), actions)


def _no_sources(actions: Sequence[Action]) -> Iterator[str]:
    """In a first round (no changes to look up) only a row with no Action column needs its source cell."""
    for a in actions:
        yield "" if a.row.columns["action"] else a.row.source


_ONLY_TEXT = frozenset({str})


def _texts(values: Values) -> Values:
    """An action's values as text; the action's own where they all are (most actions: no second copy)."""
    if set(map(type, values)) == _ONLY_TEXT:
        return values
    return Values([v if v.__class__ is str else display(v) for v in values])


def sources(actions: Sequence[Action]) -> Iterator[str]:
    """Each action's Source cell, as Row.source gives it ('Sheet'!A10), one at a time (a large round's would be
    tens of megabytes at once); the first column present is found once for each sheet (whose rows share one
    mapping of columns), not once for each row."""
    first: dict[int, str] = {}
    for a in actions:
        row = a.row
        letter = first.get(id(row.columns))
        if letter is None:
            letter = first[id(row.columns)] = next((x for x in row.columns.values() if x), "A")
        yield f"'{row.sheet}'!{letter}{row.row}"
