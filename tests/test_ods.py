"""Issue 15: OpenDocument spreadsheets (LibreOffice's own format) read into the same grid and facts the guard
gives for .xlsx, behind limits that count repeated rows and cells before anything is placed."""

from __future__ import annotations

import io
import subprocess
import tracemalloc
import zipfile
from collections.abc import Callable
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pytest
import python_calamine

from odsfile import HIDDEN_TABLE_STYLE, content, ods, table
from plan_workbook.problems import render
from plan_workbook.reading import guard
from plan_workbook.reading.ods import excel_formula, is_ods, read_ods
from plan_workbook.sources.source import MiB

SAMPLES = Path(__file__).parent.parent / "samples" / "returns"


def trimmed(rows: list[list[Any]]) -> list[list[Any]]:
    """A grid without empty rows and columns at its end (calamine and LibreOffice differ only there)."""
    rows = [list(r) for r in rows]
    while rows and all(v is None for v in rows[-1]):
        rows.pop()
    width = max((i + 1 for r in rows for i, v in enumerate(r) if v is not None), default=0)
    return [r[:width] + [None] * (width - len(r)) for r in rows]


def calamine_grid(path: Path, sheet: str) -> list[list[Any]]:
    wb = python_calamine.CalamineWorkbook.from_path(str(path))
    try:
        return [[None if v == "" else v for v in r] for r in wb.get_sheet_by_name(sheet).to_python(
            skip_empty_area=False)]
    finally:
        wb.close()


@pytest.mark.libreoffice
def test_libreoffice_saves_each_sample_as_ods_and_every_value_reads_as_in_the_xlsx(soffice: str,
                                                                                    tmp_path: Path) -> None:
    out = tmp_path / "ods"
    done = subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless",
                           "--convert-to", "ods", "--outdir", str(out), *map(str, sorted(SAMPLES.glob("*.xlsx")))],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    for xlsx in sorted(SAMPLES.glob("*.xlsx")):
        data = (out / f"{xlsx.stem}.ods").read_bytes()
        assert is_ods(data)
        book = read_ods(xlsx.name, data)
        assert book.fatal is None
        assert [(s.name, s.visible) for s in book.sheets] == [
            ("Front", True), ("Raising Awareness", True), ("Improving our Response", True),
            ("Strengthening Communities", True), ("Lists", False), ("_meta", False)]
        for sheet in book.sheets:
            if sheet.name == "Lists":  # the template's hidden lists and check workings: never read as a return
                continue
            # the template's own check formulas: LibreOffice calculated them on opening, openpyxl saved none
            computed = {guard.position(cell) for cell in sheet.facts.formulas}
            ods_values = [[None if (r, c) in computed else v for c, v in enumerate(row)]
                          for r, row in enumerate(sheet.rows)]
            assert trimmed(ods_values) == trimmed(calamine_grid(xlsx, sheet.name)), (xlsx.name, sheet.name)
        assert isinstance(book.saved, datetime)


def cell(value: str, kind: str = "string", attrs: str = "") -> str:
    if kind == "string":
        return f'<table:table-cell office:value-type="string" {attrs}><text:p>{value}</text:p></table:table-cell>'
    return f'<table:table-cell office:value-type="{kind}" {attrs}><text:p>shown</text:p></table:table-cell>'


def test_values_formulas_notes_and_layout_facts() -> None:
    rows = (
        '<table:table-column table:number-columns-repeated="2"/>'
        '<table:table-column table:visibility="collapse"/>'
        "<table:table-row>"
        + cell("A  <text:s/>b<text:tab/>c<text:line-break/>d")
        + cell("", "float", 'office:value="2022"')
        + cell("", "date", 'office:date-value="2021-10-01"')
        + cell("", "date", 'office:date-value="2021-10-01T12:30:00"')
        + "</table:row>".replace("table:row", "table:table-row")
        + '<table:table-row table:visibility="collapse">'
        + cell("", "boolean", 'office:boolean-value="true"')
        + cell("", "percentage", 'office:value="0.25"')
        + cell("", "time", 'office:time-value="PT12H30M00S"')
        + '<table:table-cell table:formula="of:=1/0" office:value-type="string" office:string-value="" '
          'calcext:value-type="error"><text:p>#DIV/0!</text:p></table:table-cell>'
        + "</table:table-row>"
        + "<table:table-row>"
        + '<table:table-cell table:number-columns-spanned="2" office:value-type="string"><text:p>merged</text:p>'
          '<office:annotation><dc:creator>Jo</dc:creator><dc:date>2022-01-01</dc:date><text:p>A note</text:p>'
          "<text:p>two lines</text:p></office:annotation></table:table-cell><table:covered-table-cell/>"
        + '<table:table-cell table:formula="of:=[.B1]+1" office:value-type="float" office:value="2023">'
          "<text:p>2023</text:p></table:table-cell>"
        + "</table:table-row>"
        + '<table:table-row table:number-rows-repeated="1048573"><table:table-cell '
          'table:number-columns-repeated="16384"/></table:table-row>'  # what LibreOffice writes after the last row
    )
    book = read_ods("v.ods", ods(content(table("Data", rows) + table("Secret", "", "ta2"), HIDDEN_TABLE_STYLE)))
    assert book.fatal is None
    data, secret = book.sheets
    assert (secret.name, secret.visible, data.visible) == ("Secret", False, True)
    assert data.rows == [
        ["A  b\tc\nd", 2022.0, date(2021, 10, 1), datetime(2021, 10, 1, 12, 30)],
        [True, 0.25, time(12, 30), "#DIV/0!"],
        ["merged", None, 2023.0, None],
    ]
    facts = data.facts
    assert facts.size == (3, 4)
    assert (facts.hidden_rows, facts.hidden_columns) == ({2}, {2})
    assert facts.notes == {"A3": "A note\ntwo lines"}
    assert facts.formulas == {"D2": ("1/0", True), "C3": ("B1+1", True)}  # as Excel writes them
    assert facts.errors == {"D2": "#DIV/0!"}
    assert data.merged == [((2, 0), (2, 1))]


