"""The board page as a PDF, printed by headless Chromium from the same HTML.

Chromium prints what the page's print styles say (A4, the protective marking in every page's top and bottom
margin, `Page N of M`, table headers repeated) and writes a tagged PDF (structure tree, document language)
with an outline from the headings. It runs with a new, empty profile in a temporary folder, no network and no
header or footer of its own (which would print the file's path), so the PDF carries no author and no path.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from ..errors import OutputError
from .atomic import write_atomic

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-extensions", "--disable-quic",
         "--no-pdf-header-footer", "--generate-pdf-document-outline")
TIMEOUT = 300  # seconds; a page of a few hundred actions prints in a few


def find_browser() -> str | None:
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


def write_pdf(html: str, out: Path, browser: str | None = None) -> Path:
    """Print `html` to `out` (written atomically). Raises OutputError, one line, when it cannot."""
    browser = browser or find_browser()
    if browser is None:
        raise OutputError(f"cannot write {out}: the PDF is printed by Chromium, which is not installed "
                          "(apt-get install chromium); write the HTML report instead")
    with tempfile.TemporaryDirectory(prefix="plan-workbook-pdf-") as tmp:
        page, pdf = Path(tmp) / "board.html", Path(tmp) / "board.pdf"
        page.write_text(html, encoding="utf-8")
        try:
            done = subprocess.run([browser, *FLAGS, f"--user-data-dir={Path(tmp) / 'profile'}",
                                   f"--print-to-pdf={pdf}", page.as_uri()],
                                  capture_output=True, text=True, timeout=TIMEOUT, check=False)
        except subprocess.TimeoutExpired:
            raise OutputError(f"cannot write {out}: Chromium did not finish printing in {TIMEOUT} s") from None
        except OSError as e:
            raise OutputError(f"cannot write {out}: Chromium could not be started ({e.strerror or e})") from None
        if not pdf.is_file() or pdf.stat().st_size == 0:
            last = (done.stderr.strip().splitlines() or ["no message"])[-1]
            raise OutputError(f"cannot write {out}: Chromium printed nothing (exit {done.returncode}: {last})")
        write_atomic(out, pdf.read_bytes())
    return out
