"""Issue 17, the board page as a PDF: tagged, every word of the page in its text, nothing overprinted, the
marking and page numbers on every page, no author or path; a clear error without Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest

from browser import MARK, check_pdf, find_chromium
from plan_workbook.errors import OutputError
from plan_workbook.outputs.pdf import write_pdf


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
