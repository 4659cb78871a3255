"""OpenDocument spreadsheets (.ods: LibreOffice's own format, and Google Sheets' download): checked and read
into the same values grid and facts the workbook guard gives for .xlsx, so one reader applies the same rules.

content.xml is parsed here with a streaming parser rather than handed to calamine: a cell or row can say it
repeats (`table:number-columns-repeated`, `table:number-rows-repeated`), and LibreOffice itself writes a
million repeated empty rows at the end of every sheet. Repeats of empty cells only move the cursor; a value
is placed only once the used area, repeats included, is known to be within the guard's limits, so a crafted
file can never make anything big be allocated.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from xml.parsers import expat

from ..problems import Fatal
from . import guard
from .guard import (
    MAX_BOOK_CELLS,
    MAX_CELLS,
    MAX_COLUMNS,
    MAX_ROWS,
    Refuse,
    SheetFacts,
    Unsafe,
    a1,
    check_file_size,
    check_sizes,
    sheet_too_large,
    xml_parser,
)

MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"
_DURATION = re.compile(r"-?P(?:(\d+)D)?T?(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?")
_SPACES = re.compile(r"[ \t\r\n]+")


@dataclass
class Sheet:
    """One table: its values from A1 (None where empty), merged ranges as calamine gives them, and its facts."""

    name: str
    visible: bool
    rows: list[list[Any]] = field(default_factory=list)
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)
    facts: SheetFacts = field(default_factory=SheetFacts)


@dataclass
class Book:
    data: bytes = b""
    fatal: Fatal | None = None  # the problem when the file cannot be read
    sheets: list[Sheet] = field(default_factory=list)
    saved: datetime | None = None

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def is_ods(data: bytes) -> bool:
    """An OpenDocument spreadsheet: a zip whose `mimetype` member names one (first and stored, as the standard
    asks, or anywhere, as some writers put it)."""
    if not data.startswith(b"PK\x03\x04"):
        return False
    if data[30:38] == b"mimetype":
        return data[38:38 + len(MIMETYPE)] == MIMETYPE.encode()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            info = zf.getinfo("mimetype")
            return info.file_size < 200 and zf.read(info).strip() == MIMETYPE.encode()
    except (KeyError, zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError, RuntimeError,
            NotImplementedError, zlib.error):
        return False


def read_ods(name: str, data: bytes, unread: frozenset[str] = frozenset()) -> Book:
    """Check and read an .ods file given as bytes. Never raises for bad content: a fatal problem is returned.
    Sheets named in `unread` are skipped (their cells are neither checked nor kept)."""
    book = Book(data=data)
    try:
        check_file_size(data)
        _read(book, name, unread)
    except Refuse as e:
        book.fatal, book.sheets = e.fatal, []
    return book


def _read(book: Book, name: str, unread: frozenset[str]) -> None:
    try:
        zf = zipfile.ZipFile(io.BytesIO(book.data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as e:
        raise Refuse("unreadable-file", variant="cut-short", detail=e) from None
    with zf:
        check_sizes(infos, ods=True)
        names = {i.filename for i in infos}
        kind = zf.read("mimetype")[:200].decode("ascii", "replace").strip() if "mimetype" in names else ""
        if kind != MIMETYPE:
            raise Refuse("wrong-format", variant="ods-other", kind=kind) if kind else Refuse(
                "wrong-format", variant="ods-no-kind")
        try:
            manifest = zf.read("META-INF/manifest.xml") if "META-INF/manifest.xml" in names else b""
            if b"encryption-data" in manifest:
                raise Refuse("encrypted", variant="ods")
            if "content.xml" not in names:
                raise Refuse("unreadable-file", variant="ods-no-content")
            for other in sorted(names - {"content.xml"}):
                if other.endswith(".xml"):
                    with zf.open(other) as stream:
                        head = stream.read(8192)
                    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                        raise Unsafe
            _Content(book, name, unread).run(zf.read("content.xml"))
            if "meta.xml" in names:
                book.saved = _modified(zf.read("meta.xml"))
        except Unsafe:
            raise Refuse("unsafe-file", variant="dtd-ods") from None
        except (expat.ExpatError, KeyError, zipfile.BadZipFile, zlib.error, EOFError, ValueError, OSError,
                RuntimeError, NotImplementedError) as e:
            raise Refuse("unreadable-file", variant="ods-damaged", error=type(e).__name__, detail=e) from None


TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0 "
OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0 "
TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0 "
STYLE = "urn:oasis:names:tc:opendocument:xmlns:style:1.0 "
CALCEXT = "urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0 "


def _count(attrs: dict[str, str], key: str) -> int:
    """A repeat or span count: at least 1; any number is accepted, the limits decide what is placed."""
    raw = attrs.get(TABLE + key, "1")
    return max(1, int(raw)) if raw.isascii() and raw.isdigit() and len(raw) < 12 else 1


class _Content:
    """One pass over content.xml: hidden tables by their style, rows and cells with their repeats, values,
    formulas, notes, merged ranges, hidden rows and columns."""

    def __init__(self, book: Book, name: str, unread: frozenset[str]) -> None:
        self.book, self.name, self.unread = book, name, unread
        self.hidden_styles: set[str] = set()  # table styles with table:display="false"
        self.style = ""  # the table style being read
        self.sheet: Sheet | None = None
        self.skip = False  # the current sheet is not kept (unread, or past the limits)
        self.cells: dict[tuple[int, int], Any] = {}
        self.row = self.col = 0
        self.row_repeat = 1
        self.row_hidden = False
        self.column = 0  # for <table:table-column>
        self.bottom = self.right = -1
        self.cell: dict[str, str] | None = None  # attributes of the open cell
        self.text: list[str] = []  # paragraphs of the cell's value
        self.para: list[str] | None = None
        self.note: list[str] | None = None  # paragraphs of the cell's note
        self.in_note = 0
        self.in_meta = 0  # inside dc:creator / dc:date of a note
        self.book_cells = 0

    def run(self, data: bytes) -> None:
        p = xml_parser(" ")
        p.StartElementHandler, p.EndElementHandler, p.CharacterDataHandler = self.start, self.end, self.chars
        p.Parse(data, True)

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if self.cell is not None:
            self._inside_cell(tag, attrs)
            return
        if tag == STYLE + "style" and attrs.get(STYLE + "family") == "table":
            self.style = attrs.get(STYLE + "name", "")
        elif tag == STYLE + "table-properties" and attrs.get(TABLE + "display") == "false" and self.style:
            self.hidden_styles.add(self.style)
        elif tag == TABLE + "table":
            self._open_table(attrs)
        elif self.sheet is None or self.skip:
            return
        elif tag == TABLE + "table-column":
            n = _count(attrs, "number-columns-repeated")
            if attrs.get(TABLE + "visibility", "visible") != "visible" and self.column < MAX_COLUMNS:
                self.sheet.facts.hidden_columns.update(range(self.column, min(self.column + n, MAX_COLUMNS)))
            self.column += n
        elif tag == TABLE + "table-row":
            self.row_repeat, self.col = _count(attrs, "number-rows-repeated"), 0
            self.row_hidden = attrs.get(TABLE + "visibility", "visible") != "visible"
        elif tag in (TABLE + "table-cell", TABLE + "covered-table-cell"):
            self.cell, self.text, self.para, self.note = attrs, [], None, None

    def _open_table(self, attrs: dict[str, str]) -> None:
        name = attrs.get(TABLE + "name", "")
        visible = attrs.get(TABLE + "style-name", "") not in self.hidden_styles
        self.sheet = Sheet(name, visible)
        self.book.sheets.append(self.sheet)
        self.skip = name in self.unread or any(s.name == name for s in self.book.sheets[:-1])
        self.cells, self.row, self.col, self.column, self.bottom, self.right = {}, 0, 0, 0, -1, -1

    def _inside_cell(self, tag: str, attrs: dict[str, str]) -> None:
        if tag == OFFICE + "annotation":
            self.in_note += 1
            self.note = self.note if self.note is not None else []
        elif self.in_note:
            if tag.startswith("http://purl.org/dc/elements/1.1/ "):
                self.in_meta += 1
            elif tag == TEXT + "p" and self.note is not None:
                self.note.append("")
            elif tag == TEXT + "s":
                self._note_text(" " * min(_spaces(attrs), 1000))
        elif tag == TEXT + "p":
            self.para = []
        elif self.para is not None:
            if tag == TEXT + "s":
                self.para.append(" " * min(_spaces(attrs), guard.MAX_CELL_CHARS))
            elif tag == TEXT + "tab":
                self.para.append("\t")
            elif tag == TEXT + "line-break":
                self.para.append("\n")

    def _note_text(self, text: str) -> None:
        if self.note is not None and self.note and sum(map(len, self.note)) < guard.MAX_CELL_CHARS:
            self.note[-1] += text

    def chars(self, data: str) -> None:
        if self.cell is None or self.in_meta:
            return
        if self.in_note:
            self._note_text(data)
        elif self.para is not None and sum(map(len, self.para)) <= guard.MAX_CELL_CHARS * 2:
            # ODF collapses white space in a paragraph (runs become one space, none at the start);
            # deliberate spaces are written as <text:s/>
            text = _SPACES.sub(" ", data)
            if not self.para or self.para[-1].endswith("\n"):
                text = text.lstrip(" ")
            self.para.append(text)

    def end(self, tag: str) -> None:
        if self.cell is not None:
            if tag in (TABLE + "table-cell", TABLE + "covered-table-cell") and not self.in_note:
                self._close_cell(tag)
            elif tag == OFFICE + "annotation":
                self.in_note -= 1
            elif self.in_meta and tag.startswith("http://purl.org/dc/elements/1.1/ "):
                self.in_meta -= 1
            elif tag == TEXT + "p" and self.para is not None and not self.in_note:
                self.text.append("".join(self.para))
                self.para = None
            return
        if self.sheet is None:
            return
        if tag == TABLE + "table-row":
            if self.row_hidden and self.row < MAX_ROWS and not self.skip:
                self.sheet.facts.hidden_rows.update(range(self.row + 1, min(self.row + self.row_repeat, MAX_ROWS) + 1))
            self.row += self.row_repeat
        elif tag == TABLE + "table":
            self._close_table()
        elif tag == STYLE + "style":
            self.style = ""

    def _close_cell(self, tag: str) -> None:
        attrs, self.cell = self.cell or {}, None
        repeat = _count(attrs, "number-columns-repeated")
        col, self.col = self.col, self.col + repeat
        if self.skip or self.sheet is None:
            return
        value = _value(attrs, self.text) if tag == TABLE + "table-cell" else None
        facts = self.sheet.facts
        formula = attrs.get(TABLE + "formula")
        if self.note is not None and len(facts.notes) < guard.MAX_FACTS:
            facts.notes[a1(self.row, col)] = "\n".join(self.note).strip()
        if value is None and formula is None:
            return
        bottom, right = self.row + self.row_repeat - 1, col + repeat - 1
        if bottom > self.bottom or right > self.right:
            self.bottom, self.right = max(self.bottom, bottom), max(self.right, right)
            if self._over():
                self._too_large(a1(bottom, right))
                return
        if formula is not None and len(facts.formulas) < guard.MAX_FACTS:
            facts.formulas[a1(self.row, col)] = (excel_formula(formula)[:guard.MAX_FACT_CHARS], value is not None)
        error = attrs.get(CALCEXT + "value-type") == "error"
        if error and isinstance(value, str) and len(facts.errors) < guard.MAX_FACTS:
            facts.errors[a1(self.row, col)] = value[:guard.MAX_FACT_CHARS]  # shown as its text, as for .xlsx
        rows_span, cols_span = _count(attrs, "number-rows-spanned"), _count(attrs, "number-columns-spanned")
        if (rows_span > 1 or cols_span > 1) and len(self.sheet.merged) < guard.MAX_FACTS:
            self.sheet.merged.append(((self.row, col), (self.row + rows_span - 1, col + cols_span - 1)))
        if value is None:
            return
        for r in range(self.row, bottom + 1):  # within the limits: checked above
            for c in range(col, right + 1):
                self.cells[r, c] = value

    def _over(self) -> bool:
        rows, cols = self.bottom + 1, self.right + 1
        return rows > MAX_ROWS or cols > MAX_COLUMNS or rows * cols > MAX_CELLS

    def _too_large(self, far: str) -> None:
        assert self.sheet is not None
        height, width = self.bottom + 1, self.right + 1
        self.sheet.facts.too_large = sheet_too_large("sheet-ods", far, height, width)
        self.skip, self.cells = True, {}

    def _close_table(self) -> None:
        sheet = self.sheet
        assert sheet is not None
        if not self.skip:
            height, width = self.bottom + 1, self.right + 1
            self.book_cells += height * width
            if self.book_cells > MAX_BOOK_CELLS:
                raise Refuse("too-large", variant="book-ods", name=self.name, limit=f"{MAX_BOOK_CELLS:,}")
            sheet.rows = [[None] * width for _ in range(height)]
            for (r, c), v in self.cells.items():
                sheet.rows[r][c] = v
            sheet.facts.size = (height, width)
        self.sheet, self.cells, self.skip = None, {}, False


_REF = re.compile(r"\[(?:\$?('[^']*(?:''[^']*)*'|[^.\]'\[]*))?\.(\$?[A-Z]{1,3}\$?[0-9]{1,7})"
                  r"(?::(?:\$?('[^']*(?:''[^']*)*'|[^.\]'\[]*))?\.(\$?[A-Z]{1,3}\$?[0-9]{1,7}))?\]")


def excel_formula(odf: str) -> str:
    """An OpenFormula as Excel writes it, without its '=': [.B1] is B1, [$Lists.$A$2] is Lists!$A$2, arguments
    are separated by ',' (text in quotes is left alone). So messages, and the reader's test for the template's
    own formulas, see the same text for .ods and .xlsx."""
    text = odf.removeprefix("of:").removeprefix("=")
    parts = re.split(r'("(?:[^"]|"")*")', text)  # odd items are text in quotes
    return "".join(part if i % 2 else _REF.sub(_ref, part).replace(";", ",") for i, part in enumerate(parts))


def _ref(m: re.Match[str]) -> str:
    sheet, cell, _, cell2 = m.groups()  # a range names its sheet once
    where = f"{sheet}!" if sheet else ""
    return f"{where}{cell}" + (f":{cell2}" if cell2 else "")


def _spaces(attrs: dict[str, str]) -> int:
    raw = attrs.get(TEXT + "c", "1")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 7 else 1


def _value(attrs: dict[str, str], paragraphs: list[str]) -> Any:
    """The value of a cell as calamine gives it for the same cell in .xlsx: text, float, bool, date, datetime
    or time; None for an empty cell."""
    kind = attrs.get(OFFICE + "value-type")
    text = "\n".join(paragraphs)
    with contextlib.suppress(ValueError, OverflowError):
        if kind in ("float", "percentage", "currency"):
            return float(attrs.get(OFFICE + "value", ""))
        if kind == "boolean":
            return attrs.get(OFFICE + "boolean-value", "").strip().lower() in ("true", "1")
        if kind == "date":
            raw = attrs.get(OFFICE + "date-value", "")
            when = datetime.fromisoformat(raw)
            return when.date() if "T" not in raw else when
        if kind == "time":
            return _time(attrs.get(OFFICE + "time-value", "")) or text or None
    if attrs.get(OFFICE + "string-value"):  # a formula's text result
        return attrs[OFFICE + "string-value"]
    return text if text else None


def _time(raw: str) -> time | None:
    m = _DURATION.fullmatch(raw.strip())
    if not m or raw.startswith("-"):
        return None
    days, hours, minutes, seconds = (float(g) if g else 0.0 for g in m.groups())
    span = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    if span >= timedelta(days=1):
        return None
    return (datetime.min + span).time()


def _modified(meta: bytes) -> datetime | None:
    text: list[str] = []
    inside = [False]

    def start(tag: str, _: dict[str, str]) -> None:
        inside[0] = tag == "http://purl.org/dc/elements/1.1/ date"

    def end(_: str) -> None:
        inside[0] = False

    def chars(data: str) -> None:
        if inside[0]:
            text.append(data)

    p = xml_parser(" ")
    p.StartElementHandler, p.EndElementHandler, p.CharacterDataHandler = start, end, chars
    p.Parse(meta, True)
    with contextlib.suppress(ValueError):
        return datetime.fromisoformat("".join(text).strip().replace("Z", "+00:00")) if text else None
    return None

