"""The corpus of broken and hostile returns, each with the problem codes it must produce.

`make_corpus(folder, plan)` writes every file and returns {file name: expected codes}. Most files are
made here from a real filled template, by editing it the way a partner (or an attacker) would, with
openpyxl or by rewriting the xlsx zip directly. Three need a real foreign application and are
committed under tests/data/corpus/ (tests/data/corpus/make_committed.py remakes them).

Run `python tests/corpus.py OUT_DIR` to write the corpus to a folder and look at it.
"""

from __future__ import annotations

import io
import re
import shutil
import sys
import zipfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from openpyxl import load_workbook

from plan_workbook.fill import write_filled
from plan_workbook.plan import Plan, load_plan

Add = Callable[..., Path]  # add(file name, *expected codes) -> the path to write the case to

RA, IR, SC = "Raising Awareness", "Improving our Response", "Strengthening Communities"
COMMITTED = Path(__file__).parent / "data" / "corpus"
SHEET_PART = {RA: "xl/worksheets/sheet2.xml", IR: "xl/worksheets/sheet3.xml", SC: "xl/worksheets/sheet4.xml"}

# Row 10 of each priority sheet is the first input row below the examples of Raising Awareness.
GOOD_ROW = {"theme": "Promote definitions of hate incident and hate crime", "aim": "Increase reporting",
            "objective": "Local campaign", "action": "Run a hate crime awareness stall",
            "lead": "Leicestershire Police", "time_frame": "Oct 21", "status": "Green", "update": "Done"}


def _row(action: str, **values: object) -> dict[str, object]:
    return {**GOOD_ROW, "action": action, **values}


def _good(folder: Path, plan: Plan, name: str, partner: str = "Leicestershire Police", **kwargs: object) -> Path:
    rows = {RA: [_row(f"{name}: stall"), _row(f"{name}: leaflets", status="Amber", update="Printing")],
            IR: [_row(f"{name}: review", time_frame="Q3 2021/22")]}
    return write_filled(folder / name, plan, partner, rows, **kwargs)  # type: ignore[arg-type]


def _edit_zip(path: Path, edit: Callable[[str, bytes], bytes | None], extra: dict[str, bytes] | None = None) -> None:
    """Rewrite the parts of an xlsx; edit returns new bytes, or None to drop the part."""
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i.filename) for i in z.infolist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            new = edit(name, data)
            if new is not None:
                z.writestr(name, new)
        for name, data in (extra or {}).items():
            z.writestr(name, data)


def _in_sheet(sheet: str, old: bytes, new: bytes) -> Callable[[str, bytes], bytes]:
    def edit(name: str, data: bytes) -> bytes:
        if name != SHEET_PART[sheet]:
            return data
        assert old in data, (old, data[:200])
        return data.replace(old, new, 1)

    return edit


def _cell_xml(ref: str, data: bytes) -> bytes:
    """The whole <c> element of a cell as openpyxl wrote it."""
    m = re.search(rb'<c r="' + ref.encode() + rb'"[^>]*?(?:/>|>.*?</c>)', data, re.DOTALL)
    assert m, ref
    return m.group()


def _replace_cell(path: Path, sheet: str, ref: str, new: bytes) -> None:
    with zipfile.ZipFile(path) as z:
        old = _cell_xml(ref, z.read(SHEET_PART[sheet]))
    _edit_zip(path, _in_sheet(sheet, old, new))


def _edit_book(path: Path, change: Callable[..., object]) -> None:
    wb = load_workbook(path)
    for ws in wb.worksheets:
        ws.protection.sheet = False
    wb.security = None
    change(wb)
    wb.save(path)


