"""Issue 17, a board pack that is accessible, safe to publish and challenges green-washing: the real CLI over
real workbooks, the page checked by axe-core in headless Chromium, the PDF read back with pdfminer."""

from __future__ import annotations

import itertools
import os
import re
import zipfile
from html import unescape
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from browser import axe_violations, check_pdf, find_chromium, screenshot
from checks import table
from conftest import IR, RA, action
from plan_workbook import layout as L
from plan_workbook.cli import main
from plan_workbook.fill import write_filled
from plan_workbook.plan import Plan, default_plan_path
from plan_workbook.rounds.challenge import RULES

ROOT = Path(__file__).parent.parent
SAMPLES = ROOT / "samples" / "returns"
SCREENSHOT = ROOT / "docs" / "board-page.png"
MARK = "OFFICIAL"
POLICE, VF = "Leicestershire Police", "Victim First"
PERSONAL = "Call Mrs Patel on 0116 222 2222 about the referral"


def merge(*args: str | Path) -> str:
    done = CliRunner().invoke(main, ["merge", *map(str, args), "--as-of", "2022-03-31"])
    assert done.exit_code in (0, 1), done.output
    assert "Traceback" not in done.output
    return done.output


def text_of(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html[html.index("<body"):])).split())


@pytest.fixture
def marked_plan(tmp_path: Path) -> Path:
    path = tmp_path / "plan.toml"
    path.write_text(default_plan_path().read_text(encoding="utf-8").replace(
        "[plan]\n", f'[plan]\nmarking = "{MARK}"\n', 1), encoding="utf-8")
    return path


@pytest.fixture
def full_round(plan: Plan, tmp_path: Path, marked_plan: Path) -> Path:
    """Round three of a plan, with every section of the board page filled: Red and overdue actions, direction
    of travel, every challenge rule, a partner with no return, and personal data. Returns the folder."""
    def rnd(n: int, police: list[dict[str, str]], vf: bool = True) -> Path:
        folder = tmp_path / f"round{n}"
        folder.mkdir()
        write_filled(folder / "police.xlsx", plan, POLICE, {RA: police})
        if vf:
            write_filled(folder / "vf.xlsx", plan, VF, {IR: [action("Drop-in sessions", lead=VF, time_frame="Jun 22",
                                                                    update=f"Round {n}: twelve sessions held")]})
        extra: list[str | Path] = ["--previous", tmp_path / f"s{n - 1}.xlsx"] if n > 1 else []
        merge(folder, "--out", tmp_path / f"s{n}.xlsx", "--plan", marked_plan, *extra)
        return folder

    stale = action("Leaflet drop", status="Amber", time_frame="Jun 22", update="Waiting to hear from the printer")
    first = [action("Run a stall at the market", status="Amber", time_frame="Jun 22", update="Looking for a venue"),
             action("Train call handlers", status="Green", time_frame="Oct 21", update="All call handlers trained"),
             stale,
             action("Survey victims", status="Amber", time_frame="Jun 22", update="Questions drafted with partners")]
    rnd(1, first)
    rnd(2, [action("Run a stall at the market", status="Amber", time_frame="Jun 22", update="Venue booked for June"),
            *first[1:3], action("Survey victims", status="Amber", time_frame="Jun 22",
                                update="Questions agreed with partners")])
    return rnd(3, [
        action("Run a stall at the market", status="Green", time_frame="Jun 22", update="Venue booked for June"),
        action("Train call handlers", status="Red", time_frame="Oct 21", update="In hand"),
        stale,
        action("Survey victims", status="Amber", time_frame="Dec 22",
               update="Moved to December 2022 to fit the survey season"),
        action("Visit the referral", status="Red", time_frame="Jun 22", update=PERSONAL)], vf=False)


def board(tmp_path: Path, folder: Path, *extra: str | Path) -> tuple[Path, Path]:
    html, summary = tmp_path / "board.html", tmp_path / "summary.xlsx"
    merge(folder, "--out", summary, "--report", html, *extra)
    return html, summary


