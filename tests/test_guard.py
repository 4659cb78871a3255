"""Issue 10: the guard sees exactly what calamine will load, and one bad return never takes the round down.

calamine runs in a subprocess (with a memory cap) wherever a file might make it allocate or abort."""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import RA, MakeReturn, action
from corpus import SHEET_PART, _edit_zip, _in_sheet
from corpus_guard import AFTER_READER, FAR_CELLS, _with_strings, guard_cases
from plan_workbook import layout as L
from plan_workbook.plan import ROLES, Plan
from plan_workbook.problems import render
from plan_workbook.reading import guard
from test_guard_shortcut import parse_alone

SAMPLES = Path(__file__).parent.parent / "samples" / "returns"
WIDTH = len(ROLES) + 1  # a priority sheet's columns: the eight roles and the template's check column
# Prints, per sheet index, calamine's (rows, columns) from A1 and the first rows, or the error it raised.
CALAMINE = r"""
import io, json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))
import python_calamine as pc
out = {}
try:
    wb = pc.CalamineWorkbook.from_filelike(io.BytesIO(open(sys.argv[1], "rb").read()))
except BaseException as e:
    print(json.dumps({"open": type(e).__name__ + ": " + str(e)})); sys.exit()
out["names"] = wb.sheet_names
for i, name in enumerate(wb.sheet_names):
    try:
        ws = wb.get_sheet_by_index(i)
        end = ws.end
        out[str(i)] = [end[0] + 1, end[1] + 1] if end else [0, 0]
        out["rows" + str(i)] = [[str(v) for v in r] for r in ws.to_python(skip_empty_area=False)[:2]]
    except BaseException as e:
        out[str(i)] = type(e).__name__ + ": " + str(e)
print(json.dumps(out))
"""


def calamine(path: Path) -> tuple[int, dict[str, object]]:
    done = subprocess.run([sys.executable, "-c", CALAMINE, str(path)], capture_output=True, text=True, timeout=120,
                          check=False)
    return done.returncode, json.loads(done.stdout) if done.returncode == 0 else {}


def facts_only(sheets: dict[str, guard.SheetFacts]) -> dict[str, guard.SheetFacts]:
    """The facts without the values the shortcut read (the parse alone leaves those to calamine)."""
    return {n: dataclasses.replace(f, grid=None, merged=[], longest=0) for n, f in sheets.items()}  # VALUE_FIELDS


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory, plan: Plan) -> tuple[Path, dict[str, set[str]]]:
    folder = tmp_path_factory.mktemp("guard-corpus")
    expected: dict[str, set[str]] = {}

    def add(name: str, *codes: str) -> Path:
        expected[name] = set(codes)
        return folder / name

    guard_cases(folder, plan, add)
    return folder, expected


