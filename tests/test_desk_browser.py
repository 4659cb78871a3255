"""The desk in a real browser (Debian's Chromium, driven by Playwright): a whole round as the coordinator runs it,
axe-core on every page, the main actions with the keyboard alone, status always a word. PLAN_WORKBOOK_SCREENSHOT=1
refreshes the README's pictures of the desk from this browser."""

from __future__ import annotations

import base64
import io
import json
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from browser import AXE, find_chromium, need
from desk_run import Running, desk_command, samples

pytestmark = pytest.mark.browser
ROOT = Path(__file__).parent.parent
SHOTS = ROOT / "docs" / "desk"

if True:  # Playwright is in the dev extra; without it these tests are skipped, as without Chromium
    sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Running]:
    with desk_command("--store", str(tmp_path / "rounds.sqlite")) as running:
        yield running


@pytest.fixture
def browser() -> Iterator[Any]:
    chromium = find_chromium()
    with sync_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        try:
            yield launched
        finally:
            launched.close()


def drop(page: Any, files: list[tuple[str, bytes]]) -> None:
    """Drop files on the drop area as a file manager would: a drop event carrying them (desk.js takes it)."""
    page.wait_for_selector("p.drop-hint", state="visible")  # desk.js has run (it shows the hint) and listens
    payload = [{"name": n, "data": base64.b64encode(d).decode()} for n, d in files]
    page.evaluate("""files => {
        const dt = new DataTransfer();
        for (const f of files) {
            const bytes = Uint8Array.from(atob(f.data), c => c.charCodeAt(0));
            dt.items.add(new File([bytes], f.name));
        }
        const form = document.getElementById('drop');
        form.dispatchEvent(new DragEvent('dragover', {dataTransfer: dt, bubbles: true, cancelable: true}));
        form.dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));
    }""", payload)


def download(page: Any, link: str, to: Path) -> Path:
    with page.expect_download() as info:
        page.click(f"a:has-text('{link}')")
    info.value.save_as(to)
    return to


def axe(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is (every rule: WCAG 2.0-2.2 A and AA and best practice)."""
    script = need(AXE, "axe-core", "`npm install --prefix tests/axe`").read_text(encoding="utf-8")
    page.wait_for_load_state()  # a page still loading has no document to add the script to
    page.add_script_tag(content=script)
    found: list[dict[str, Any]] = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, help: v.help, nodes: v.nodes.map(n => n.html.slice(0, 200))}));
    }""")
    return found


def shoot(page: Any, name: str, tmp_path: Path) -> None:
    page.evaluate("window.scrollTo(0, 0)")
    png = page.screenshot(full_page=False)
    (tmp_path / f"{name}.png").write_bytes(png)
    if os.environ.get("PLAN_WORKBOOK_SCREENSHOT"):
        SHOTS.mkdir(parents=True, exist_ok=True)
        (SHOTS / f"{name}.png").write_bytes(png)


def test_a_whole_round_as_the_coordinator_runs_it(desk: Running, browser: Any, tmp_path: Path) -> None:
    context = browser.new_context(accept_downloads=True, viewport={"width": 1200, "height": 1000})
    page = context.new_page()
    refused: list[str] = []  # what the page's policy stopped: nothing of the desk's own should be
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(desk.address)
    assert "token" not in page.url  # swapped for a cookie
    assert page.inner_text("h1") == "Start a round"
    shoot(page, "start", tmp_path)
    page.fill("#round-name", "Q4 2021/22")
    page.fill("#round-date", "2022-03-31")
    page.click("button:has-text('Start the round')")
    assert page.inner_text("h1") == "Q4 2021/22"

    with page.expect_navigation():
        drop(page, samples())
    assert "6 file(s) added and checked" in page.inner_text(".message")
    shoot(page, "round", tmp_path)
    # the problems, read as the coordinator reads them: per return, sheet, cell, what to do and what is wrong
    returns = page.locator("section.return")
    assert returns.count() == 6
    rows = page.locator("table.problems tbody tr")
    assert rows.count() > 10
    first = [c.strip() for c in rows.nth(0).locator("th, td").all_inner_texts()]
    assert first[2] in {"Must be fixed", "Please check", "Fixed by the tool", "For you"}
    assert first[3]
    states = page.locator("table.partners .state").all_inner_texts()
    assert len(states) == 17
    assert {"Missing", "Problems to fix"} <= set(states)
    assert all(s.strip() for s in page.locator(".state, .severity, .status").all_inner_texts())  # always a word

    summary = download(page, "Summary workbook", tmp_path / "summary.xlsx")
    book = load_workbook(summary)
    returns_sheet = book["Returns"]
    assert sum(1 for r in returns_sheet.iter_rows(min_row=2) if r[1].value == "received") >= 5
    feedback = download(page, "Feedback copies", tmp_path / "feedback.zip")
    assert zipfile.ZipFile(feedback).namelist()
    board = download(page, "Board page", tmp_path / "board.html")
    assert "<svg" in board.read_text(encoding="utf-8")

    with page.expect_navigation():  # count() does not wait: the chase page must have loaded
        page.click("nav >> text=Chase messages")
    assert page.locator("section.chase").count() >= 1
    assert page.locator("a[href^='mailto:']").count() == page.locator("section.chase").count()
    shoot(page, "chase", tmp_path)

    page.click("nav >> text=This round")
    page.fill("#round-name", "Q1 2022/23")
    page.fill("#round-date", "2022-06-30")
    page.click("button:has-text('Start the next round')")
    assert page.inner_text("h1") == "Q1 2022/23"
    rolled = download(page, "Workbooks for Q1 2022/23", tmp_path / "next.zip")
    names = zipfile.ZipFile(rolled).namelist()
    assert len(names) == 17
    wb = load_workbook(io.BytesIO(zipfile.ZipFile(rolled).read(next(n for n in names if "police" in n))))
    assert wb.sheetnames
    with page.expect_navigation():  # the round page has a table too: read the new page's
        page.click("nav >> text=Rounds and trend")
    assert "Q4 2021/22" in page.inner_text("table")
    assert "Q1 2022/23" in page.inner_text("table")
    shoot(page, "rounds", tmp_path)
    assert refused == []
    context.close()


