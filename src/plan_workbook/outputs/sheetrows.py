"""The data rows of the summary's long sheets, written as sheet XML at a few microseconds a cell.

XlsxWriter writes the workbook: styles, column widths, the header row, filters, print set-up and names. The
data rows of each long sheet go to a temporary file instead, as the very <row> and <c> elements XlsxWriter
writes in constant-memory mode (inline strings), deflated there by the process that writes them (two write at
once), and are put into that sheet's part as they are when the file is packed (outputs/zipout.py).
XlsxWriter spends about 9 µs on a cell, most of it in checks made for any caller; this takes about 1.5 µs.
A row whose texts need nothing but copying (most rows) is written from its shape's format string in one call.
A test writes the same summary both ways and compares every part of the two files byte for byte; another
compares each row with its cells written one by one the long way.
"""

from __future__ import annotations

import re
import struct
import tempfile
import weakref
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from itertools import chain
from typing import IO, Any

from xlsxwriter.utility import xl_col_to_name

from ..text import MAX_CELL_UNITS, cell_text
from .cells import FORMULA_TRIGGERS
from .zipout import ZipOut, crc32_combine

# zlib's level for the packed parts: level 3 deflates the summary's XML about 2.5 times as fast as the default 6,
# for a file about a quarter larger (300 returns: 0.35 s and 9.0 MB, against 0.86 s and 7.3 MB)
COMPRESS_LEVEL = 3
DEFAULT_ROW_PIXELS = 20  # XlsxWriter's default row height (15 points)
# A character in a text that needs more than copying: one XML cannot hold or must escape, or a lone surrogate
# (text with "_x" in it is escaped too: it may look like an _xHHHH_ escape).
_SPECIAL = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff\ud800-\udfff&<>]")
_ESCAPED = re.compile("(_x[0-9a-fA-F]{4}_)")
# The same test for a row's texts joined by NUL (which _SPECIAL also finds: NULs are counted instead), and a text
# of it that starts like a formula (the others of FORMULA_TRIGGERS are white space, which is looked for apart)
_SPECIAL_JOINED = re.compile("[\x01-\x08\x0b-\x1f\ufffe\uffff\ud800-\udfff&<>]")
_FORMULA_NEXT = re.compile("\x00[=+\\-@]")
MAX_TEMPLATES = 256  # row shapes kept; a table has a few (which cells are empty, which status)
_EPOCH = datetime(1899, 12, 31)
_CONTROL = re.compile("([\x00-\x08\x0b-\x1f])")
# After a sheet's deflated rows, in the same file: their CRC-32 and length before deflating. The rows may be
# written by another process (outputs/beside.py), so what packing needs travels with them.
_TRAILER = struct.Struct("<IQ")
CHUNK = 1 << 20


Template = tuple[str, list[tuple[int, int]]]  # a row shape's XML, and the (place, column) of its other cells