# Cells spelled in ways valid XML allows, appended to Raising Awareness (whose template area ends at H109)
SPELLINGS = {
    "tab before r": b'<row r="150"><c\tr="J150"><v>1</v></c></row>',
    "single quotes": b"<row r='150'><c r='J150' t='inlineStr'><is><t>x</t></is></c></row>",
    "leading zeros": b'<row r="150"><c r="J000150"><v>1</v></c></row>',
    "lower-case letters": b'<row r="150"><c r="j150"><v>1</v></c></row>',
    "cells without r": b'<row r="150"><c r="J150"><v>1</v></c><c><v>2</v></c><c><v>3</v></c></row>',
    "row without r": b'<row r="150"><c r="B150"><v>1</v></c></row><row><c r="B151"/><c><v>2</v></c></row>'
                     b"<row><c><v>3</v></c></row>",
    "empty row without r": b'<row r="150"/><row/><row><c><v>3</v></c></row>',
    "empty cell moves the cursor": b'<row r="150"><c r="K150"/><c><v>1</v></c></row>',
    "attribute on is": b'<row r="150"><c r="J150" t="inlineStr"><is foo="1"><t>x</t></is></c></row>',
    "v after whitespace": b'<row r="150"><c r="J150">\n  <v>7</v></c></row>',
    "namespace prefix": b'<x:row xmlns:x="urn:x" r="150"><x:c r="J150" t="inlineStr"><x:is><x:t>y</x:t></x:is>'
                        b"</x:c></x:row>",
    "prefixed r is not r": b'<row r="150"><c xmlns:x="urn:x" x:r="M150"><v>1</v></c></row>',
    "formula after value: no value": b'<row r="150"><c r="J150"><v>1</v><f>1+0</f></c></row>',
    "empty v: no value": b'<row r="150"><c r="J150"><v></v></c></row>',
    "empty inline string counts": b'<row r="150"><c r="J150" t="inlineStr"><is></is></c></row>',
    "empty str value counts": b'<row r="150"><c r="J150" t="str"><v></v></c></row>',
    "row number wraps at 2^32": b'<row r="4294967446"><c r="J4294967446"><v>1</v></c></row>',
    "cell outside a row": b'<c r="J150"><v>1</v></c>',
    "usual text and empty cells": b'<row r="150"><c r="J150" s="1" t="inlineStr"><is><t></t></is></c>'
                                  b'<c r="Z150" s="1" t="n" /></row>',
    "usual cells after sheetData": b'</sheetData><sheetData><row r="170"><c r="Z170" t="inlineStr"><is><t>x</t>'
                                   b"</is></c></row>",
    "usual cells in a comment": b'<!-- <c r="Z160" t="inlineStr"><is><t>x</t></is></c> --><row r="150">'
                                b'<c r="J150" t="inlineStr"><is><t>x</t></is></c></row>',
}


@pytest.mark.parametrize("xml", SPELLINGS.values(), ids=SPELLINGS.keys())
def test_extent_is_what_calamine_loads(make_return: MakeReturn, xml: bytes) -> None:
    path = make_return(rows={RA: [action()]})
    base = guard.scan(path).sheets[RA].size
    _edit_zip(path, _in_sheet(RA, b"</sheetData>", xml + b"</sheetData>"))
    facts = guard.scan(path).sheets[RA]
    code, seen = calamine(path)
    assert code == 0
    assert tuple(seen["1"]) == facts.size  # type: ignore[arg-type]
    assert facts.size[0] >= base[0]


def test_extents_of_the_samples_match_calamine() -> None:
    for path in sorted(SAMPLES.glob("*.xlsx")):
        scan = guard.scan(path)
        _, seen = calamine(path)
        names = seen["names"]
        assert isinstance(names, list)
        assert {n: tuple(seen[str(i)]) for i, n in enumerate(names)  # type: ignore[arg-type]
                if n in scan.sheets} == {n: f.size for n, f in scan.sheets.items()}


def test_the_shortcut_for_usual_cells_gives_the_same_facts(monkeypatch: pytest.MonkeyPatch) -> None:
    with zipfile.ZipFile(SAMPLES / "victim-first.xlsx") as z:
        data = z.read(SHEET_PART[RA])
    # the comparison below means something: most of the sheet goes by the shortcut (not the check formulas)
    assert len(b"".join(guard._pieces(data, 0, []))) < len(data) // 3
    fast = [guard.scan(p) for p in sorted(SAMPLES.glob("*.xlsx"))]
    monkeypatch.setattr(guard, "_pieces", parse_alone)
    slow = [guard.scan(p) for p in sorted(SAMPLES.glob("*.xlsx"))]
    assert [facts_only(s.sheets) for s in fast] == [facts_only(s.sheets) for s in slow]
    assert all(f.grid is None for s in slow for f in s.sheets.values())  # the parse alone leaves them to calamine


