"""Hostile corpus cases for the guard (guard.py): files crafted to slip past its size and safety checks.

Each is a real filled return whose zip was then edited. Cells are placed the way calamine places them, so
every spelling of a far cell below would have made calamine allocate gigabytes, or abort, before issue 10.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from pathlib import Path

from openpyxl.comments import Comment

from corpus import IR, RA, SHEET_PART, Add, _edit_book, _edit_zip, _good, _in_sheet
from plan_workbook.plan import Plan

END = b"</sheetData>"
# Far cells written in the ways the old regex scan did not see; each is beyond the per-sheet limits.
FAR_CELLS = {
    "ref-with-tab.xlsx": b'<row r="200"><c\tr="XFD200" t="inlineStr"><is><t>x</t></is></c></row>',
    "ref-single-quoted.xlsx": b"<row r='1048576'><c r='H1048576' t='inlineStr'><is><t>x</t></is></c></row>",
    "ref-leading-zeros.xlsx": b'<row r="200"><c r="H0001048576" t="inlineStr"><is><t>x</t></is></c></row>',
    "cell-without-ref.xlsx": b'<row r="1048576"><c t="inlineStr"><is><t>x</t></is></c></row>',
    "row-without-ref.xlsx": b'<row r="1048575"/><row><c t="inlineStr"><is><t>x</t></is></c></row>',
    "inline-string-with-attribute.xlsx": b'<row r="200"><c r="XFD200" t="inlineStr"><is xml:space="preserve">'
                                         b"<t>x</t></is></c></row>",
    "value-after-newline.xlsx": b'<row r="200"><c r="XFD200">\n<v>1</v></c></row>',
    "cell-with-prefix.xlsx": b'<x:row xmlns:x="urn:x" r="200"><x:c r="XFD200"><x:v>1</x:v></x:c></x:row>',
}
# Cases whose facts the reader (read.py) turns into problems, with the codes each gives.
AFTER_READER = {
    "cell-error-values.xlsx": {"cell-error"},
    "shared-string-index-damaged.xlsx": {"cell-damaged"},
    "shared-string-past-end.xlsx": {"cell-damaged"},
    "number-damaged.xlsx": {"cell-damaged"},
    "cell-notes.xlsx": {"cell-note"},
}
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
SST_TYPE = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


def guard_cases(folder: Path, plan: Plan, add: Add) -> None:
    """Write this module's cases into `folder`, each registered with add(name, *expected codes)."""
    for name, row in FAR_CELLS.items():
        path = _good(folder, plan, name, "Melton Borough Council")
        _edit_zip(path, _in_sheet(RA, END, row + END))
        add(name, "too-large")
    _part_names(folder, plan, add)
    _workbook_cases(folder, plan, add)
    _fact_cases(folder, plan, add)


def _part_names(folder: Path, plan: Plan, add: Add) -> None:
    # calamine finds parts ignoring case: a sheet stored as SHEET2.XML is read, so it must be checked
    upper = _good(folder, plan, "sheet-part-upper-case.xlsx", "Blaby District Council")
    far = b'<row r="1048576"><c r="H1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    _edit_zip(upper, lambda n, d: None if n == SHEET_PART[RA] else d,
              {SHEET_PART[RA].upper(): _sheet_bytes(upper, RA).replace(END, far + END)})
    add(upper.name, "too-large")
    twins = _good(folder, plan, "sheet-parts-colliding.xlsx", "Blaby District Council")  # calamine takes the last
    _edit_zip(twins, lambda n, d: d, {"xl/worksheets/Sheet2.xml": _sheet_bytes(twins, RA).replace(END, far + END)})
    add(twins.name, "unsafe-file")


def _workbook_cases(folder: Path, plan: Plan, add: Add) -> None:
    lie = _good(folder, plan, "shared-strings-count-lie.xlsx", "Charnwood Borough Council")
    _with_strings(lie, b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
                  b'uniqueCount="100000000000"><si><t>x</t></si></sst>')
    add(lie.name, "unsafe-file")

    many = _good(folder, plan, "sixty-four-full-sheets.xlsx", "Charnwood Borough Council")
    just_under = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>' \
                 b'<row r="1999"><c r="ALL1999"><v>1</v></c></row></sheetData></worksheet>'  # 1,999 x 1,000 cells
    _add_sheets(many, {f"Extra {i}": just_under for i in range(64)})
    add(many.name, "too-large")

    macro = _good(folder, plan, "excel4-macro-sheet.xlsx", "Charnwood Borough Council")
    _add_sheets(macro, {"Macro1": b'<xm:macrosheet xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
                        b'<sheetData><row r="1"><c r="A1"><f>EXEC("calc")</f></c></row></sheetData></xm:macrosheet>'},
                "http://schemas.microsoft.com/office/2006/relationships/xlMacrosheet", "xl/macrosheets/sheet1.xml")
    add(macro.name, "unsafe-file")

    state = _good(folder, plan, "sheet-state-wrong-case.xlsx", "Charnwood Borough Council")
    _edit_zip(state, lambda n, d: re.sub(rb'(name="' + IR.encode() + rb'"[^>]*?)state="visible"',
                                         rb'\1state="Hidden"', d) if n == "xl/workbook.xml" else d)
    add(state.name, "unreadable-file")

    utf16 = _good(folder, plan, "sheet-in-utf16.xlsx", "Charnwood Borough Council")
    _edit_zip(utf16, lambda n, d: b'<?xml version="1.0" encoding="UTF-16"?>'.decode().encode("utf-16")
              + d.decode().encode("utf-16")[2:] if n == SHEET_PART[RA] else d)
    add(utf16.name, "unreadable-file")


