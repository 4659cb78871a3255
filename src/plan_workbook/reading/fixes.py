"""The published automatic fixes, applied to one return's rows where it is read (in a worker process).

Kept apart from the rules (validate.py) so that the workers never import pandas or pandera: each fixed row
becomes an Action, and every fix is reported with the original value.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from ..plan import ROLES, Plan
from ..problems import Code, Problem, short
from ..sources.source import Source
from .normalise import SPACES, match_leads, match_status, trim
from .reader import Return, read_return
from .rows import ROLE_INDEX, Row, Values, display
from .timeframes import parse_time_frame


@dataclass(slots=True)  # not frozen, as Row (rows.py): built for every action, twice
class Action:
    """A started row after the published automatic fixes: what the summary shows."""

    partner: str
    row: Row
    values: Values  # each role's text shown in the summary (time frame keeps a real date as a date)
    due: date | None
    lead_known: bool = True  # every part of the lead is a plan partner (or there is no lead)
    time_frame_understood: bool = True  # the time frame parsed (or there is none)
    bad_status: str = ""  # a status typed that is not the plan's: an error, never shown as a status
    update_is_example: bool = False  # the Update is still an example's own text

    def __reduce__(self) -> tuple[Any, ...]:
        # a plain tuple, as for Row: loaded in the parent for every action of every return
        return Action, (self.partner, self.row, self.values, self.due, self.lead_known, self.time_frame_understood,
                        self.bad_status, self.update_is_example)

    @property
    def status(self) -> str:
        return str(self.values["status"] or "")

    def in_period(self, plan: Plan) -> bool:
        return self.due is None or plan.period_start <= self.due <= plan.period_end


def _example_texts(plan: Plan, priority: str, role: str) -> frozenset[str]:
    """The examples' own text for one role of a priority, as printed in the template."""
    return plan.example_texts.get((priority, role), frozenset())


Leads = dict[str, tuple[list[str], list[str]]]  # a lead as typed -> match_leads' answer, for one return's rows


def _fix(plan: Plan, partner: str, row: Row, problems: list[Problem], leads: Leads) -> Action:
    """Apply the automatic fixes to one row, reporting each with the original value."""

    def note(role: str, code: Code, typed: Any, **params: str) -> None:
        problems.append(Problem.of(row.file, row.sheet, row.cell(role), code, plan.column(role).header,
                                   display(typed), **params))

    out: list[Any] = []
    for role, raw in zip(ROLES, row.values, strict=True):
        if isinstance(raw, str):  # (the checks in order of how often: this runs for every cell of every row)
            text = raw.strip(SPACES)  # trim(), without the call
            if text != raw and text:
                note(role, "spaces-trimmed", raw)
            out.append(text or None)
        elif raw is None:
            out.append(None)
        else:
            out.append(trim(display(raw)) or None)
    status, bad_status = out[_STATUS], ""
    if status:
        found = match_status(plan, status)
        if found is None:  # reported by the rules; never shown or counted as a status
            out[_STATUS], bad_status = None, status
        elif found != status:
            note("status", "status-normalised", row.values["status"], original=short(status), fixed=found)
            out[_STATUS] = found
    lead, unknown = out[_LEAD], list[str]()
    if lead:
        if lead not in leads:  # most rows of a return name the same few leads
            leads[lead] = match_leads(plan, lead)
        names, unknown = leads[lead]
        joined = " / ".join(names)
        if not unknown and joined != lead:
            if lead not in _example_texts(plan, row.priority, "lead"):  # the template's own wording: nothing to say
                note("lead", "lead-normalised", row.values["lead"], original=short(lead), fixed=short(joined))
            out[_LEAD] = joined
    raw_time = row.values["time_frame"]
    due, understood = parse_time_frame(out[_TIME_FRAME] if isinstance(raw_time, str) else raw_time)
    if isinstance(raw_time, date):  # a real Excel date (calamine gives date or datetime) stays a date
        out[_TIME_FRAME] = due
    update = out[_UPDATE]
    # nothing fixed (most rows): the row's own values for both, in the worker and in the parent
    values = Values(out)
    if values == row.values:
        values = row.values
    return Action(partner, row, values, due, lead_known=not unknown,
                  time_frame_understood=understood or out[_TIME_FRAME] is None, bad_status=bad_status,
                  update_is_example=bool(update) and update in _example_texts(plan, row.priority, "update"))


_STATUS, _LEAD, _TIME_FRAME, _UPDATE = (ROLE_INDEX[r] for r in ("status", "lead", "time_frame", "update"))


def fix_rows(plan: Plan, partner: str, rows: list[Row]) -> tuple[list[Action], list[Problem]]:
    """The automatic fixes for one return's rows: cheap, so they run where the return is read."""
    problems: list[Problem] = []
    leads: Leads = {}
    return [_fix(plan, partner, row, problems, leads) for row in rows], problems



Read = tuple[Return, list[Action], list[Problem]]


def read_and_fix(plan: Plan, source: Source, debug: bool = False) -> Read:
    """One return read, with the automatic fixes applied to its rows: the per-file work, done in a worker. A
    return sent by email is checked against its partner's email domains."""
    ret = read_return(plan, source, debug=debug)
    ret.problems += check_sender(plan, ret.partner, source)
    actions, problems = fix_rows(plan, ret.partner or "", ret.rows)
    return ret, actions, problems


def check_sender(plan: Plan, partner_name: str | None, source: Source) -> list[Problem]:
    """A return from an email domain the plan does not list for its partner: a warning naming both (the
    partner is still the one the workbook names)."""
    partner = next((p for p in plan.partners if p.name == partner_name), None)
    domain = source.sender.rsplit("@", 1)[-1].strip().lower() if "@" in source.sender else ""
    if partner is None or not partner.domains or not domain:
        return []
    if any(domain == d or domain.endswith("." + d) for d in partner.domains):
        return []
    return [Problem.of(source.name, "", "", "sender-unexpected", value=source.sender, sender=source.sender,
                       domains=" or ".join(partner.domains), partner=partner.name)]
