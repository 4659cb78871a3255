"""Time Frame text to a due date, read the way people in the UK write dates (day first).

Each form below is listed in the README, and a test holds the README to this table. A form that is not
understood is never guessed: the caller reports it and keeps the text as typed.
"""

from __future__ import annotations

import calendar
import functools
import re
from datetime import date, datetime

from .normalise import trim

# Words that mean "no single due date": the action recurs or runs throughout.
ONGOING = frozenset({"ongoing", "on-going", "on going", "continuous", "weekly", "monthly", "quarterly",
                     "annually", "annual", "yearly"})
_MONTHS = {name.lower(): i for i in range(1, 13)
           for name in (calendar.month_name[i], calendar.month_abbr[i])} | {"sept": 9}
_PREFIX = re.compile(r"^(?:(?:to be )?(?:completed |done )?(?:by|before|due)\s+)?(?:the\s+)?(?:end\s+(?:of\s+)?)?",
                     re.IGNORECASE)
_Y = r"(\d{2}|\d{4})"  # a year: two digits mean 20xx
_SEP = r"\s*[/.\-]\s*"
_QUARTER = re.compile(rf"q([1-4])\s*(?:fy\s*)?{_Y}\s*[/\-]\s*{_Y}", re.IGNORECASE)
_FIN_YEAR = re.compile(rf"(?:fy\s*)?{_Y}\s*[/\-]\s*{_Y}", re.IGNORECASE)
_DAY_NUM = re.compile(rf"(\d{{1,2}}){_SEP}(\d{{1,2}}){_SEP}{_Y}")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DAY_WORD = re.compile(rf"(\d{{1,2}})(?:st|nd|rd|th)?[\s\-/.]*(?:of\s+)?([a-z]+)\.?[\s\-/.,']*{_Y}", re.IGNORECASE)
_WORD_DAY = re.compile(r"([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})", re.IGNORECASE)
_MONTH_WORD = re.compile(rf"([a-z]+)\.?[\s\-/.,']*{_Y}", re.IGNORECASE)
_MONTH_NUM = re.compile(r"(\d{1,2})\s*[/.\-]\s*(\d{4})")
_ISO_MONTH = re.compile(r"(\d{4})-(\d{1,2})")
_RANGE = re.compile(r"\s*(?:-|–|—|\bto\b|\buntil\b|\btill\b)\s*", re.IGNORECASE)

# The forms, in the order they are tried; (name, example, due date of the example) for the README and tests.
FORMS: tuple[tuple[str, str, date | None], ...] = (
    ("ongoing or recurring", "Ongoing, Monthly, Quarterly, Annually", None),
    ("quarter of a financial year (April to March)", "Q3 2021/22", date(2021, 12, 31)),
    ("financial year", "2022/23", date(2023, 3, 31)),
    ("day, month, year in figures, day first", "31/03/2022", date(2022, 3, 31)),
    ("the same, short", "31/3/22", date(2022, 3, 31)),
    ("ISO date", "2022-03-31", date(2022, 3, 31)),
    ("day, month name, year", "31 March 2022", date(2022, 3, 31)),
    ("the same, short", "31-Mar-22", date(2022, 3, 31)),
    ("month name, year (the month's last day)", "Oct 21", date(2021, 10, 31)),
    ("the same, long", "October 2021", date(2021, 10, 31)),
    ("month and year in figures", "10/2021", date(2021, 10, 31)),
    ("ISO month", "2021-11", date(2021, 11, 30)),
    ("a range (due at its end)", "Apr-Jun 22", date(2022, 6, 30)),
    ("with by / end of", "by end of March 2022", date(2022, 3, 31)),
)


def parse_time_frame(value: object) -> tuple[date | None, bool]:
    """(due date, understood). A real date cell is its own due date; words that mean the action runs
    throughout (Ongoing, Monthly, ...) are understood with no date."""
    if isinstance(value, datetime):
        return value.date(), True
    if isinstance(value, date):
        return value, True
    if not isinstance(value, str):
        return None, False
    return _parse_text(value)


@functools.lru_cache(maxsize=4096)  # a few dozen distinct time frames recur in every return
def _parse_text(value: str) -> tuple[date | None, bool]:
    text = " ".join(trim(value).split())
    if text.casefold().rstrip(".") in ONGOING:
        return None, True
    text = _PREFIX.sub("", text, count=1)
    due = _date(text)
    if due is None:
        due = _range_end(text)
    return due, due is not None


def _date(text: str) -> date | None:
    """A single point in time, or None."""
    if m := _QUARTER.fullmatch(text):
        q, start, end = int(m.group(1)), _year(m.group(2)), _year(m.group(3))
        if end != start + 1:
            return None
        return _month_end(start + 1 if q == 4 else start, {1: 6, 2: 9, 3: 12, 4: 3}[q])
    if (m := _FIN_YEAR.fullmatch(text)) and _year(m.group(2)) == _year(m.group(1)) + 1:
        return _day(_year(m.group(2)), 3, 31)
    if m := _DAY_NUM.fullmatch(text):
        return _day(_year(m.group(3)), int(m.group(2)), int(m.group(1)))
    if m := _ISO_DATE.fullmatch(text):
        return _day(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if (m := _DAY_WORD.fullmatch(text)) and m.group(2).lower() in _MONTHS:
        return _day(_year(m.group(3)), _MONTHS[m.group(2).lower()], int(m.group(1)))
    if (m := _WORD_DAY.fullmatch(text)) and m.group(1).lower() in _MONTHS:
        return _day(int(m.group(3)), _MONTHS[m.group(1).lower()], int(m.group(2)))
    if (m := _MONTH_WORD.fullmatch(text)) and m.group(1).lower() in _MONTHS:
        return _month_end(_year(m.group(2)), _MONTHS[m.group(1).lower()])
    if m := _MONTH_NUM.fullmatch(text):
        return _month_end(int(m.group(2)), int(m.group(1)))
    if m := _ISO_MONTH.fullmatch(text):
        return _month_end(int(m.group(1)), int(m.group(2)))
    return None


def _range_end(text: str) -> date | None:
    """'Apr-Jun 22', 'Oct 21 - Mar 22', 'April to June 2022': due at the end of the range. Every split
    point is tried, since '-' also joins the parts of a date."""
    for m in _RANGE.finditer(text):
        start, end = text[: m.start()], text[m.end():]
        due = _date(end)
        if due is not None and (start.lower().rstrip(".") in _MONTHS or _date(start) is not None):
            return due
    return None


def _year(text: str) -> int:
    y = int(text)
    return y + 2000 if len(text) == 2 else y


def _day(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:  # 31/02, month 13, year 0
        return None


def _month_end(year: int, month: int) -> date | None:
    if not (1 <= year <= 9999 and 1 <= month <= 12):
        return None
    return date(year, month, calendar.monthrange(year, month)[1])