def test_every_page_passes_axe(desk: Running, browser: Any) -> None:
    # the policy forbids inline scripts, axe-core's among them: only this test's browser may add it
    context = browser.new_context(bypass_csp=True, viewport={"width": 1200, "height": 1000})
    page = context.new_page()
    page.goto(desk.address)
    found = {"start": axe(page)}
    page.fill("#round-name", "Q4 2021/22")
    page.fill("#round-date", "2022-03-31")
    with page.expect_navigation():  # the form posts, then the round's page loads: axe must wait for it
        page.click("button:has-text('Start the round')")
    found["empty round"] = axe(page)
    with page.expect_navigation():
        drop(page, samples())
    found["round"] = axe(page)
    page.fill("#round-name", "Q1 2022/23")  # a second round: the trend has something to compare
    page.fill("#round-date", "2022-06-30")
    page.click("button:has-text('Start the next round')")
    assert page.inner_text("h1") == "Q1 2022/23", page.inner_text("main")[:500]
    with page.expect_navigation():  # Charnwood's row with no Action is listed as stuck: its header is "(blank)"
        drop(page, samples())
    for path in ("/chase", "/rounds", "/nowhere"):
        page.goto(f"http://{desk.host}{path}")
        found[path] = axe(page)
    page.goto(f"http://{desk.host}/")
    page.fill("#round-name", "Q4 2021/22")  # a name already used: the page says so
    page.fill("#round-date", "2022-09-30")
    page.click("button:has-text('Start the next round')")
    found["refused"] = axe(page)
    assert {k: v for k, v in found.items() if v} == {}, json.dumps(found, indent=1)[:3000]
    context.close()


def tab_to(page: Any, selector: str, limit: int = 400) -> None:
    """Press Tab until the element is focused, as someone with only a keyboard would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} cannot be reached with Tab")


def test_the_main_actions_with_the_keyboard_alone(desk: Running, browser: Any, tmp_path: Path) -> None:
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    page.goto(desk.address)
    tab_to(page, "#round-name")
    page.keyboard.type("Q4 2021/22")  # and today's date, which the form offers
    tab_to(page, "form.start button")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.inner_text("h1") == "Q4 2021/22", page.inner_text("main")
    # the round's page loaded whole, its script run: Tab must not start on a page about to be replaced (on a busy
    # machine the file chooser never came, Space having gone to the page before)
    page.wait_for_selector("p.drop-hint", state="visible")

    tab_to(page, "#returns")
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files([str(p) for p in sorted((ROOT / "samples" / "returns").glob("*.xlsx"))])
    tab_to(page, "form.drop button")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("section.return").count() == 6

    tab_to(page, "a[href='/summary.xlsx']")
    with page.expect_download() as info:
        page.keyboard.press("Enter")
    info.value.save_as(tmp_path / "summary.xlsx")
    assert load_workbook(tmp_path / "summary.xlsx").sheetnames

    tab_to(page, "form.inline button")  # remove the first return
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("section.return").count() == 5

    tab_to(page, "nav a[href='/chase']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.inner_text("h1") == "Chase messages"
    tab_to(page, "main a[href^='mailto:']")
    context.close()


def test_it_works_with_javascript_off(desk: Running, browser: Any, tmp_path: Path) -> None:
    """Every action is a plain link or form: a whole folder chosen with the folder button, no script needed."""
    context = browser.new_context(java_script_enabled=False, accept_downloads=True)
    page = context.new_page()
    page.goto(desk.address)
    page.fill("#round-name", "Q4 2021/22")
    page.fill("#round-date", "2022-03-31")
    page.click("button:has-text('Start the round')")
    page.set_input_files("#folder", ROOT / "samples" / "returns")
    page.click("button:has-text('Add the folder and check')")
    assert "6 file(s) added and checked" in page.inner_text(".message")
    assert page.locator("section.return").count() == 6
    assert page.locator("p.drop-hint").is_hidden()  # the drop area is offered only where the script runs
    summary = download(page, "Summary workbook", tmp_path / "summary.xlsx")
    assert load_workbook(summary).sheetnames
    with page.expect_navigation():
        page.click("nav >> text=Chase messages")
    assert page.locator("textarea").count() >= 1
    assert page.locator("button.copy").first.is_hidden()  # Copy needs the script; the text can still be selected
    context.close()
