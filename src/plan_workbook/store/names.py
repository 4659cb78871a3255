"""A round's default name: the quarter of the plan's year that holds the as-of date."""

from __future__ import annotations

from datetime import date

from ..plan import Plan


def default_round_name(plan: Plan, as_of: date) -> str:
    """The plan's years start in the month its period starts (April for a plan from 2021-04, as the UK financial
    year): 2022-03-31 is then "Q4 2021/22". A plan whose period starts in January has calendar years: "Q1 2022"."""
    start = plan.period_start.month
    year = as_of.year if as_of.month >= start else as_of.year - 1
    quarter = (as_of.month - start) % 12 // 3 + 1
    return f"Q{quarter} {year}" if start == 1 else f"Q{quarter} {year}/{(year + 1) % 100:02d}"
