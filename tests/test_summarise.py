"""Stage 5: the combined summary workbook."""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from conftest import IR, RA, SC, MakeReturn, action
from plan_workbook import layout as L
from plan_workbook.cli import main
from plan_workbook.merge import check_returns
from plan_workbook.outputs import summary as summarise
from plan_workbook.outputs.report import write_report
from plan_workbook.outputs.summary import write_summary
from plan_workbook.plan import ROLES, Plan
from plan_workbook.problems import Problem
from plan_workbook.text import CUT_MARK, MAX_CELL_UNITS, units

AS_OF = date(2022, 3, 31)
SAMPLES = Path(__file__).parent.parent / "samples" / "returns"


def table(path: Path, sheet: str) -> list[dict[str, Any]]:
    ws = load_workbook(path)[sheet]
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def merged(plan: Plan, tmp_path: Path, *paths: Path) -> Path:
    return write_summary(check_returns(plan, list(paths)), tmp_path / "summary.xlsx", AS_OF)


def visible(wb: Any) -> list[str]:
    """The sheets people see; the hidden machine contract (`_data`) is tested in test_contract.py."""
    return [n for n in wb.sheetnames if wb[n].sheet_state == "visible"]


def test_summary_sheets_and_counts(plan: Plan, make_return: MakeReturn, tmp_path: Path) -> None:
    police = make_return("police", "Leicestershire Police", {RA: [action("A", status="Red", update="Stuck"),
                                                                  action("B", status="Green")]})
    vf = make_return("vf", "Victim First", {IR: [action("C", status="Amber", update="Late", time_frame="Ongoing")]})
    out = merged(plan, tmp_path, police, vf)
    wb = load_workbook(out)
    assert visible(wb) == ["Summary", "Actions", "Overdue", "Returns", "Issues"]
    ws = wb["Summary"]
    cells = {ws.cell(r, 1).value: [ws.cell(r, c).value for c in range(2, 7)] for r in range(1, ws.max_row + 1)}
    assert cells["Returns received"][0] == "2 of 17 expected"
    assert cells["Raising Awareness"] == [1, 0, 1, 0, 2]
    assert cells["All priorities"] == [1, 1, 1, 0, 3]
    assert cells["Victim First"] == [0, 1, 0, 0, 1]
    rows = {ws.cell(r, 1).value: [ws.cell(r, c).value for c in range(2, 8)] for r in range(1, ws.max_row + 1)}
    # a partner with no return is told apart from one whose return has no actions
    assert rows["Victim First"][-1] == "received"
    assert rows["Leicester City Council"] == [None, None, None, None, None, "no return received"]
    chart = ws._charts[0]
    assert (chart.type, chart.grouping, len(chart.series)) == ("bar", "stacked", 4)  # No status drawn too
    fills = [s.graphicalProperties.solidFill.srgbClr for s in chart.series]
    assert [getattr(f, "val", f) for f in fills] == ["FFC7CE", "FFEB9C", "C6EFCE", "D9D9D9"]


