"""Stage 2: look at a returned file before reading it.

calamine reads values fast but trusts the file: one stray value in cell XFD1048576 makes it allocate
half a terabyte and abort the process, and it says nothing about formulas without a saved value,
error values, notes or hidden rows. This stage works out what the file really is, finds every part
calamine will load the way calamine finds it, parses those parts with a streaming XML parser that
places cells by calamine's own rules, enforces the limits below (the README lists them), and
collects the facts the reader needs that calamine does not give. A sheet of texts alone (most sheets of a
return) it reads whole on the way, with calamine's values, so that calamine need not parse it again.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import math
import posixpath
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import compress
from pathlib import Path
from typing import Any, cast
from xml.parsers import expat

from ..problems import Fatal, Params, as_params
from ..sources.files import read_bytes
from ..sources.source import MAX_FILE_BYTES, MiB, Refused

MAX_PARTS = 1000  # files inside the zip; the template has about 20
MAX_UNPACKED_BYTES = 100 * MiB  # all parts together, uncompressed, as the zip declares them
MAX_RATIO = 100  # uncompressed / compressed for any part over 1 MiB; real workbooks measure 5-20
MAX_ROWS = 50_000  # per sheet, counted from row 1 to the last row holding a value (the reader keeps row 1 on)
MAX_COLUMNS = 1_000
MAX_CELLS = 2_000_000  # rows x columns of a sheet from A1: calamine and the reader hold it all in memory
MAX_BOOK_CELLS = 4_000_000  # the same over every sheet the reader loads (a return holds about 5,000)
MAX_CELL_CHARS = 32_767  # Excel's own limit, counted in UTF-16 units as Excel does
MAX_FACT_CHARS = 1_000  # longest formula or error text kept as a fact

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# The error values calamine knows; any other in a t="e" cell makes it refuse the whole sheet.
ERRORS = frozenset({"#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!"})
_FLOAT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?(?i:inf|infinity|nan)")
_KINDS = {"worksheet": "worksheet", "chartsheet": "chartsheet", "dialogsheet": "dialogsheet",
          "macrosheet": "macrosheet", "xlmacrosheet": "macrosheet", "xlintlmacrosheet": "macrosheet"}


@dataclass
class SheetFacts:
    """What the reader needs to know about one sheet beyond its values (cells as A1 references)."""

    formulas: dict[str, tuple[str, bool]] = field(default_factory=dict)  # A1 -> (formula, has saved value)
    hidden_rows: set[int] = field(default_factory=set)  # Excel row numbers
    hidden_columns: set[int] = field(default_factory=set)  # 0-based column indexes
    too_large: Params = ()  # the too-large problem's parameters when the sheet must not be read
    errors: dict[str, str] = field(default_factory=dict)  # A1 -> error value shown (#REF!, #N/A...); calamine gives ""
    damaged: dict[str, str] = field(default_factory=dict)  # A1 -> why the value read there cannot be trusted
    blocked: str = ""  # A1 of a damaged cell for which calamine refuses the whole sheet, or ""
    notes: dict[str, str] = field(default_factory=dict)  # A1 -> text of the note (comment) on the cell
    size: tuple[int, int] = (0, 0)  # (rows, columns) from A1 that calamine will load
    # Speed: the values calamine would give, read here for a sheet whose every cell is of the usual kinds (see
    # _Values), so calamine need not parse it again; None when calamine reads it. Rows from A1 to `size`, empty
    # cells None, as the reader makes calamine's; merged areas as calamine gives them.
    grid: list[list[Any]] | None = None
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)
    longest: int = 0  # characters in the grid's longest text: the reader looks for a too-long one only past half


# The fields of SheetFacts that hold the values the guard read itself (the parse alone leaves them to calamine)
VALUE_FIELDS = ("grid", "merged", "longest")


@dataclass
class Scan:
    """A checked file: its bytes (read once), and either a fatal problem or the facts per sheet."""

    data: bytes = b""
    fatal: Fatal | None = None  # the problem when the file cannot be read
    kind: str = ""  # "xlsx" or "xlsm" when readable
    sheets: dict[str, SheetFacts] = field(default_factory=dict)  # by name; for a repeated name, the first
    macros: bool = False
    saved: datetime | None = None  # when the workbook says it was last saved
    # (name, visible/hidden/veryHidden, worksheet/chartsheet/macrosheet/dialogsheet) in workbook order
    sheet_list: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


Refuse = Refused  # a file that cannot be read: one problem for it (also raised by the .ods reader)


class Unsafe(Exception):
    """A part declares a DTD or entities."""


def scan(path: Path, unread: frozenset[str] = frozenset()) -> Scan:
    """Check one file. Never raises for bad content; a fatal problem is returned instead.
    Sheets named in `unread` are never loaded by the reader, so their cells are not scanned."""
    try:
        data = read_bytes(path, MAX_FILE_BYTES)
    except Refused as e:
        return Scan(fatal=e.fatal)
    return scan_bytes(path.name, data, unread)


def check_file_size(data: bytes) -> None:
    """Refuse a return over the size limit: the first check on any bytes, .xlsx or .ods."""
    if len(data) > MAX_FILE_BYTES:
        raise Refuse("too-large", variant="file", limit_mb=MAX_FILE_BYTES // MiB)


def scan_bytes(name: str, data: bytes, unread: frozenset[str] = frozenset()) -> Scan:
    """Check a file's content given as bytes (an attachment, an upload); `name` is used in messages."""
    out = Scan(data=data)
    try:
        check_file_size(data)
        _check(out, name, unread)
    except Refuse as e:
        out.fatal = e.fatal
    return out


def _check(out: Scan, name: str, unread: frozenset[str]) -> None:
    data = out.data
    if not data:
        raise Refuse("unreadable-file", variant="empty")
    if data.startswith(OLE):
        _refuse_ole(data)
    if not data.startswith(b"PK"):
        raise _not_zip(data)
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        names = zf.namelist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as e:
        raise Refuse("unreadable-file", variant="cut-short", detail=e) from None
    with zf:
        _refuse_other_zip(zf, names)
        check_sizes(zf.infolist())
        parts = _Parts(zf)
        out.kind = "xlsm" if parts.find("xl/vbaProject.bin") else "xlsx"
        out.macros = out.kind == "xlsm"
        try:
            _Book(parts, out, unread).read(name)
        except Unsafe:
            raise Refuse("unsafe-file", variant="dtd") from None
        except (expat.ExpatError, KeyError, zipfile.BadZipFile, zlib.error, EOFError, ValueError, OSError,
                RuntimeError) as e:  # RuntimeError: zipfile's encrypted member or unknown compression
            raise Refuse("unreadable-file", variant="damaged", error=type(e).__name__, detail=e) from None


