"""Issue 6, change since last round: merge --previous adds a Changes sheet and the direction of travel."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import python_calamine
from click.testing import CliRunner
from openpyxl import load_workbook

from checks import table
from conftest import IR, RA, action
from plan_workbook.cli import main
from plan_workbook.fill import write_filled
from plan_workbook.plan import Plan


def merge(folder: Path, out: Path, *extra: str) -> None:
    result = CliRunner().invoke(main, ["merge", str(folder), "--out", str(out), "--as-of", "2022-03-31", *extra])
    assert result.exit_code == 0, result.output


def test_changes_since_last_round(plan: Plan, tmp_path: Path) -> None:
    one, two = tmp_path / "round1", tmp_path / "round2"
    one.mkdir()
    two.mkdir()
    write_filled(one / "police.xlsx", plan, "Leicestershire Police", {RA: [
        action("Run a stall at the market", status="Amber", update="Booked"),
        action("Train call handlers", status="Green", update="All trained"),
        action("Leaflet drop in the city centre", status="Green", update="Done in May"),
        action("A stall we will stop")]})
    write_filled(one / "vf.xlsx", plan, "Victim First", {IR: [action("Drop-in sessions", status="Green")]})
    merge(one, tmp_path / "s1.xlsx")
    write_filled(two / "police.xlsx", plan, "Leicestershire Police", {RA: [
        action("Run a stall at the market.", status="Green", update="Held on 3 March"),  # reworded: same action
        action("Train call handlers", status="Red", update="Two new starters untrained"),
        action("Leaflet drop in the city centre", status="Green", update="Done in May"),  # update copied
        action("Survey victims about reporting", status="Amber", update="Drafting")]})  # new
    report = tmp_path / "r.html"
    merge(two, tmp_path / "s2.xlsx", "--previous", str(tmp_path / "s1.xlsx"), "--report", str(report))
    # Victim First did not return: their action is counted on the board page too
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", report.read_text(encoding="utf-8"))).split())
    assert ("Direction of travel since last round Strategic priority Improved Worsened Unchanged New Dropped "
            "No return this round Raising Awareness 1 1 1 1 1 0") in text
    assert "All priorities 1 1 1 1 1 1" in text

    got = sorted((c["Action"], c["Change"], c["Last round"], c["This round"], c["Direction"])
                 for c in table(tmp_path / "s2.xlsx", "Changes"))
    assert got == [
        ("A stall we will stop", "dropped", "Green", "", ""),
        ("Drop-in sessions", "no return this round", "Green", "", ""),
        ("Leaflet drop in the city centre", "update unchanged", "Green", "Green", "unchanged"),
        ("Run a stall at the market.", "status changed", "Amber", "Green", "improved"),
        ("Survey victims about reporting", "new", "", "Amber", ""),
        ("Train call handlers", "status changed", "Green", "Red", "worsened"),
    ]
    wb = python_calamine.CalamineWorkbook.from_path(str(tmp_path / "s2.xlsx"))
    rows = [[v for v in r if v != ""] for r in wb.get_sheet_by_name("Summary").to_python()]
    wb.close()
    start = rows.index(["Direction of travel since last round"])
    assert rows[start + 1] == ["Priority sheet", "Improved", "Worsened", "Unchanged", "New", "Dropped",
                               "No return this round"]
    assert rows[start + 2][1:] == [1, 1, 1, 1, 1, 0]  # Raising Awareness
    # Victim First sent no return this round: their action is counted, not lost from the table
    assert rows[start + 3][1:] == [0, 0, 0, 0, 0, 1]  # Improving our Response
    assert rows[start + 5] == ["All priorities", 1, 1, 1, 1, 1, 1]


def test_previous_must_be_a_summary_and_is_never_overwritten(plan: Plan, tmp_path: Path) -> None:
    folder = tmp_path / "returns"
    folder.mkdir()
    ret = write_filled(folder / "police.xlsx", plan, "Leicestershire Police", {RA: [action()]})
    last = tmp_path / "last.xlsx"
    last.write_bytes(b"last round")
    for previous, out, message in ((ret, tmp_path / "s.xlsx", "has no 'Actions' sheet"),
                                   (last, last, "is last round's summary")):
        result = CliRunner().invoke(main, ["merge", str(folder), "--out", str(out), "--previous", str(previous)])
        assert result.exit_code == 2, result.output
        assert message in result.output
    assert last.read_bytes() == b"last round"


def test_last_rounds_summary_from_before_the_priority_sheet_heading(plan: Plan, tmp_path: Path) -> None:
    """A summary written before the priority column was headed "Priority sheet" still serves as --previous."""
    folder = tmp_path / "returns"
    folder.mkdir()
    write_filled(folder / "police.xlsx", plan, "Leicestershire Police", {RA: [action("Stall", status="Amber",
                                                                                      update="Booked")]})
    merge(folder, tmp_path / "s1.xlsx")
    wb = load_workbook(tmp_path / "s1.xlsx")
    heads = {c.value: c for c in wb["Actions"][1]}
    heads["Priority sheet"].value = "Priority"
    wb.save(tmp_path / "old.xlsx")
    merge(folder, tmp_path / "s2.xlsx", "--previous", str(tmp_path / "old.xlsx"))
    changes = table(tmp_path / "s2.xlsx", "Changes")
    assert [(c["Action"], c["Change"]) for c in changes] == [("Stall", "update unchanged")]
