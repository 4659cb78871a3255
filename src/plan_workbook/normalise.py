"""The published automatic fixes: statuses, leads and time frames read the way a person would.

Each function returns the fixed value and leaves reporting to the caller, which keeps the original.
"""

from __future__ import annotations

import calendar
import difflib
import functools
import re
from datetime import date, datetime

from .plan import Plan

SPACES = " \t\n\r\u00a0\u2007\u202f"
LEAD_SEPARATORS = re.compile(r"\s*[/,&;+]\s*")
AND = re.compile(r"\s+and\s+", re.IGNORECASE)


def trim(text: str) -> str:
    return text.strip(SPACES)


def match_status(plan: Plan, text: str) -> str | None:
    """The plan's status for a name or alias in any case ('green', 'G'), else None."""
    return plan.status_index.get(trim(text).casefold())


def match_leads(plan: Plan, text: str) -> tuple[list[str], list[str]]:
    """Split a lead into plan partners. Returns (names in order, parts that match no partner).

    A whole-cell match wins, so 'Hinckley and Bosworth' is one partner, not two."""
    index = plan.partner_index

    def find(part: str) -> str | None:
        return index.get(" ".join(part.split()).casefold())

    whole = find(text)
    if whole:
        return [whole], []
    names: list[str] = []
    unknown: list[str] = []
    for part in filter(None, (trim(p) for p in LEAD_SEPARATORS.split(text))):
        hit = find(part)
        if hit:
            names.append(hit)
            continue
        pieces = [trim(p) for p in AND.split(part)]
        hits = [find(p) for p in pieces]
        if len(pieces) > 1 and all(hits):
            names += [h for h in hits if h]
        else:
            unknown.append(part)
    return list(dict.fromkeys(names)), unknown


def closest_partner(plan: Plan, text: str) -> str | None:
    key = ("closest", text)
    if key not in plan.memo:  # difflib over every name: the same misspelling recurs across returns
        index = plan.partner_index
        close = difflib.get_close_matches(trim(text).casefold(), list(index), n=1, cutoff=0.6)
        plan.memo[key] = index[close[0]] if close else None
    found: str | None = plan.memo[key]
    return found


def suggest_partners(plan: Plan, text: str, n: int = 3) -> list[str]:
    """Returning partners close to a mistyped name: the closest by name or alias first."""
    close = difflib.get_close_matches(trim(text), plan.returning_partners, n=n, cutoff=0.4)
    by_alias = closest_partner(plan, text)
    if by_alias in plan.returning_partners and by_alias not in close:
        close.insert(0, by_alias)
    return close[:n]


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _year(text: str) -> int:
    y = int(text)
    return y + 2000 if y < 100 else y


_PREFIX = re.compile(r"^(by|end of|end|before|due)\s+", re.IGNORECASE)
_MONTH_NAME = re.compile(r"^([a-z]{3,9})\.?[\s\-/']*(\d{2}|\d{4})$", re.IGNORECASE)
_MONTH_NUM = re.compile(r"^(\d{1,2})\s*[/.\-]\s*(\d{4})$")
_ISO_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_QUARTER = re.compile(r"^q([1-4])\s*(?:fy\s*)?(\d{2}|\d{4})\s*[/\-]\s*(\d{2}|\d{4})$", re.IGNORECASE)
_MONTHS = tuple(calendar.month_name[i].lower() for i in range(1, 13))  # month_name calls strftime each time
_FIN_YEAR = re.compile(r"^(?:fy\s*)?(\d{2}|\d{4})\s*[/\-]\s*(\d{2}|\d{4})$", re.IGNORECASE)
ONGOING = {"ongoing", "on-going", "on going"}


def parse_time_frame(value: object) -> tuple[date | None, bool]:
    """(due date, understood). Month forms give the month's last day; a quarter or a
    financial year (April to March) gives its last day; 'Ongoing' is understood with no date."""
    if isinstance(value, datetime):
        return value.date(), True
    if isinstance(value, date):
        return value, True
    if not isinstance(value, str):
        return None, False
    return _parse_text(value)


@functools.lru_cache(maxsize=4096)  # a few dozen distinct time frames recur in every return
def _parse_text(value: str) -> tuple[date | None, bool]:
    text = _PREFIX.sub("", " ".join(trim(value).split()))
    if text.casefold() in ONGOING:
        return None, True
    m = _QUARTER.match(text)
    if m and _year(m.group(3)) == _year(m.group(2)) + 1:
        q, start = int(m.group(1)), _year(m.group(2))
        month = {1: 6, 2: 9, 3: 12, 4: 3}[q]
        return _month_end(start + 1 if q == 4 else start, month), True
    m = _MONTH_NAME.match(text)
    if m:
        word = m.group(1).lower()
        month = 9 if word == "sept" else next((i for i, name in enumerate(_MONTHS, 1) if name.startswith(word)), 0)
        if month:
            return _month_end(_year(m.group(2)), month), True
    m = _MONTH_NUM.match(text) or None
    if m and 1 <= int(m.group(1)) <= 12:
        return _month_end(int(m.group(2)), int(m.group(1))), True
    m = _ISO_MONTH.match(text)
    if m and 1 <= int(m.group(2)) <= 12:
        return _month_end(int(m.group(1)), int(m.group(2))), True
    m = _ISO_DATE.match(text)
    if m:
        try:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3))), True
        except ValueError:
            return None, False
    m = _FIN_YEAR.match(text)
    if m and _year(m.group(2)) == _year(m.group(1)) + 1:
        return date(_year(m.group(2)), 3, 31), True
    return None, False
