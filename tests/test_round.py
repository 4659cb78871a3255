"""Issue 6: the README's reporting round, run end to end through the CLI over two rounds."""

from __future__ import annotations

import re
import shutil
from html import unescape
from pathlib import Path

import python_calamine
from click.testing import CliRunner
from openpyxl import load_workbook

from checks import table
from conftest import IR, RA
from plan_workbook import layout as L
from plan_workbook.cli import main
from plan_workbook.plan import Plan

SAMPLES = Path(__file__).parent.parent / "samples" / "returns"


def run(*args: str | Path) -> str:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 1), result.output
    return result.output


def fill(path: Path, sheet: str, updates: dict[int, tuple[str, str]], new: list[str] | None = None,
         cells: dict[str, str] | None = None) -> None:
    """Type this round's status and update into carried rows, other changes into `cells`, and new actions
    below them, as a partner would (only into unlocked cells: Excel refuses the others)."""
    wb = load_workbook(path)
    ws = wb[sheet]
    for row, (status, update) in updates.items():
        ws.cell(row, 7).value, ws.cell(row, 8).value = status, update
    for ref, value in (cells or {}).items():
        assert not ws[ref].protection.locked, ref
        ws[ref].value = value
    last = max((c.row for c in ws["D"] if c.value), default=L.FIRST_DATA_ROW)
    for i, action in enumerate(new or [], last + 1):
        for col, value in enumerate(["Promote how and where to report hate incident and hate crime", "Reporting",
                                     "More reports", action, "Leicestershire Police", "Mar 23", "Amber", "Started"], 1):
            ws.cell(i, col).value = value
    wb.save(path)


def test_two_reporting_rounds(plan: Plan, tmp_path: Path) -> None:
    one, rolled, two, feedback = (tmp_path / n for n in ("round1", "rolled", "round2", "feedback"))
    for folder in (rolled, two, feedback):
        folder.mkdir()
    shutil.copytree(SAMPLES, one)  # six returns made from the real template by samples/make_samples.py
    run("build", "--out", tmp_path / "template.xlsx")  # and a seventh, filled in by hand from a fresh build
    wb = load_workbook(tmp_path / "template.xlsx")
    wb["Front"]["B4"] = "Melton Borough Council"
    for col, value in enumerate(["Promote definitions of hate incident and hate crime", "Increase reporting",
                                 "Local campaign", "Melton market stall", "Melton", "Mar 22", "Amber", "Booked"], 1):
        wb[RA].cell(10, col).value = value
    wb.save(one / "melton.xlsx")
    out = run("merge", one, "--out", tmp_path / "q3.xlsx", "--as-of", "2022-03-31")
    assert "7 return(s) checked, 17 actions" in out

    out = run("roll-forward", tmp_path / "q3.xlsx", "--out-dir", rolled, "--round", "Q4 2021/22")
    assert out.strip() == f"Wrote 17 workbooks for Q4 2021/22 to {rolled}"
    melton = load_workbook(rolled / "melton-borough-council-q4-2021-22.xlsx")[RA]
    assert [melton.cell(10, c).value for c in (4, 5, 7, 9, 10)] == [
        "Melton market stall", "Melton Borough Council", None, "Amber", "Booked"]
    police = rolled / "leicestershire-police-q4-2021-22.xlsx"
    wb = load_workbook(police)
    assert wb[L.META_SHEET]["B5"].value == "Q4 2021/22"
    assert [wb["Front"]["A5"].value, wb["Front"]["A7"].value, wb["Front"]["B7"].value] == [
        L.NIL_LABEL, "Reporting round", "Q4 2021/22"]
    ws = wb[RA]
    # the police adopted the first two examples last round: carried, so not shown again as examples
    carried = [(ws.cell(r, 4).value, ws.cell(r, 9).value, ws.cell(r, 7).value) for r in range(8, 11)]
    assert [status for _, status, _ in carried] == ["Green", "Green", "Amber"]  # last round, read-only
    assert all(now is None for _, _, now in carried)  # this round's status: to fill in
    assert ws.cell(8, 4).protection.locked
    assert not any(ws.cell(8, c).protection.locked for c in (5, 6, 7, 8))  # Lead, Time Frame, Status, Update
    assert ws.protection.sheet

    # round two: the police fill in their carried actions, re-date the one that slipped and add one;
    # Victim First fill theirs and correct last round's unknown lead
    shutil.copy(police, two / police.name)
    fill(two / police.name, RA, {8: ("Green", "Shared again"), 9: ("Red", "Posters withdrawn"),
                                 10: ("Amber", "Web team booked for June")}, new=["Hate crime survey"],
         cells={"F10": "Jun 22"})
    fill(two / police.name, IR, {8: ("Green", "Report shared monthly since June")})
    vf = rolled / "victim-first-q4-2021-22.xlsx"
    shutil.copy(vf, two / vf.name)
    fill(two / vf.name, RA, {10: ("Green", "Testimonials published")})
    fill(two / vf.name, IR, {8: ("Amber", "")}, cells={"E8": "Victim First"})

    report = tmp_path / "report.html"
    out = run("merge", two, "--out", tmp_path / "q4.xlsx", "--previous", tmp_path / "q3.xlsx", "--report", report,
              "--as-of", "2022-06-30")
    assert "2 return(s) checked, 7 actions: 0 error(s), 1 warning(s)" in out  # Victim First's Amber, no update
    redated = [a for a in table(tmp_path / "q4.xlsx", "Actions") if str(a["Action"]).startswith("Add the online")]
    assert [a["Time Frame"] for a in redated] == ["Jun 22"]
    assert not [a for a in table(tmp_path / "q4.xlsx", "Overdue") if str(a["Action"]).startswith("Add the online")]
    changes = {(c["Partner"], " ".join(c["Action"].split()[:4]), c["Change"], c["Direction"])
               for c in table(tmp_path / "q4.xlsx", "Changes")}
    assert {c for c in changes if c[0] in ("Leicestershire Police", "Victim First")} == {
        ("Leicestershire Police", "Hate crime survey", "new", ""),
        ("Leicestershire Police", "Add the online hate", "unchanged", "unchanged"),
        ("Leicestershire Police", "Promote NHCAW using the", "status changed", "worsened"),
        ("Leicestershire Police", "Example - social media", "unchanged", "unchanged"),
        ("Leicestershire Police", "Share the monthly community", "update unchanged", "unchanged"),  # copied update
        ("Victim First", "Publish victim testimonials in", "status changed", "improved"),
        ("Victim First", "Offer every referred hate", "status changed", "worsened"),
    }
    assert ("Leicester City Council", "Run three community inclusion", "no return this round", "") in changes
    assert ("Melton Borough Council", "Melton market stall", "no return this round", "") in changes

    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", report.read_text(encoding="utf-8"))).split())
    assert "Direction of travel since last round" in text
    assert "Red actions" in text
    assert "Posters withdrawn" in text

    out = run("feedback", two, "--out-dir", feedback)
    assert "victim-first-q4-2021-22 - feedback.xlsx" in out  # Amber with no update
    wb = python_calamine.CalamineWorkbook.from_path(str(feedback / "victim-first-q4-2021-22 - feedback.xlsx"))
    listing = wb.get_sheet_by_name(L.FEEDBACK_SHEET).to_python()
    assert [r[:3] for r in listing[4:]] == [[IR, "H8", "warning"]]

    chased = run("chase", tmp_path / "q4.xlsx")
    assert "To: Victim First" in chased
    assert "To: Leicester City Council" in chased
    assert "We have not yet received your return" in chased
