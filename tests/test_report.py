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
from plan_workbook.plan import Plan

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
    assert "Red actions Partner Priority Action Lead Time frame Status Update Leicester City Council" in text
    assert "Returns outstanding" in text
    assert "Leicestershire County Council no return received" in text
    assert "Charnwood Borough Council 1 error(s) to fix" in text
    assert re.search(r"Overdue actions .* Days overdue", text)
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in html
    for status in plan.statuses:  # colour and word together
        assert f'background:#{status.fill};color:#{status.font}">{status.name}</span>' in html
    assert "<script" not in html
    assert "http://" not in html.replace('"http://www.w3.org/2000/svg"', "")


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
