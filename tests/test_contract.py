"""The summary's machine contract: what later rounds read back (the hidden `_data` sheet) is keyed by role, so a
plan may rename every column heading between rounds and --previous, roll-forward and chase still work."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner
from openpyxl import load_workbook

from conftest import RA, MakeReturn, action
from plan_workbook import layout as L
from plan_workbook.cli import main
from plan_workbook.plan import ROLES, load_plan
from plan_workbook.rounds.readback import DATA_FIELDS

ROOT = Path(__file__).parent.parent
RENAMED = {"Strategic Priority": "Theme", "Aim": "Goal", "Objective": "How", "Action": "What we will do",
           "Lead": "Who leads", "Time Frame": "When", "Status (RAG)": "RAG rating", "Update": "Progress update"}


def renamed_plan(tmp_path: Path) -> Path:
    text = (ROOT / "schema" / "llr-hate-crime-2021-23.toml").read_text(encoding="utf-8")
    for old, new in RENAMED.items():
        text, n = re.subn(rf'header = "{re.escape(old)}"', f'header = "{new}"', text)
        assert n == 1, old
    path = tmp_path / "renamed.toml"
    path.write_text(text, encoding="utf-8")
    return path


def run(*args: str) -> tuple[int, str]:
    done = CliRunner().invoke(main, list(args))
    return done.exit_code, done.output


def test_the_summary_keeps_a_hidden_protected_record_by_role(make_return: MakeReturn, tmp_path: Path) -> None:
    make_return("police", "Leicestershire Police", {RA: [action("A", status="Red", update=None)]})
    out = tmp_path / "summary.xlsx"
    # a warning only (as of a day before the action is due, so nothing is overdue to challenge)
    assert run("merge", str(tmp_path / "returns"), "--out", str(out), "--as-of", "2021-06-30")[0] == 0
    ws = load_workbook(out)[L.DATA_SHEET]
    assert (ws.sheet_state, ws.protection.sheet) == ("hidden", True)
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert tuple(rows[0]) == DATA_FIELDS
    records = [dict(zip(DATA_FIELDS, r, strict=True)) for r in rows[1:]]
    [act] = [r for r in records if r["record"] == "action"]
    assert {k: act[k] for k in ("partner", "action", "status", "cell")} == {
        "partner": "Leicestershire Police", "action": "A", "status": "Red", "cell": "'Raising Awareness'!A10"}
    police = [r for r in records if r["record"] == "return" and r["partner"] == "Leicestershire Police"]
    assert [(r["state"], r["owes"]) for r in police] == [("received", 1)]  # a warning to explain
    assert [(r["cell"], r["severity"]) for r in records if r["record"] == "issue"] == [("H10", "warning")]


def test_every_heading_renamed_between_rounds(tmp_path: Path, make_return: MakeReturn) -> None:
    renamed = renamed_plan(tmp_path)
    new_plan = load_plan(renamed)
    assert [c.header for c in new_plan.columns] == list(RENAMED.values())
    first = make_return("police-q3", "Leicestershire Police", {RA: [action("Stall", status="Amber", update="Late")]})
    q3 = tmp_path / "q3.xlsx"
    assert run("merge", str(first), "--out", str(q3))[0] == 0
    # next round, with every heading renamed: the template, the returns and the summary all use the new ones
    second = make_return("police-q4", "Leicestershire Police", {RA: [action("Stall", status="Green", update="Done")]},
                         plan=new_plan)
    q4 = tmp_path / "q4.xlsx"
    code, output = run("merge", str(second), "--out", str(q4), "--previous", str(q3), "--plan", str(renamed))
    assert code == 0, output
    changes = [[c.value for c in row] for row in load_workbook(q4)["Changes"].iter_rows()]
    assert ["Leicestershire Police", "Raising Awareness", "Stall", "status changed", "Amber", "Green", "improved",
            "Done"] in [row[:8] for row in changes]
    actions = load_workbook(q4)["Actions"]
    assert [c.value for c in actions[1]][2:7] == ["What we will do", "Who leads", "When", "RAG rating",
                                                  "Progress update"]
    code, output = run("roll-forward", str(q4), "--out-dir", str(tmp_path / "q1"), "--plan", str(renamed))
    assert code == 0, output
    rolled = load_workbook(tmp_path / "q1" / "leicestershire-police-next-round.xlsx")
    ws = rolled[RA]
    texts = {c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    assert {"Stall", "Done", "Progress update"} <= texts  # the action carried, last round's update shown
    code, output = run("chase", str(q4), "--plan", str(renamed))
    assert code == 0, output
    assert "To: Leicestershire Police" not in output  # nothing outstanding on their return
    assert "To: Leicester City Council\nSubject: LLR Hate Crime Delivery Plan 2021-23: your return" in output
    assert set(ROLES) <= set(DATA_FIELDS)


def test_a_summary_without_the_record_is_refused_plainly(make_return: MakeReturn, tmp_path: Path) -> None:
    make_return("police", "Leicestershire Police", {RA: [action("A")]})
    out = tmp_path / "summary.xlsx"
    run("merge", str(tmp_path / "returns"), "--out", str(out))
    wb = load_workbook(out)
    del wb[L.DATA_SHEET]  # as a summary written before the record existed
    old = tmp_path / "old-summary.xlsx"
    wb.save(old)
    for args in (["chase", str(old)], ["roll-forward", str(old), "--out-dir", str(tmp_path / "next")],
                 ["merge", str(tmp_path / "returns"), "--out", str(tmp_path / "s2.xlsx"), "--previous", str(old)]):
        code, output = run(*args)
        assert code == 2, args
        assert f"has no '{L.DATA_SHEET}' sheet: it was written by an older plan-workbook" in output, args
