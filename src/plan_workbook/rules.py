"""Stage 4: check the fixed rows of every return with a pandera schema generated from the plan."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from .plan import ROLES, Plan
from .problems import CATALOGUE, Code, Problem, short
from .reading.fixes import Action
from .reading.normalise import closest_partner, match_leads
from .reading.rows import display, key


def schema(plan: Plan) -> pa.DataFrameSchema:
    """The rules, generated from the plan. Column names are roles; the index is the action number. Every check
    is named by the problem code it reports."""
    needs_update = [s.name for s in plan.statuses if s.update_required]
    statuses = plan.status_names

    def is_true(flags: pd.Series) -> pd.Series:
        return flags

    def is_false(flags: pd.Series) -> pd.Series:
        return ~flags

    def required(code: Code) -> pa.Check:
        return pa.Check(lambda values: values.notna(), ignore_na=False, name=code)

    return pa.DataFrameSchema(
        {
            "action": pa.Column(str, nullable=True, checks=required("action-missing")),
            "status": pa.Column(str, nullable=True, checks=[
                required("status-missing"), pa.Check(lambda values: values.isin(statuses), name="status-invalid")]),
            "lead": pa.Column(str, nullable=True, checks=required("lead-missing")),
            # matching leads and parsing time frames is done once per row by the fixes; checked here in bulk
            "lead_known": pa.Column(bool, checks=pa.Check(is_true, name="lead-unknown")),
            "time_frame": pa.Column(str, nullable=True, checks=required("time-frame-missing")),
            "time_frame_understood": pa.Column(bool, checks=pa.Check(is_true, name="time-frame-unparsed")),
            # a Python date, not a pandas timestamp: those end in 2262, and partners type 2300 or 2999
            "in_period": pa.Column(bool, checks=pa.Check(is_true, name="time-frame-outside-plan")),
            "update": pa.Column(str, nullable=True),
            "update_is_example": pa.Column(bool, checks=pa.Check(is_false, name="update-is-example")),
            # every copy after the first
            "same_action": pa.Column(str, checks=pa.Check(lambda keys: ~keys.duplicated(keep="first"),
                                                         name="action-duplicate")),
        },
        checks=[pa.Check(lambda df: ~(df["status"].isin(needs_update) & df["update"].isna()),
                         name="update-missing")],
    )


# The codes the rules report; each points at the cell of its column in the catalogue.
RULE_CODES: dict[str, Code] = {code: code for code in (
    "action-missing", "status-missing", "status-invalid", "lead-missing", "lead-unknown", "time-frame-missing",
    "time-frame-unparsed", "time-frame-outside-plan", "update-missing", "action-duplicate", "update-is-example")}
# A started row with no Action is one mistake: its other empty cells are not reported as well.
FOLLOWS_NO_ACTION = {"status-missing", "lead-missing", "time-frame-missing", "update-missing"}


def frame(plan: Plan, actions: list[Action]) -> pd.DataFrame:
    """The frame the schema checks, built column by column (a dict a row costs several times as much)."""
    by_role = dict(zip(ROLES, map(list, zip(*[a.values for a in actions], strict=True)), strict=True)) if actions \
        else {role: [] for role in ROLES}
    action, lead, time_frame, update = by_role["action"], by_role["lead"], by_role["time_frame"], by_role["update"]
    cols: dict[str, list[object]] = {
        "action": action,
        "status": [a.bad_status or status for a, status in zip(actions, by_role["status"], strict=True)],
        "lead": lead,
        "lead_known": [a.lead_known for a in actions],
        "time_frame": [display(t) if t is not None else None for t in time_frame],
        "time_frame_understood": [a.time_frame_understood for a in actions],
        "in_period": [a.in_period(plan) for a in actions],
        "update": update,
        "update_is_example": [a.update_is_example for a in actions],
        "same_action": ["\x1f".join([a.row.file, a.row.sheet, key(str(text))])
                        if text else f"\x1e{i}" for i, (a, text) in enumerate(zip(actions, action, strict=True))],
    }
    return pd.DataFrame(cols)


def check_actions(plan: Plan, actions: list[Action]) -> list[Problem]:
    """Check every fixed action in one lazy pandera pass; every failure becomes a Problem."""
    problems: list[Problem] = []
    if not actions:
        return problems
    df = frame(plan, actions)
    try:
        schema(plan).validate(df, lazy=True)
    except SchemaErrors as e:
        seen = set()
        firsts: dict[str, int] = {}  # each key's first row, found with the first duplicate (_problem)
        for case in e.failure_cases.itertuples(index=False):
            code = RULE_CODES.get(str(case.check))
            if code is None or pd.isna(case.index):
                raise RuntimeError(f"unexpected validation failure: {case}") from e  # a bug, not bad input
            i = int(case.index)
            if (code, i) not in seen and actions[i].row.cell(CATALOGUE[code].column):
                seen.add((code, i))  # a frame-wide check lists every column of a row: report it once
                problems.append(_problem(plan, code, actions, df, i, firsts))
    no_action = {(p.file, p.sheet, _row_of(p.cell)) for p in problems
                 if p.code == "action-missing"}
    return [p for p in problems
            if p.code not in FOLLOWS_NO_ACTION or (p.file, p.sheet, _row_of(p.cell)) not in no_action]


def _row_of(cell: str) -> str:
    return cell.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _problem(plan: Plan, code: Code, actions: list[Action], df: pd.DataFrame, i: int,
             firsts: dict[str, int]) -> Problem:
    action = actions[i]
    row, v = action.row, action.values
    role = CATALOGUE[code].column
    cell, header, value = row.cell(role), plan.column(role).header, display(row.values[role])
    statuses = ", ".join(plan.status_names)
    params: dict[str, object]
    if code in ("action-missing", "lead-missing", "time-frame-missing"):
        params = {"row": row.row}
    elif code == "status-missing":
        params = {"row": row.row, "statuses": statuses}
    elif code == "status-invalid":
        params = {"status": short(action.bad_status), "statuses": statuses}
    elif code == "lead-unknown":
        params = _unknown_leads(plan, str(v["lead"]))
    elif code in ("time-frame-unparsed", "update-is-example"):
        params = {"text": short(value, 60 if code == "update-is-example" else 80)}
    elif code == "time-frame-outside-plan":
        assert action.due is not None
        params = {"text": short(value), "due": f"{action.due.day} {action.due:%b} {action.due.year}",
                  "start": f"{plan.period_start:%B %Y}", "end": f"{plan.period_end:%B %Y}"}
    elif code == "update-missing":
        params = {"row": row.row, "status": v["status"]}
    else:  # action-duplicate: pandera flags every copy after the first
        if not firsts:  # once, not a scan of the column for each duplicate
            for n, key in enumerate(df["same_action"].tolist()):
                firsts.setdefault(key, n)
        params = {"first": actions[firsts[str(df.at[i, "same_action"])]].row.row}
    return Problem.of(row.file, row.sheet, cell, code, header, value, **params)


def _unknown_leads(plan: Plan, lead: str) -> dict[str, object]:
    """The lead-unknown parameters: the names not in the plan, each with the closest partner if any."""
    unknown = match_leads(plan, lead)[1]
    if len(unknown) == 1:
        close = closest_partner(plan, unknown[0])
        return {"name": short(unknown[0]), **({"variant": "closest", "closest": close} if close else {})}
    hints = []
    for part in unknown:
        close = closest_partner(plan, part)
        hints.append(f"'{short(part)}'" + (f" (closest: {close})" if close else ""))
    return {"variant": "several", "names": ", ".join(hints)}
