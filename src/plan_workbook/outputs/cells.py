"""What the workbook writers share that needs no openpyxl: the summary is written by XlsxWriter (and
outputs/sheetrows.py), so a merge never imports openpyxl (a tenth of a second) for these."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

FIXED_TIME = datetime(2021, 4, 1)  # every workbook's created date: equal input gives an equal file
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")  # text starting so is read as a formula unless quoted


def row_height(values: Iterable[tuple[Any, float]], line_height: float = 15.0) -> float | None:
    """Height for a row of wrapped text, from (value, column width) pairs; None when one line will do.
    Neither Excel nor LibreOffice sizes such rows when it opens a file, so writers set it."""
    pairs = list(values)
    return wrapped_height([v for v, _ in pairs], [line_chars(w) for _, w in pairs], line_height)


def line_chars(width: float) -> int:
    """The characters of wrapped text one line of a column `width` wide holds, as row heights reckon it."""
    return max(int(width * 1.15 - 1), 4)


def wrapped_height(values: Sequence[Any], chars: Sequence[int], line_height: float = 15.0) -> float | None:
    """row_height, with each column's line_chars worked out once for the many rows of a table."""
    lines = 1
    for value, n in zip(values, chars, strict=True):
        if isinstance(value, str) and len(value) > 3:
            if "\n" in value:
                lines = max(lines, sum(-(-max(len(part), 1) // n) for part in value.split("\n")))
            elif len(value) > n * lines:
                lines = -(-len(value) // n)
    return min(lines * line_height, 409) if lines > 1 else None
