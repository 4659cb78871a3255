"""Issue 18: the guard's shortcut (regexes for the usual cells, formula cells included) finds exactly what the
parse alone finds, for the cells it takes and for every odd spelling it must leave to the parse."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from conftest import RA, MakeReturn, action
from corpus import SHEET_PART
from plan_workbook import layout as L
from plan_workbook.reading import guard

SAMPLES = Path(__file__).parent.parent / "samples" / "returns"
END = b"</sheetData>"
# The template's check column as openpyxl writes it: <c r="I5" s="17"><f>'Lists'!BK5</f><v /></c>
CHECK = re.compile(rb'<c r="(I[0-9]+)" s="([0-9]+)"><f>([^<]*)</f><v */></c>')


def parse_alone(data: bytes, *_: object, **__: object) -> Iterator[bytes]:
    """No shortcut: the whole part to the parse."""
    yield data


def left_for_parse(sheet: bytes, found: list[guard.Found] | None = None) -> bytes:
    """What the parse is given of a sheet: the shortcut's pieces, or the whole part where it gives up."""
    for rows in (True, False):
        try:
            return b"".join(guard._pieces(sheet, 0, [] if found is None else found, rows))
        except guard._Inexact as e:
            if not e.rows:
                break
    return sheet


def view(scan: guard.Scan) -> object:
    """All the guard found, the order of each dict included. A too-large sheet by its problem's kind only: the
    parse stops at the first cell past the limits and the shortcut after the piece holding it, so the size named
    may differ (the sheet is refused either way)."""
    sheets = [(name, ("too-large", dict(f.too_large)["variant"]) if f.too_large
               else [(k, list(v.items()) if isinstance(v, dict) else v) for k, v in vars(f).items()
                     if k not in guard.VALUE_FIELDS])  # the values: test_guard_values.py
              for name, f in scan.sheets.items()]
    return scan.fatal, scan.kind, scan.sheet_list, scan.saved, sheets


def both(data: bytes, monkeypatch: pytest.MonkeyPatch) -> tuple[object, object]:
    fast = view(guard.scan_bytes("return.xlsx", data, L.UNREAD_SHEETS))
    with monkeypatch.context() as patch:
        patch.setattr(guard, "_pieces", parse_alone)
        slow = view(guard.scan_bytes("return.xlsx", data, L.UNREAD_SHEETS))
    return fast, slow


def edited(data: bytes, edit: Callable[[bytes], bytes], part: str = SHEET_PART[RA]) -> bytes:
    """The workbook with one part's bytes edited, in memory."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            dst.writestr(info.filename, edit(body) if info.filename == part else body)
    return out.getvalue()


def cells(xml: bytes) -> Callable[[bytes], bytes]:
    return lambda sheet: sheet.replace(END, xml + END, 1)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    from plan_workbook.fill import write_filled
    from plan_workbook.plan import load_plan
    path = write_filled(tmp_path_factory.mktemp("shortcut") / "return.xlsx", load_plan(), "Leicestershire Police",
                        {RA: [action(), action("Second", status="Red", update="Late")]})
    return path.read_bytes()


def excel_text(sheet: bytes) -> bytes:
    """The check column as Excel re-saves it: text formulas with their cached text (some empty)."""
    return CHECK.sub(lambda m: b'<c r="%s" s="%s" t="str"><f>%s</f><v>%s</v></c>' % (
        m[1], m[2], m[3], b"Fine" if int(m[1][1:]) % 3 else b""), sheet)


def excel_shared(sheet: bytes) -> bytes:
    """Shared formulas: the first cell holds the text and the range, the rest only the group's number."""
    first = [True]

    def one(m: re.Match[bytes]) -> bytes:
        if first[0]:
            first[0] = False
            return b'<c r="%s" s="%s" t="str"><f t="shared" ref="I5:I109" si="0">%s</f><v>ok</v></c>' % (
                m[1], m[2], m[3])
        return b'<c r="%s" s="%s" t="str"><f t="shared" si="0"/><v>ok</v></c>' % (m[1], m[2])

    return CHECK.sub(one, sheet)


def libreoffice(sheet: bytes) -> bytes:
    return CHECK.sub(lambda m: b'<c r="%s" s="%s" t="str"><f aca="false">%s</f><v></v></c>' % (
        m[1], m[2], m[3].replace(b"'", b"")), sheet)


def numbers(sheet: bytes) -> bytes:
    return CHECK.sub(lambda m: b'<c r="%s" s="%s"><f>%s</f><v>%s</v></c>' % (m[1], m[2], m[3], m[1][1:]), sheet)


