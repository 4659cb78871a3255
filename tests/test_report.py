"""Issue 6, the board report: one self-contained HTML page, checked for content and rendered in Chromium."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from html import unescape
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import SC, MakeReturn, action
from plan_workbook.cli import main
from plan_workbook.plan import Plan, default_plan_path

SAMPLES = Path(__file__).parent.parent / "samples" / "returns"


def text_of(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def report(tmp_path: Path, *paths: Path) -> str:
    out = tmp_path / "report.html"
    result = CliRunner().invoke(main, ["merge", *map(str, paths), "--out", str(tmp_path / "s.xlsx"),
                                       "--report", str(out), "--as-of", "2022-03-31"])
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output
    return out.read_text(encoding="utf-8")


def test_report_content(plan: Plan, tmp_path: Path) -> None:
    html = report(tmp_path, SAMPLES)
    text = text_of(html)
    assert "LLR Hate Crime Delivery Plan 2021-23" in text
    assert "as of 31 March 2022" in text
    assert "Returns received 6 of 17 expected Actions 16" in text
    assert "All priorities 1 6 9 0 16" in text  # Red, Amber, Green, No status, Total
    assert re.search(r"Red actions Action Partner Priority Lead Time frame Status Update \S.* Leicester City Council",
                     text)
    assert "Returns outstanding" in text
    assert "Leicestershire County Council no return received" in text
    assert "Charnwood Borough Council 1 error(s) to fix" in text
    assert re.search(r"Overdue actions .* Days overdue", text)
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in html
    for status in plan.statuses:  # colour, shape and word together
        assert re.search(f'background:#{status.fill};color:#{status.font}"><span aria-hidden="true">.</span> '
                         f"{status.name}</span>", html)
    assert "<script" not in html
    assert "http://" not in html.replace('"http://www.w3.org/2000/svg"', "")
    # a Red action with no Update says so; Charnwood's row with no Action (an error) is not listed as an action
    assert "Leicester City Council Mar 22 ▲ Red No update given" in text
    assert "Charnwood" not in text.split("Red actions")[1].split("Returns outstanding")[0]
    assert "1 row(s) with no Action are not listed here" in text
    assert html.count("<thead>") == html.count("<table")  # every table has its header row


def test_chart_labels_whole_and_totals_as_the_table(plan: Plan, make_return: MakeReturn, tmp_path: Path) -> None:
    path = make_return(rows={SC: [action("A", status="Red", update="x"), action("B", status="Purple"),
                                  action("C", status="Green")]})
    html = report(tmp_path, path)
    svg = html[html.index("<svg"):html.index("</svg>")]
    labels = [" ".join(re.findall(r">([^<]+)</tspan>", t)) for t in re.findall(r"<text x=\"0\"[^>]*>(.*?)</text>", svg)]
    assert labels == [p.title for p in plan.priorities]  # broken between words, never cut
    totals = [int(t) for t in re.findall(r'font-weight="bold">(\d+)</text>', svg)]
    assert totals == [0, 0, 3]  # Strengthening Communities: Red, Green and No status (Purple)
    assert "<title>No status: 1</title>" in svg
    assert ">No status</text>" in svg  # in the legend, with every status


def test_partner_text_cannot_run_in_the_report(make_return: MakeReturn, tmp_path: Path) -> None:
    path = make_return(rows={SC: [action("<script>alert(1)</script>", status="Red", update="<img src=x onerror=y>")]})
    html = report(tmp_path, path)
    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=y&gt;" in html


@pytest.fixture(scope="session")
def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing in CI; .ci/run should have installed it")
        pytest.skip("Chromium is not installed; `apt-get install chromium` to run this")
    return found


@pytest.mark.browser
def test_report_renders_in_chromium(chromium: str, tmp_path: Path) -> None:
    from PIL import Image

    report(tmp_path, SAMPLES)
    png = tmp_path / "report.png"
    done = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                           "--no-first-run", "--disable-background-networking", "--disable-component-update",
                           "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}", "--hide-scrollbars",
                           f"--screenshot={png}", "--window-size=1200,1400", (tmp_path / "report.html").as_uri()],
                          capture_output=True, text=True, timeout=120, check=False)
    assert png.exists(), done.stderr[-2000:]
    image = Image.open(png).convert("RGB")
    assert image.size == (1200, 1400)
    colours = {colour for _, colour in image.getcolors(maxcolors=1 << 24) or []}
    assert len(colours) > 50  # text and bars, not a blank page
    for fill in ("FFC7CE", "FFEB9C", "C6EFCE"):  # each status colour was painted (chart bars and labels)
        assert tuple(int(fill[i:i + 2], 16) for i in (0, 2, 4)) in colours, fill


def print_pdf(chromium: str, html: Path, tmp_path: Path) -> Path:
    pdf = tmp_path / "report.pdf"
    done = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                           "--disable-background-networking", "--disable-component-update", "--disable-sync",
                           f"--user-data-dir={tmp_path / 'profile'}", "--no-pdf-header-footer",
                           f"--print-to-pdf={pdf}", html.as_uri()],
                          capture_output=True, text=True, timeout=120, check=False)
    assert pdf.exists(), done.stderr[-2000:]
    return pdf


def lines_per_page(pdf: Path) -> list[list[tuple[str, tuple[float, float, float, float]]]]:
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTTextBox, LTTextLine

    return [[(line.get_text().strip(), line.bbox) for box in page if isinstance(box, LTTextBox)
             for line in box if isinstance(line, LTTextLine) and line.get_text().strip()]
            for page in extract_pages(pdf)]


def overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.mark.browser
def test_printed_report_marking_headers_and_page_numbers(chromium: str, make_return: MakeReturn,
                                                         tmp_path: Path) -> None:
    """Printed from Chromium over several pages: the protective marking sits in the page margin at the top
    and bottom of every page and never over content; table headers and page numbers are on every page."""
    text = default_plan_path().read_text(encoding="utf-8").replace(
        "[plan]\n", '[plan]\nmarking = "OFFICIAL & SENSITIVE"\n', 1)
    (tmp_path / "plan.toml").write_text(text, encoding="utf-8")
    path = make_return(rows={SC: [action(f"Red action {i}", status="Red", update="Waiting for the venue. " * 6)
                                  for i in range(40)]})
    out = tmp_path / "report.html"
    result = CliRunner().invoke(main, ["merge", str(path), "--out", str(tmp_path / "s.xlsx"), "--report", str(out),
                                       "--plan", str(tmp_path / "plan.toml"), "--as-of", "2022-03-31"])
    assert result.exit_code == 0, result.output
    pages = lines_per_page(print_pdf(chromium, out, tmp_path))
    assert len(pages) >= 3
    for n, lines in enumerate(pages, 1):
        marks = [box for t, box in lines if t == "OFFICIAL & SENSITIVE"]
        assert len(marks) == 2, (n, [t for t, _ in lines][:5])
        content = [(t, box) for t, box in lines if t != "OFFICIAL & SENSITIVE"]
        assert not [(t, m) for m in marks for t, box in content if overlap(m, box)], n
        assert f"Page {n} of {len(pages)}" in [t for t, _ in lines]
        if any(re.match(r"Red action \d", t) for t, _ in lines):
            assert "Partner" in [t for t, _ in lines], f"page {n} has actions but no table header"
