"""Challenge the green: "watermelon" reporting (green outside, red inside) that the board should question.

Each rule is a problem code of severity `note` (for the coordinator and the board, never chased), listed on
the board page under "For challenge" with its partner, cell and reason. The thresholds come from the plan's
optional `[challenge]` table. The rules that look back need last round's summary (`--previous`); the one
about an update unchanged for two rounds also reads last round's own Changes sheet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import python_calamine

from .compare import PRIORITY_HEADERS, _best
from .fixes import Action
from .merge import Result
from .problems import Problem, short
from .readback import read_summary
from .timeframes import parse_time_frame

# The rules, in the order the board page lists them: (code, what it asks), for the README and the page.
RULES: tuple[tuple[str, str], ...] = (
    ("challenge-overdue-no-date", "past its due date, not done, and the update gives no new date"),
    ("challenge-update-short", "at a status that needs an update, with an update of only a few words"),
    ("challenge-improved-same-update", "status improved since last round, but the update is last round's"),
    ("challenge-update-stale", "the same update for two rounds running"),
    ("challenge-due-slipped", "due date moved later since last round"),
)

_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
# Date phrases an update may give as a new date; each is read by the Time Frame parser.
_DATE_PHRASE = re.compile(
    rf"\bq[1-4]\s*\d{{2,4}}\s*/\s*\d{{2,4}}\b|\b\d{{1,2}}\s*[/.\-]\s*\d{{1,2}}\s*[/.\-]\s*\d{{2,4}}\b"
    rf"|\b\d{{4}}-\d{{1,2}}-\d{{1,2}}\b|\b(?:\d{{1,2}}(?:st|nd|rd|th)?\s+)?{_MONTH},?\s+\d{{2,4}}\b"
    rf"|\b\d{{4}}\s*/\s*\d{{2}}\b", re.IGNORECASE)
# "by June", "until September": a month with no year, which people write for the coming one.
_MONTH_ONLY = re.compile(rf"\b(?:by|in|until|till|to|for|from|before|during|end of)\s+{_MONTH}(?!\s*\d)",
                         re.IGNORECASE)


@dataclass(frozen=True)
class Challenge:
    """The thresholds, from the plan's optional [challenge] table."""

    overdue_grace_days: int = 0  # days past due before an action with no new date is flagged
    min_update_words: int = 5  # fewer words than this in a Red or Amber update is flagged
    stale_rounds: int = 2  # rounds an update may stay the same before it is flagged (1 or 2)
    slip_days: int = 0  # days a due date may move later since last round before it is flagged


@dataclass(frozen=True)
class Previous:
    """Last round, as far as the challenge rules need it: its actions and its own Changes sheet."""

    actions: list[dict[str, str]]  # compare.read_previous
    changes: list[dict[str, str]]  # last round's Changes sheet; empty when it had none

    @classmethod
    def read(cls, path: Path, actions: list[dict[str, str]]) -> Previous:
        return cls(actions, read_changes(path))


def read_changes(path: Path) -> list[dict[str, str]]:
    """Last round's Changes sheet (it has one when that round was itself compared with the one before)."""
    wb = python_calamine.CalamineWorkbook.from_path(str(path))
    try:
        present = "Changes" in wb.sheet_names
    finally:
        wb.close()
    if not present:
        return []
    rows = read_summary(path, {"Changes": ["Partner", "Action", "Change", "Update"]})["Changes"]
    return [{k: str(v) for k, v in row.items()} for row in rows]