def test_actions_overdue_returns_and_issues(plan: Plan, make_return: MakeReturn, tmp_path: Path) -> None:
    police = make_return("police", "Leicestershire Police", {RA: [
        action("Old and amber", status="Amber", update="Late", time_frame="Oct 21"),
        action("Older and red", status="Red", update="Blocked", time_frame="Jun 21"),
        action("Old but done", status="Green", time_frame="Jul 21"),
        action("Not yet due", status="Amber", update="On it", time_frame="Jun 22")]})
    out = merged(plan, tmp_path, police)
    actions = table(out, "Actions")
    head = {c.role: c.header for c in plan.columns}
    # the columns a board reads first (they are the printed ones), then the rest
    assert list(actions[0]) == ["Partner", "Priority sheet", "Action", "Lead", "Time Frame", "Status (RAG)",
                                "Update", "Due", head["theme"], "Aim", "Objective", "Row kind", "Source file",
                                "Source cell"]
    assert [(a["Action"], a["Row kind"], a["Source cell"]) for a in actions] == [
        ("Old and amber", "new", "'Raising Awareness'!A10"), ("Older and red", "new", "'Raising Awareness'!A11"),
        ("Old but done", "new", "'Raising Awareness'!A12"), ("Not yet due", "new", "'Raising Awareness'!A13")]
    assert actions[0]["Due"].date() == date(2021, 10, 31)
    overdue = table(out, "Overdue")
    assert [(o["Action"], o["Days overdue"]) for o in overdue] == [("Older and red", 274), ("Old and amber", 151)]
    returns = table(out, "Returns")
    assert len(returns) == 17
    assert returns[0] == {"Partner": "Leicestershire Police", "Return": "received", "File": str(police),
                          "Actions": 4, "Examples not used": 11, "Errors": 0, "Warnings": 0,
                          "Outstanding": "nothing", "Received": None, "From": None}  # a file, not an email
    assert {r["Return"] for r in returns[1:]} == {"missing"}
    ws = load_workbook(out)["Actions"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:N5"
    status = ws.cell(3, 6)
    assert (status.value, status.fill.fgColor.rgb[-6:]) == ("Red", "FFC7CE")


def test_issues_sheet_has_every_problem(plan: Plan, make_return: MakeReturn, tmp_path: Path) -> None:
    path = make_return(rows={SC: [action(None), action("x", status="green")]})
    result = check_returns(plan, [path])
    out = write_summary(result, tmp_path / "s.xlsx", AS_OF)
    issues = table(out, "Issues")
    assert [(i["Sheet"], i["Cell"], i["Code"], i["Severity"]) for i in issues] == [
        (p.sheet, p.cell, p.code, p.severity) for p in result.problems]
    assert [i["Code"] for i in issues] == ["action-missing", "status-normalised"]


def test_partner_text_is_written_as_text_never_a_formula(plan: Plan, make_return: MakeReturn,
                                                         tmp_path: Path) -> None:
    hostile = ["=1+2", "+44 116 222 2222", "-5 days", "@SUM(A1)", '=HYPERLINK("http://x","click")']
    path = make_return(rows={RA: [action(text, update=text) for text in hostile]})
    out = merged(plan, tmp_path, path)
    ws = load_workbook(out)["Actions"]
    col = 3  # Action
    got = [ws.cell(r, col) for r in range(2, 2 + len(hostile))]
    assert [c.value for c in got] == hostile
    assert {c.data_type for c in got} == {"s"}
    with zipfile.ZipFile(out) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
        assert len(sheets) == len(load_workbook(out).sheetnames)  # every sheet, the hidden _data too
        for name in sheets:
            assert b"<f>" not in z.read(name), name


def test_nothing_is_lost(plan: Plan, make_return: MakeReturn, tmp_path: Path) -> None:
    """Every non-empty cell of every return's input area is in Actions or in Issues."""
    returns = [
        make_return("a", "Leicestershire Police", {RA: [action("One", lead=" Police "), action(None, status="red")],
                                                   SC: [action("Two", time_frame="whenever")]},
                    example_edits={RA: {0: {"status": "Green"}}, IR: {1: {"action": "Adapted text"}}}),
        make_return("b", "Victim First", {IR: [action("Three", status="Purple", update=None), action("Five")]}),
        make_return("c", "Melton", {RA: [action("Four", theme=2021, aim=3.5)]}),
    ]
    result = check_returns(plan, returns)
    out = write_summary(result, tmp_path / "s.xlsx", AS_OF)
    actions = table(out, "Actions")
    issues = table(out, "Issues")
    headers = {c.role: c.header for c in plan.columns}
    shown = {(a["Source file"], a["Source cell"].split("!")[0].strip("'"), int(a["Source cell"][
        a["Source cell"].rindex("!") + 2:]), headers[role]): a[headers[role]] for a in actions for role in ROLES}
    flagged = {(i["File"], i["Sheet"], i["Cell"]): i["Value"] for i in issues}
    checked = 0
    for path in returns:
        wb = load_workbook(path)
        for priority in plan.priorities:
            ws = wb[priority.sheet]
            untouched = {tuple(ex[r] or None for r in ROLES) for ex in priority.examples}
            for row in ws.iter_rows(min_row=L.FIRST_DATA_ROW, max_col=8):
                values = tuple(c.value for c in row)
                if values in untouched or all(v is None for v in values):
                    continue
                for cell, role in zip(row, ROLES, strict=True):
                    example = cell.row - L.FIRST_DATA_ROW
                    printed = priority.examples[example][role] if example < len(priority.examples) else None
                    if cell.value is None or cell.value == printed:  # the template's own text, not typed
                        continue
                    checked += 1
                    typed = str(cell.value).strip()
                    if isinstance(cell.value, float) and cell.value.is_integer():
                        typed = str(int(cell.value))
                    key = (str(path), priority.sheet, cell.row, headers[role])
                    here = shown.get(key)
                    in_actions = here is not None and str(here) in (typed, str(cell.value))
                    in_issues = flagged.get((str(path), priority.sheet, cell.coordinate)) == str(cell.value)
                    assert in_actions or in_issues, (key, cell.value, here)
    assert checked > 40


def test_merge_is_repeatable(plan: Plan, make_return: MakeReturn, tmp_path: Path) -> None:
    path = make_return(rows={RA: [action()]})
    result = check_returns(plan, [path])
    a = write_summary(result, tmp_path / "a.xlsx", AS_OF)
    b = write_summary(check_returns(plan, [path]), tmp_path / "b.xlsx", AS_OF)
    assert a.read_bytes() == b.read_bytes()


def test_any_text_is_written_and_cut_visibly_only_past_excel_limit(plan: Plan, make_return: MakeReturn,
                                                                   tmp_path: Path) -> None:
    """No writer raises on any str: lone surrogates (an undecodable file name), a sheet name at Excel's 31
    characters, and messages and values past 32,767 UTF-16 units, which are cut with a visible mark."""
    path = make_return(rows={RA: [action(status="Red", update=None)]})
    result = check_returns(plan, [path])
    long_sheet = "S" * 31
    result.problems.append(Problem.of("caf\udce9 \ud800.xlsx", long_sheet, "H10", "cell-note", note="m" * 40_000,
                                      value="\U0001f600" * 20_000))
    out = write_summary(result, tmp_path / "s.xlsx", AS_OF)
    issue = table(out, "Issues")[-1]
    assert issue["File"] == "caf\ufffd \ufffd.xlsx"
    assert issue["Sheet"] == long_sheet
    for text in (issue["Message"], issue["Value"]):
        assert units(text) <= MAX_CELL_UNITS
        assert text.endswith(CUT_MARK)
    assert issue["Value"].startswith("\U0001f600" * 16_000)  # cut between characters, never inside a pair
    html = write_report(result, tmp_path / "r.html", AS_OF).read_text(encoding="utf-8")
    assert "Leicestershire Police" in html


def test_no_row_is_dropped_past_the_last_row(plan: Plan, make_return: MakeReturn, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A table longer than a sheet goes on to "Issues (2)", and chase reads it: one partner's thousands of
    problems can no longer push every other partner's out of the summary (Excel's 1,048,576 rows, made 6 here)."""
    monkeypatch.setattr(summarise, "SHEET_ROWS", 6)
    make_return("police", "Leicestershire Police", {RA: [action(f"A{i}", lead="Nobody Ltd") for i in range(8)]})
    make_return("vf", "Victim First", {RA: [action(None)]})
    out = tmp_path / "summary.xlsx"
    merged = CliRunner().invoke(main, ["merge", str(tmp_path / "returns"), "--out", str(out)])
    assert merged.exit_code == 1, merged.output
    assert visible(load_workbook(out)) == ["Summary", "Actions", "Actions (2)", "Overdue", "Trend", "Returns",
                                           "Returns (2)", "Returns (3)", "Returns (4)", "Issues", "Issues (2)"]
    rows = table(out, "Issues") + table(out, "Issues (2)")
    assert len(rows) == 9  # 8 unknown leads and the missing action, 5 + 4
    assert len(table(out, "Actions")) == 5
    assert [a["Action"] for a in table(out, "Actions (2)")] == ["A5", "A6", "A7", None]
    chased = CliRunner().invoke(main, ["chase", str(out)])
    assert "Subject: LLR Hate Crime Delivery Plan 2021-23: 8 point(s) on your return" in chased.output
    assert "Subject: LLR Hate Crime Delivery Plan 2021-23: 1 point(s) on your return" in chased.output  # Victim First
    assert "Row 10 has entries but no Action" in chased.output


def test_numeric_headers_align_with_their_numbers(plan: Plan, make_return: MakeReturn, tmp_path: Path) -> None:
    out = merged(plan, tmp_path, make_return(rows={RA: [action(time_frame="Oct 21", status="Amber", update="x")]}))
    wb = load_workbook(out)
    for sheet, right in (("Actions", {"Due"}), ("Overdue", {"Days overdue", "Due"}),
                         ("Returns", {"Actions", "Examples not used", "Errors", "Warnings"})):
        aligned = {c.value for c in wb[sheet][1] if c.alignment.horizontal == "right"}
        assert aligned == right, sheet
    summary = wb["Summary"]
    heads = next(r for r in summary.iter_rows() if r[0].value == "Priority sheet")
    assert [c.alignment.horizontal for c in heads[1:6]] == ["right"] * 5  # Red .. No status, Total


@pytest.mark.libreoffice
def test_actions_and_overdue_print_readably_with_page_numbers(convert: Callable[[Path, str], Path],
                                                              tmp_path: Path) -> None:
    """LibreOffice prints Actions and Overdue on A4 landscape with body text of at least 8 pt (it was 3 pt
    when every column was fitted to the page width), and every page of every sheet has its number."""
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTChar, LTContainer

    def chars(item: Any) -> Iterator[LTChar]:
        if isinstance(item, LTChar):
            yield item
        elif isinstance(item, LTContainer):
            for child in item:
                yield from chars(child)

    out = tmp_path / "summary.xlsx"
    CliRunner().invoke(main, ["merge", str(SAMPLES), "--out", str(out), "--as-of", "2022-03-31"])
    pages = [[c for c in chars(p) if c.get_text().strip()] for p in extract_pages(convert(out, "pdf"))]
    texts = ["".join(c.get_text() for c in page) for page in pages]
    for n, text in enumerate(texts, 1):
        assert f"Page{n}of{len(pages)}" in text, n
    tables = [page for page, text in zip(pages, texts, strict=True) if "Prioritysheet" in text and "Due" in text]
    assert len(tables) >= 2  # Actions (over one or more pages) and Overdue
    assert min(c.size for page in tables for c in page) >= 8
