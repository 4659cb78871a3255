"""Issue 6, chasing returns: what each partner owes, in the Returns sheet, the JSON and `chase` messages."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from checks import table
from conftest import RA, MakeReturn, action
from plan_workbook.cli import main
from plan_workbook.plan import Plan


def test_outstanding_in_json_returns_sheet_and_chase(plan: Plan, make_return: MakeReturn, tmp_path: Path) -> None:
    make_return("police", "Leicestershire Police", {RA: [action()]})
    make_return("vf", "Victim First",
                {RA: [action("Drop-in", status=None), action("Stall", lead="Police ", status="Red", update=None)]})
    out = tmp_path / "summary.xlsx"
    merged = CliRunner().invoke(main, ["merge", str(tmp_path / "returns"), "--out", str(out), "--format", "json"])
    assert merged.exit_code == 1
    owed = {p["partner"]: p["outstanding"] for p in json.loads(merged.output)["partners"]}
    assert owed["Leicestershire Police"] == []
    # 'Police ' was fixed by the tool (trimmed, read as the plan's name): reported, but nothing to chase
    assert owed["Victim First"] == ["1 error(s) to fix", "1 warning(s) to explain"]
    assert owed["Leicester City Council"] == ["no return received"]
    assert len(owed) == len(plan.returning_partners)

    rows = {r["Partner"]: r["Outstanding"] for r in table(out, "Returns")}
    assert rows["Leicestershire Police"] == "nothing"
    assert rows["Victim First"] == "1 error(s) to fix; 1 warning(s) to explain"
    assert rows["Rutland County Council"] == "no return received"

    chased = CliRunner().invoke(main, ["chase", str(out)])
    assert chased.exit_code == 0, chased.output
    messages = chased.output.split("\n----------\n")
    to = [m.strip().splitlines()[0] for m in messages]
    assert "To: Leicestershire Police" not in to  # nothing outstanding
    assert len(to) == len(plan.returning_partners) - 1
    vf = messages[to.index("To: Victim First")]
    assert "Subject: LLR Hate Crime Delivery Plan 2021-23: 2 point(s) on your return" in vf
    # each point says whether it must be fixed or should be checked, and names its cell once
    assert "- Must be fixed: Raising Awareness: The action in row 10 has no Status (RAG). Choose one of Red, " \
           "Amber, Green in G10." in vf
    assert "- Please check: Raising Awareness: The action in row 11 is Red but has no Update. Say what is being " \
           "done in H11." in vf
    assert "E11" not in vf  # a fix: nothing to chase
    city = messages[to.index("To: Leicester City Council")]
    assert "We have not yet received your return for the LLR Hate Crime Delivery Plan 2021-23." in city


def test_chase_refuses_what_is_not_a_current_summary(make_return: MakeReturn, tmp_path: Path) -> None:
    path = make_return(rows={RA: [action()]})
    result = CliRunner().invoke(main, ["chase", str(path)])
    assert result.exit_code == 2
    assert result.output.startswith("Error: ")
    assert "has no 'Returns' sheet" in result.output