def test_every_section_of_a_full_round(plan: Plan, tmp_path: Path, full_round: Path, marked_plan: Path) -> None:
    html, summary = board(tmp_path, full_round, "--plan", marked_plan, "--previous", tmp_path / "s2.xlsx")
    page = html.read_text(encoding="utf-8")
    text = text_of(page)
    challenge = text.split("For challenge Reports the board may wish to question")[1].split("Returns outstanding")[0]
    assert challenge.count("Partner Where Reason") == 1
    found = re.findall(r"Leicestershire Police Raising Awareness ([A-H]\d+) '([^']+)'", challenge)
    # rows 10 to 14, below Raising Awareness's five examples; in the order of RULES
    assert found == [("H11", "Train call handlers"), ("H11", "Train call handlers"),
                     ("G10", "Run a stall at the market"), ("H12", "Leaflet drop"), ("F13", "Survey victims")]
    for code, _ in RULES:
        assert code in {i["Code"] for i in table(summary, "Issues")}, code  # and in Issues, as notes
    assert "Direction of travel since last round" in text
    assert "Victim First no return received" in text
    assert "Red actions Action Partner" in text
    assert re.search(r"Overdue actions Action .* Train call handlers .* 151", text)
    assert PERSONAL in text  # not redacted: the page says so
    assert "1 cell(s) in the returns seem to hold personal data" in text


def test_headings_language_title_and_landmarks(tmp_path: Path, full_round: Path, marked_plan: Path) -> None:
    html, _ = board(tmp_path, full_round, "--plan", marked_plan, "--previous", tmp_path / "s2.xlsx")
    page = html.read_text(encoding="utf-8")
    assert '<html lang="en-GB">' in page
    assert re.search(r"<title>LLR Hate Crime Delivery Plan 2021-23: board report</title>", page)
    levels = [int(h) for h in re.findall(r"<h([1-6])[ >]", page)]
    assert levels[0] == 1
    assert all(b - a <= 1 for a, b in itertools.pairwise(levels))  # never a level skipped
    assert page.count("<main>") == 1
    assert f'<header><p class="marking">{MARK}</p></header>' in page
    tables = re.findall(r"<table.*?</table>", page, re.DOTALL)
    assert len(tables) >= 6
    for t in tables:  # real headers: a thead of scoped column headers, and a row header on every row
        assert re.match(r'<table aria-labelledby="[a-z-]+"><thead><tr><th scope="col"', t)
        assert t.count("<tr>") - 1 == t.count('<th scope="row"')
    svg = page[page.index("<svg"):page.index("</svg>")]
    assert 'role="img" aria-labelledby="chart-title chart-desc"' in svg
    assert "the same counts are in the table above" in svg


@pytest.mark.browser
def test_axe_finds_no_violations(tmp_path: Path, full_round: Path, marked_plan: Path) -> None:
    chromium = find_chromium()
    (tmp_path / "s").mkdir()
    samples, _ = board(tmp_path / "s", SAMPLES)
    assert axe_violations(chromium, samples, tmp_path) == []
    full, _ = board(tmp_path, full_round, "--plan", marked_plan, "--previous", tmp_path / "s2.xlsx", "--redact")
    assert axe_violations(chromium, full, tmp_path) == []
    # the harness finds what it should: the same page without its language
    broken = tmp_path / "broken.html"
    broken.write_text(full.read_text(encoding="utf-8").replace('<html lang="en-GB">', "<html>"), encoding="utf-8")
    assert [v["id"] for v in axe_violations(chromium, broken, tmp_path)] == ["html-has-lang"]


@pytest.mark.browser
def test_pdf_of_the_board_page(tmp_path: Path, full_round: Path, marked_plan: Path) -> None:
    find_chromium()
    pdf, html = tmp_path / "board.pdf", tmp_path / "board.html"
    merge(full_round, "--out", tmp_path / "summary.xlsx", "--plan", marked_plan, "--previous", tmp_path / "s2.xlsx",
          "--report", pdf, "--report", html, "--redact")
    pages = check_pdf(pdf, html.read_text(encoding="utf-8"), MARK)
    assert len(pages) >= 2
    for n, lines in enumerate(pages, 1):  # a table's header row on every page it runs onto
        texts = [t for t, _ in lines]
        if any(t.startswith(("Train call handlers", "Leaflet drop", "Survey victims")) for t in texts):
            assert any(t.startswith("Action") or t.startswith("Partner") for t in texts), n
    assert "0116 222 2222" not in pdf.read_bytes().decode("latin-1")


def test_pdf_without_chromium_is_one_line_and_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    done = CliRunner().invoke(main, ["merge", str(SAMPLES), "--out", str(tmp_path / "s.xlsx"),
                                     "--report", str(tmp_path / "board.pdf")])
    assert done.exit_code == 2
    assert done.output.count("\n") == 1
    assert done.output.startswith("Error: cannot write ")
    assert "Chromium, which is not installed" in done.output
    assert not (tmp_path / "s.xlsx").exists()