def _refuse_ole(data: bytes) -> None:
    """An OLE container: an encrypted workbook or an old binary Office file."""

    def has(stream: str) -> bool:
        return stream.encode("utf-16-le") in data

    if has("EncryptionInfo") or has("EncryptedPackage"):
        raise Refuse("encrypted", variant="xlsx")
    if has("Workbook") or has("Book"):
        raise Refuse("wrong-format", variant="xls")
    if has("WordDocument"):
        raise Refuse("wrong-format", variant="doc")
    raise Refuse("wrong-format", variant="ole")


def _not_zip(data: bytes) -> Refused:
    head = data[:4096]
    if head.startswith(b"%PDF"):
        return Refuse("wrong-format", variant="pdf")
    for bom, enc in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if head.startswith(bom):
            text = head[len(bom):].decode(enc, "replace")
            break
    else:
        text = head.decode("utf-8", "replace")
    lowered = text.lower()
    if "urn:schemas-microsoft-com:office:spreadsheet" in lowered:
        return Refuse("wrong-format", variant="xml-2003")
    if "<html" in lowered or "<!doctype html" in lowered:
        return Refuse("wrong-format", variant="html")
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
    if text and printable / len(text) > 0.95:
        lines = [line for line in text.splitlines() if line.strip()][:5]
        if lines and all(any(sep in line for sep in ",;\t") for line in lines):
            return Refuse("wrong-format", variant="csv")
        return Refuse("wrong-format", variant="text")
    return Refuse("unreadable-file", variant="not-zip")


def _refuse_other_zip(zf: zipfile.ZipFile, names: list[str]) -> None:
    if "mimetype" in names:
        kind = zf.read("mimetype")[:100].decode("ascii", "replace")
        if "spreadsheet" in kind:
            raise Refuse("wrong-format", variant="ods")
        raise Refuse("wrong-format", variant="opendocument", kind=kind)
    if "xl/workbook.bin" in names:
        raise Refuse("wrong-format", variant="xlsb")
    if any(n.startswith("word/") for n in names):
        raise Refuse("wrong-format", variant="docx")
    if any(n.startswith("ppt/") for n in names):
        raise Refuse("wrong-format", variant="pptx")
    if "[Content_Types].xml" not in names:
        raise Refuse("unreadable-file", variant="zip-not-workbook")


