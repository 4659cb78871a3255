"""The sheets across rounds take any text a partner or coordinator typed: written as text, never as a formula,
cut with a visible mark at Excel's cell limit; the round names too (headers of Action history, chart categories),
and the board section escapes them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from openpyxl import load_workbook

from conftest import RA, MakeReturn, action
from plan_workbook.merge import check_returns
from plan_workbook.outputs.summary import write_summary
from plan_workbook.outputs.trend_page import trend_section
from plan_workbook.plan import ROLES, Plan
from plan_workbook.reading.rows import Values
from plan_workbook.rounds.snapshot import ActionRecord, PartnerRecord, Snapshot
from plan_workbook.rounds.trend import trend
from plan_workbook.text import CUT_MARK, MAX_CELL_UNITS

POLICE = "Leicestershire Police"
FORMULA = '=HYPERLINK("http://example.org","click")'
LONG = "x" * 40_000


def test_text_stays_text_and_fits(plan: Plan, make_return: MakeReturn, tmp_path: Path) -> None:
    result = check_returns(plan, [make_return("police", POLICE, {RA: [action()]})])
    values = dict.fromkeys(ROLES, "")
    values.update(action=FORMULA, status="Amber", update=LONG)
    record = ActionRecord(POLICE, "Raising Awareness", Values.of(values), date(2021, 7, 31), "police.xlsx", RA,
                          "D10", "")
    long = ActionRecord(POLICE, "Raising Awareness", Values.of({**values, "action": LONG, "update": "x"}), None,
                        "police.xlsx", RA, "D11", "")
    names = ("=1+1", "<b>Q2</b>", "Q3 & co")
    snaps = [Snapshot(n, date(2021, 6 + 3 * i, 30), (PartnerRecord(POLICE, "received", 0, 0, None),), (record, long))
             for i, n in enumerate(names)]
    t = trend(plan, snaps)
    assert [(s.action[:5], s.same_status, s.overdue, s.same_update) for s in t.stuck] == [
        (FORMULA[:5], 3, 2, 3), ("xxxxx", 3, 0, 3)]
    out = write_summary(result, tmp_path / "s.xlsx", date(2021, 12, 31), None, t)
    wb = load_workbook(out)
    history = wb["Action history"]
    assert [c.value for c in history[1]][3:6] == list(names)
    assert [history["C2"].value, history["C2"].data_type] == [FORMULA, "s"]
    stuck = wb["Stuck"]
    assert [stuck["C2"].value, stuck["C2"].data_type] == [FORMULA, "s"]
    assert [wb["Trend"]["A6"].value, wb["Trend"]["A6"].data_type] == ["=1+1", "s"]
    html = trend_section(plan, t, lambda text: text.replace("<", "&lt;"))
    assert "<b>Q2</b>" not in html
    assert "&lt;b&gt;Q2&lt;/b&gt;" in html
    assert "Q3 &amp; co" in html
    long = stuck["C3"].value
    assert (len(long), long.endswith(CUT_MARK), history["C3"].value) == (MAX_CELL_UNITS, True, long)