def test_each_corpus_case_is_refused_or_described(cases: tuple[Path, dict[str, set[str]]]) -> None:
    folder, expected = cases
    for name in [*FAR_CELLS, "sheet-part-upper-case.xlsx"]:
        scan = guard.scan(folder / name)
        assert scan.fatal is None, name
        message = render("too-large", scan.sheets[RA].too_large, sheet=RA)
        assert message.startswith(f"The sheet '{RA}' has entries as far as cell "), name
    fatal = {n: guard.scan(folder / n).fatal for n in expected}
    for name in ("sheet-parts-colliding.xlsx", "shared-strings-count-lie.xlsx", "excel4-macro-sheet.xlsx",
                 "sixty-four-full-sheets.xlsx", "sheet-state-wrong-case.xlsx", "sheet-in-utf16.xlsx"):
        got = fatal[name]
        assert got is not None, name
        assert {got[0]} == expected[name], name
        assert "\n" not in got.message
    assert "sixty-four-full-sheets.xlsx" in fatal["sixty-four-full-sheets.xlsx"].message  # type: ignore[union-attr]
    assert "'Macro1'" in fatal["excel4-macro-sheet.xlsx"].message  # type: ignore[union-attr]
    assert "'Hidden' instead of 'hidden'" in fatal["sheet-state-wrong-case.xlsx"].message  # type: ignore[union-attr]
    assert "UTF-16" in fatal["sheet-in-utf16.xlsx"].message  # type: ignore[union-attr]
    for name, codes in AFTER_READER.items():  # the reader turns the guard's facts into these problems
        assert codes <= expected[name], name


def test_far_cells_really_reach_calamine(cases: tuple[Path, dict[str, set[str]]]) -> None:
    """Without the guard, calamine holds (or fails to allocate) a million-row or 16,384-column sheet."""
    folder, _ = cases
    for name in ("ref-with-tab.xlsx", "cell-without-ref.xlsx", "sheet-part-upper-case.xlsx"):
        code, seen = calamine(folder / name)
        assert code != 0 or seen["1"] in ([200, 16384], [1048576, WIDTH]), (name, code)


def test_a_lying_string_count_aborts_calamine_but_not_the_guard(cases: tuple[Path, dict[str, set[str]]]) -> None:
    folder, _ = cases
    code, _ = calamine(folder / "shared-strings-count-lie.xlsx")
    assert code != 0  # a Rust abort: the whole process would have gone
    assert guard.scan(folder / "shared-strings-count-lie.xlsx").fatal[0] == "unsafe-file"  # type: ignore[index]


def test_colliding_names_are_a_real_ambiguity(cases: tuple[Path, dict[str, set[str]]]) -> None:
    """calamine reads the second of two parts that differ only in case: the one with a cell in row 1,048,576."""
    folder, _ = cases
    with zipfile.ZipFile(folder / "sheet-parts-colliding.xlsx") as z:
        assert {"xl/worksheets/sheet2.xml", "xl/worksheets/Sheet2.xml"} <= set(z.namelist())
    code, seen = calamine(folder / "sheet-parts-colliding.xlsx")
    assert code != 0 or seen["1"] == [1048576, WIDTH]


def test_facts_for_the_reader(cases: tuple[Path, dict[str, set[str]]]) -> None:
    folder, _ = cases
    errors = guard.scan(folder / "cell-error-values.xlsx").sheets[RA]
    assert errors.errors == {"H10": "#REF!", "G11": "#N/A"}
    assert [guard.position(ref) for ref in errors.errors] == [(9, 7), (10, 6)]
    assert guard.a1(*guard.position("XFD1048576")) == "XFD1048576"
    assert errors.formulas["G11"] == ("VLOOKUP(A1,Lists!A:A,2,0)", True)
    assert not errors.damaged
    index = guard.scan(folder / "shared-string-index-damaged.xlsx").sheets[RA]
    assert list(index.damaged) == ["H10"]
    assert index.blocked == ""  # calamine reads text 0 instead, silently
    past = guard.scan(folder / "shared-string-past-end.xlsx").sheets[RA]
    assert (list(past.damaged), past.blocked) == (["H10"], "H10")
    number = guard.scan(folder / "number-damaged.xlsx").sheets[RA]
    assert number.damaged == {"H10": "it is marked as a number but holds '12 weeks'"}
    assert number.blocked == "H10"
    notes = guard.scan(folder / "cell-notes.xlsx").sheets[RA]
    assert notes.notes == {"H10": "Stall booked for 12 October; leaflets at the printers."}
    # what calamine does with them, so the reader knows what it is correcting
    _, seen = calamine(folder / "shared-string-past-end.xlsx")
    assert "string index" in str(seen["1"])
    _, seen = calamine(folder / "number-damaged.xlsx")
    assert "float" in str(seen["1"])


