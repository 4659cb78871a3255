"""The template checks itself: after LibreOffice recalculates a filled template, its panel and check column
count exactly the errors and warnings the coordinator's check (merge.check_returns) reports for the rules a
workbook can decide. Returns are written with openpyxl into the real template, as a partner would; openpyxl
never applies a dropdown, so every value is also what a paste over a dropdown leaves."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from conftest import IR, RA, SC, action
from plan_workbook import layout as L
from plan_workbook.fill import fill_template
from plan_workbook.merge import check_returns
from plan_workbook.outputs.checks import LEAD_SEPARATORS
from plan_workbook.outputs.summary import write_summary
from plan_workbook.outputs.template import build_template
from plan_workbook.outputs.xlsx import put, save
from plan_workbook.plan import ROLES, Plan
from plan_workbook.problems import Problem
from plan_workbook.rounds.roll import roll_forward

pytestmark = pytest.mark.libreoffice

ERRORS = {"action-missing", "status-missing", "status-invalid", "partner-missing"}
WARNINGS = {"lead-missing", "lead-unknown", "time-frame-missing", "update-missing", "update-is-example",
            "action-duplicate", "time-frame-unparsed", "time-frame-outside-plan"}
# LibreOffice keeps an xlsx file's saved values unless told to recalculate on load (0 = always).
RECALC = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse">
<value>0</value></prop></item>
</oor:items>
"""

Rows = dict[str, list[dict[str, Any]]]


def at_rows(plan: Plan, sheet: str, placed: dict[int, dict[str, Any]]) -> Callable[[Workbook], None]:
    """Values typed at input rows (0 = the first input row), in any order, with gaps."""
    examples = next(len(p.examples) for p in plan.priorities if p.sheet == sheet)

    def write(wb: Workbook) -> None:
        for offset, values in placed.items():
            for role, value in values.items():
                put(wb[sheet].cell(L.FIRST_DATA_ROW + examples + offset, ROLES.index(role) + 1), value)

    return write


def on_example(sheet: str, index: int, values: dict[str, Any]) -> Callable[[Workbook], None]:
    def write(wb: Workbook) -> None:
        for role, value in values.items():
            put(wb[sheet].cell(L.FIRST_DATA_ROW + index, ROLES.index(role) + 1), value)

    return write


def cases(plan: Plan) -> dict[str, tuple[Rows, list[Callable[[Workbook], None]], dict[str, Any]]]:
    """name -> (rows typed into the input rows, further edits, fill options)."""
    ex = plan.priorities[0].examples[0]
    example_row = {role: ex[role] or None for role in ROLES}
    return {
        "clean": ({RA: [action()]}, [], {}),
        "clean, fixed by the tool": ({RA: [action(status=" green ", lead="leics  police", time_frame="OCT 21"),
                                          action("Another", status="\tAmber", update="Started", lead="LP"),
                                          action("More", status="Green\n", lead="Hinckley & Bosworth")]}, [], {}),
        "clean, examples untouched": ({}, [], {}),
        "no action": ({RA: [action(None)]}, [], {}),
        "no status": ({RA: [action(status=None)]}, [], {}),
        "status not in the plan (pasted)": ({RA: [action(status="Purple")]}, [], {}),
        "status with inner space": ({RA: [action(status="Gre en")]}, [], {}),
        "status alias needs update": ({RA: [action(status="r", update=None)]}, [], {}),
        "status number (pasted)": ({RA: [action(status=1)]}, [], {}),
        "no lead": ({IR: [action(lead=None)]}, [], {}),
        "lead not a partner (pasted)": ({IR: [action(lead="Policee")]}, [], {}),
        "joint lead, coordinator": ({IR: [action(lead="Police / Nobody"), action("B", lead="Police and Fire")]},
                                    [], {}),
        "no time frame": ({SC: [action(time_frame=None)]}, [], {}),
        "time frame not listed, coordinator": ({SC: [action(time_frame="Spring 2022"),
                                                     action("B", time_frame="Q3 2021/22"),
                                                     action("C", time_frame=44470)]}, [], {}),
        "red without update": ({SC: [action(status="Red", update=None), action("B", status="Amber", update="  ")]},
                               [], {}),
        "update is the example's": ({}, [on_example(RA, 0, {"status": "Green"}),
                                         at_rows(plan, RA, {3: {**action(), "update": f"  {ex['update']}\t"}})], {}),
        "same action twice": ({RA: [action("Run a stall"), action("run  a STALL"), action("Run a stall ")]}, [], {}),
        "example copied into an input row": ({}, [at_rows(plan, RA, {0: example_row})], {}),
        "example moved to an input row": ({}, [on_example(RA, 0, dict.fromkeys(ROLES)),
                                               at_rows(plan, RA, {5: example_row})], {}),
        "only spaces typed": ({}, [at_rows(plan, RA, {0: {"lead": "   "}, 1: {"action": "\u00a0", "update": "\t"}})],
                              {}),
        "rows in any order": ({}, [at_rows(plan, IR, {99: action("Last", status=None), 40: action(None),
                                                       2: action("First", lead="Nobody")})], {}),
        "several rules in one row": ({RA: [{"status": "Purple", "lead": "Nobody", "update": "x"}]}, [], {}),
        "several rows, several sheets": ({RA: [action(status="Red", update=None, lead=None),
                                               action(None, status="Blue")],
                                          IR: [action("X", lead="Policee", time_frame=None)],
                                          SC: [action("Y"), action("y")]}, [], {}),
        "time frames the tool reads as listed": ({SC: [action(time_frame="on-going"), action("B", time_frame="oct  21"),
                                                       action("C", time_frame="Monthly")]}, [], {}),
        "unusual spaces in a lead and an action": ({RA: [action(lead="Leics\u2003Police"), action("Run\u3000a stall"),
                                                         action("Run a stall")]}, [], {}),
        "error value pasted as the status": ({IR: [action(status="#N/A")]}, [], {}),
        "no partner chosen": ({RA: [action()]}, [], {"personalise": False, "front_partner": ""}),
        "partner chosen": ({RA: [action()]}, [], {"personalise": False, "front_partner": "Victim First"}),
    }