USUAL = {"openpyxl": lambda sheet: sheet, "Excel text": excel_text, "Excel shared": excel_shared,
         "LibreOffice": libreoffice, "numbers": numbers}


@pytest.mark.parametrize("edit", USUAL.values(), ids=USUAL.keys())
def test_usual_formula_cells_go_by_the_shortcut(base: bytes, monkeypatch: pytest.MonkeyPatch,
                                                edit: Callable[[bytes], bytes]) -> None:
    data = edited(base, edit)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheet = z.read(SHEET_PART[RA])
    found: list[guard.Found] = []
    left = b"".join(guard._pieces(sheet, 0, found))
    assert re.search(rb"<[cfv][\s/>]", left) is None  # what is compared below is the shortcut's own work
    assert len([f for f in found if f[1] is not None]) == len(CHECK.findall(base_sheet(base)))
    fast, slow = both(data, monkeypatch)
    assert fast == slow


def base_sheet(base: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(base)) as z:
        return z.read(SHEET_PART[RA])


# Formula cells spelled every way the shortcut must get right or leave to the parse (each appended at row 150)
ODD = {
    "entities": b'<row r="150"><c r="J150"><f>A1&amp;"x"&lt;&gt;&quot;&apos;B1</f><v>1</v></c></row>',
    "character reference": b'<row r="150"><c r="J150"><f>&#65;1</f><v>1</v></c></row>',
    "unknown entity": b'<row r="150"><c r="J150"><f>&nope;</f><v>1</v></c></row>',
    "entity in the saved text": b'<row r="150"><c r="J150" t="str"><f>A1</f><v>a &amp; b</v></c></row>',
    "unknown entity in the saved text": b'<row r="150"><c r="J150" t="str"><f>A1</f><v>a &b</v></c></row>',
    "error value": b'<row r="150"><c r="J150" t="e"><f>1/0</f><v>#DIV/0!</v></c></row>',
    "unknown error value": b'<row r="150"><c r="J150" t="e"><f>1/0</f><v>#OOPS</v></c></row>',
    "true or false": b'<row r="150"><c r="J150" t="b"><f>TRUE()</f><v>1</v></c></row>',
    "shared string": b'<row r="150"><c r="J150" t="s"><f>A1</f><v>0</v></c></row>',
    "no value": b'<row r="150"><c r="J150"><f>A1</f></c></row>',
    "empty formula": b'<row r="150"><c r="J150"><f/><v>2</v></c><c r="K150"><f></f><v /></c></row>',
    "empty text value": b'<row r="150"><c r="J150" t="str"><f>A1</f><v/></c></row>',
    "text without value": b'<row r="150"><c r="J150" t="str"><f>A1</f></c></row>',
    "not a number": b'<row r="150"><c r="J150"><f>A1</f><v>abc</v></c></row>',
    "blank, not a number": b'<row r="150"><c r="J150"><f>A1</f><v> </v></c></row>',
    "typed number not a number": b'<row r="150"><c r="J150" t="n"><f>A1</f><v>x</v></c></row>',
    "huge number": b'<row r="150"><c r="J150"><f>A1</f><v>1e999</v></c></row>',
    "value then formula": b'<row r="150"><c r="J150"><v>1</v><f>A1</f></c></row>',
    "same cell twice": b'<row r="150"><c r="J150"><f>1</f><v>1</v></c><c r="J150"><f>2</f></c></row>',
    "same cell, once for the parse": b'<row r="150"><c r="J150"><f>1</f><v>1</v></c><c r="J150" t="e"><f>2</f>'
                                     b'<v>#N/A</v></c><c r="J150"><f>3</f></c></row>',
    "a cell for the parse between": b'<row r="150"><c r="J150"><f>1</f></c><c r="K150" t="b"><v>1</v></c>'
                                    b'<c r="L150"><f>2</f></c></row>',
    "odd cell attribute": b'<row r="150"><c r="J150" cm="1"><f>1</f><v>1</v></c></row>',
    "odd formula attribute": b'<row r="150"><c r="J150"><f t="array" ref="J150" foo="x">1</f><v>1</v></c></row>',
    "array formula": b'<row r="150"><c r="J150"><f t="array" ref="J150:J151">1</f><v>1</v></c></row>',
    "brackets": b'<row r="150"><c r="J150"><f>Table1[Col]</f><v>1</v></c></row>',
    "new lines": b'<row r="150"><c r="J150"><f>A1\r\n+1\r+2\n</f><v>1</v></c></row>',
    "long formula": b'<row r="150"><c r="J150"><f>' + b"A1+" * 700 + b"1</f><v>1</v></c></row>",
    "accents": '<row r="150"><c r="J150"><f>"é—✓"&amp;A1</f><v>1</v></c></row>'.encode(),
    "bad UTF-8": b'<row r="150"><c r="J150"><f>"\xff"</f><v>1</v></c></row>',
    "non-character": '<row r="150"><c r="J150"><f>"\ufffe"</f><v>1</v></c></row>'.encode(),
    "control character": b'<row r="150"><c r="J150"><f>"\x01"</f><v>1</v></c></row>',
    "far, with a value": b'<row r="1048576"><c r="XFD1048576"><f>1</f><v>1</v></c></row>',
    "far, without a value": b'<row r="1048576"><c r="XFD1048576"><f>1</f></c></row>',
    "far column": b'<row r="150"><c r="ALM150"><f>1</f><v>1</v></c></row>',
    "in a comment": b'<!-- <c r="J150"><f>1</f><v>1</v></c> --><row r="150"><c r="K150"><f>2</f></c></row>',
    "in CDATA": b'<row r="150"><c r="J150" t="inlineStr"><is><t><![CDATA[<c r="K150"><f>1</f></c>]]></t></is>'
                b"</c></row>",
    "processing instruction": b'<?pi <c r="J150"><f>1</f><v>1</v></c> ?><row r="150"><c r="K150"><f>2</f></c></row>',
    "inside another cell": b'<row r="150"><c r="J150" t="inlineStr"><is><t>x</t></is><c r="K150"><f>1</f><v>1</v>'
                           b"</c></c></row>",
    "cell without reference after": b'<row r="150"><c r="J150"><f>1</f><v>1</v></c><c><f>2</f><v>2</v></c></row>',
    "row without number after": b'<row r="150"><c r="J150"><f>1</f><v>1</v></c></row><row><c r="J151"><f>2</f>'
                                b"<v>2</v></c></row>",
    "after sheetData": END + b'<sheetData><row r="150"><c r="J150"><f>1</f><v>1</v></c></row>',
    "hidden row": b'<row r="150" hidden="1"><c r="J150"><f>1</f><v>1</v></c></row>',
}