class SheetRows:
    """One sheet's data rows as XML, kept in a temporary file until the workbook is packed. Cells are formatted
    as the summary's `put` does: `plain` formats give way to `quoted` for text that starts like a formula and
    to `date` for dates; a cell without a format gets no style."""

    def __init__(self, sheet: int, columns: int, plain: set[int | None], quoted: int, date_xf: int) -> None:
        self.part = sheet_part(sheet)
        self.file: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - open until packed; close() ends it
        weakref.finalize(self, self.file.close)  # and, should writing stop half way, being dropped
        self.letters = [xl_col_to_name(c) for c in range(columns)]
        self.cells = [f'<c r="{letters}' for letters in self.letters]  # each column's cell, up to its row number
        self.plain, self.quoted, self.date = plain, quoted, date_xf
        self.last = 0  # the last row written (0: the header only)
        self.pending: list[str] = []  # rows' XML not yet in the file (_write)
        self.deflate, self.crc, self.size = _deflater(), 0, 0  # the rows' deflating, CRC-32 and length so far
        self.templates: dict[tuple[Any, ...], Template] = {}  # each row shape's (_template)

    def add(self, row: int, values: Sequence[Any], formats: Sequence[int | None], height: float | None) -> None:
        """Row `row` (0-based, after the header) with its cells' format indexes, and its height in points."""
        number = str(row + 1)
        pixels = DEFAULT_ROW_PIXELS if height is None else int(height * 4.0 / 3.0 + 0.5)
        parts = [f'<row r="{number}" ht="{pixels * 0.75:.16g}" customHeight="1">' if pixels != DEFAULT_ROW_PIXELS
                 else f'<row r="{number}">']
        texts = [v for v in values if type(v) is str]
        joined = "\x00".join(texts)  # one search for the row
        if (len(joined) <= MAX_CELL_UNITS // 2 and "_x" not in joined and not _SPECIAL_JOINED.search(joined)
                and joined.count("\x00") == max(len(texts) - 1, 0) and joined[:1] not in ("=", "+", "-", "@")
                and not _FORMULA_NEXT.search(joined) and "\x00".join([t.strip() for t in texts]) == joined):
            # every text is copied as it is, in its column's own format (most rows): the row from its shape
            template, others = self._template(values, formats)
            cells = [v for v in values if v is not None]
            for k, col in others:
                cells[k] = self._other(self.letters[col] + number, values[col], formats[col])
            parts.append(template.format(number, *cells))
        else:
            for col, value in enumerate(values):
                if value is not None:
                    ref = self.letters[col] + number
                    parts.append(self._text(ref, value, formats[col]) if type(value) is str
                                 else self._other(ref, value, formats[col]))
            parts.append("</row>")
        self._write(parts)
        self.last = row

    def _write(self, parts: list[str]) -> None:
        """A row's XML, written to the file with the rows before it a few hundred at a time (a write a row cost
        more than making it)."""
        self.pending += parts
        if len(self.pending) > 256:
            self._flush()

    def _flush(self) -> None:
        data = "".join(self.pending).encode()
        self.pending = []
        self.crc, self.size = zlib.crc32(data, self.crc), self.size + len(data)
        self.file.write(self.deflate.compress(data))

    def _template(self, values: Sequence[Any], formats: Sequence[int | None]) -> Template:
        """A row shape's cells as a format string, {0} for the row number: each text cell written as the loop
        in add writes it, other cells (numbers, dates) as a whole; and the (place, column) of those others."""
        key = (tuple(map(type, values)), tuple(formats))
        found = self.templates.get(key)
        if found is not None:
            return found
        pieces, others = ["{0}"], []  # {0}: the row number; then one field a cell
        for col, value in enumerate(values):
            if value is None:
                continue
            if type(value) is str:
                xf = formats[col]
                style = f' s="{xf}"' if xf else ""
                pieces.append(f'{self.cells[col]}{{0}}"{style} t="inlineStr"><is><t>{{{len(pieces)}}}</t></is></c>')
            else:
                others.append((len(pieces) - 1, col))
                pieces.append(f"{{{len(pieces)}}}")
        found = "".join(pieces[1:]) + "</row>", others
        if len(self.templates) < MAX_TEMPLATES:
            self.templates[key] = found
        return found

    @staticmethod
    def _escaped(value: str) -> str:
        """The text as XML holds it: escaped, and cut to fit one cell, where it needs it."""
        if _SPECIAL.search(value) or "_x" in value or len(value) > MAX_CELL_UNITS // 2:
            return _escape(cell_text(value))
        return value

    def restart(self) -> None:
        """Empty the file, so the rows are written (again) from the first."""
        self.pending = []
        self.deflate, self.crc, self.size = _deflater(), 0, 0
        self.file.seek(0)
        self.file.truncate()

    def finish(self) -> None:
        """Every row in the file itself, then the trailer: another process may have written them
        (outputs/beside.py). The deflate stream is cut at a byte (Z_SYNC_FLUSH), not ended: more follows it."""
        self._flush()
        self.file.write(self.deflate.flush(zlib.Z_SYNC_FLUSH) + _TRAILER.pack(self.crc, self.size))
        self.file.flush()

    def _text(self, ref: str, value: str, xf: int | None) -> str:
        text = self._escaped(value)
        if xf in self.plain and value.startswith(FORMULA_TRIGGERS):
            xf = self.quoted
        style = f' s="{xf}"' if xf else ""
        space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
        return f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{text}</t></is></c>'

    def _other(self, ref: str, value: Any, xf: int | None) -> str:
        """A cell that is not plain text: a number, a date, a true/false, or anything else (written as text)."""
        if isinstance(value, bool):
            style = f' s="{xf}"' if xf else ""
            return f'<c r="{ref}"{style} t="b"><v>{int(value)}</v></c>'
        if isinstance(value, (date, datetime)):
            xf = self.date if xf in self.plain else xf
            value = excel_serial(value)
        elif not isinstance(value, (int, float)):
            return self._text(ref, str(value), xf)
        style = f' s="{xf}"' if xf else ""
        return f'<c r="{ref}"{style}><v>{value:.16G}</v></c>'

    def pack(self, header_xml: bytes, zout: ZipOut, info: zipfile.ZipInfo) -> None:
        """The sheet's part: its XML as XlsxWriter wrote it (the header row only), with these rows after the
        header, deflated: the XML around the rows here, the rows as they were deflated when written."""
        cut = header_xml.rindex(b"</sheetData>")
        head, tail = header_xml[:cut], header_xml[cut:]
        last_col = self.letters[-1].encode()
        only_header = b'<dimension ref="A1:' + last_col + b'1"/>'
        if self.last and only_header in head:
            head = head.replace(only_header, b'<dimension ref="A1:' + last_col + str(self.last + 1).encode() + b'"/>')
        end = self.file.seek(0, 2) - _TRAILER.size
        if end < 0:
            raise RuntimeError(f"the rows of {self.part} were never finished")
        self.file.seek(end)
        crc, size = _TRAILER.unpack(self.file.read(_TRAILER.size))
        before, after = _deflater(), _deflater()
        opening = before.compress(head) + before.flush(zlib.Z_SYNC_FLUSH)
        closing = after.compress(tail) + after.flush()
        crc = zlib.crc32(tail, crc32_combine(zlib.crc32(head), crc, size))
        # streamed from the file: a long sheet's rows are tens of megabytes even deflated
        zout.add(info.filename, chain((opening,), self._deflated(end), (closing,)), info.date_time, info.external_attr,
                 crc, len(head) + size + len(tail), len(opening) + end + len(closing))

    def _deflated(self, end: int) -> Iterator[bytes]:
        self.file.seek(0)
        while end > 0:
            chunk = self.file.read(min(CHUNK, end))
            if not chunk:
                raise RuntimeError(f"the rows of {self.part} were cut short")
            end -= len(chunk)
            yield chunk

    def close(self) -> None:
        self.file.close()