def write_case(plan: Plan, path: Path, rows: Rows, edits: list[Callable[[Workbook], None]],
               options: dict[str, Any]) -> Path:
    wb = fill_template(plan, "Leicestershire Police", rows, **options)
    for edit in edits:
        edit(wb)
    save(wb, path)
    return path


def recalculate(soffice: str, files: list[Path], tmp_path: Path) -> Path:
    """Re-save with LibreOffice headless, recalculating every formula on load."""
    profile = tmp_path / "lo-recalc-profile"
    (profile / "user").mkdir(parents=True)
    (profile / "user" / "registrymodifications.xcu").write_text(RECALC)
    out = tmp_path / "recalculated"
    done = subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to",
                           "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out), *map(str, files)],
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    return out


def panel(plan: Plan, path: Path) -> dict[str, Any]:
    """What the recalculated template says: per sheet (errors, warnings, coordinator, started) from the Lists
    sheet's totals, the Front sheet's lines, and each check column."""
    wb = load_workbook(path, data_only=True)
    lists = wb[L.LISTS_SHEET]
    by_name: dict[str, list[Any]] = {}
    for cell in lists[3]:
        by_name.setdefault(str(cell.value), []).append(lists.cell(2, cell.column).value)
    sheets = {p.sheet: tuple(by_name[n][i] for n in ("errors", "warnings", "coordinator", "started"))
              for i, p in enumerate(plan.priorities)}
    front = wb[L.FRONT_SHEET]
    row = next(c.row for c in front["A"] if c.value == L.PANEL_LABEL)
    lines = [front.cell(row + i, 2).value for i in range(len(plan.priorities) + 2)]
    reasons = {p.sheet: [c.value for c in wb[p.sheet]["I"][L.FIRST_DATA_ROW - 1:] if c.value] for p in plan.priorities}
    return {"sheets": sheets, "lines": lines, "reasons": reasons}


def joint(value: str) -> bool:
    text = " ".join(value.split()).casefold()
    return any(s in text for s in LEAD_SEPARATORS)


def tool_counts(plan: Plan, path: Path) -> dict[str, tuple[int, int]]:
    """The coordinator's errors and warnings per sheet ('' for the Front sheet) for the rules the template
    decides: joint leads and time frames other than a listed month or Ongoing are left to the coordinator."""
    problems = check_returns(plan, [path]).problems
    listed = {" ".join(t.split()).casefold() for t in [f"{m:%b %y}" for m in plan.months()] + ["Ongoing"]}

    def decided(p: Problem) -> bool:
        if p.code == "lead-unknown":
            return not joint(p.value)
        if p.code in ("time-frame-unparsed", "time-frame-outside-plan"):  # never for a listed month
            return " ".join(p.value.split()).casefold() in listed
        return True

    out = {}
    for sheet in ["", *(p.sheet for p in plan.priorities)]:
        mine = [p for p in problems if (p.sheet if p.sheet != L.FRONT_SHEET else "") == sheet and decided(p)]
        out[sheet] = (sum(p.code in ERRORS for p in mine), sum(p.code in WARNINGS for p in mine))
    return out


