"""OpenDocument spreadsheets written from small literals, laid out as LibreOffice lays them out."""

from __future__ import annotations

import io
import zipfile

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
