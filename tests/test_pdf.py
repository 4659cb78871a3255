"""Issue 17, the board page as a PDF: tagged, every word of the page in its text, nothing overprinted, the
marking and page numbers on every page, no author or path; a clear error without Chromium."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from pdfminer.high_level import extract_pages, extract_text
from pdfminer.layout import LTTextBox, LTTextLine
from pdfminer.pdfdocument import PDFDocument
from pdfminer.pdfparser import PDFParser

from browser import find_chromium
from plan_workbook.errors import OutputError
from plan_workbook.pdf import write_pdf

Box = tuple[float, float, float, float]
MARK = "OFFICIAL & SENSITIVE"


def words(text: str) -> Counter[str]:
    return Counter(re.findall(r"[\w'’&%/.:*()+@-]+", text))


def html_words(html: str) -> Counter[str]:
    """The words a reader sees: text outside tags, styles and the head, entities decoded."""
    from html import unescape

    body = html[html.index("<body"):]
    return words(unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<style.*?</style>", " ", body, flags=re.DOTALL))))


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


@pytest.mark.browser
def test_pdf_of_a_page(tmp_path: Path) -> None:
    chromium = find_chromium()
    html = (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Board</title><style>'
            f'@page {{ size: A4; margin: 18mm 12mm; @top-center {{ content: "{MARK}"; }} '
            f'@bottom-center {{ content: "{MARK}"; }} '
            '@bottom-right { content: "Page " counter(page) " of " counter(pages); } }</style></head><body>'
            "<h1>Board report</h1>" + "".join(f"<h2>Part {i}</h2><p>Leicester &amp; Rutland {i}</p>" * 20
                                               for i in range(3)) + "</body></html>")
    out = write_pdf(html, tmp_path / "board.pdf", chromium)
    pages = check_pdf(out, html)
    assert len(pages) >= 2


def test_no_browser_is_one_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # nowhere to find Chromium
    with pytest.raises(OutputError, match=r"^cannot write .*board\.pdf: the PDF is printed by Chromium, which is not "):
        write_pdf("<html></html>", tmp_path / "board.pdf")
    assert not (tmp_path / "board.pdf").exists()


def test_a_browser_that_prints_nothing_is_one_clear_error(tmp_path: Path) -> None:
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\necho 'no display' >&2\nexit 3\n", encoding="utf-8")
    fake.chmod(0o755)
    with pytest.raises(OutputError, match=r"Chromium printed nothing \(exit 3: no display\)"):
        write_pdf("<html></html>", tmp_path / "board.pdf", str(fake))