def test_damaged_cells_that_calamine_reads_wrongly_or_refuses(make_return: MakeReturn) -> None:
    cells = (b'<row r="150"><c r="A150" t="b"><v>yes</v></c><c r="B150" t="e"><v>#SPILL!</v></c>'
             b'<c r="C150" t="zz"><v>1</v></c><c r="D150"><v>nan</v></c><c r="E150" t="d"><v>soon</v></c>'
             b'<c r="F150"><v>1</v><extLst/></c><c r="0"><v>1</v></c><c r="H150" t="inlineStr"><v>Done</v></c>'
             b'<c r="I150" t="inlineStr"><is><t>Done</t></is><v>x</v></c><c r="J150"><v>1</v><f>A1</f></c>'
             b'<c r="K150"><v>1e400</v></c><c r="L150" t="b"><v> TRUE\n</v></c><c r="M150" t="n"><v>1.</v></c></row>')
    path = make_return(rows={RA: [action()]})
    _edit_zip(path, _in_sheet(RA, b"</sheetData>", cells + b"</sheetData>"))
    facts = guard.scan(path).sheets[RA]
    assert set(facts.damaged) == {"A150", "B150", "C150", "D150", "E150", "F150", "G150", "H150", "I150", "J150",
                                  "K150"}
    assert facts.blocked == "A150"
    assert facts.errors == {"B150": "#SPILL!"}
    code, seen = calamine(path)
    assert code == 0
    assert "boolean" in str(seen["1"])


def test_threaded_comments_win_over_their_legacy_copy(make_return: MakeReturn) -> None:
    path = make_return(rows={RA: [action()]})
    rels = (b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            b'<Relationship Id="c1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/comments"'
            b' Target="../comments1.xml"/><Relationship Id="c2" '
            b'Type="http://schemas.microsoft.com/office/2017/10/relationships/threadedComment"'
            b' Target="../threadedComments/threadedComment1.xml"/></Relationships>')
    legacy = (b'<comments xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><commentList>'
              b'<comment ref="H10"><text><t>[Threaded comment] Done</t></text></comment>'
              b'<comment ref="G10"><text><r><t>On </t></r><r><t>track</t></r><rPh><t>x</t></rPh></text></comment>'
              b"</commentList></comments>")
    threaded = (b'<ThreadedComments xmlns="http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments">'
                b'<threadedComment ref="H10" id="{1}"><text>Done in October</text></threadedComment>'
                b'<threadedComment ref="H10" id="{2}" parentId="{1}"><text>Thanks</text></threadedComment>'
                b"</ThreadedComments>")
    _edit_zip(path, lambda n, d: d, {"xl/worksheets/_rels/sheet2.xml.rels": rels, "xl/comments1.xml": legacy,
                                     "xl/threadedComments/threadedComment1.xml": threaded})
    assert guard.scan(path).sheets[RA].notes == {"H10": "Done in October\nThanks", "G10": "On track"}


