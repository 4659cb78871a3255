"""Headless Chromium for the board-page tests: find it, check a page with axe-core, print a page to PDF.

Chromium is Debian's (`apt-get install chromium`); axe-core comes from the npm registry into
tests/axe/node_modules (`npm install --prefix tests/axe`, which .ci/run does). Without them the tests are
skipped with that reason, and in CI they fail instead.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections import Counter
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from pdfminer.high_level import extract_pages, extract_text
from pdfminer.layout import LTTextBox, LTTextLine
from pdfminer.pdfdocument import PDFDocument
from pdfminer.pdfparser import PDFParser

AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
# Quiet, offline, and a clean profile each run: nothing from the machine's own browser settings.
QUIET = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-extensions", "--disable-quic"]


def need(found: str | Path | None, what: str, how: str) -> Any:
    if found is None or (isinstance(found, Path) and not found.exists()):
        if os.environ.get("CI"):
            pytest.fail(f"{what} is missing in CI; .ci/run should have installed it")
        pytest.skip(f"{what} is not installed; {how} to run this")
    return found


def find_chromium() -> str:
    path: str = need(shutil.which("chromium") or shutil.which("chromium-browser"), "Chromium",
                     "`apt-get install chromium`")
    return path


def axe_violations(chromium: str, page: Path, tmp_path: Path) -> list[dict[str, Any]]:
    """axe-core's violations on `page` (all its rules: WCAG 2.0-2.2 A and AA and best practice), run in
    headless Chromium on a copy of the page with axe-core added at the end of its body."""
    axe = need(AXE, "axe-core", "`npm install --prefix tests/axe`").read_text(encoding="utf-8")
    html = page.read_text(encoding="utf-8")
    run = ("axe.run(document, {resultTypes: ['violations']}).then(r => { const p = document.createElement('pre');"
           " p.id = 'axe-result'; p.textContent = JSON.stringify(r.violations.map(v => ({id: v.id, impact: v.impact,"
           " help: v.help, nodes: v.nodes.map(n => n.html.slice(0, 200))}))); document.body.appendChild(p); });")
    copy = tmp_path / f"axe-{page.name}"
    copy.write_text(html.replace("</body>", f"<script>{axe}</script><script>{run}</script></body>"),
                    encoding="utf-8")
    done = subprocess.run([chromium, *QUIET, f"--user-data-dir={tmp_path / 'axe-profile'}",
                           "--virtual-time-budget=60000", "--dump-dom", copy.as_uri()],
                          capture_output=True, text=True, timeout=180, check=False)
    found = re.search(r'<pre id="axe-result">(.*?)</pre>', done.stdout, re.DOTALL)
    assert found, f"axe-core did not finish: {done.stderr[-2000:]}"
    violations: list[dict[str, Any]] = json.loads(unescape(found.group(1)))
    return violations


def screenshot(chromium: str, page: Path, png: Path, tmp_path: Path, size: str = "1200,1400") -> Path:
    done = subprocess.run([chromium, *QUIET, f"--user-data-dir={tmp_path / 'shot-profile'}", "--hide-scrollbars",
                           f"--screenshot={png}", f"--window-size={size}", page.as_uri()],
                          capture_output=True, text=True, timeout=180, check=False)
    assert png.exists(), done.stderr[-2000:]
    return png


Box = tuple[float, float, float, float]
MARK = "OFFICIAL & SENSITIVE"


def words(text: str) -> Counter[str]:
    return Counter(re.findall(r"[\w'’&%/.:*()+@-]+", text))


def html_words(html: str) -> Counter[str]:
    """The words a reader sees: text outside tags, entities decoded; not the head, nor a chart's name and tooltips
    (an SVG's <title> and <desc> are for screen readers and pointers, never painted)."""
    body = re.sub(r"<(title|desc)\b.*?</\1>", " ", html[html.index("<body"):], flags=re.DOTALL)
    return words(unescape(re.sub(r"<[^>]+>", " ", body)))


def lines_per_page(pdf: Path) -> list[list[tuple[str, Box]]]:
    return [[(line.get_text().strip(), line.bbox) for box in page if isinstance(box, LTTextBox)
             for line in box if isinstance(line, LTTextLine) and line.get_text().strip()]
            for page in extract_pages(pdf)]


def overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] - 0.5 and b[0] < a[2] - 0.5 and a[1] < b[3] - 0.5 and b[1] < a[3] - 0.5


def check_pdf(pdf: Path, html: str, marking: str = MARK) -> list[list[tuple[str, Box]]]:
    """The checks every board PDF passes; returns its lines per page for more."""
    with pdf.open("rb") as f:
        doc = PDFDocument(PDFParser(f))
        catalog = set(doc.catalog)
        info = doc.info[0] if doc.info else {}
    assert {"StructTreeRoot", "MarkInfo", "Lang", "Outlines"} <= catalog  # tagged, with a language and outline
    assert "Author" not in info
    meta = b" ".join(v for v in info.values() if isinstance(v, bytes))
    assert b"/" not in meta.replace(b"Mozilla/5.0", b"").replace(b"Safari/", b"").replace(b"Chrome/", b"") \
        .replace(b"Skia/", b"").replace(b"AppleWebKit/", b"").replace(b"Gecko)", b"")  # no file path
    raw = pdf.read_bytes()
    assert b"file://" not in raw
    assert b"/tmp" not in raw
    missing = html_words(html) - words(extract_text(pdf))
    assert not missing, f"words of the page not in the PDF: {sorted(missing)[:20]}"
    pages = lines_per_page(pdf)
    for n, lines in enumerate(pages, 1):
        texts = [t for t, _ in lines]
        assert texts.count(marking) == 2, (n, texts[:5])  # top and bottom
        assert f"Page {n} of {len(pages)}" in texts, n
        clash = [(a, b) for i, (a, ba) in enumerate(lines) for b, bb in lines[i + 1:] if overlap(ba, bb)]
        assert not clash, (n, clash[:3])
    return pages
