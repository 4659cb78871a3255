"""Challenge the green: "watermelon" reporting (green outside, red inside) that the board should question.

Each rule is a problem code of severity `note` (for the coordinator and the board, never chased), listed on
the board page under "For challenge" with its partner, cell and reason. The thresholds come from the plan's
optional `[challenge]` table. The rules that look back need last round's summary (`--previous`); the one
about an update unchanged for two rounds reads what last round's summary recorded as that action's change.
"""

from __future__ import annotations

import re
from datetime import date
from sys import intern

from ..merge import Result
from ..plan import Challenge
from ..problems import Code, Problem, as_params, short
from ..reading.fixes import Action
from ..reading.timeframes import parse_time_frame
from .compare import match_previous

# The rules, in the order the board page lists them: (code, what it asks), for the README and the page.
RULES: tuple[tuple[Code, str], ...] = (
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


# What every match of the two patterns holds (a month's first letters, or a digit before / . or -), which is quick
# to look for: casefold() maps every letter re.IGNORECASE matches to a month's letters onto them (the long s too).
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_SEPARATED = re.compile(r"\d\s*[/.\-]")


def challenges(result: Result, as_of: date, previous: list[dict[str, str]] | None = None,
               settings: Challenge | None = None, lasts: list[dict[str, str] | None] | None = None) -> list[Problem]:
    """Every challenge flag for this round's actions, in the actions' order; `previous` is last round's actions
    (compare.read_previous), `settings` the thresholds (default: the plan's), `lasts` compare.match_previous of
    `previous` where the caller has it already."""
    plan = result.plan
    rules = settings or plan.challenge
    needs_update = {s.name for s in plan.statuses if s.update_required}
    rank = {name: i for i, name in enumerate(plan.status_names)}  # worst first
    if lasts is None:
        lasts = match_previous(result, previous) if previous else [None] * len(result.actions)
    out: list[Problem] = []

    pairs: dict[tuple[str, str], tuple[str, str]] = {}  # a parameter shared by many flags (a status, a due date)

    def flag(a: Action, code: Code, role: str, value: str, /, **params: object) -> None:
        shared = tuple(p if p[0] == "action" else pairs.setdefault(p, p)
                       for p in as_params({"action": short(_action(a), 60), **params}))
        out.append(Problem(a.row.file, a.row.sheet, intern(a.row.cell(role)), code, shared, plan.column(role).header,
                           value))

    status_header, update_header = plan.column("status").header, plan.column("update").header
    time_frame_header = plan.column("time_frame").header
    days: dict[date, str] = {}  # each due date's text, made once: the flags of a large round share a few dates
    for a, last in zip(result.actions, lasts, strict=True):
        if not _action(a).strip():
            continue  # a row with no Action is an error the partner must fix first, not an action to challenge
        raw = a.values["update"]
        words = str(raw or "").split()
        update = " ".join(words)
        if update == raw:
            update = raw  # the partner's own string, not a second copy of it (kept by any flag)

        if (a.due and (as_of - a.due).days > rules.overdue_grace_days and a.status != plan.done_status
                and not mentions_new_date(update, a.due)):
            due = days.get(a.due) or days.setdefault(a.due, f"{a.due:%d %b %Y}")
            flag(a, "challenge-overdue-no-date", "update", update, due=due,
                 **({"status": a.status} if a.status else {"variant": "no-status"}))
        if a.status in needs_update and 0 < len(words) < rules.min_update_words:
            flag(a, "challenge-update-short", "update", update, status=a.status, words=len(words),
                 update=short(update, 60))
        if last is None:
            continue
        before = last.get(status_header, "")
        old_update = last.get(update_header, "")
        same_update = bool(update) and (update == old_update or update == " ".join(old_update.split()))
        if same_update and rank.get(a.status, -1) > rank.get(before, len(rank)) >= 0:
            flag(a, "challenge-improved-same-update", "status", update, before=before, status=a.status)
        if same_update and (rules.stale_rounds == 1 or last.get("Change") == "update unchanged"):
            flag(a, "challenge-update-stale", "update", update, rounds=rules.stale_rounds)
        slipped = _slipped(a, last, time_frame_header, rules.slip_days)
        if slipped:
            flag(a, "challenge-due-slipped", "time_frame", str(a.values["time_frame"] or ""), **slipped)
    return out


def add_challenges(result: Result, as_of: date, previous: list[dict[str, str]] | None = None,
                   lasts: list[dict[str, str] | None] | None = None) -> list[Problem]:
    """The challenge flags, also added to the result's problems (so to Issues), after each file's own."""
    flags = challenges(result, as_of, previous, lasts=lasts)
    order = {r.file: i for i, r in enumerate(result.returns)}
    result.problems = sorted([*result.problems, *flags], key=lambda p: order.get(p.file, len(order)))  # stable
    return flags


def mentions_new_date(update: str, due: date) -> bool:
    """Whether an update gives a date later than `due` (a month alone, 'by June', counts as a new date)."""
    folded = update.casefold()
    month = any(m in folded for m in _MONTHS)
    if month and _MONTH_ONLY.search(update):
        return True
    if not month and not _SEPARATED.search(update):
        return False  # a quick look first: neither pattern can match, and most updates have no date
    for m in _DATE_PHRASE.finditer(update):
        found, _ = parse_time_frame(m.group(0))
        if found is not None and found > due:
            return True
    return False


def _action(a: Action) -> str:
    return str(a.values["action"] or "")


def _slipped(a: Action, last: dict[str, str], time_frame_header: str, slip_days: int) -> dict[str, str]:
    """How the due date moved later since last round (the challenge-due-slipped parameters), or {} when it
    did not."""
    before = _due(last, time_frame_header)
    if before is None:
        return {}
    if a.due is None:
        if str(a.values["time_frame"] or "").strip().casefold() in {"", *_ONGOING}:
            return {"variant": "no-date", "before": f"{before:%d %b %Y}"}
        return {}  # a time frame not understood is its own warning
    if (a.due - before).days > slip_days:
        return {"variant": "later", "before": f"{before:%d %b %Y}", "due": f"{a.due:%d %b %Y}"}
    return {}


_ONGOING = frozenset({"ongoing", "on-going", "on going", "continuous"})


def _due(row: dict[str, str], time_frame_header: str) -> date | None:
    """Last round's due date: its time frame read again (a real date is kept as one in the record)."""
    return parse_time_frame(row.get(time_frame_header, ""))[0]