def test_two_sheets_with_one_name(make_return: MakeReturn) -> None:
    """calamine gives the first sheet for the name, and get_sheet_by_index(1) gives the first one too."""
    path = make_return(rows={RA: [action()]})
    _edit_zip(path, lambda n, d: d.replace(b'name="Improving our Response"', f'name="{RA}"'.encode())
              if n == "xl/workbook.xml" else d)
    scan = guard.scan(path)
    assert [n for n, _, _ in scan.sheet_list].count(RA) == 2
    assert scan.sheet_list[0] == ("Front", "visible", "worksheet")
    assert ("Lists", "hidden", "worksheet") in scan.sheet_list
    _, seen = calamine(path)
    assert seen["rows1"] == seen["rows2"]


def test_special_files_are_never_opened(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.xlsx"
    os.mkfifo(fifo)  # opening it would block for ever
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(tmp_path / "socket.xlsx"))
    try:
        for path in (fifo, tmp_path / "socket.xlsx", tmp_path, Path("/dev/zero")):
            scan = guard.scan(path)
            assert scan.fatal is not None, path
            assert scan.fatal[0] == "not-a-file", path
    finally:
        sock.close()
    missing = guard.scan(tmp_path / "gone.xlsx").fatal
    assert missing is not None
    assert missing[0] == "unreadable-file"


def test_reading_stops_at_the_byte_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.xlsx"
    path.write_bytes(b"PK" + b"\0" * 5000)
    monkeypatch.setattr(guard, "MAX_FILE_BYTES", 1000)
    scan = guard.scan(path)
    assert scan.fatal is not None
    assert scan.fatal[0] == "too-large"
    assert len(scan.data) == 1001  # never more than the limit and one byte


def test_bytes_scan_like_files(make_return: MakeReturn) -> None:
    path = make_return(rows={RA: [action()]})
    data = path.read_bytes()
    by_path, by_bytes = guard.scan(path), guard.scan_bytes(path.name, data)
    assert (by_path.sheets, by_path.sheet_list, by_path.digest) == (by_bytes.sheets, by_bytes.sheet_list,
                                                                    by_bytes.digest)
    assert by_bytes.sheets[RA].size[0] > 0


def test_unread_sheets_are_not_loaded_so_not_limited(make_return: MakeReturn) -> None:
    path = make_return(rows={RA: [action()]})
    far = b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>'
    _edit_zip(path, lambda n, d: d.replace(b"</sheetData>", far) if n == "xl/worksheets/sheet5.xml" else d)
    assert guard.scan(path).sheets["Lists"].too_large
    assert "Lists" not in guard.scan(path, unread=frozenset({"Lists"})).sheets


def test_parts_are_the_ones_calamine_loads(make_return: MakeReturn) -> None:
    """A target with '..' names a different zip member for calamine (it resolves nothing); a chart sheet with
    cells is read like a worksheet."""
    path = make_return(rows={RA: [action()]})
    far = b'<row r="150"><c r="J150"><v>1</v></c></row></sheetData>'
    with zipfile.ZipFile(path) as z:
        other = z.read(SHEET_PART[RA]).replace(b"</sheetData>", far)
    chart = (b'<chartsheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
             b'<row r="160"><c r="K160"><v>1</v></c></row></sheetData></chartsheet>')
    rel = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships/"

    def edit(name: str, data: bytes) -> bytes:
        if name == "xl/_rels/workbook.xml.rels":
            return data.replace(b'Target="/xl/worksheets/sheet2.xml"', b'Target="worksheets/../worksheets/sheet2.xml"'
                                ).replace(b"</Relationships>", b'<Relationship Id="rIdC" Type="' + rel
                                          + b'chartsheet" Target="chartsheets/sheet1.xml"/></Relationships>')
        if name == "xl/workbook.xml":
            return data.replace(b"</sheets>", b'<sheet name="Chart" sheetId="99" r:id="rIdC"/></sheets>')
        return data

    _edit_zip(path, edit, {"xl/worksheets/../worksheets/sheet2.xml": other, "xl/chartsheets/sheet1.xml": chart})
    scan = guard.scan(path)
    code, seen = calamine(path)
    assert code == 0
    assert (scan.sheets[RA].size, tuple(seen["1"])) == ((150, 10), (150, 10))  # type: ignore[arg-type]
    assert (scan.sheets["Chart"].size, tuple(seen["6"])) == ((160, 11), (160, 11))  # type: ignore[arg-type]
    assert scan.sheet_list[-1] == ("Chart", "visible", "chartsheet")