def sheet_part(sheet: int) -> str:
    """The zip member of the workbook's `sheet`-th sheet, as XlsxWriter names it."""
    return f"xl/worksheets/sheet{sheet}.xml"


def _deflater() -> Any:
    """Raw deflate (no zlib header): a zip member's data."""
    return zlib.compressobj(COMPRESS_LEVEL, zlib.DEFLATED, -15)


def excel_serial(value: date) -> float:
    """Excel's number for a date (and time): days since 1899-12-31, counting the 29 February 1900 Excel has."""
    when = value if isinstance(value, datetime) else datetime.fromordinal(value.toordinal())
    delta = when - _EPOCH
    serial = delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400
    return serial + 1 if serial > 59 else serial


def _escape(text: str) -> str:
    """XlsxWriter's escaping of an inline string: _xHHHH_ for characters XML cannot hold (and for text that
    already looks like one), then &, < and >."""
    text = _ESCAPED.sub(r"_x005F\1", text)
    text = _CONTROL.sub(lambda m: f"_x{ord(m.group(1)):04X}_", text)
    text = text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def pack(xlsx: IO[bytes], rows: Sequence[SheetRows], out: IO[bytes]) -> None:
    """Copy the workbook XlsxWriter wrote into `out`, each long sheet with its rows put in."""
    by_part = {r.part: r for r in rows}
    zout = ZipOut(out)
    with zipfile.ZipFile(xlsx) as zin:
        for info in zin.infolist():
            data = zin.read(info.filename)
            sheet = by_part.get(info.filename)
            if sheet is None:
                zout.add_bytes(info.filename, data, info.date_time, info.external_attr, COMPRESS_LEVEL)
            else:
                sheet.pack(data, zout, info)
    zout.close()
