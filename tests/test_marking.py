"""Issue 6, protective marking: printed at the top and bottom of every page of the template and the summary."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from conftest import RA, action
from plan_workbook.errors import PlanError
from plan_workbook.fill import write_filled
from plan_workbook.merge import check_returns
from plan_workbook.outputs.report import build_report
from plan_workbook.outputs.summary import write_summary
from plan_workbook.outputs.template import write_template
from plan_workbook.plan import Plan, default_plan_path, load_plan


def plan_with(tmp_path: Path, line: str) -> Path:
    text = default_plan_path().read_text(encoding="utf-8").replace("[plan]\n", f"[plan]\n{line}\n", 1)
    path = tmp_path / "plan.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_marking_on_every_printed_page(tmp_path: Path) -> None:
    plan = load_plan(plan_with(tmp_path, 'marking = "OFFICIAL & SENSITIVE"'))
    assert plan.marking == "OFFICIAL & SENSITIVE"
    template = load_workbook(write_template(plan, tmp_path / "t.xlsx"))
    printed = [ws for ws in template.worksheets if ws.sheet_state == "visible"]
    assert [ws.title for ws in printed] == ["Front", *(p.sheet for p in plan.priorities)]
    for ws in printed:
        assert (ws.oddHeader.center.text, ws.oddFooter.center.text) == ("OFFICIAL && SENSITIVE",) * 2, ws.title
    ret = write_filled(tmp_path / "r.xlsx", plan, "Victim First", {RA: [action()]})
    result = check_returns(plan, [ret])
    summary = load_workbook(write_summary(result, tmp_path / "s.xlsx", date(2022, 3, 31)))
    for ws in summary.worksheets:
        assert (ws.oddHeader.center.text, ws.oddFooter.center.text) == ("OFFICIAL && SENSITIVE",) * 2, ws.title
    html = build_report(result, date(2022, 3, 31))
    assert html.count('<p class="marking">OFFICIAL &amp; SENSITIVE</p>') == 2
    assert '<header><p class="marking">' in html
    assert '<footer><p class="marking">' in html


def test_no_marking_by_default_and_a_bad_one_is_refused(plan: Plan, tmp_path: Path) -> None:
    assert plan.marking == ""
    assert load_workbook(write_template(plan, tmp_path / "t.xlsx"))["Front"].oddHeader.center.text is None
    with pytest.raises(PlanError) as e:
        load_plan(plan_with(tmp_path, 'marking = "' + "X" * 61 + '"'))
    assert "plan.marking: should be one line of at most 60 characters" in str(e.value)
