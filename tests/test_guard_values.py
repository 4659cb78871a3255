"""Issue 18: where every cell of a sheet is of the usual kinds, the guard, which takes those cells apart anyway,
gives their values, and calamine does not parse the sheet a second time. Those values must be calamine's own:
each grid is compared with calamine's, and whole returns are read both ways and compared."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import python_calamine

from conftest import RA, MakeReturn, action
from corpus import _edit_zip, _in_sheet, make_corpus
from corpus_guard import _with_strings, guard_cases
from corpus_reader import reader_cases
from plan_workbook import layout as L
from plan_workbook.plan import Plan
from plan_workbook.reading import guard
from plan_workbook.reading.reader import read_return
from test_guard_shortcut import parse_alone

SAMPLES = Path(__file__).parent.parent / "samples" / "returns"
END = b"</sheetData>"
SST = (b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="3" uniqueCount="3">'
       b'<si><t xml:space="preserve"> Police &amp; Council </t></si><si><t>Green</t></si>'
       b"<si><t>caf\xc3\xa9 \xe2\x80\x93 ok</t></si></sst>")
RICH_SST = (b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
            b"<si><r><t>bold</t></r><r><t> part</t></r></si></sst>")


def row(cells: bytes, number: int = 150) -> bytes:
    return b'<row r="%d">' % number + cells + b"</row>"


def inline(ref: str, text: bytes) -> bytes:
    return b'<c r="' + ref.encode() + b'" t="inlineStr"><is><t xml:space="preserve">' + text + b"</t></is></c>"


# Cells added to Raising Awareness (the sheet's own cells are all usual): (what replaces its </sheetData>, text
# table, read by the guard?)
CASES: dict[str, tuple[bytes, bytes | None, bool]] = {
    "entities and accents": (row(inline("J150", b"a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos; caf\xc3\xa9")),
                             None, True),
    "spaces, tab and line feed kept": (row(inline("J150", b"  two\tparts\nand lines  ")), None, True),
    "empty inline text": (row(inline("K151", b""), 151), None, True),
    "the same cell twice: the last wins": (row(inline("J150", b"first") + inline("J150", b"second")), None, True),
    "cells out of order": (row(inline("L150", b"right") + inline("J150", b"left")), None, True),
    "shared texts": (row(b'<c r="J150" t="s"><v>0</v></c><c r="K150" t="s"><v>2</v></c>'), SST, True),
    "a formula's saved text": (row(b'<c r="J150" t="str"><f>"a"&amp;"b"</f><v>a&amp;b</v></c>'), None, True),
    "a formula's empty saved text": (row(b'<c r="J150" t="str"><f>""</f><v></v></c>'), None, True),
    "merged cells after the cells": (row(inline("J150", b"x")) + END + b'<mergeCells count="1">'
                                     b'<mergeCell ref="J150:K151"/></mergeCells>', None, True),
    # left to calamine
    "carriage return": (row(inline("J150", b"one\r\ntwo")), None, False),
    "an _xHHHH_ escape": (row(inline("J150", b"tab_x0009_here")), None, False),
    "a character reference": (row(inline("J150", b"line&#10;feed")), None, False),
    "a number": (row(b'<c r="J150"><v>12.5</v></c>'), None, False),
    "a formula's saved number": (row(b'<c r="J150"><f>1+1</f><v>2</v></c>'), None, False),
    "rich text in the text table": (row(b'<c r="J150" t="s"><v>0</v></c>'), RICH_SST, False),
    "a merged area from its far corner": (row(inline("J150", b"x")) + END + b'<mergeCells count="1">'
                                          b'<mergeCell ref="K151:J150"/></mergeCells>', None, True),
    "merged cells in a second list": (row(inline("J150", b"x")) + END + b'<mergeCells count="1">'
                                      b'<mergeCell ref="J150:K151"/></mergeCells><mergeCells count="1">'
                                      b'<mergeCell ref="J153:K154"/></mergeCells>', None, False),
    "a merged area elsewhere": (row(inline("J150", b"x")) + END + b'<extLst><ext uri="x"><mergeCell ref="J150:K151"/>'
                                b"</ext></extLst>", None, False),
    "a merged area spelled oddly": (row(inline("J150", b"x")) + END + b'<mergeCells count="1">'
                                    b'<mergeCell ref="J150"/></mergeCells>', None, False),
}


def calamine_grid(data: bytes, sheet: str) -> tuple[list[list[Any]], list[Any]]:
    """The sheet as the reader takes it from calamine: rows from A1, empty cells None; and its merged areas."""
    wb = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    try:
        ws = wb.get_sheet_by_name(sheet)
        return ([[None if v == "" else v for v in r] for r in ws.to_python(skip_empty_area=False)],
                list(ws.merged_cell_ranges or []))
    finally:
        wb.close()


def compared(data: bytes) -> tuple[int, int]:
    """(sheets whose values the guard gave, sheets left to calamine); asserts the first are calamine's, and the
    sheets' names and visibility too (the reader takes them from the guard where calamine does not open the file)."""
    scan = guard.scan_bytes("return.xlsx", data, L.UNREAD_SHEETS)
    assert scan.fatal is None
    wb = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    visible = python_calamine.SheetVisibleEnum.Visible
    assert [(name, state == "visible") for name, state, _ in scan.sheet_list] == [
        (m.name, m.visible == visible) for m in wb.sheets_metadata]
    assert [m.name for m in wb.sheets_metadata] == wb.sheet_names
    wb.close()
    fast = 0
    for name, facts in scan.sheets.items():
        if facts.grid is not None:
            assert (facts.grid, facts.merged) == calamine_grid(data, name), name
            # the reader looks for a too-long text only where the longest is past half the limit
            assert facts.longest == max((len(v) for row in facts.grid for v in row if isinstance(v, str)), default=0)
            fast += 1
    return fast, len(scan.sheets) - fast


