"""Hostile corpus cases for the reader and the rules: what partners really type, and what must not be lost."""

from __future__ import annotations

from pathlib import Path

from corpus import IR, RA, SC, Add, _edit_book, _edit_zip, _row
from plan_workbook.fill import write_filled
from plan_workbook.plan import Plan

LONG = "word " * 7_000  # 35,000 characters, cut by the reader to Excel's 32,767
# What no reader can reach, reported as such: the second of two sheets with the same name.
UNREACHABLE = {"same-sheet-name-twice.xlsx"}


def reader_cases(folder: Path, plan: Plan, add: Add) -> None:
    # years no date type holds, and long text quoted in messages: problems at the cell, never a crash
    write_filled(add("odd-years.xlsx", "time-frame-unparsed", "time-frame-outside-plan"), plan, "Melton",
                 {RA: [_row("Year nought", time_frame="12/0000"), _row("ISO nought", time_frame="0000-12"),
                       _row("Far", time_frame="Dec 2300"), _row("Farther", time_frame="31/12/2999")]})
    write_filled(add("long-words-everywhere.xlsx", "status-invalid", "lead-unknown", "time-frame-unparsed"), plan,
                 "Melton", {IR: [_row("Long", status="S" * 30_000, lead="L" * 30_000, time_frame="T" * 30_000)]})
    write_filled(add("long-lead-alias.xlsx", "lead-normalised"), plan, "Melton",
                 {SC: [_row("Many leads", lead=" / ".join(["Police"] * 3_000))]})
    write_filled(add("complete-is-not-a-status.xlsx", "status-invalid"), plan, "Blaby",
                 {RA: [_row("Done already", status="Complete", time_frame="Oct 21")]})
    # text typed over the guidance row: kept in Issues, never an action
    typed = write_filled(add("typed-in-guidance.xlsx", "guidance-edited"), plan, "Blaby", {RA: [_row("Real")]})
    _edit_book(typed, lambda wb: wb[RA].__setitem__("D4", "Typed where the guidance is"))
    # a sheet of stray cells: one problem each would push every other return out of Issues
    stray = write_filled(add("stray-cells.xlsx", "sheet-extra", "data-outside-area"), plan, "Charnwood",
                         {RA: [_row("Among the stray cells")]})
    _edit_book(stray, lambda wb: wb.create_sheet("Scribbles").__setitem__("A1", "start"))
    cells = b"".join(b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>stray %d</t></is></c><c r="B%d" t="inlineStr">'
                     b"<is><t>more %d</t></is></c></row>" % (r, r, r, r, r) for r in range(1, 40_001))
    start = b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>start</t></is></c></row></sheetData>'
    _edit_zip(stray, lambda n, d: d.replace(start, b"<sheetData>" + cells + b"</sheetData>") if start in d else d)
    # a sheet name longer than Excel allows (only a hand-made file can have one) ends up in messages and sources
    long_name = write_filled(add("long-sheet-name.xlsx", "sheet-renamed"), plan, "Blaby", {SC: [_row("Renamed")]})
    title = b"Strengthening Communities " + b"x" * 5_000
    _edit_zip(long_name, lambda n, d: d.replace(b'name="Strengthening Communities"', b'name="' + title + b'"')
              if n == "xl/workbook.xml" else d)
    # two sheets with exactly the same name (only a hand-made file has them): calamine reaches only the first
    twice = write_filled(add("same-sheet-name-twice.xlsx", "unreadable-file"), plan, "Blaby", {RA: [_row("First")]})

    def copy(wb: object) -> None:
        ws = wb.copy_worksheet(wb[RA])  # type: ignore[attr-defined,index]
        ws.title = "Second copy"
        ws["D11"] = "Typed on the second sheet of the same name"

    _edit_book(twice, copy)
    _edit_zip(twice, lambda n, d: d.replace(b'name="Second copy"', b'name="Raising Awareness"')
              if n == "xl/workbook.xml" else d)