# Those the shortcut takes (the rest it leaves to the parse, for the same facts)
TAKEN = {"entities", "entity in the saved text", "no value", "empty formula", "empty text value", "text without value",
         "same cell twice", "array formula", "long formula", "accents", "far, with a value", "far, without a value",
         "far column", "hidden row", "row without number after"}


@pytest.mark.parametrize(("name", "xml"), ODD.items(), ids=ODD.keys())
def test_odd_formula_cells_give_the_same_facts(base: bytes, monkeypatch: pytest.MonkeyPatch, name: str,
                                               xml: bytes) -> None:
    data = edited(base, cells(xml))
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        left = left_for_parse(z.read(SHEET_PART[RA]))
    assert (re.search(rb"<f[\s/>]", left) is None) == (name in TAKEN)
    fast, slow = both(data, monkeypatch)
    assert fast == slow


WHOLE = {
    "another encoding": lambda sheet: b'<?xml version="1.0" encoding="ISO-8859-1"?>' + cells(
        b'<row r="150"><c r="J150"><f>"\xe9"</f><v>1</v></c></row>')(sheet),
    "a declaration, then a processing instruction": lambda sheet: b'<?xml version="1.0"?><?pi x?>' + sheet,
    "cells before sheetData": lambda sheet: sheet.replace(b"<sheetData>", b'<c r="J150"><f>1</f><v>1</v></c>'
                                                          b"<sheetData>", 1),
    "prefixed sheetData": lambda sheet: sheet.replace(b"<sheetData>", b'<x:sheetData xmlns:x="urn:x">', 1)
                                             .replace(END, b"</x:sheetData>", 1),
    "empty sheetData": lambda sheet: re.sub(rb"<sheetData>.*</sheetData>", b"<sheetData/>", sheet, flags=re.S),
    "damaged XML": cells(b'<row r="150"><c r="J150"><f>1</f><v>1</v></c></row></row>'),
}


@pytest.mark.parametrize("edit", WHOLE.values(), ids=WHOLE.keys())
def test_odd_parts_give_the_same_facts(base: bytes, monkeypatch: pytest.MonkeyPatch,
                                       edit: Callable[[bytes], bytes]) -> None:
    fast, slow = both(edited(base, edit), monkeypatch)
    assert fast == slow