def test_shared_strings_as_excel_writes_them(make_return: MakeReturn) -> None:
    """Excel stores text as shared strings: the usual cells are read by the shortcut, a missing string by the parse."""
    path = make_return(rows={RA: [action()]})
    _with_strings(path, b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="2" '
                  b'uniqueCount="2"><si><t>a</t></si><si><r><t>b</t></r></si></sst>')
    cells = b'<row r="150"><c r="J150" s="1" t="s"><v>1</v></c><c r="K150" s="1"><v>-2.5E+3</v></c></row>'
    _edit_zip(path, _in_sheet(RA, b"</sheetData>", cells + b"</sheetData>"))
    facts = guard.scan(path).sheets[RA]
    code, seen = calamine(path)
    assert (code, tuple(seen["1"]), facts.size, facts.damaged) == (0, (150, 11), (150, 11), {})  # type: ignore[arg-type]
    _edit_zip(path, _in_sheet(RA, b'<v>1</v></c><c r="K150"', b'<v>2</v></c><c r="K150"'))
    assert guard.scan(path).sheets[RA].blocked == "J150"


def test_the_shortcut_is_exact_on_a_sheet_of_many_megabytes(make_return: MakeReturn,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The shortcut cuts big sheets into pieces anywhere; hidden rows, numbers and a stray cell must all survive."""
    rows = [action(f"Action {i}", update=f"Update {i} " * (i % 5), objective=i) for i in range(6000)]
    path = make_return(rows={RA: rows})
    _edit_zip(path, lambda n, d: d.replace(b'<row r="3001"', b'<row r="3001" hidden="1"').replace(
        b'<row r="3002"', b'<row r="3002" hidden="false"').replace(b'<row r="3003"', b'<row r="3003" hidden="true"'
                                                                   ).replace(
        b"</sheetData>", b'<row r="7000" spans="1:9"><c r="I7000" s="2"><v>12.5</v></c></row></sheetData>')
        if n == SHEET_PART[RA] else d)
    with zipfile.ZipFile(path) as z:
        data = z.read(SHEET_PART[RA])
    pieces = list(guard._pieces(data, 0, []))
    assert len(pieces) > 3  # cut into pieces,
    assert sum(map(len, pieces)) < len(data) // 10  # and most of it taken out before parsing
    fast = guard.scan(path).sheets[RA]
    monkeypatch.setattr(guard, "_pieces", parse_alone)
    assert guard.scan(path).sheets[RA] == fast
    assert fast.grid is None  # a number is left to calamine
    assert fast.hidden_rows == {3001, 3003}
    code, seen = calamine(path)
    assert (code, tuple(seen["1"])) == (0, fast.size)  # type: ignore[arg-type]
    assert fast.size == (7000, 9)


@pytest.mark.libreoffice
def test_a_return_saved_by_libreoffice(plan: Plan, make_return: MakeReturn,
                                      convert: Callable[[Path, str], Path]) -> None:
    """LibreOffice writes every row and cell its own way (shared strings, hidden="false"): still calamine's area."""
    resaved = convert(make_return(rows={RA: [action(), action("Second", status="Red", update="Late")]}), "xlsx")
    scan = guard.scan(resaved)
    code, seen = calamine(resaved)
    names = seen["names"]
    assert code == 0
    assert isinstance(names, list)
    assert {n: tuple(seen[str(i)]) for i, n in enumerate(names)} == {  # type: ignore[arg-type]
        n: f.size for n, f in scan.sheets.items()}
    prepared = L.FIRST_DATA_ROW - 1 + len(plan.priorities[0].examples) + plan.input_rows  # each with its check
    assert scan.sheets[RA].size == (prepared, WIDTH)