def test_panel_counts_what_the_coordinator_finds(plan: Plan, soffice: str, tmp_path: Path) -> None:
    src = tmp_path / "returns"
    src.mkdir()
    made = {name: write_case(plan, src / f"case{i:02d}.xlsx", *case)
            for i, (name, case) in enumerate(cases(plan).items())}
    out = recalculate(soffice, list(made.values()), tmp_path)
    table = ["case | tool errors | tool warnings | panel errors | panel warnings | coordinator checks"]
    disagreements = []
    for name, path in made.items():
        tool = tool_counts(plan, path)
        seen = panel(plan, out / path.name)
        for sheet, (e, w, _, _) in seen["sheets"].items():
            if (e, w) != tool[sheet]:
                disagreements.append((name, sheet, tool[sheet], (e, w)))
        later = sum(c for _, _, c, _ in seen["sheets"].values())
        total_e, total_w = sum(e for e, _ in tool.values()), sum(w for _, w in tool.values())
        headline = seen["lines"][0]  # words only a recalculation can have written: openpyxl saves no values
        fix = re.match(r"(\d+) things? to fix before you send this", headline)
        check = re.search(r"\((\d+) things? to check\)$", headline)
        shown = (int(fix.group(1)) if fix else 0, int(check.group(1)) if check else 0)
        assert fix or headline.startswith(("Ready to send", "Nothing filled in yet")), (name, headline)
        if shown != (total_e, total_w):
            disagreements.append((name, "Front headline", (total_e, total_w), shown))
        for line, (sheet, (e, w, _, _)) in zip(seen["lines"][1:], seen["sheets"].items(), strict=False):
            assert line.startswith(f"{sheet}: "), line
            assert (f"{e} to fix" in line) == bool(e), line
            assert (f"{w} to check" in line) == bool(w), line
        for sheet, reasons in seen["reasons"].items():
            e, w, c, _ = seen["sheets"][sheet]
            assert bool(reasons) == bool(e or w or c), (name, sheet, reasons)
        table.append(f"{name} | {total_e} | {total_w} | {shown[0]} | {shown[1]} | {later}")
    print("\n".join(table))
    (tmp_path / "parity.txt").write_text("\n".join(table))
    assert not disagreements, disagreements


def compare(plan: Plan, made: list[Path], out: Path) -> list[tuple[str, str, tuple[int, int], tuple[int, int]]]:
    """(file, sheet, tool's (errors, warnings), panel's) wherever they differ."""
    wrong = []
    for path in made:
        tool, seen = tool_counts(plan, path), panel(plan, out / path.name)
        for sheet, (e, w, _, _) in seen["sheets"].items():
            if (e, w) != tool[sheet]:
                wrong.append((path.name, sheet, tool[sheet], (e, w)))
    return wrong


def test_a_rolled_forward_workbook_checks_itself(plan: Plan, soffice: str, tmp_path: Path) -> None:
    """Carried rows (identity locked, Status and Update blank, last round's lead and time frame), the examples
    left out, the check column after last round's columns: the panel still counts what the tool finds."""
    samples = sorted((Path(__file__).parent.parent / "samples" / "returns").glob("*.xlsx"))
    summary = tmp_path / "summary.xlsx"
    result = check_returns(plan, samples)
    write_summary(result, summary, date(2022, 3, 31))
    (tmp_path / "rolled").mkdir()
    rolled = [p for p in roll_forward(plan, summary, tmp_path / "rolled", "Q4 2021/22")
              if "police" in p.name or "rutland" in p.name or "victim" in p.name]
    wb = load_workbook(rolled[0])
    ws = wb[RA]
    assert ws.cell(L.HEADER_ROW, len(ROLES) + 3).value == L.CHECK_HEADER
    carried = [r for r in range(L.FIRST_DATA_ROW, 200) if ws.cell(r, len(ROLES) + 1).value is not None]
    assert carried
    put(ws.cell(carried[0], ROLES.index("status") + 1), "Red")  # no update: a warning
    put(ws.cell(carried[-1] + 1, ROLES.index("lead") + 1), "Police")  # a new row with no action: an error
    edited = tmp_path / "rolled" / "edited.xlsx"
    wb.save(edited)
    made = [*rolled, edited]
    out = recalculate(soffice, made, tmp_path)
    assert sum(panel(plan, out / p.name)["sheets"][RA][3] for p in made) > 0  # carried rows were counted
    assert not compare(plan, made, out)


def test_partner_missing_counted_on_the_front(plan: Plan, soffice: str, tmp_path: Path) -> None:
    """The one Front-sheet rule: a blank template with no partner chosen is one thing to fix."""
    path = write_case(plan, tmp_path / "no-partner.xlsx", {RA: [action()]}, [],
                      {"personalise": False, "front_partner": ""})
    out = recalculate(soffice, [path], tmp_path)
    assert tool_counts(plan, path)[""] == (1, 0)
    assert panel(plan, out / path.name)["lines"][0] == "1 thing to fix before you send this"


def test_values_pasted_over_dropdowns_are_counted(plan: Plan, soffice: str, tmp_path: Path) -> None:
    """A paste replaces a cell's dropdown with no check: what it leaves is still counted and explained."""
    wb = build_template(plan, "Leicestershire Police")
    first = L.FIRST_DATA_ROW + len(plan.priorities[0].examples)
    ws = wb[RA]
    for col, value in zip("DEFGH", ["Pasted action", "Somebody Else", "Oct 21", "Purple", ""], strict=True):
        ws[f"{col}{first}"].value = value  # over the strict Status dropdown and the Lead list
    path = tmp_path / "pasted.xlsx"
    save(wb, path)
    assert tool_counts(plan, path)[RA] == (1, 1)
    seen = panel(plan, recalculate(soffice, [path], tmp_path) / path.name)
    assert seen["sheets"][RA][:2] == (1, 1)
    (reason,) = seen["reasons"][RA]
    assert re.search(r"must be one of Red, Amber, Green.*not a partner in the plan", reason), reason