def challenges(result: Result, as_of: date, previous: Previous | None = None,
               settings: Challenge | None = None) -> list[Problem]:
    """Every challenge flag for this round's actions, in the actions' order."""
    plan = result.plan
    rules = settings or Challenge()
    needs_update = {s.name for s in plan.statuses if s.update_required}
    rank = {name: i for i, name in enumerate(plan.status_names)}  # worst first
    matched = _matches(result, previous.actions) if previous else {}
    out: list[Problem] = []
    for a in result.actions:
        if not _action(a).strip():
            continue  # a row with no Action is an error the partner must fix first, not an action to challenge
        update = " ".join(str(a.values["update"] or "").split())
        last = matched.get(id(a))

        def flag(code: str, role: str, message: str, value: str = "", action: Action = a) -> None:
            out.append(Problem(action.row.file, action.row.sheet, action.row.cell(role), code,
                               message, column=plan.column(role).header, value=value))

        if (a.due and (as_of - a.due).days > rules.overdue_grace_days and a.status != plan.done_status
                and not mentions_new_date(update, a.due)):
            flag("challenge-overdue-no-date", "update",
                 f"'{short(_action(a), 60)}' was due {a.due:%d %b %Y} and is {a.status or 'without a status'}, "
                 f"but the update gives no new date.", update)
        words = len(update.split())
        if a.status in needs_update and 0 < words < rules.min_update_words:
            flag("challenge-update-short", "update",
                 f"'{short(_action(a), 60)}' is {a.status} but its update is only {words} word(s): "
                 f"'{short(update, 60)}'.", update)
        if last is None:
            continue
        before = last.get(plan.column("status").header, "")
        old_update = " ".join(last.get(plan.column("update").header, "").split())
        same_update = bool(update) and update == old_update
        if same_update and rank.get(a.status, -1) > rank.get(before, len(rank)) >= 0:
            flag("challenge-improved-same-update", "status",
                 f"'{short(_action(a), 60)}' moved from {before} to {a.status}, but the update is the same as "
                 "last round's.", update)
        if same_update and _stale(previous, last, plan.column("action").header, rules.stale_rounds):
            flag("challenge-update-stale", "update",
                 f"'{short(_action(a), 60)}' has had the same update for {rules.stale_rounds} rounds running.",
                 update)
        slipped = _slipped(a, last, plan.column("time_frame").header, rules.slip_days)
        if slipped:
            flag("challenge-due-slipped", "time_frame", f"'{short(_action(a), 60)}' {slipped}.",
                 str(a.values["time_frame"] or ""))
    return out


def mentions_new_date(update: str, due: date) -> bool:
    """Whether an update gives a date later than `due` (a month alone, 'by June', counts as a new date)."""
    if _MONTH_ONLY.search(update):
        return True
    for m in _DATE_PHRASE.finditer(update):
        found, _ = parse_time_frame(m.group(0))
        if found is not None and found > due:
            return True
    return False


def _action(a: Action) -> str:
    return str(a.values["action"] or "")


def _matches(result: Result, previous: list[dict[str, str]]) -> dict[int, dict[str, str]]:
    """id(action) -> last round's row for the same action, matched as the Changes sheet matches them."""
    header = result.plan.column("action").header
    by_key: dict[tuple[str, str], list[dict[str, str]]] = {}
    for old in previous:
        priority = next((old[h] for h in ("Priority", *PRIORITY_HEADERS) if h in old), "")
        by_key.setdefault((old.get("Partner", ""), priority), []).append(old)
    out: dict[int, dict[str, str]] = {}
    taken: set[int] = set()
    for a in result.actions:
        candidates = [o for o in by_key.get((a.partner, a.row.priority), []) if id(o) not in taken]
        last = _best(_action(a), candidates, header)
        if last is not None:
            taken.add(id(last))
            out[id(a)] = last
    return out


def _stale(previous: Previous | None, last: dict[str, str], action_header: str, rounds: int) -> bool:
    """The update is unchanged since last round, and (for two rounds) was unchanged in last round's Changes."""
    if rounds <= 1:
        return True
    if previous is None:
        return False
    text = " ".join(last.get(action_header, "").split())
    return any(c.get("Partner") == last.get("Partner") and " ".join(c.get("Action", "").split()) == text
               and c.get("Change") == "update unchanged" for c in previous.changes)


def _slipped(a: Action, last: dict[str, str], time_frame_header: str, slip_days: int) -> str:
    """Why the due date moved later since last round, or "" when it did not."""
    before = _due(last, time_frame_header)
    if before is None:
        return ""
    if a.due is None:
        if str(a.values["time_frame"] or "").strip().casefold() in {"", *_ONGOING}:
            return f"was due {before:%d %b %Y} last round and now has no due date"
        return ""  # a time frame not understood is its own warning
    if (a.due - before).days > slip_days:
        return f"was due {before:%d %b %Y} last round and is now due {a.due:%d %b %Y}"
    return ""


_ONGOING = frozenset({"ongoing", "on-going", "on going", "continuous"})


def _due(row: dict[str, str], time_frame_header: str) -> date | None:
    """Last round's due date: its Due column, or its time frame read again."""
    text = row.get("Due", "")
    try:
        return date.fromisoformat(text[:10]) if text else parse_time_frame(row.get(time_frame_header, ""))[0]
    except ValueError:
        return None
