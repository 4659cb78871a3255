"""Change since last round: match this round's actions to last round's summary, and say what moved.

An action matches last round's when the partner and priority are the same and the action text is the
same, or nearly the same (a reworded action keeps its history). Statuses are ranked in the plan's order,
worst first, so Amber to Green is an improvement and Green to Red a worsening.
"""

from __future__ import annotations

import difflib
import functools
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ..merge import Result
from ..plan import ROLES, Plan
from ..reading.fixes import Action
from ..reading.rows import display
from .readback import read_data
from .snapshot import sources

NEARLY = 0.85  # difflib ratio of two action texts that are the same action reworded


ChangeKind = Literal["status changed", "new", "dropped", "no return this round", "update unchanged", "unchanged"]
Direction = Literal["improved", "worsened", "unchanged", ""]  # "": nothing to compare


@dataclass(frozen=True)
class Change:
    partner: str
    priority: str
    action: str
    change: ChangeKind
    before: str  # last round's status
    now: str  # this round's status
    direction: Direction
    update: str
    where: str  # this round's source cell, or last round's for a dropped action


def read_previous(plan: Plan, path: Path) -> list[dict[str, str]]:
    """Last round's actions from its summary's machine contract (read by role, so this round's plan may have
    renamed any heading), as text keyed by this plan's column headers, with Partner, Priority, Source file,
    Source cell and Change (its change the round before, as this round's Changes sheet has it)."""
    out = []
    for row in read_data(path, "Actions")["action"]:
        text = {plan.column(role).header: display(row[role]) for role in ROLES}
        text.update({"Partner": display(row["partner"]), "Priority": display(row["priority"]),
                     "Source file": display(row["file"]), "Source cell": display(row["cell"]),
                     "Change": display(row.get("change"))})
        out.append(text)
    return out


def compare(result: Result, previous: list[dict[str, str]],
            lasts: list[dict[str, str] | None] | None = None) -> list[Change]:
    plan = result.plan
    head = {r: plan.column(r).header for r in ("action", "status", "update")}
    rank = {name: i for i, name in enumerate(plan.status_names)}
    returned = {r.partner for r in result.returns if r.partner and r.readable and not r.set_aside}
    changes: list[Change] = []
    lasts = match_previous(result, previous) if lasts is None else lasts  # given when the challenges share it
    matched = {id(last) for last in lasts if last is not None}
    for a, last, source in zip(result.actions, lasts, sources(result.actions), strict=True):
        if last is None:
            changes.append(_change(a, source, "new", "", ""))
            continue
        before, now = last[head["status"]], a.status
        if before != now:
            direction: Direction = "improved" if rank.get(now, -1) > rank.get(before, -1) else "worsened"
            if before not in rank or now not in rank:
                direction = ""
            changes.append(_change(a, source, "status changed", before, direction))
        elif a.values["update"] and str(a.values["update"]) == last[head["update"]]:
            changes.append(_change(a, source, "update unchanged", before, "unchanged"))
        else:
            changes.append(_change(a, source, "unchanged", before, "unchanged"))
    for old in previous:
        if id(old) not in matched:
            gone: ChangeKind = "dropped" if old["Partner"] in returned else "no return this round"
            changes.append(Change(old["Partner"], old["Priority"], old[head["action"]], gone, old[head["status"]], "",
                                  "", old[head["update"]], f"{old['Source file']} {old['Source cell']}"))
    order = {p.title: i for i, p in enumerate(plan.priorities)}
    return sorted(changes, key=lambda c: (c.partner, order.get(c.priority, 99), c.change, c.action))


DIRECTIONS = ("Improved", "Worsened", "Unchanged", "New", "Dropped", "No return this round")


def direction_counts(result: Result, changes: list[Change]) -> list[list[Any]]:
    """Per priority and overall: improved, worsened, unchanged, new, dropped, and the actions of partners
    with no return this round (counted, so every action of last round is somewhere in the table)."""
    rows = []
    for title in [p.title for p in result.plan.priorities] + ["All priorities"]:
        mine = [c for c in changes if title in (c.priority, "All priorities")]
        rows.append([title, *(sum(1 for c in mine if c.direction == d) for d in ("improved", "worsened", "unchanged")),
                     *(sum(1 for c in mine if c.change == k) for k in ("new", "dropped", "no return this round"))])
    return rows


def match_previous(result: Result, previous: list[dict[str, str]]) -> list[dict[str, str] | None]:
    """Last round's row for each of this round's actions, in the actions' order (None: a new action), as the
    Changes sheet and the challenges match them: the same partner and priority and, in the actions' order, the
    first row left with the same text, else best_match among the rows left; a row goes to one action at most."""
    header = result.plan.column("action").header
    by_key: dict[tuple[str, str], list[dict[str, str]]] = {}
    by_text: dict[tuple[str, str, str], list[dict[str, str]]] = {}  # the same text: a look-up, not a scan
    for old in previous:
        by_key.setdefault((old["Partner"], old["Priority"]), []).append(old)
        by_text.setdefault((old["Partner"], old["Priority"], text_key(old[header])), []).append(old)
    for rows in by_text.values():
        rows.reverse()  # popped from the end: last round's order
    taken: set[int] = set()
    out: list[dict[str, str] | None] = []
    for a in result.actions:
        text = str(a.values["action"] or "")
        same = by_text.get((a.partner, a.row.priority, text_key(text)))
        last = None
        while same and last is None:
            if id(row := same.pop()) not in taken:
                last = row
        if last is None:  # no row left with the same text, so best_match looks only for nearly the same
            last = best_match(text, [o for o in by_key.get((a.partner, a.row.priority), []) if id(o) not in taken],
                              header)
        if last is not None:
            taken.add(id(last))
        out.append(last)
    return out


def best_match(text: str, candidates: list[dict[str, str]], header: str) -> dict[str, str] | None:
    """Last round's row for an action: the same text, or nearly the same (a reworded action keeps its history)."""
    key = text_key(text)
    keys = [text_key(o[header]) for o in candidates]
    for old, k in zip(candidates, keys, strict=True):
        if k == key:
            return old
    # An upper bound first (difflib's quick_ratio: the characters the two have in common), then ratio() itself,
    # which is slow, only for a candidate that may win; a ratio below NEARLY is never returned.
    mine = _chars(key)
    best, found = 0.0, None
    for old, k in zip(candidates, keys, strict=True):
        bar = max(best, NEARLY)
        total = len(key) + len(k)
        if 2.0 * min(len(key), len(k)) / total < bar:  # difflib's real_quick_ratio: the lengths alone
            continue
        if 2.0 * sum((mine & _chars(k)).values()) / total >= bar \
                and (r := difflib.SequenceMatcher(None, key, k).ratio()) >= bar:
            best, found = r, old
    return found if best >= NEARLY else None


@functools.lru_cache(maxsize=8192)  # the same texts are candidates for every action of their partner and priority
def _chars(text: str) -> Counter[str]:
    return Counter(text)


def text_key(text: str) -> str:
    """An action's text as matched: spaces collapsed, case folded."""
    return " ".join(text.split()).casefold()


def _change(a: Action, source: str, change: ChangeKind, before: str, direction: Direction) -> Change:
    return Change(a.partner, a.row.priority, str(a.values["action"] or ""), change, before, a.status, direction,
                  str(a.values["update"] or ""), f"{a.row.file} {source}")