def test_redact_in_the_board_outputs_never_the_summary(tmp_path: Path, full_round: Path,
                                                       marked_plan: Path) -> None:
    html, summary = board(tmp_path, full_round, "--plan", marked_plan, "--redact")
    text = text_of(html.read_text(encoding="utf-8"))
    assert "Call Mrs [name removed] on [phone number removed] about the referral" in text
    assert "0116" not in text
    assert "seemed to hold personal data; it is replaced on this page" in text
    updates = [a["Update"] for a in table(summary, "Actions")]
    assert PERSONAL in updates  # the coordinator's own record keeps what was typed
    issues = [(i["Sheet"], i["Cell"], i["Severity"], i["Value"]) for i in table(summary, "Issues")
              if i["Code"] == "personal-data"]
    assert issues == [(RA, "H14", "warning", "Patel; 0116 222 2222")]


def test_personal_data_in_the_feedback_copy(tmp_path: Path, full_round: Path) -> None:
    done = CliRunner().invoke(main, ["feedback", str(full_round), "--out-dir", str(tmp_path / "fb")])
    assert done.exit_code == 0, done.output
    (copy,) = (tmp_path / "fb").glob("*.xlsx")
    wb = load_workbook(copy)
    listed = [str(c.value) for row in wb["Feedback"].iter_rows() for c in row if c.value]
    assert any("seems to hold personal data (a person's name, a UK phone number)" in v for v in listed)
    assert wb[RA]["H14"].comment is not None


def test_board_outputs_carry_no_hidden_parts_comments_or_paths(tmp_path: Path, full_round: Path,
                                                               marked_plan: Path) -> None:
    html, _ = board(tmp_path, full_round, "--plan", marked_plan, "--previous", tmp_path / "s2.xlsx")
    page = html.read_text(encoding="utf-8")
    assert "<!--" not in page
    assert str(tmp_path) not in page
    assert ".xlsx" not in page  # no file names, which may hold a person's name
    assert not re.search(r'name="(author|creator)"', page)
    assert "<script" not in page
    assert 'hidden' not in page.replace('aria-hidden="true"', "")


def test_summary_workbook_accessibility_properties(tmp_path: Path) -> None:
    summary = tmp_path / "s.xlsx"
    merge(SAMPLES, "--out", summary)
    wb = load_workbook(summary)
    assert wb.properties.title == "LLR Hate Crime Delivery Plan 2021-23: combined summary"
    assert wb.properties.creator == "plan-workbook"  # never a person
    for ws in wb.worksheets:
        assert not ws.merged_cells.ranges, ws.title
        if ws.title == L.DATA_SHEET:  # the coordinator's machine record for the next round: hidden on purpose
            assert ws.sheet_state == "hidden"
            continue
        assert ws.sheet_state == "visible", ws.title
        if ws.title not in ("Summary", "Trend"):  # the header row, named for screen readers (those two hold
            # several titled tables each)
            last = get_column_letter(ws.max_column)
            assert ws.defined_names["ColumnTitle"].attr_text == f"'{ws.title}'!$A$1:${last}$1"
    with zipfile.ZipFile(summary) as z:
        drawing = z.read("xl/drawings/drawing1.xml").decode()
        assert re.search(r'descr="Stacked bar chart of actions by status[^"]+"', drawing)
        assert not [n for n in z.namelist() if "comments" in n]


@pytest.mark.browser
def test_screenshot_for_the_readme(tmp_path: Path, full_round: Path, marked_plan: Path) -> None:
    """The README shows the page as the test browser paints it; PLAN_WORKBOOK_SCREENSHOT=1 refreshes it."""
    from PIL import Image

    chromium = find_chromium()
    html, _ = board(tmp_path, full_round, "--plan", marked_plan, "--previous", tmp_path / "s2.xlsx", "--redact")
    png = screenshot(chromium, html, tmp_path / "board.png", tmp_path, size="1000,2400")
    with Image.open(png) as image:
        colours = {c for _, c in image.convert("RGB").getcolors(maxcolors=1 << 24) or []}
    assert len(colours) > 50  # text, badges and bars, not a blank page
    if os.environ.get("PLAN_WORKBOOK_SCREENSHOT"):
        SCREENSHOT.parent.mkdir(exist_ok=True)
        SCREENSHOT.write_bytes(png.read_bytes())
    with Image.open(SCREENSHOT) as shown:
        assert shown.size == (1000, 2400)
    assert "docs/board-page.png" in (ROOT / "README.md").read_text(encoding="utf-8")
