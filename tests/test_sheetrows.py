"""The long sheets' rows, written as sheet XML by sheetrows.py: the very bytes XlsxWriter writes, only faster."""

from __future__ import annotations

import struct
import zipfile
import zlib
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from conftest import IR, RA, SC, MakeReturn, action
from plan_workbook.merge import Result, check_returns
from plan_workbook.outputs import summary as summarise
from plan_workbook.outputs.sheetrows import SheetRows, excel_serial
from plan_workbook.outputs.summary import write_summary
from plan_workbook.plan import Plan
from plan_workbook.problems import Problem
from plan_workbook.rounds.compare import Change, compare, read_previous

AS_OF = date(2022, 3, 31)
# Text that needs care: formulas, escapes, control characters, XML's own characters, white space at either end,
# several lines, characters outside the BMP, and text that looks like XlsxWriter's _xHHHH_ escapes.
AWKWARD = ["=1+2", "+44 116", "-5 days", "@SUM(A1)", "\tTabbed", " lead space", "trail space ", "a & b < c > d",
           'say "hi"', "line one\nline two\n", "_x0041_ stays as typed", "bell\x07 and \x1f", "\U0001f600 ok",
           "\ufffe odd", "plain words"]


def both(result: Result, tmp_path: Path, changes: list[Change] | None = None) -> tuple[Path, Path]:
    fast = write_summary(result, tmp_path / "streamed.xlsx", AS_OF, changes)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(summarise, "STREAM_ROWS", False)
        slow = write_summary(result, tmp_path / "xlsxwriter.xlsx", AS_OF, changes)
    return fast, slow


def assert_same_parts(a: Path, b: Path) -> None:
    with zipfile.ZipFile(a) as za, zipfile.ZipFile(b) as zb:
        assert za.namelist() == zb.namelist()
        for name in za.namelist():
            assert za.read(name) == zb.read(name), name


def test_streamed_rows_are_what_xlsxwriter_writes(plan: Plan, make_return: MakeReturn, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(summarise, "SHEET_ROWS", 7)  # the sheets go on to "Actions (2)" and so on
    make_return("police", "Leicestershire Police", {
        RA: [action(text, update=text, aim=text) for text in AWKWARD],
        IR: [action("Late", status="red", update=None, time_frame="Oct 21"), action("Due", time_frame="Mar 22")]})
    make_return("vf", "Victim First", {SC: [action(None), action("x", status="Purple", lead="Nobody Ltd")]})
    files = sorted((tmp_path / "returns").glob("*.xlsx"))
    result = check_returns(plan, files)
    result.problems.append(Problem.of("caf\udce9.xlsx", "S", "H10", "cell-note", value="=cmd|x", note="m" * 40_000))
    fast, slow = both(result, tmp_path)
    assert_same_parts(fast, slow)
    assert fast.read_bytes() == write_summary(result, tmp_path / "again.xlsx", AS_OF).read_bytes()
    actions = load_workbook(fast)["Actions"]
    assert [actions.cell(r, 3).value for r in range(2, 8)] == [a.values["action"] for a in result.actions[:6]]
    assert actions.cell(2, 3).quotePrefix  # "=1+2" stays text when edited


def test_streamed_rows_with_a_changes_sheet(plan: Plan, make_return: MakeReturn, tmp_path: Path) -> None:
    first = make_return("police", "Leicestershire Police", {RA: [action("Stall", status="Amber")]})
    last = write_summary(check_returns(plan, [first]), tmp_path / "last.xlsx", AS_OF)
    again = make_return("police", "Leicestershire Police", {RA: [action("Stall", status="Green"), action("New")]})
    result = check_returns(plan, [again])
    fast, slow = both(result, tmp_path, compare(result, read_previous(plan, last)))
    assert_same_parts(fast, slow)
    assert "Changes" in load_workbook(fast).sheetnames


def test_text_like_xlsxwriter_rich_markup_is_kept_as_text(plan: Plan, make_return: MakeReturn,
                                                          tmp_path: Path) -> None:
    """XlsxWriter copies an inline string that starts "<r>" and ends "</r>" into the XML unescaped (its own
    rich strings); a partner's text is escaped like any other, so it reads back as typed."""
    text = "<r>not markup</r>"
    path = make_return(rows={RA: [action(text)]})
    out = write_summary(check_returns(plan, [path]), tmp_path / "s.xlsx", AS_OF)
    assert load_workbook(out)["Actions"].cell(2, 3).value == text


def test_excel_serial_numbers_match_excel() -> None:
    assert excel_serial(date(1900, 2, 28)) == 59
    assert excel_serial(date(1900, 3, 1)) == 61  # Excel counts a 29 February 1900
    assert excel_serial(date(2022, 3, 31)) == 44651
    assert excel_serial(datetime(2022, 3, 31, 18)) == 44651.75


CELL_TEXT = st.text(st.sampled_from([*"ab _x0041=+-@&<>\t\r\n\x00\x07\ufffe\U0001f600", " ", "\xa0"]), max_size=12)
CELL = st.one_of(st.none(), CELL_TEXT, st.just("plain words"), st.integers(-10**6, 10**6),
                 st.floats(allow_nan=False, allow_infinity=False), st.booleans(),
                 st.dates(min_value=date(1900, 3, 1)))


@settings(max_examples=400, deadline=None)
@given(rows=st.lists(st.lists(CELL, min_size=5, max_size=5), min_size=1, max_size=6),
       formats=st.lists(st.sampled_from([None, 1, 5]), min_size=5, max_size=5),
       height=st.sampled_from([None, 15.0, 45.0]))
def test_each_row_is_what_the_cell_by_cell_writer_gives(rows: list[list[object]], formats: list[int | None],
                                                        height: float | None) -> None:
    """The row shortcuts (plain rows, and their cached shapes) against each cell written the long way."""
    fast = SheetRows(3, 5, {None, 1}, 2, 4)
    expected = []
    for n, values in enumerate(rows, 1):
        fast.add(n, values, formats, height)
        slow = SheetRows(3, 5, {None, 1}, 2, 4)
        number = str(n + 1)
        cells = [slow._text(slow.letters[c] + number, v, formats[c]) if type(v) is str
                 else slow._other(slow.letters[c] + number, v, formats[c])
                 for c, v in enumerate(values) if v is not None]
        pixels = 20 if height is None else int(height * 4.0 / 3.0 + 0.5)
        tall = f' ht="{pixels * 0.75:.16g}" customHeight="1"' if pixels != 20 else ""
        tag = f'<row r="{number}"{tall}>'
        expected.append(tag + "".join(cells) + "</row>")
        slow.close()
    fast.finish()
    assert written(fast) == "".join(expected).encode()
    fast.close()


def written(rows: SheetRows) -> bytes:
    """The rows' XML as a finished SheetRows holds it: deflated, then its CRC-32 and length."""
    rows.file.seek(0)
    data = rows.file.read()
    xml = zlib.decompressobj(-15).decompress(data[:-12])
    assert struct.unpack("<IQ", data[-12:]) == (zlib.crc32(xml), len(xml))
    return xml