def both_ways(plan: Plan, path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[object, object]:
    """The return read as it is, and read with every sheet's values from calamine."""
    fast = read_return(plan, path)
    with monkeypatch.context() as patch:
        patch.setattr(guard, "_pieces", parse_alone)  # the parse alone: no values taken from the shortcut
        slow = read_return(plan, path)
    return fast, slow


@pytest.mark.parametrize("case", list(CASES))
def test_each_kind_of_cell_is_read_as_calamine_reads_it(case: str, make_return: MakeReturn, plan: Plan,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    cells, sst, by_guard = CASES[case]
    path = make_return(rows={RA: [action("Run the awareness week")]})
    _edit_zip(path, _in_sheet(RA, END, cells if END in cells else cells + END))
    if sst is not None:
        _with_strings(path, sst)
    data = path.read_bytes()
    scan = guard.scan_bytes(path.name, data, L.UNREAD_SHEETS)
    assert (scan.sheets[RA].grid is not None) is by_guard
    if by_guard:
        assert (scan.sheets[RA].grid, scan.sheets[RA].merged) == calamine_grid(data, RA)
    assert compared(data) == ((5, 0) if by_guard else (4, 1))  # every sheet's grid, names and visibility
    fast, slow = both_ways(plan, path, monkeypatch)
    assert fast == slow


def test_samples_are_read_by_the_guard_alone(plan: Plan, monkeypatch: pytest.MonkeyPatch) -> None:
    """What partners send most (a template filled in): every sheet the reader loads comes from the guard, with
    calamine's values, and the returns read the same as through calamine."""
    for path in sorted(SAMPLES.glob("*.xlsx")):
        fast, slow = compared(path.read_bytes())
        # Front, three priorities, _meta; but a date typed as one (a number in a date's format) is calamine's
        dated = path.name == "leicestershire-fire-and-rescue-service.xlsx"  # F10 of Raising Awareness
        assert (fast, slow) == ((4, 1) if dated else (5, 0)), path.name
        assert both_ways(plan, path, monkeypatch)[0] == both_ways(plan, path, monkeypatch)[1]


def test_calamine_opens_only_a_workbook_with_a_sheet_left_to_it(plan: Plan, monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[str] = []
    real = python_calamine.CalamineWorkbook.from_filelike

    def counted(data: Any) -> Any:
        opened.append("opened")
        return real(data)

    texts_only, dated = SAMPLES / "victim-first.xlsx", SAMPLES / "leicestershire-fire-and-rescue-service.xlsx"
    slow = [both_ways(plan, path, monkeypatch)[1] for path in (texts_only, dated)]
    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_filelike", counted)
    assert (read_return(plan, texts_only), opened) == (slow[0], [])
    assert (read_return(plan, dated), opened) == (slow[1], ["opened"])  # a date in Raising Awareness: calamine's


def test_the_hostile_corpora_read_the_same_either_way(tmp_path: Path, plan: Plan,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Every workbook of the hostile corpora: each grid the guard gives is calamine's, and each return reads to
    the same rows and problems with and without them."""
    folders = {name: tmp_path / name for name in ("corpus", "guard", "reader")}
    for folder in folders.values():
        folder.mkdir()
    make_corpus(folders["corpus"], plan)
    guard_cases(folders["guard"], plan, lambda name, *_: folders["guard"] / name)
    reader_cases(folders["reader"], plan, lambda name, *_: folders["reader"] / name)
    fast = slow = 0
    for folder in folders.values():
        for path in sorted(folder.iterdir()):
            if path.is_symlink() or not path.is_file() or path.suffix not in (".xlsx", ".xlsm"):
                continue
            scan = guard.scan(path, L.UNREAD_SHEETS)
            if scan.fatal is not None:
                continue
            if any(f.too_large for f in scan.sheets.values()):  # calamine would allocate gigabytes
                assert all(f.grid is None for f in scan.sheets.values() if f.too_large)
                continue
            counts = compared(path.read_bytes())
            fast, slow = fast + counts[0], slow + counts[1]
            one, other = both_ways(plan, path, monkeypatch)
            assert one == other, path.name
    assert fast >= 200, (fast, slow)  # both ways were taken (243 and 9 when written)
    assert slow >= 5, (fast, slow)


def test_a_return_saved_by_libreoffice_reads_the_same_either_way(plan: Plan, make_return: MakeReturn,
                                                                 monkeypatch: pytest.MonkeyPatch,
                                                                 convert: Callable[[Path, str], Path]) -> None:
    """LibreOffice writes a text table and styles every cell: its re-saved return reads the same both ways, and
    its sheets of texts are read by the guard."""
    original = make_return("police", rows={RA: [action("Stall at the market", update="Line one\nLine two")]})
    saved = convert(original, "xlsx")
    fast, slow = compared(saved.read_bytes())
    assert (fast + slow, fast >= 1) == (5, True), (fast, slow)
    one, other = both_ways(plan, saved, monkeypatch)
    assert one == other
