"""Stage 2: look at a returned file before reading it.

calamine reads values fast but trusts the file: one stray value in cell XFD1048576 makes it allocate
half a terabyte and abort the process, and it says nothing about formulas without a saved value or
hidden rows. This stage works out what the file really is, enforces the limits below (the README
lists them), and collects the facts the reader needs that calamine does not give.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from xml.sax.saxutils import unescape

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

MiB = 1024 * 1024
MAX_FILE_BYTES = 50 * MiB  # a filled return is 30-100 kB; pictures pasted in can make it a few MB
MAX_PARTS = 1000  # files inside the zip; the template has about 20
MAX_UNPACKED_BYTES = 100 * MiB  # all parts together, uncompressed, as the zip declares them
MAX_RATIO = 100  # uncompressed / compressed for any part over 1 MiB; real workbooks measure 5-20
MAX_ROWS = 50_000  # per sheet, counted from the first to the last row holding a value
MAX_COLUMNS = 1_000
MAX_CELLS = 2_000_000  # rows x columns of a sheet's used area: calamine holds it all in memory
MAX_CELL_CHARS = 32_767  # Excel's own limit, counted in UTF-16 units as Excel does

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
SAVE_AS = ("Ask the partner to open it and use File > Save As, choose 'Excel Workbook (.xlsx)' "
           "(LibreOffice: 'Excel 2007-365'), and send that file.")

_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(/>|>(.*?)</(?:\w+:)?c>)", re.DOTALL)
# The reference of every cell holding a value or a formula: what calamine will load. The first pattern is
# for how Excel, LibreOffice and openpyxl write cells, and fast; the second for any other writer.
_FILLED_USUAL = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"[^>]*>(?:<v>[^<]|<is>|<f[\s>/])')
_FILLED = re.compile(rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]{1,3})([0-9]{1,7})"[^>]*(?<!/)>\s*<(?:\w+:)?(?:v>[^<]|is\b|f\b)')
_REF = re.compile(rb'\br="([A-Z]{1,3})([0-9]{1,7})"')
_VALUE = re.compile(rb"<(?:\w+:)?(?:v>[^<]|is\b)")
_FORMULA = re.compile(rb"<(?:\w+:)?f\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?f>)", re.DOTALL)
_HIDDEN = re.compile(rb'\bhidden="(?:1|true)"')
_ROW_TAG = re.compile(rb"<(?:\w+:)?row\b[^>]*>")
_COL_TAG = re.compile(rb"<(?:\w+:)?col\b[^>]*>")
_ATTR = {name: re.compile(rb"\b" + name + rb'="([0-9]+)"') for name in (b"r", b"min", b"max")}


@dataclass
class SheetFacts:
    """What the reader needs to know about one sheet beyond its values."""

    formulas: dict[str, tuple[str, bool]] = field(default_factory=dict)  # A1 -> (formula, has saved value)
    hidden_rows: set[int] = field(default_factory=set)  # Excel row numbers
    hidden_columns: set[int] = field(default_factory=set)  # 0-based column indexes
    too_large: str = ""  # why the sheet must not be read, or ""
    errors: dict[str, str] = field(default_factory=dict)  # A1 -> an Excel error value such as #REF!
    damaged: dict[str, str] = field(default_factory=dict)  # A1 -> why the cell's value cannot be trusted
    notes: dict[str, str] = field(default_factory=dict)  # A1 -> the text of a note attached to the cell


@dataclass
class Scan:
    """A checked file: its bytes (read once), and either a fatal problem or the facts per sheet."""

    data: bytes = b""
    fatal: tuple[str, str] | None = None  # (problem code, message) when the file cannot be read
    kind: str = ""  # "xlsx" or "xlsm" when readable
    sheets: dict[str, SheetFacts] = field(default_factory=dict)
    macros: bool = False
    saved: datetime | None = None  # when the workbook says it was last saved

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


class _Refuse(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def scan(path: Path, unread: frozenset[str] = frozenset()) -> Scan:
    """Check one file. Never raises for bad content; a fatal problem is returned instead.
    Sheets named in `unread` are never loaded by the reader, so their cells are not scanned."""
    out = Scan()
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise _Refuse("too-large", f"The file is {size / MiB:.0f} MB; the tool reads returns of up to "
                          f"{MAX_FILE_BYTES // MiB} MB. Ask the partner to remove pictures or unused sheets.")
        out.data = path.read_bytes()
        _check(out, unread)
    except _Refuse as e:
        out.fatal = (e.code, e.message)
    except OSError as e:
        out.fatal = ("unreadable-file", f"The file cannot be opened ({e.strerror or e}).")
    return out


def _check(out: Scan, unread: frozenset[str]) -> None:
    data = out.data
    if not data:
        raise _Refuse("unreadable-file", "The file is empty (0 bytes). Ask the partner to send it again.")
    if data.startswith(OLE):
        _refuse_ole(data)
    if not data.startswith(b"PK"):
        raise _Refuse(*_not_zip(data))
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        names = zf.namelist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as e:
        raise _Refuse("unreadable-file", f"The file is damaged or incomplete ({e}), perhaps cut short when it "
                      "was sent or saved. Ask the partner to send it again.") from None
    with zf:
        _refuse_other_zip(zf, names)
        _check_sizes(zf)
        out.kind = "xlsm" if "xl/vbaproject.bin" in {n.lower() for n in names} else "xlsx"
        out.macros = out.kind == "xlsm"
        try:
            _read_parts(zf, out, unread)
        except DefusedXmlException:
            raise _Refuse("unsafe-file", "The workbook's XML declares its own entities, which Excel never "
                          "writes; it was not read. Ask the partner to save a new copy from Excel.") from None
        except (ElementTree.ParseError, KeyError, zipfile.BadZipFile, zlib.error, EOFError, ValueError,
                OSError) as e:
            raise _Refuse("unreadable-file", f"The workbook is damaged ({type(e).__name__}: {e}). "
                          "Ask the partner to save it again as .xlsx and resend it.") from None


def _refuse_ole(data: bytes) -> None:
    """An OLE container: an encrypted workbook or an old binary Office file."""

    def has(stream: str) -> bool:
        return stream.encode("utf-16-le") in data

    if has("EncryptionInfo") or has("EncryptedPackage"):
        raise _Refuse("encrypted", "The workbook is protected with a password to open, so it cannot be read. "
                      "Ask the partner to remove the password (File > Info > Protect Workbook > Encrypt with "
                      "Password, clear it) and send an unencrypted copy.")
    if has("Workbook") or has("Book"):
        raise _Refuse("wrong-format", "This is an old Excel 97-2003 workbook (.xls), not the template's .xlsx. "
                      + SAVE_AS)
    if has("WordDocument"):
        raise _Refuse("wrong-format", "This is a Word document (.doc), not a workbook. Check the attachment.")
    raise _Refuse("wrong-format", "This is an old-style Office file, not an .xlsx workbook. " + SAVE_AS)


def _not_zip(data: bytes) -> tuple[str, str]:
    head = data[:4096]
    if head.startswith(b"%PDF"):
        return "wrong-format", "This is a PDF, not a workbook. Ask the partner to send the filled .xlsx template."
    for bom, enc in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if head.startswith(bom):
            text = head[len(bom):].decode(enc, "replace")
            break
    else:
        text = head.decode("utf-8", "replace")
    lowered = text.lower()
    if "urn:schemas-microsoft-com:office:spreadsheet" in lowered:
        return "wrong-format", "This is an 'XML Spreadsheet 2003' file, not an .xlsx workbook. " + SAVE_AS
    if "<html" in lowered or "<!doctype html" in lowered:
        return "wrong-format", ("This is a web page (HTML) saved with a spreadsheet name, not a workbook. "
                                + SAVE_AS)
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
    if text and printable / len(text) > 0.95:
        lines = [line for line in text.splitlines() if line.strip()][:5]
        if lines and all(any(sep in line for sep in ",;\t") for line in lines):
            return "wrong-format", ("This is a CSV text file, not a workbook: it cannot hold the template's "
                                    "sheets and partner details. Ask the partner to send the filled .xlsx "
                                    "template itself.")
        return "wrong-format", "This is a text file, not a workbook. Check the attachment."
    return "unreadable-file", ("The file is not an Excel workbook (its content is not a zip archive). "
                               "Ask the partner to save it again as .xlsx and resend it.")


def _refuse_other_zip(zf: zipfile.ZipFile, names: list[str]) -> None:
    if "mimetype" in names:
        kind = zf.read("mimetype")[:100].decode("ascii", "replace")
        if "spreadsheet" in kind:
            raise _Refuse("wrong-format", "This is an OpenDocument spreadsheet (.ods), which LibreOffice saves "
                          "by default, not the template's .xlsx. " + SAVE_AS)
        raise _Refuse("wrong-format", f"This is an OpenDocument file ({kind}), not a workbook.")
    if "xl/workbook.bin" in names:
        raise _Refuse("wrong-format", "This is an Excel binary workbook (.xlsb), not the template's .xlsx. "
                      + SAVE_AS)
    if any(n.startswith("word/") for n in names):
        raise _Refuse("wrong-format", "This is a Word document, not a workbook. Check the attachment.")
    if any(n.startswith("ppt/") for n in names):
        raise _Refuse("wrong-format", "This is a PowerPoint file, not a workbook. Check the attachment.")
    if "[Content_Types].xml" not in names:
        raise _Refuse("unreadable-file", "The file is a zip archive but not an Excel workbook. "
                      "Ask the partner to save it again as .xlsx and resend it.")


def _check_sizes(zf: zipfile.ZipFile) -> None:
    """Uncompressed sizes as declared: the zip readers used here stop at the declared size."""
    infos = zf.infolist()
    if len(infos) > MAX_PARTS:
        raise _Refuse("too-large", f"The workbook holds {len(infos)} parts; the tool reads at most {MAX_PARTS}.")
    total = sum(i.file_size for i in infos)
    if total > MAX_UNPACKED_BYTES:
        raise _Refuse("too-large", f"The workbook unpacks to {total / MiB:,.0f} MB; the tool reads at most "
                      f"{MAX_UNPACKED_BYTES // MiB} MB. It may be a 'zip bomb'; do not open it in Excel either.")
    for i in infos:
        if i.file_size > MiB and i.file_size > MAX_RATIO * max(i.compress_size, 1):
            raise _Refuse("too-large", f"The part {i.filename} unpacks {i.file_size // max(i.compress_size, 1):,} "
                          f"times larger than it is stored (the tool allows {MAX_RATIO}). It may be a 'zip bomb'; "
                          "do not open it in Excel either.")


def _xml(zf: zipfile.ZipFile, name: str) -> bytes:
    data = zf.read(name)
    _no_dtd(name, data)
    return data


def _no_dtd(name: str, data: bytes) -> None:
    """A DTD can only come before the root element, so the start of a part is enough to look at."""
    if b"<!DOCTYPE" in data[:8192] or b"<!ENTITY" in data[:8192]:
        raise DefusedXmlException(name)


def _parse(zf: zipfile.ZipFile, name: str) -> ElementTree.Element:
    return ElementTree.fromstring(_xml(zf, name), forbid_dtd=True)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _rels(zf: zipfile.ZipFile, part: str) -> dict[str, str]:
    """Relationship id -> target part name, for a part such as xl/workbook.xml."""
    folder, base = posixpath.split(part)
    name = posixpath.join(folder, "_rels", base + ".rels")
    if name not in zf.namelist():
        return {}
    out = {}
    for rel in _parse(zf, name):
        target = rel.get("Target", "")
        if rel.get("TargetMode") == "External":
            continue
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        out[rel.get("Id", "")] = path
    return out


def _read_parts(zf: zipfile.ZipFile, out: Scan, unread: frozenset[str]) -> None:
    names = set(zf.namelist())
    top = _rels(zf, "")
    workbook = next((t for t in top.values() if t.endswith(".xml") and "workbook" in t.lower()), "xl/workbook.xml")
    rels = _rels(zf, workbook)
    sheets = {}
    for el in _parse(zf, workbook).iter():
        if _local(el.tag) == "sheet":
            rid = next((v for k, v in el.attrib.items() if _local(k) == "id"), "")
            sheets[el.get("name", "")] = rels.get(rid, "")
    for name in names - set(sheets.values()):  # calamine parses some of these too: refuse a DTD first
        if name.endswith((".xml", ".rels")):
            with zf.open(name) as stream:
                _no_dtd(name, stream.read(8192))
    for sheet, part in sheets.items():
        if sheet in unread:
            _xml(zf, part)  # still refused if it declares entities
        elif part in names:
            out.sheets[sheet] = _sheet_facts(sheet, _xml(zf, part))
    if "docProps/core.xml" in names:
        for el in _parse(zf, "docProps/core.xml"):
            if _local(el.tag) == "modified" and el.text:
                with contextlib.suppress(ValueError):  # an odd date just means "not known"
                    out.saved = datetime.fromisoformat(el.text.strip().replace("Z", "+00:00"))


def _sheet_facts(sheet: str, xml: bytes) -> SheetFacts:
    facts = SheetFacts()
    # plain substring tests (memchr speed); a false alarm only means the slower, general pattern
    usual = xml.count(b"<c ") == xml.count(b'<c r="') and b":c " not in xml and b":c>" not in xml
    refs = (_FILLED_USUAL if usual else _FILLED).findall(xml)
    if any(tag in xml for tag in (b"<f>", b"<f ", b"<f/", b":f>", b":f ")):  # not <formula1> of a dropdown
        _formulas(xml, facts)
    if b'hidden="1"' in xml or b'hidden="true"' in xml:
        for tag in _ROW_TAG.findall(xml):
            r = _ATTR[b"r"].search(tag)
            if r and _HIDDEN.search(tag):
                facts.hidden_rows.add(int(r.group(1)))
        for tag in _COL_TAG.findall(xml):
            lo, hi = _ATTR[b"min"].search(tag), _ATTR[b"max"].search(tag)
            if lo and hi and _HIDDEN.search(tag):
                facts.hidden_columns.update(range(int(lo.group(1)) - 1, min(int(hi.group(1)), MAX_COLUMNS)))
    if refs:
        rows = [int(r) for _, r in refs]
        cols = [_column_index(c) for c, _ in refs]
        top, bottom, left, right = min(rows), max(rows), min(cols), max(cols)
        height, width = bottom - top + 1, right - left + 1
        if height > MAX_ROWS or width > MAX_COLUMNS or height * width > MAX_CELLS:
            letters, row = refs[cols.index(right)] if width > MAX_COLUMNS else refs[rows.index(bottom)]
            far = (letters + row).decode()
            facts.too_large = (f"The sheet '{sheet}' has entries as far as cell {far} ({height:,} rows by {width:,} "
                               f"columns); the tool reads at most {MAX_ROWS:,} rows, {MAX_COLUMNS:,} columns and "
                               f"{MAX_CELLS:,} cells per sheet, so this sheet was not read. Ask the partner to "
                               f"delete the unused rows and columns (or the stray entry in {far}) and resend it.")
    return facts


def _formulas(xml: bytes, facts: SheetFacts) -> None:
    for m in _CELL.finditer(xml):
        body = m.group(3) or b""
        formula = _FORMULA.search(body) if b"f" in body else None
        ref = _REF.search(m.group(1))
        if formula is None or ref is None:
            continue
        text = unescape((formula.group(2) or b"").decode("utf-8", "replace"), {"&quot;": '"', "&apos;": "'"})
        facts.formulas[ref.group(1).decode() + ref.group(2).decode()] = (text, _VALUE.search(body) is not None)


def _column_index(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n - 1
