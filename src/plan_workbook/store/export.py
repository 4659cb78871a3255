"""The history as files: one tidy table per entity, as CSV (for a spreadsheet) or JSON."""

from __future__ import annotations

import csv
import io
import json
from typing import Any, Literal

Format = Literal["csv", "json"]
# A CSV cell Excel or LibreOffice would run as a formula when the file is opened (CSV injection, OWASP): written
# with a leading apostrophe, which spreadsheets show as text; the JSON keeps partners' text exactly.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
UNDECODABLE = "backslashreplace"  # a file name that was not UTF-8 is shown with its bytes escaped (caf\\udce9)


def table_bytes(rows: list[dict[str, Any]], columns: list[str], fmt: Format) -> bytes:
    """One table's file: CSV with a header row (empty for none), or a JSON list of objects."""
    if fmt == "json":
        out = [{k: json.loads(v) if k == "params" else v for k, v in row.items()} for row in rows]
        return (json.dumps(out, indent=2, ensure_ascii=False) + "\n").encode("utf-8", UNDECODABLE)
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows([[csv_cell(row[c]) for c in columns] for row in rows])
    return text.getvalue().encode("utf-8-sig", UNDECODABLE)  # with a BOM, so Excel opens it as UTF-8


def csv_cell(value: Any) -> Any:
    """A value for a CSV cell: text that a spreadsheet would run as a formula is made inert."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value