def check_sizes(infos: list[zipfile.ZipInfo], ods: bool = False) -> None:
    """Uncompressed sizes as declared: the zip readers used here stop at the declared size. The .ods reader's
    messages say "spreadsheet"."""
    what, suffix = ("spreadsheet", "-ods") if ods else ("workbook", "")
    if len(infos) > MAX_PARTS:
        raise Refuse("too-large", variant="parts", what=what, count=len(infos), limit=MAX_PARTS)
    total = sum(i.file_size for i in infos)
    if total > MAX_UNPACKED_BYTES:
        raise Refuse("too-large", variant="unpacked" + suffix, what=what, size_mb=f"{total / MiB:,.0f}",
                     limit_mb=MAX_UNPACKED_BYTES // MiB)
    for i in infos:
        if i.file_size > MiB and i.file_size > MAX_RATIO * max(i.compress_size, 1):
            raise Refuse("too-large", variant="ratio" + suffix, part=i.filename,
                         times=f"{i.file_size // max(i.compress_size, 1):,}", limit=MAX_RATIO)


def sheet_too_large(variant: str, far: str, height: int, width: int) -> Params:
    """The too-large problem's parameters for a sheet with entries as far as `far` (also for .ods)."""
    return as_params({"variant": variant, "far": far, "rows": f"{height:,}", "columns": f"{width:,}",
                      "max_rows": f"{MAX_ROWS:,}", "max_columns": f"{MAX_COLUMNS:,}", "max_cells": f"{MAX_CELLS:,}"})


def _refuse_dtd(*_: Any) -> None:
    raise Unsafe


def xml_parser(namespace_separator: str | None = None) -> Any:
    """An expat parser that refuses any DTD or entity declaration (so no entity can ever be expanded)."""
    p = expat.ParserCreate(namespace_separator=namespace_separator)
    p.buffer_text = True
    p.StartDoctypeDeclHandler = _refuse_dtd
    p.EntityDeclHandler = _refuse_dtd
    p.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    return p


def _local(tag: str) -> str:
    return tag.rsplit(":", 1)[-1]


def _elements(data: bytes, wanted: str) -> list[dict[str, str]]:
    """The attributes of every element with this local name, in document order."""
    found: list[dict[str, str]] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        if _local(tag) == wanted:
            found.append(attrs)

    p = xml_parser()
    p.StartElementHandler = start
    p.Parse(data, True)
    return found


def _utf16(data: bytes) -> bool:
    return data[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in data[:4]


class _Parts:
    """Zip members found the way calamine finds them: a name with '\\' as '/', compared ignoring case."""

    def __init__(self, zf: zipfile.ZipFile) -> None:
        self.zf = zf
        self.names = set()
        self.cache: dict[str, str] = {}
        self.parsed: set[str] = set()
        for info in zf.infolist():
            key = info.filename.replace("\\", "/").lower()
            if key in self.cache:
                raise Refuse("unsafe-file", variant="same-part", first=self.cache[key], second=info.filename)
            self.cache[key] = info.filename
            self.names.add(info.filename)

    def find(self, path: str) -> str | None:
        return self.cache.get(path.lower()) or (path if path in self.names else None)

    def read(self, path: str) -> bytes | None:
        name = self.find(path)
        if name is None:
            return None
        self.parsed.add(name)
        return self.zf.read(name)

    def check_others(self) -> None:
        """calamine parses some parts this stage does not: refuse a DTD in any of them too."""
        for name in sorted(self.names - self.parsed):
            if name.lower().endswith((".xml", ".rels", ".vml")):
                with self.zf.open(name) as stream:
                    head = stream.read(8192)
                if b"<!DOCTYPE" in head or b"<!ENTITY" in head or (_utf16(head) and b"<\x00!" in head):
                    raise Unsafe


def _rels(parts: _Parts, part: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (target as written, relationship type) for a part; the last of an id wins, as in
    calamine."""
    folder, base = posixpath.split(part)
    data = parts.read(posixpath.join(folder, "_rels", base + ".rels"))
    return {rel.get("Id", ""): (rel.get("Target", ""), rel.get("Type", ""))
            for rel in (_elements(data, "Relationship") if data is not None else [])}


def _calamine_path(xl: str, target: str) -> str:
    """A target as calamine turns it into a part name: no '..' resolved, so the guard checks that same part."""
    return target[1:] if target.startswith("/") else xl + target


class _Book:
    """The workbook's parts in the order calamine reads them, and the facts of each sheet it loads."""

    def __init__(self, parts: _Parts, out: Scan, unread: frozenset[str]) -> None:
        self.parts, self.out, self.unread = parts, out, unread

    def read(self, name: str) -> None:
        parts, out = self.parts, self.out
        top = _rels(parts, "")
        office = [t for t, kind in top.values() if kind.endswith("/relationships/officeDocument")]
        if not office:
            raise Refuse("unreadable-file", variant="no-workbook")
        xl = office[-1][: office[-1].rfind("/") + 1].removeprefix("/")  # calamine takes the last one's folder
        strings, self.texts = self._strings(xl)
        rels = _rels(parts, xl + "workbook.xml")  # calamine reads workbook.xml by this fixed name
        book = parts.read(xl + "workbook.xml")
        if book is None:
            raise Refuse("unreadable-file", variant="no-workbook-part")
        sheets = [self._sheet(attrs, rels, xl) for attrs in _elements(book, "sheet")]
        out.sheet_list = [(n, state, kind) for n, state, kind, _ in sheets]
        for n, _, kind, part in sheets:
            if kind == "macrosheet":
                raise Refuse("unsafe-file", variant="macro-sheet", name=n, part=part)
        for n, _, _, part in sheets:
            if n not in out.sheets and n not in self.unread:  # a chart sheet too: calamine reads any <sheetData>
                out.sheets[n] = self._facts(n, part, strings)
        parts.check_others()
        self._budget(name)
        core = parts.read("docProps/core.xml")
        if core is not None:
            out.saved = _modified(core)

    def _sheet(self, attrs: dict[str, str], rels: dict[str, tuple[str, str]], xl: str) -> tuple[str, str, str, str]:
        name = attrs.get("name", "")
        rid = [v for k, v in attrs.items() if _local(k) == "id"][-1:]
        if not rid or rid[0] not in rels:
            raise Refuse("unreadable-file", variant="sheet-part-missing", name=name)
        target, rel_type = rels[rid[0]]
        part = _calamine_path(xl, target)
        kind = _KINDS.get(rel_type.rsplit("/", 1)[-1].lower(), "")
        if not kind:
            raise Refuse("unreadable-file", variant="sheet-kind", name=name, kind=rel_type.rsplit('/', 1)[-1][:40])
        state = attrs.get("state", "visible")
        if state not in ("visible", "hidden", "veryHidden"):
            hint = next((s for s in ("visible", "hidden", "veryHidden") if s.lower() == state.lower()), "")
            if hint:
                raise Refuse("unreadable-file", variant="sheet-visibility-case", name=name, state=state[:20], hint=hint)
            raise Refuse("unreadable-file", variant="sheet-visibility", name=name, state=state[:20])
        return name, state, kind, part

    def _strings(self, xl: str) -> tuple[int, _Texts]:
        """How many shared strings calamine will hold, and the table; refuses a declared count that cannot be
        true."""
        data = self.parts.read(xl + "sharedStrings.xml")
        if data is None:
            return 0, _Texts(None, None)
        if _utf16(data):
            raise Refuse("unreadable-file", variant="strings-utf16")
        plain = _plain_strings(data)
        return _SharedStrings(len(data)).count(data, plain), _Texts(data, plain)

    def _facts(self, sheet: str, part: str, strings: int) -> SheetFacts:
        data = self.parts.read(part)
        if data is None:
            return SheetFacts()  # calamine finds nothing either: the reader reports the sheet as damaged
        if _utf16(data):
            raise Refuse("unreadable-file", variant="sheet-utf16", name=sheet)
        try:
            facts = _scan_sheet(sheet, strings, data, self.texts)
        except expat.ExpatError as e:
            raise Refuse("unreadable-file", variant="sheet-xml", name=sheet, line=e.lineno, offset=e.offset) from None
        facts.notes = self._notes(part)
        return facts

    def _notes(self, part: str) -> dict[str, str]:
        """Notes (legacy comments) and threaded comments linked from the sheet; threaded text wins."""
        notes: dict[str, str] = {}
        folder = posixpath.dirname(part)
        for target, rel_type in sorted(_rels(self.parts, part).values(), key=lambda t: "threaded" in t[1].lower()):
            kind = rel_type.rsplit("/", 1)[-1].lower()
            if kind in ("comments", "threadedcomment"):
                data = self.parts.read(target[1:] if target.startswith("/")
                                       else posixpath.normpath(posixpath.join(folder, target)))
                if data is not None:
                    _comments(data, notes, threaded=kind != "comments")
        return notes

    def _budget(self, name: str) -> None:
        loaded = [f for f in self.out.sheets.values() if not f.too_large and not f.blocked]
        total = sum(f.size[0] * f.size[1] for f in loaded)
        if total > MAX_BOOK_CELLS:
            raise Refuse("too-large", variant="book", name=name, cells=f"{total:,}", sheets=len(loaded),
                         limit=f"{MAX_BOOK_CELLS:,}")


def _modified(core: bytes) -> datetime | None:
    text: list[str] = []
    inside = [False]

    def start(tag: str, _: dict[str, str]) -> None:
        inside[0] = _local(tag) == "modified"

    def end(_: str) -> None:
        inside[0] = False

    def chars(data: str) -> None:
        if inside[0]:
            text.append(data)

    p = xml_parser()
    p.StartElementHandler, p.EndElementHandler, p.CharacterDataHandler = start, end, chars
    p.Parse(core, True)
    with contextlib.suppress(ValueError):  # an odd date just means "not known"
        return datetime.fromisoformat("".join(text).strip().replace("Z", "+00:00")) if text else None
    return None


def _comments(data: bytes, notes: dict[str, str], threaded: bool) -> None:
    """Adds each comment's text by cell; replies of a threaded comment are joined by new lines."""
    ref, text, skip = [""], [""], [0]
    seen: set[str] = set()

    def start(tag: str, attrs: dict[str, str]) -> None:
        name = _local(tag)
        if name in ("comment", "threadedComment"):
            ref[0], text[0] = attrs.get("ref", "").upper(), ""
        elif name == "rPh":  # phonetic guide, not the note's text
            skip[0] += 1

    def end(tag: str) -> None:
        name = _local(tag)
        if name == "rPh":
            skip[0] -= 1
        elif name in ("comment", "threadedComment") and ref[0]:
            if threaded and ref[0] in seen:
                notes[ref[0]] += "\n" + text[0]
            else:
                notes[ref[0]] = text[0]
                seen.add(ref[0])

    def chars(data: str) -> None:
        if ref[0] and not skip[0] and len(text[0]) < MAX_CELL_CHARS:
            text[0] += data

    p = xml_parser()
    p.StartElementHandler, p.EndElementHandler, p.CharacterDataHandler = start, end, chars
    p.Parse(data, True)


_COUNT = re.compile(r"\s*\+?([0-9]+)\s*")


class _SharedStrings:
    """Counts the strings as calamine does: each <si> not inside another, from the first <sst> to its end."""

    def __init__(self, size: int) -> None:
        self.size, self.state, self.inside, self.strings = size, 0, 0, 0

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        name = _local(tag)
        if self.inside:
            self.inside += 1
        elif name == "si" and self.state == 1:
            self.inside, self.strings = 1, self.strings + 1
        elif name == "sst" and self.state == 0:
            self.state = 1
            declared = _COUNT.fullmatch(attrs.get("uniqueCount", ""))
            # calamine reserves memory for uniqueCount strings up front; each takes at least "<si/>" (5 bytes)
            if declared and int(declared.group(1)) > self.size // 5:
                raise Refuse("unsafe-file", variant="strings", count=f"{int(declared.group(1)):,}",
                             size=f"{self.size:,}")

    def end(self, tag: str) -> None:
        if self.inside:
            self.inside -= 1
        elif self.state == 1 and _local(tag) == "sst":
            self.state = 2

    def count(self, data: bytes, plain: tuple[int, int] | None) -> int:
        """`plain`: _plain_strings(data)."""
        p = xml_parser()
        p.StartElementHandler, p.EndElementHandler = self.start, self.end
        if plain is None:
            p.Parse(data, True)
            return self.strings
        head, strings = plain  # speed: the <sst> tag by the handlers, the rest by the parser alone (which still
        p.Parse(data[:head], False)  # refuses damaged XML), the strings counted by a regex
        p.StartElementHandler = p.EndElementHandler = None
        p.Parse(data[head:], True)
        return strings


_SST_TAG = re.compile(rb"""<sst(?:\s+[\w:.-]+\s*=\s*(?:"[^"<>]*"|'[^'<>]*'))*\s*>""")
_SI_TAG = re.compile(rb"</?si(?=[\s/>])[^>]*>")


def _plain_strings(data: bytes) -> tuple[int, int] | None:
    """(end of the <sst> tag, how many strings) of a text table written the usual way: one <sst>, its <si>
    elements one after another, unprefixed and without attributes; nothing a comment, CDATA section or processing
    instruction could hide. None otherwise."""
    if (b"<!--" in data or b"<![CDATA[" in data or data.count(b"<?") > data.startswith(b"<?xml")
            or b":si" in data or b":sst" in data or _OTHER_ENCODING.match(data)):
        return None
    first, end = data.find(b"<sst"), data.find(b"</sst>")
    tag = _SST_TAG.match(data, first) if first >= 0 else None
    if (tag is None or end < tag.end() or b"<si" in data[:first] or data.find(b"<sst", tag.end()) >= 0
            or data.find(b"<si", end) >= 0):
        return None
    tags = _SI_TAG.findall(data, tag.end(), end)
    return (tag.end(), len(tags) // 2) if tags == [b"<si>", b"</si>"] * (len(tags) // 2) else None


_PLAIN_REF = re.compile(r"[A-Z]{1,3}[1-9][0-9]{0,6}")  # how Excel writes a reference: no wrap-around possible
_COLUMNS: dict[str, int] = {}


def _position(ref: str) -> tuple[int, int | None]:
    """calamine's 0-based (row, column) of a reference, with its 32-bit wrap-around; column None if absent."""
    if ref.isascii() and ref.isdigit() and ref[0] != "0" and len(ref) < 8:  # a row's number
        return int(ref) - 1, None
    if _PLAIN_REF.fullmatch(ref):
        digits = ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        letters = ref[: len(ref) - len(digits)]
        col = _COLUMNS.get(letters)
        if col is None:
            col = _COLUMNS[letters] = _reference(letters + "1")[1] or 0
        return int(digits) - 1, col
    return _reference(ref)


def _reference(ref: str) -> tuple[int, int | None]:
    """calamine's reading of any reference: letters (either case) then digits, each wrapping at 32 bits."""
    col = row = 0
    digits = False
    for ch in ref:
        if "0" <= ch <= "9":
            row, digits = (row * 10 + ord(ch) - 48) & 0xFFFFFFFF, True
        elif not digits and ("A" <= ch <= "Z" or "a" <= ch <= "z"):
            col = (col * 26 + (ord(ch) & 0x1F)) & 0xFFFFFFFF
        else:
            raise ValueError(f"'{ref[:20]}' is not a cell reference")
    if row == 0:
        raise ValueError(f"'{ref[:20]}' has no row number")
    return row - 1, (col - 1 if col else None)


def position(ref: str) -> tuple[int, int]:
    """A1 reference of a fact to the 0-based (row, column) of the reader's grid."""
    row, col = _position(ref)
    return row, col or 0


def a1(row: int, col: int) -> str:
    """0-based (row, column) to an A1 reference."""
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row + 1}"


_MASK = 0xFFFFFFFF  # calamine keeps positions in 32 bits
MAX_FACTS = 10_000  # errors or damaged cells kept per sheet; more only repeat the point
MAX_FAST_CELLS = 100_000  # value cells of a sheet read here, not by calamine (a return's sheet holds about 1,000)


# In one pass over what the shortcut below leaves for the parse: what makes the shortcut inexact. A comment,
# CDATA section or processing instruction could hold something that looks like a cell; a <sheetData> tag past
# the first pair starts cells calamine does not read; a cell not starting <c r=" is placed after the cell before
# it, and a row not starting <row r=" after the row before it (then no empty row may be taken out).
_MARKS = re.compile(rb'<(?:(?P<pi>\?)|(?P<data>/?(?:[\w.-]+:)?sheetData[\s/>])'
                    rb'|(?P<row>[\w.-]+:row[\s/>]|row(?:[\t\n\r/>]| (?!r=")))'
                    rb'|!--|!\[CDATA\[|[\w.-]+:c[\s/>]|c(?:[\t\n\r/>]| (?!r=")))')
# A row left empty once its usual cells are out, and not hidden: it changes nothing calamine or the reader sees
_EMPTY_ROW = re.compile(rb'<row r="[1-9][0-9]{0,6}"(?: (?!hidden="(?:1|true)")[a-zA-Z:]{1,30}="[^"<>]{0,40}")*'
                        rb'(?: ?/>|></row>)')
# The cells Excel, LibreOffice and openpyxl write, as they write them: empty ones; inline text (calamine always
# reads a value from <is>), a plain (always finite) number or a shared string (groups 1-2: the reference, 3: the
# inline text, 4: the number, 5: the string's index); and formula cells (group 6: the reference, 7: t=, 8: the
# formula's text, None for <f .../>, 9: the whole <v> element, None without one). A formula's texts hold no
# markup, no character XML forbids and no "]" (so no "]]>"); entities and encoding are checked where texts are
# decoded.
_NUMBER = rb"-?[0-9]{1,15}(?:\.[0-9]{1,15})?(?:[eE][+-]?[0-9]{1,2})?"
_TEXT = rb"[^<\]\x00-\x08\x0b\x0c\x0e-\x1f\r]*"
_USUAL = (rb'<c r="(?:[A-Z]{1,3}[1-9][0-9]{0,6}"(?: s="[0-9]{1,5}")?(?: t="[a-zA-Z]{1,9}")? ?/>'
          rb'|([A-Z]{1,3})([1-9][0-9]{0,6})"(?: s="[0-9]{1,5}")?'
          rb'(?: t="inlineStr"><is><t(?: xml:space="preserve")?>([^<]*)</t></is></c>'
          rb'|(?: t="n")?><v>(' + _NUMBER + rb')</v></c>| t="s"><v>([0-9]{1,9})</v></c>)')
_FORMULA = (rb'|([A-Z]{1,3}[1-9][0-9]{0,6})"(?: s="[0-9]{1,5}")?(?: t="(n|str)")?>'
            rb'<f(?: t="(?:shared|array|normal)")?(?: ref="[A-Z0-9:$]{1,40}")?(?: aca="(?:false|true|0|1)")?'
            rb'(?: ca="(?:false|true|0|1)")?(?: si="[0-9]{1,9}")?(?: ?/>|>(' + _TEXT + rb')</f>)'
            rb'(<v ?/>|<v>' + _TEXT + rb'</v>)?</c>')
_VALUE_CELLS = re.compile(_USUAL + rb")")
_CELLS = re.compile(_USUAL + _FORMULA + rb")")
_PLAIN_NUMBER = re.compile(_NUMBER)
_BAD_ENTITY = re.compile(rb"&(?!(?:amp|lt|gt|quot|apos);)")
_OTHER_ENCODING = re.compile(rb"""\s*<\?xml[^>]*encoding=["'](?!utf-8["'])""", re.I)
_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&apos;", "'"), ("&amp;", "&"))  # &amp; last

# What the shortcut takes out of a sheet that the parse would have recorded: (A1 reference, formula or None,
# whether it has a value)
Found = tuple[str, str | None, bool]


class _Inexact(Exception):
    """The shortcut cannot be exact for this sheet: parse it again, keeping its rows, or whole."""

    def __init__(self, rows: bool) -> None:
        super().__init__()
        self.rows = rows  # only rows not numbered: the shortcut still holds for cells


def _pieces(data: bytes, strings: int, found: list[Found], rows: bool = True, values: _Values | None = None
            ) -> Iterator[bytes]:
    """Speed: the sheet a megabyte at a time, without its usual cells (and, with `rows`, rows left empty); adds
    to `found` the formula cells taken out, in order, then the farthest down and farthest right of the value
    cells, and to `values` what those cells hold. Raises _Inexact, before giving the piece, where what is left could
    not be read the same way (see _MARKS). Some pieces are given whole (see _usual_cells), and so is the piece after
    one, or after a cut not made at the end of a row, where a cell may have been cut in two (then `values` is not
    complete). Formula cells are taken out only from a UTF-8 part."""
    values = values or _Values(_Texts(None, None))
    lo, hi = data.find(b"<sheetData>"), data.rfind(b"</sheetData>")
    if lo < 0 or hi < lo:  # an empty sheet (<sheetData/>), or one not written the usual way: parse it whole
        values.fast = False
        yield data
        return
    lo += len(b"<sheetData>")
    head = data[:lo]
    formulas = not _OTHER_ENCODING.match(head)
    values.fast &= formulas  # texts of another encoding: calamine's to decode
    yield _surveyed(head, rows, 1, declared=True)
    start, whole = lo, False
    while start < hi:
        end = data.find(b"</row>", start + MiB, min(start + 2 * MiB, hi))  # any cut is exact (regexes take only
        cut = end >= 0  # whole elements, expat joins the rest)
        end = end + len(b"</row>") if cut else min(start + MiB, hi)
        piece, cells = data[start:end], list[Found]()
        rest = None if whole else _usual_cells(piece, strings, cells, formulas, values)
        if rest is None:  # a cell of this piece may go on into the next: that one goes whole too
            values.fast = False
            yield _surveyed(piece, rows, 0)
        else:
            found += cells
            yield _EMPTY_ROW.sub(b"", _surveyed(rest, rows, 0)) if rows else _surveyed(rest, rows, 0)
        start, whole = end, rest is None or not cut
    yield _surveyed(data[hi:], rows, 1)


def _surveyed(text: bytes, rows: bool, tags: int, declared: bool = False) -> bytes:
    """The text, once sure it holds `tags` <sheetData> tags, no processing instruction but the part's own
    declaration (when `declared`: at its very start), and nothing else that would make the shortcut inexact."""
    for mark in _MARKS.finditer(text):
        kind = mark.lastgroup
        if kind == "data":
            tags -= 1
        elif kind == "row":
            if rows:
                raise _Inexact(rows=True)
        elif kind != "pi" or not declared or mark.start() > 0:
            raise _Inexact(rows=False)
    if tags:
        raise _Inexact(rows=False)
    return text


def _usual_cells(piece: bytes, strings: int, found: list[Found], formulas: bool, values: _Values) -> bytes | None:
    """The piece without its usual cells, adding what they hold to `found` and `values`; None when it must go
    whole to the parse: another cell is left (it could hold one of them: only the parse places it), a formula
    cell's text is for the parse to judge, or a shared string does not exist (the parse names the cell)."""
    parts = _CELLS.split(piece) if formulas else _VALUE_CELLS.split(piece)
    step = 10 if formulas else 6
    rest = b"".join(parts[0::step])
    if b'<c r="' in rest or any(int(i) >= strings for i in parts[5::step] if i is not None):
        return None
    if formulas and not _formula_cells(parts, found, values):
        return None
    digits = list(filter(None, parts[2::step]))  # each value cell's (the others' are None; none is b"")
    letters = list(filter(None, parts[1::step]))
    if values.fast:
        values.add_cells(parts, step, letters, digits)
    if digits:
        at = digits.index(str(max(map(int, digits))).encode())
        found.append(((letters[at] + digits[at]).decode(), None, True))
        at = letters.index(max(set(letters), key=lambda c: (len(c), c)))
        found.append(((letters[at] + digits[at]).decode(), None, True))
    return rest


def _formula_cells(parts: list[bytes], found: list[Found], values: _Values) -> bool:
    """Adds each formula cell of a split piece to `found` (and its saved value to `values`); False when one's text
    or value is for the parse to judge."""
    refs = parts[6::10]
    for ref, kind, text, saved in compress(zip(refs, parts[7::10], parts[8::10], parts[9::10], strict=True), refs):
        if saved is None or saved[2] != 62:  # no <v>, or <v/> (62 is ">")
            has_value, value = saved is not None and kind == b"str", b""
        else:
            value = saved[3:-4]
            if value and kind != b"str" and not _PLAIN_NUMBER.fullmatch(value):
                return False
            if value and (b"&" in value or not value.isascii()) and _decode(value) is None:
                return False
            has_value = kind == b"str" or bool(value)
        if has_value and values.fast:
            values.add_saved(ref, value if kind == b"str" else None)
        formula = text.decode() if text is not None and text.isascii() and b"&" not in text else _decode(text or b"")
        if formula is None:
            return False
        found.append((ref.decode(), formula[:MAX_FACT_CHARS], has_value))
    return True


def _decode(text: bytes) -> str | None:
    """A text as the parse gives it, or None where the parse would fail."""
    out = _checked(text)
    return _entities(out) if out is not None and "&" in out else out


def _checked(text: bytes) -> str | None:
    """The text decoded, its entities not yet replaced; None where the parse would fail."""
    if b"&" in text and _BAD_ENTITY.search(text):
        return None
    try:
        out = text.decode()
    except UnicodeDecodeError:
        return None
    return None if "\ufffe" in out or "\uffff" in out else out


def _entities(text: str) -> str:
    for entity, char in _ENTITIES:
        text = text.replace(entity, char)
    return text


class _TooLarge(Exception):
    """Stops the parse once a sheet is past the limits: the rest would not be read anyway."""


def _scan_sheet(sheet: str, strings: int, data: bytes, texts: _Texts) -> SheetFacts:
    """A sheet's facts: by the shortcut where it is exact (with its values, where they are all usual), else (even
    to name where the XML is damaged) by the parse alone."""
    for rows in (True, False):
        found: list[Found] = []
        values = _Values(texts)
        try:
            pieces = _pieces(data, strings, found, rows, values=values)
            return _SheetScan(sheet, strings).run(pieces, found, values)
        except _Inexact as e:
            if not e.rows:
                break
        except expat.ExpatError:
            break
    return _SheetScan(sheet, strings).run([data], [], None)


_CONTROLS = bytes([*range(0x09), *range(0x0B, 0x20)])  # every control character but tab and line feed
_COLUMN_OF: dict[bytes, int] = {}


def _cell_texts(raw: list[bytes]) -> list[str] | None:
    """Texts as calamine gives them; None where any is one calamine is left to read: it turns an _xHHHH_ escape
    into its character and a line end into a line feed, and refuses a control character (or the parse does).
    Worked out for many at once, joined by "<", which no text holds."""
    joined = b"<".join(raw)
    if ((b"_" in joined and (b"_x" in joined or b"_X" in joined))  # (each test the quickest found for it)
            or len(joined.translate(None, _CONTROLS)) != len(joined)):
        return None
    text = _checked(joined)
    if text is None:
        return None
    texts = text.split("<")
    return [_entities(t) if "&" in t else t for t in texts] if "&" in text else texts


def _cell_text(raw: bytes) -> str | None:
    texts = _cell_texts([raw])
    return None if texts is None else texts[0]


class _Texts:
    """The text table's texts, as calamine gives them, worked out when a usual cell first needs one. None for the
    table where it is not written the usual way (rich text, phonetic guides...), and for a text _cell_texts leaves
    to calamine."""

    def __init__(self, data: bytes | None, plain: tuple[int, int] | None) -> None:
        self.data, self.plain = data, plain  # the table, and _plain_strings of it
        self.texts: list[str | None] | None = None

    def get(self, index: int) -> str | None:
        if self.texts is None:
            self.texts, self.data = _plain_texts(self.data, self.plain), None
        return self.texts[index] if index < len(self.texts) else None


_SI_TEXT = re.compile(rb'<si><t(?: xml:space="preserve")?>([^<]*)</t></si>')


def _plain_texts(data: bytes | None, plain: tuple[int, int] | None) -> list[str | None]:
    """Each text of a text table of plain texts, written the usual way (`plain`: _plain_strings of it); []
    otherwise."""
    if data is None or plain is None:
        return []
    head, count = plain
    body = data[head: data.find(b"</sst>")]
    texts = _SI_TEXT.findall(body)
    if len(texts) != count or _SI_TEXT.sub(b"", body).strip():
        return []
    every = _cell_texts(texts)
    return list(every) if every is not None else [_cell_text(t) for t in texts]


class _Values:
    """The values of a sheet's usual cells, as calamine gives them, while the shortcut takes the cells out;
    `fast` stays true while every cell of the sheet is one whose value is read here the way calamine reads it:
    a text (inline, shared or a formula's saved text) that _cell_texts reads. A number is left to calamine: its
    cell's format may make it a date. Kept as three lists, in the sheet's order, and placed at the end: a
    return's sheets hold about a thousand texts, so each step is made for all of them at once where it can be."""

    def __init__(self, texts: _Texts) -> None:
        self.texts = texts
        self.fast = True
        self.rows: list[bytes] = []  # each text's row number and column letters, as the reference has them
        self.columns: list[bytes] = []
        self.values: list[str] = []

    def add_cells(self, parts: list[bytes], step: int, letters: list[bytes], digits: list[bytes]) -> None:
        """The value cells of a piece split by _CELLS or _VALUE_CELLS, whose references are `letters` and
        `digits`."""
        inline, shared = parts[3::step], parts[5::step]
        if any(parts[4::step]):  # a number
            self.fast = False
            return
        texts: list[str] | list[str | None] | None
        if not any(shared):  # inline texts only
            texts = _cell_texts([t for t in inline if t is not None])  # (not filter: an empty text is b"")
        else:
            texts = [_cell_text(t) if t is not None else self.texts.get(int(i))
                     for t, i, c in zip(inline, shared, parts[1::step], strict=True) if c is not None]
        if texts is None or None in texts or len(self.values) + len(texts) > MAX_FAST_CELLS:
            self.fast = False  # (a sheet so large is rare: calamine holds it more compactly)
            return
        self.values += cast(list[str], texts)  # (none is None: tested above)
        self.columns += letters
        self.rows += digits

    def add_saved(self, ref: bytes, saved: bytes | None) -> None:
        """A formula cell's saved value: its text (t="str"), or None for a number."""
        value = _cell_texts([saved]) if saved is not None else None
        if value is None:
            self.fast = False
            return
        digits = ref.lstrip(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        self.values += value
        self.columns.append(ref[: len(ref) - len(digits)])
        self.rows.append(digits)

    def grid(self, size: tuple[int, int]) -> list[list[Any]]:
        """Rows from A1 to `size`, as the reader makes calamine's: every empty cell (and empty text) None."""
        height, width = size
        grid: list[list[Any]] = [[None] * width for _ in range(height)]
        at = _COLUMN_OF
        for letters in set(self.columns) - at.keys():
            at[letters] = _position(letters.decode() + "1")[1] or 0
        for row, letters, value in zip(self.rows, self.columns, self.values, strict=True):
            grid[int(row) - 1][at[letters]] = value or None
        return grid


class _SheetScan:
    """One pass over a sheet part with calamine's rules: cells are read between the first <sheetData> and its
    end; a cell without r= goes after the previous cell (or at column A of a row), a row without r= after the
    previous row; a cell's value is that of its last child element (<is>, <v> or <f>, which has none)."""

    def __init__(self, sheet: str, strings: int) -> None:
        self.sheet, self.strings = sheet, strings
        self.facts = SheetFacts()
        self.state = 0  # 0 before <sheetData>, 1 inside, 2 after
        self.row = self.col = 0  # calamine's cursor, 0-based
        self.cell: tuple[int, int] | str | None = None  # the open cell: its position, or its plain A1 reference
        self.last: tuple[int, int] | str | None = None  # the previous cell of the row, until the cursor is needed
        self.depth = 0  # inside the current cell
        self.kind: str | None = None  # its t= attribute
        self.child = ""
        self.text: list[str] = []
        self.has_value = False
        self.formula: str | None = None
        self.bottom = self.right = -1  # calamine's used area ends here (0-based)
        self.far_row = self.far_col = ""
        self.merged: list[tuple[tuple[int, int], tuple[int, int]]] | None = []  # None: one calamine must read
        self.merging = 0  # 0 before the first <mergeCells>, 1 inside it, 2 after
        self.parsed_cells = False  # a cell came to the parse: the shortcut's values are not all there is

    def run(self, pieces: Iterable[bytes], found: list[Found], values: _Values | None) -> SheetFacts:
        """Parses the pieces in turn, recording after each what the shortcut took out of it (`found`); the sheet's
        grid from `values` where they are all there is to read."""
        p = xml_parser()
        p.StartElementHandler, p.EndElementHandler, p.CharacterDataHandler = self.start, self.end, self.chars
        with contextlib.suppress(_TooLarge):
            for piece in pieces:
                p.Parse(piece, False)
                for ref, formula, has_value in found:
                    if formula is not None:
                        self.facts.formulas[ref] = (formula, has_value)
                    if has_value:
                        self._usual_cell(ref)
                found.clear()
            p.Parse(b"", True)
        facts = self.facts
        facts.size = (self.bottom + 1, self.right + 1)
        if self._over():
            height, width = facts.size
            far = self.far_col if width > MAX_COLUMNS else self.far_row
            facts.too_large = sheet_too_large("sheet", far, height, width)
        elif (values is not None and values.fast and not self.parsed_cells and self.merged is not None
              and not facts.damaged and not facts.errors):
            facts.grid, facts.merged = values.grid(facts.size), self.merged
            facts.longest = max(map(len, values.values), default=0)  # (the fast values are all texts)
        return facts

    def _usual_cell(self, ref: str) -> None:
        row, col = _position(ref)
        if row > self.bottom:
            self.bottom, self.far_row = row, ref
        if col is not None and col > self.right:
            self.right, self.far_col = col, ref
        if self._over():
            raise _TooLarge

    def _over(self) -> bool:
        rows, cols = self.bottom + 1, self.right + 1
        return rows > MAX_ROWS or cols > MAX_COLUMNS or rows * cols > MAX_CELLS

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if self.cell is not None:
            self.depth += 1
            if self.depth == 1:
                self.child, self.text = tag.rsplit(":", 1)[-1], []
            return
        name = tag.rsplit(":", 1)[-1]
        if self.state != 1:
            if name == "sheetData" and self.state == 0:
                self.state = 1
            elif self.merging == 1 or name in ("mergeCells", "mergeCell"):
                self._merge(name, attrs.get("ref", ""))
            elif name == "col" and attrs.get("hidden") in ("1", "true"):
                with contextlib.suppress(ValueError):
                    lo, hi = int(attrs.get("min", "")), int(attrs.get("max", ""))
                    self.facts.hidden_columns.update(range(max(lo, 1) - 1, min(hi, MAX_COLUMNS)))
            return
        if name == "c":
            self._open_cell(attrs.get("r"), attrs.get("t"))
        elif name == "row":
            self._open_row(attrs)

    def _merge(self, name: str, ref: str) -> None:
        """calamine's merged areas: each <mergeCell> of the first <mergeCells>. Any other spelling (a second
        <mergeCells>, a <mergeCell> elsewhere, anything inside one, a reference not "A1:B2") leaves the sheet's
        values to calamine."""
        if name == "mergeCells" and self.merging == 0 and self.state == 2:
            self.merging = 1
            return
        first, _, last = ref.partition(":")
        if (self.merged is None or name != "mergeCell" or self.merging != 1
                or not (_PLAIN_REF.fullmatch(first) and _PLAIN_REF.fullmatch(last))):
            self.merged = None
            return
        self.merged.append((position(first), position(last)))

    def _open_row(self, attrs: dict[str, str]) -> None:
        self._settle()
        ref = attrs.get("r")
        if ref is not None:
            try:
                self.row = _position(ref)[0]
            except ValueError as e:
                self._damage(a1(self.row, 0), f"its row number is damaged ({e})", blocks=True)
        if attrs.get("hidden") in ("1", "true"):
            self.facts.hidden_rows.add(self.row + 1)

    def _open_cell(self, ref: str | None, kind: str | None) -> None:
        self.parsed_cells = True
        self.kind, self.depth, self.has_value, self.formula, self.child = kind, 0, False, None, ""
        if ref is None:  # placed after the previous cell
            self._settle()
            self.cell = (self.row, self.col)
            return
        self.cell = ref  # most cells are empty: work out where only when it matters
        if _PLAIN_REF.fullmatch(ref) is None:
            try:
                row, col = _position(ref)
                if col is None:
                    raise ValueError(f"'{ref[:20]}' has no column letters")
                self.cell = (row, col)
            except ValueError as e:
                self._settle()
                self.cell = (self.row, self.col)
                self._damage(a1(self.row, self.col), f"its cell reference is damaged ({e})", blocks=True)

    def _settle(self) -> None:
        """Resolve the cursor left by a cell whose position was not needed."""
        if self.last is not None:
            self.col = (self._where(self.last)[1] + 1) & _MASK
            self.last = None

    def _where(self, cell: tuple[int, int] | str) -> tuple[int, int]:
        if isinstance(cell, tuple):
            return cell
        row, col = _position(cell)
        return row, col or 0

    def end(self, tag: str) -> None:
        if self.cell is not None:
            if self.depth == 0:
                self._close_cell(self.cell)
            else:
                if self.depth == 1:
                    self._close_child()
                self.depth -= 1
        elif self.state == 1:
            name = tag.rsplit(":", 1)[-1]
            if name == "row":
                self.row, self.col, self.last = (self.row + 1) & _MASK, 0, None
            elif name == "sheetData":
                self.state = 2
        elif self.merging == 1 and tag.rsplit(":", 1)[-1] == "mergeCells":
            self.merging = 2

    def chars(self, data: str) -> None:
        if self.depth == 1 and self.cell is not None:
            self.text.append(data)

    def _close_cell(self, cell: tuple[int, int] | str) -> None:
        self.cell, self.last = None, cell
        if self.formula is None and not self.has_value:
            return
        pos = self._where(cell)
        if self.formula is not None:
            self.facts.formulas[a1(*pos)] = (self.formula, self.has_value)
        if self.has_value:
            row, col = pos
            if row > self.bottom:
                self.bottom, self.far_row = row, a1(*pos)
            if col > self.right:
                self.right, self.far_col = col, a1(*pos)
            if self._over():
                raise _TooLarge

    def _close_child(self) -> None:
        child, text, before = self.child, "".join(self.text), self.has_value
        if child == "is":
            self.has_value = True
        elif child == "f":
            self.has_value, self.formula = False, text[:MAX_FACT_CHARS]
        elif child == "v":
            self.has_value = self._value(text)
        else:
            self._damage(a1(*self._pos()), f"it holds an element <{child[:20]}> where a value should be",
                         blocks=True)
        if before and not self.has_value:  # calamine keeps only the last child's value
            self._damage(a1(*self._pos()), f"its value is followed by a <{child[:20]}> that replaces it, so the value "
                         "is lost", blocks=False)

    def _pos(self) -> tuple[int, int]:
        return self._where(self.cell) if self.cell is not None else (self.row, self.col)

    def _value(self, text: str) -> bool:
        """Whether calamine reads a value from <v>, noting values it reads wrongly or refuses."""
        kind, cell = self.kind, a1(*self._pos())
        if kind in ("inlineStr", "is"):
            if text:
                self._damage(cell, "it is marked as inline text but holds its value in <v>, which is not read",
                             blocks=False)
            return False
        if kind in ("str", "d"):
            if kind == "d" and not _iso_date(text):
                self._damage(cell, f"it is marked as a date but holds '{text[:30]}'", blocks=False)
            return True
        if kind not in (None, "n", "s", "b", "e"):
            self._damage(cell, f"its type t=\"{kind[:20]}\" is unknown", blocks=True)
            return False
        if not text:
            return False
        if kind == "s":
            self._shared(cell, text)
        elif kind == "e":
            if len(self.facts.errors) < MAX_FACTS:
                self.facts.errors[cell] = text[:MAX_FACT_CHARS]
            if text not in ERRORS:
                self._damage(cell, f"it holds an error value the tool does not know ('{text[:30]}')", blocks=True)
        elif kind == "b" and text.strip(" \t\r\n").lower() not in ("0", "1", "true", "false"):  # as calamine
            self._damage(cell, f"it is marked TRUE/FALSE but holds '{text[:30]}'", blocks=True)
        elif kind in (None, "n"):
            number = _FLOAT.fullmatch(text)
            if number is None and kind == "n":
                self._damage(cell, f"it is marked as a number but holds '{text[:30]}'", blocks=True)
            elif number is not None and not math.isfinite(float(text)):
                self._damage(cell, f"it holds '{text[:30]}', which is not a number Excel can show", blocks=False)
        return True

    def _shared(self, cell: str, text: str) -> None:
        if not (text.isascii() and text.isdigit()):
            self._damage(cell, f"its text refers to entry '{text[:30]}' of the workbook's text table, which is not "
                         "an entry number (another text would be read in its place)", blocks=False)
        elif int(text) >= self.strings:
            self._damage(cell, f"its text refers to entry {int(text):,} of the workbook's text table, which has only "
                         f"{self.strings:,}", blocks=True)

    def _damage(self, cell: str, why: str, blocks: bool) -> None:
        facts = self.facts
        if len(facts.damaged) < MAX_FACTS and cell not in facts.damaged:
            facts.damaged[cell] = why
        if blocks and not facts.blocked:
            facts.blocked = cell


def _iso_date(text: str) -> bool:
    try:
        datetime.fromisoformat(text)
    except ValueError:
        try:
            date.fromisoformat(text)
        except ValueError:
            return False
    return True