def make_corpus(folder: Path, plan: Plan) -> dict[str, set[str]]:
    folder.mkdir(parents=True, exist_ok=True)
    expected: dict[str, set[str]] = {}

    def add(name: str, *codes: str) -> Path:
        expected[name] = set(codes)
        return folder / name

    # --- not a workbook at all
    add("empty.xlsx", "unreadable-file").write_bytes(b"")
    add("notes-renamed.xlsx", "wrong-format").write_text("Our update: all actions on track.\n", encoding="utf-8")
    add("csv-renamed.xlsx", "wrong-format").write_text("Action,Lead,Status\nStall,Police,Green\n", encoding="utf-8")
    add("pdf-renamed.xlsx", "wrong-format").write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF\n")
    add("web-page.xls", "wrong-format").write_text("<html><body><table><tr><td>x</td></tr></table></body></html>",
                                                   encoding="utf-8")
    good = _good(folder, plan, "_whole.xlsx")
    data = good.read_bytes()
    good.unlink()
    add("truncated.xlsx", "unreadable-file").write_bytes(data[: len(data) // 2])
    flipped = bytearray(data)
    with _bytes_zip(data) as z:
        info = z.getinfo(SHEET_PART[RA])
    start = info.header_offset + 30 + len(info.filename) + len(info.extra) + 10
    for i in range(start, start + 40):
        flipped[i] ^= 0xFF
    add("corrupt.xlsx", "unreadable-file").write_bytes(bytes(flipped))
    zipped = folder / "a-zip-of-notes.xlsx"
    with zipfile.ZipFile(zipped, "w") as z:
        z.writestr("notes.txt", "not a workbook")
    expected[zipped.name] = {"unreadable-file"}

    # --- other formats, made by real applications (committed)
    for name, code in (("legacy.xls", "wrong-format"), ("libreoffice.ods", "wrong-format"),
                       ("encrypted.xlsx", "encrypted")):
        if (COMMITTED / name).exists():
            shutil.copyfile(COMMITTED / name, add(name, code))
    add("plain.csv", "wrong-format").write_text("Action;Lead\nStall;Police\n", encoding="utf-8")

    # --- macro-enabled: read, never run, never carried
    macro = _good(folder, plan, "macro-enabled.xlsm", "Leicester City Council")
    _edit_zip(macro, lambda n, d: d.replace(b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main"
                                            b"+xml", b"application/vnd.ms-excel.sheet.macroEnabled.main+xml")
              .replace(b"</Types>", b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
                       b"</Types>") if n == "[Content_Types].xml" else d,
              {"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"Attribute VB_Name = \"Evil\"" * 20})
    expected[macro.name] = {"macros-ignored"}

    # --- resource attacks
    bomb = _good(folder, plan, "zip-bomb.xlsx", "Rutland County Council")
    _edit_zip(bomb, _in_sheet(RA, b"<sheetData>", b"<sheetData>" + b" " * (150 * 1024 * 1024)))
    expected[bomb.name] = {"too-large"}
    laughs = _good(folder, plan, "xml-bomb.xlsx", "Rutland County Council")
    entities = b"".join(b'<!ENTITY l%d "&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;">' % ((i,) + (i - 1,) * 10)
                        for i in range(1, 10))
    _edit_zip(laughs, lambda n, d: b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY l0 "lol">' + entities + b"]>"
              + d.replace(b"<t>Raising Awareness</t>", b"<t>&l9;</t>", 1) if n == SHEET_PART[RA] else d)
    expected[laughs.name] = {"unsafe-file"}
    million = _good(folder, plan, "million-rows.xlsx", "Victim First")
    _edit_zip(million, _in_sheet(RA, b"</sheetData>", b'<row r="1048576"><c r="H1048576" t="inlineStr"><is><t>'
                                 b"stray</t></is></c></row></sheetData>"))
    expected[million.name] = {"too-large"}
    wide = _good(folder, plan, "far-column.xlsx", "Victim First")
    _edit_zip(wide, _in_sheet(IR, b"</sheetData>", b'<row r="1"><c r="XFD1" t="inlineStr"><is><t>x</t></is></c>'
                              b"</row></sheetData>"))
    expected[wide.name] = {"too-large"}
    claims = _good(folder, plan, "dimension-claims-a-million-rows.xlsx", "Victim First")
    _edit_zip(claims, lambda n, d: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', d)
              if n.startswith("xl/worksheets/") else d)
    expected[claims.name] = set()
    longest = "\u062a" * 16_000 + "\U0001f600" * 8_383  # 32,766 UTF-16 units: Excel's limit, right-to-left + emoji
    write_filled(add("longest-cells.xlsx"), plan, "Melton Borough Council",
                 {RA: [_row("Long", aim=longest, objective="o" * 32_767, update=longest)]})
    too_long = write_filled(add("over-long-cell.xlsx", "cell-too-long"), plan, "Probation Service",
                            {RA: [_row("Over long")]})
    _replace_cell(too_long, RA, "H10", b'<c r="H10" t="inlineStr"><is><t>' + b"x" * 40_000 + b"</t></is></c>")
    many = [_row(f"Action number {i}", update=" ".join([f"Update {i}", *["words"] * (i % 7)])) for i in range(20_000)]
    write_filled(add("twenty-thousand-rows.xlsx", "data-outside-area"), plan, "Harborough District Council",
                 {SC: many})

    # --- template damage
    def damage(name: str, partner: str, change: Callable[..., object], *codes: str) -> None:
        path = _good(folder, plan, name, partner)
        _edit_book(path, change)
        expected[name] = set(codes)

    def rename(wb: object) -> None:
        wb[RA].title = "Awareness"  # type: ignore[index]

    damage("sheet-renamed.xlsx", "Blaby District Council", rename, "sheet-renamed")
    damage("sheet-deleted.xlsx", "Blaby District Council", lambda wb: wb.remove(wb[SC]), "sheet-missing")
    damage("sheets-reordered.xlsx", "Blaby District Council", lambda wb: wb.move_sheet(RA, offset=2),
           "sheets-reordered")

    def hide(wb: object) -> None:
        wb[IR].sheet_state = "hidden"  # type: ignore[index]

    damage("sheet-hidden.xlsx", "Blaby District Council", hide, "sheet-hidden")

    def duplicate(wb: object) -> None:
        copy = wb.copy_worksheet(wb[RA])  # type: ignore[attr-defined,index]
        copy.title = f"{RA} (2)"
        copy["D12"] = "An action typed on the copied sheet"

    damage("sheet-duplicated.xlsx", "Oadby and Wigston Borough Council", duplicate, "sheet-duplicated")
    damage("column-inserted.xlsx", "Oadby and Wigston Borough Council",
           lambda wb: (wb[RA].insert_cols(4), wb[RA].cell(3, 4, "Cost"), wb[RA].cell(10, 4, "£500")),
           "column-extra", "data-outside-area")
    damage("column-deleted.xlsx", "Oadby and Wigston Borough Council", lambda wb: wb[IR].delete_cols(6),
           "column-missing")

    def swap(wb: object) -> None:
        ws = wb[RA]  # type: ignore[index]
        for r in range(1, ws.max_row + 1):
            ws.cell(r, 5).value, ws.cell(r, 6).value = ws.cell(r, 6).value, ws.cell(r, 5).value

    damage("columns-reordered.xlsx", "Hinckley and Bosworth Borough Council", swap, "columns-moved")
    damage("header-moved-down.xlsx", "Hinckley and Bosworth Borough Council",
           lambda wb: wb[RA].insert_rows(2, 2), "header-moved")
    damage("merged-cells.xlsx", "Hinckley and Bosworth Borough Council",
           lambda wb: wb[RA].merge_cells("H10:H11"), "merged-cells")

    def hidden(wb: object) -> None:
        wb[RA].row_dimensions[11].hidden = True  # type: ignore[index]
        wb[IR].column_dimensions["H"].hidden = True  # type: ignore[index]

    damage("hidden-row-and-column.xlsx", "North West Leicestershire District Council", hidden, "hidden-cells")
    cached = _good(folder, plan, "formula-with-value.xlsx", "North West Leicestershire District Council")
    _replace_cell(cached, RA, "G10", b'<c r="G10" t="str"><f>IF(1=1,"Green","Red")</f><v>Green</v></c>')
    expected[cached.name] = {"formula-value"}
    uncached = _good(folder, plan, "formula-without-value.xlsx", "North West Leicestershire District Council")
    _replace_cell(uncached, RA, "H11", b'<c r="H11"><f>HYPERLINK("http://example.invalid","Click")</f></c>')
    expected[uncached.name] = {"formula-no-value"}

    # --- return-level mix-ups
    older = _good(folder, plan, "charnwood-march.xlsx", "Charnwood Borough Council")
    newer = _good(folder, plan, "charnwood-april.xlsx", "Charnwood Borough Council")
    _set_saved(older, datetime(2022, 3, 30, 9, 0))
    _set_saved(newer, datetime(2022, 4, 2, 16, 30))
    expected[older.name] = expected[newer.name] = {"duplicate-return"}
    shutil.copyfile(newer, add("copy-of-charnwood-april.xlsx", "same-file"))  # sorts after the original
    other = _good(folder, plan, "other-plan.xlsx", "Leicestershire Fire and Rescue Service")
    _edit_book(other, lambda wb: wb["_meta"].__setitem__("B1", "another-partnership-2024"))
    expected[other.name] = {"plan-mismatch"}
    old = _good(folder, plan, "older-template.xlsx", "Leicestershire County Council")
    _edit_book(old, lambda wb: wb["_meta"].__setitem__("B3", "0"))
    expected[old.name] = {"template-version-mismatch"}
    mismatch = _good(folder, plan, "partner-mismatch.xlsx", "Health partners (NHS)")
    _edit_book(mismatch, lambda wb: wb["Front"].__setitem__("B4", "Leicester City Council"))
    expected[mismatch.name] = {"partner-mismatch"}

    # --- later rounds of hardening, one module each (kept apart so they can grow independently)
    from corpus_guard import guard_cases
    from corpus_reader import reader_cases
    from corpus_sources import source_cases

    for cases in (guard_cases, reader_cases, source_cases):
        cases(folder, plan, add)
    return expected


def _bytes_zip(data: bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(data))


def _set_saved(path: Path, when: datetime) -> None:
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    _edit_zip(path, lambda n, d: re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + stamp, d)
              if n == "docProps/core.xml" else d)


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "corpus")
    for name, codes in sorted(make_corpus(out, load_plan()).items()):
        print(f"{name:45} {', '.join(sorted(codes)) or '(no problem: read in full)'}")
    print(f"corpus written to {out}")