@pytest.mark.parametrize(("odf", "excel"), [
    ("of:=[.B1]+1", "B1+1"), ("of:=[$Lists.$A$2]", "Lists!$A$2"), ("of:=SUM([.A1:.B3])", "SUM(A1:B3)"),
    ("of:=['My sheet'.C3]", "'My sheet'!C3"), ('of:=IF([.A1]="a;[.B1]";1;2)', 'IF(A1="a;[.B1]",1,2)'),
])
def test_formulas_read_as_excel_writes_them(odf: str, excel: str) -> None:
    assert excel_formula(odf) == excel


def test_huge_repeats_are_refused_before_anything_is_allocated() -> None:
    """One cell repeated over a whole sheet is 17 billion cells to a reader that expands repeats."""
    everywhere = ('<table:table-row table:number-rows-repeated="1048576"><table:table-cell '
                  'table:number-columns-repeated="16384" office:value-type="string"><text:p>x</text:p>'
                  "</table:table-cell></table:table-row>")
    far_down = ('<table:table-row table:number-rows-repeated="999999"><table:table-cell/></table:table-row>'
                "<table:table-row>" + cell("stray") + "</table:table-row>")
    ok = "<table:table-row>" + cell("ok") + "</table:table-row>"
    body = content(table("Everywhere", everywhere) + table("Far down", far_down) + table("Fine", ok))
    tracemalloc.start()
    book = read_ods("big.ods", ods(body))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 20 * MiB
    assert book.fatal is None
    everywhere_sheet, far, fine = book.sheets
    assert "1,048,576 rows by 16,384 columns" in render("too-large", everywhere_sheet.facts.too_large, sheet="x")
    assert "A1000000" in render("too-large", far.facts.too_large, sheet="x")
    assert (everywhere_sheet.rows, far.rows, fine.rows) == ([], [], [["ok"]])


def test_the_book_budget_counts_every_sheet() -> None:
    block = ('<table:table-row table:number-rows-repeated="1500"><table:table-cell '
             'table:number-columns-repeated="1000" office:value-type="float" office:value="1"/></table:table-row>')
    book = read_ods("many.ods", ods(content("".join(table(f"S{i}", block) for i in range(3)))))
    assert book.fatal is not None
    assert book.fatal[0] == "too-large"


HOSTILE: dict[str, tuple[Callable[[], bytes], str]] = {
    # a zip bomb: 150 MB of spaces in a few hundred kB
    "bomb": (lambda: ods(content(table("S", "<table:table-row>" + " " * (150 * 1024 * 1024) + "</table:table-row>"))),
             "too-large"),
    "entities": (lambda: ods(b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
                             + content("")[38:]), "unsafe-file"),
    "encrypted": (lambda: ods(content(""), manifest=b"<manifest:manifest><manifest:encryption-data/>"
                              b"</manifest:manifest>"), "encrypted"),
    "text document": (lambda: ods(content(""), mimetype=b"application/vnd.oasis.opendocument.text"), "wrong-format"),
    "broken xml": (lambda: ods(b"<office:document-content"), "unreadable-file"),
    "cut short": (lambda: ods(content(""))[:200], "unreadable-file"),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_damaged_and_hostile_files_are_refused_with_their_code(case: str) -> None:
    make, code = HOSTILE[case]
    book = read_ods("x.ods", make())
    assert book.fatal is not None
    assert book.fatal[0] == code
    assert book.sheets == []


def test_an_ods_is_known_by_its_mimetype_wherever_it_is_in_the_zip() -> None:
    standard = ods(content(table("S", "<table:table-row>" + cell("x") + "</table:table-row>")))
    assert is_ods(standard)
    moved = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(standard)) as src, zipfile.ZipFile(moved, "w") as out:
        for name in reversed(src.namelist()):  # mimetype last, as some writers put it
            out.writestr(name, src.read(name))
    assert is_ods(moved.getvalue())
    assert read_ods("m.ods", moved.getvalue()).sheets[0].rows == [["x"]]
    assert not is_ods((SAMPLES / "victim-first.xlsx").read_bytes())
    assert not is_ods(ods(content(""), mimetype=b"application/vnd.oasis.opendocument.text"))