def _fact_cases(folder: Path, plan: Plan, add: Add) -> None:
    errors = _good(folder, plan, "cell-error-values.xlsx", "Rutland County Council")
    _edit_zip(errors, _cells(RA, {"H10": b'<c r="H10" t="e"><v>#REF!</v></c>',
                                  "G11": b'<c r="G11" t="e"><f>VLOOKUP(A1,Lists!A:A,2,0)</f><v>#N/A</v></c>'}))
    add(errors.name, "cell-error", "status-invalid")  # #N/A in Status is kept as that text: not a status

    for name, value, codes in (("shared-string-index-damaged.xlsx", b"-1", ("cell-damaged",)),  # calamine: text 0
                               ("shared-string-past-end.xlsx", b"7", ("cell-damaged",)),  # calamine: sheet refused
                               ("number-damaged.xlsx", None, ("cell-damaged",))):
        path = _good(folder, plan, name, "Rutland County Council")
        if value is None:
            _edit_zip(path, _cells(RA, {"H10": b'<c r="H10" t="n"><v>12 weeks</v></c>'}))
        else:
            _with_strings(path, b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
                          b'uniqueCount="1"><si><t>Printing</t></si></sst>')
            _edit_zip(path, _cells(RA, {"H10": b'<c r="H10" t="s"><v>' + value + b"</v></c>"}))
        add(name, *codes)

    notes = _good(folder, plan, "cell-notes.xlsx", "Rutland County Council")

    def note(wb: object) -> None:
        text = "Stall booked for 12 October; leaflets at the printers."
        wb[RA]["H10"].comment = Comment(text, "Partner")  # type: ignore[index]

    _edit_book(notes, note)
    add(notes.name, "cell-note")


def _sheet_bytes(path: Path, sheet: str) -> bytes:
    with zipfile.ZipFile(path) as z:
        return z.read(SHEET_PART[sheet])


def _cells(sheet: str, cells: dict[str, bytes]) -> Callable[[str, bytes], bytes]:
    """An edit replacing whole <c> elements of one sheet, found by reference."""

    def edit(name: str, data: bytes) -> bytes:
        if name != SHEET_PART[sheet]:
            return data
        for ref, new in cells.items():
            data, n = re.subn(rb'<c r="' + ref.encode() + rb'"[^>]*?(?:/>|>.*?</c>)', new, data, count=1,
                              flags=re.DOTALL)
            assert n == 1, ref
        return data

    return edit


def _with_strings(path: Path, sst: bytes) -> None:
    """Give the workbook a shared-strings part (openpyxl writes inline strings only)."""
    rels = (f'<Relationship Id="rIdSst" Type="{REL}sharedStrings" Target="sharedStrings.xml"/>'
            "</Relationships>").encode()
    over = b'<Override PartName="/xl/sharedStrings.xml" ContentType="' + SST_TYPE + b'"/></Types>'
    _edit_zip(path, lambda n, d: d.replace(b"</Relationships>", rels) if n == "xl/_rels/workbook.xml.rels"
              else d.replace(b"</Types>", over) if n == "[Content_Types].xml" else d,
              {"xl/sharedStrings.xml": b'<?xml version="1.0" encoding="UTF-8"?>' + sst})


def _add_sheets(path: Path, sheets: dict[str, bytes], rel_type: str = REL + "worksheet",
                part: str = "xl/worksheets/extra{i}.xml") -> None:
    """Append sheets to the workbook: entries in workbook.xml, its relationships and the content types."""
    entries, rels, parts = b"", b"", {}
    for i, (name, xml) in enumerate(sheets.items()):
        target = part.format(i=i)
        entries += f'<sheet name="{name}" sheetId="{100 + i}" r:id="rIdX{i}"/>'.encode()
        rels += f'<Relationship Id="rIdX{i}" Type="{rel_type}" Target="/{target}"/>'.encode()
        parts[target] = b'<?xml version="1.0" encoding="UTF-8"?>' + xml
    _edit_zip(path, lambda n, d: d.replace(b"</sheets>", entries + b"</sheets>") if n == "xl/workbook.xml"
              else d.replace(b"</Relationships>", rels + b"</Relationships>") if n == "xl/_rels/workbook.xml.rels"
              else d, parts)