def test_the_samples_give_the_same_facts(monkeypatch: pytest.MonkeyPatch) -> None:
    for path in sorted(SAMPLES.glob("*.xlsx")):
        fast, slow = both(path.read_bytes(), monkeypatch)
        assert fast == slow, path.name


def test_a_big_sheet_of_formulas_in_pieces(make_return: MakeReturn, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pieces are cut anywhere a megabyte apart: formula cells on both sides of each cut keep their order."""
    rows = [action(f"Action {i}", update=f"Update {i} " * (i % 5)) for i in range(6000)]

    def formulas(sheet: bytes) -> bytes:  # one more formula cell on every row, a number or a text
        return re.sub(rb'<row r="([0-9]+)"([^>/]*)>', lambda m: m[0] + (
            b'<c r="J%s"><f>ROW()</f><v>%s</v></c>' % (m[1], m[1]) if int(m[1]) % 2 else
            b'<c r="J%s" t="str"><f>"&lt;"&amp;ROW()</f><v>&lt;%s</v></c>' % (m[1], m[1])), excel_text(sheet))

    data = edited(make_return(rows={RA: rows}).read_bytes(), formulas)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheet = z.read(SHEET_PART[RA])
    found: list[guard.Found] = []
    assert len(list(guard._pieces(sheet, 0, found))) > 3
    assert len([f for f in found if f[1] is not None]) > 6000
    fast, slow = both(data, monkeypatch)
    assert fast == slow


SST = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="3" uniqueCount="3">'
STRINGS = {
    "usual": SST + b'<si><t>a</t></si><si><t xml:space="preserve"> b </t></si><si><r><rPr><b/></rPr><t>c</t></r>'
                   b'<rPh sb="0" eb="1"><t>x</t></rPh></si></sst>',
    "one inside another": SST + b"<si><t>a</t><si><t>b</t></si></si><si><t>c</t></si></sst>",
    "prefixed": b'<x:sst xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:si><x:t>a</x:t>'
                b"</x:si><x:si><x:t>b</x:t></x:si><x:si><x:t>c</x:t></x:si></x:sst>",
    "an attribute": SST + b'<si foo="1"><t>a</t></si><si><t>b</t></si><si><t>c</t></si></sst>',
    "empty elements": SST + b"<si/><si><t>b</t></si><si/></sst>",
    "before the table": b'<root><si><t>z</t></si>' + SST + b"<si><t>a</t></si><si><t>b</t></si></sst></root>",
    "after the table": b"<root>" + SST + b"<si><t>a</t></si><si><t>b</t></si></sst><si><t>z</t></si></root>",
    "in a comment": SST + b"<!-- <si><t>x</t></si> --><si><t>a</t></si><si><t>b</t></si></sst>",
    "count that cannot be true": SST.replace(b'uniqueCount="3"', b'uniqueCount="100000000000"')
                                 + b"<si><t>a</t></si></sst>",
    "count spelled with a reference": SST.replace(b'uniqueCount="3"', b'uniqueCount="&#49;00000000000"')
                                      + b"<si><t>a</t></si></sst>",
    "> in an attribute": SST.replace(b'uniqueCount="3"', b'x="a>b" uniqueCount="100000000000"')
                         + b"<si><t>a</t></si></sst>",
    "damaged": SST + b"<si><t>a</t></si><si><t>b</si></sst>",
}


PLAIN = {"usual", "damaged", "count that cannot be true", "count spelled with a reference"}  # by the shortcut


@pytest.mark.parametrize(("name", "sst"), STRINGS.items(), ids=STRINGS.keys())
def test_the_text_table_is_counted_as_the_parse_counts_it(base: bytes, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch, name: str,
                                                         sst: bytes) -> None:
    """The shortcut for the shared strings: cells name entries 2 and 3, so which one blocks the sheet (if any)
    tells the count."""
    from corpus_guard import _with_strings
    path = tmp_path / "return.xlsx"
    row = b'<row r="150"><c r="J150" t="s"><v>2</v></c><c r="K150" t="s"><v>3</v></c></row>'
    path.write_bytes(edited(base, cells(row)))
    _with_strings(path, sst)
    data = path.read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert (guard._plain_strings(z.read("xl/sharedStrings.xml")) is not None) == (name in PLAIN)
    fast = view(guard.scan_bytes("return.xlsx", data, L.UNREAD_SHEETS))
    with monkeypatch.context() as patch:
        patch.setattr(guard, "_plain_strings", lambda data: None)
        slow = view(guard.scan_bytes("return.xlsx", data, L.UNREAD_SHEETS))
    assert fast == slow
