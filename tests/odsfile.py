"""OpenDocument spreadsheets written from small literals, laid out as LibreOffice lays them out."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import python_calamine

MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
      'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
      'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
      'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
      'xmlns:dc="http://purl.org/dc/elements/1.1/" '
      'xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0" '
      'office:version="1.3"')
MANIFEST = (b'<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
            b'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">'
            b'<manifest:file-entry manifest:full-path="/" manifest:media-type="' + MIMETYPE + b'"/>'
            b'<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
            b"</manifest:manifest>")
HIDDEN_TABLE_STYLE = ('<style:style style:name="ta2" style:family="table"><style:table-properties '
                      'table:display="false"/></style:style>')


def content(tables: str, styles: str = "") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {NS}><office:automatic-styles>'
            f"{styles}</office:automatic-styles><office:body><office:spreadsheet>{tables}</office:spreadsheet>"
            "</office:body></office:document-content>").encode()


def ods(body: bytes, extra: dict[str, bytes] | None = None, mimetype: bytes = MIMETYPE,
        manifest: bytes = MANIFEST) -> bytes:
    """An .ods: `mimetype` first and stored, as the standard requires, then the other parts."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("mimetype"), mimetype, compress_type=zipfile.ZIP_STORED)
        z.writestr("META-INF/manifest.xml", manifest)
        z.writestr("content.xml", body)
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return out.getvalue()


def table(name: str, rows: str, style: str = "ta1") -> str:
    return f'<table:table table:name="{name}" table:style-name="{style}">{rows}</table:table>'


def _cell(value: object) -> str:
    if value is None or value == "":
        return "<table:table-cell/>"
    if isinstance(value, bool):
        return (f'<table:table-cell office:value-type="boolean" office:boolean-value="{str(value).lower()}">'
                f"<text:p>{str(value).upper()}</text:p></table:table-cell>")
    if isinstance(value, (int, float)):
        return (f'<table:table-cell office:value-type="float" office:value="{value!r}"><text:p>{value}</text:p>'
                "</table:table-cell>")
    paragraphs = "".join(f"<text:p>{escape(line).replace('  ', ' <text:s/>')}</text:p>"
                         for line in str(value).split("\n"))
    return f'<table:table-cell office:value-type="string">{paragraphs}</table:table-cell>'


def from_xlsx(path: Path, extra_rows: dict[str, str] | None = None) -> bytes:
    """The values of an .xlsx written as an .ods, hidden sheets hidden, with LibreOffice's trailing repeated empty
    rows; `extra_rows` adds raw row XML at the end of a sheet (for hostile cases). Values only: what a partner
    typed, which is what the reader reads."""
    wb = python_calamine.CalamineWorkbook.from_path(str(path))
    tables = []
    try:
        for meta in wb.sheets_metadata:
            grid = wb.get_sheet_by_name(meta.name).to_python(skip_empty_area=False)
            rows = "".join("<table:table-row>" + "".join(_cell(v) for v in row) + "</table:table-row>"
                           for row in grid)
            rows += (extra_rows or {}).get(meta.name, "")
            rows += ('<table:table-row table:number-rows-repeated="1048000"><table:table-cell '
                     'table:number-columns-repeated="1024"/></table:table-row>')
            hidden = meta.visible != python_calamine.SheetVisibleEnum.Visible
            tables.append(table(escape(meta.name, {'"': "&quot;"}), rows, "ta2" if hidden else "ta1"))
    finally:
        wb.close()
    return ods(content("".join(tables), HIDDEN_TABLE_STYLE))
