"""Text going into outputs: always valid, within Excel's cell limit, and never able to fake a line.

Every writer (summary, board page, feedback copy, chase messages, terminal) takes any `str`, including a file
name with lone surrogates from `os.fsdecode` or a partner's 40,000-character cell, and never raises on it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

MAX_CELL_UNITS = 32_767  # Excel's limit for one cell, in UTF-16 code units
CUT_MARK = " … [cut here: too long for one Excel cell]"
_SURROGATE = re.compile("[\ud800-\udfff]")
PART = " \u203a "  # between an email's or zip's name and a file in it: 'police-q3.eml > return.xlsx', as shown


def valid(text: str) -> str:
    """Lone surrogates (undecodable bytes of a file name) replaced by U+FFFD, so the text can be encoded."""
    return _SURROGATE.sub("\ufffd", text)


def units(text: str) -> int:
    """Length in UTF-16 code units, as Excel counts it."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def cell_text(text: str, limit: int = MAX_CELL_UNITS) -> str:
    """Valid text that fits one Excel cell: cut, with a visible mark, where it would not."""
    text = valid(text)
    if len(text) <= limit // 2 or units(text) <= limit:
        return text
    room = limit - units(CUT_MARK)
    used = 0
    for i, ch in enumerate(text):
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > room:
            return text[:i] + CUT_MARK
    return text  # not reached: the text was over the limit


def visible(ch: str) -> str:
    """A character that could drive a terminal or start a new line, written as its escape (\\n, \\x85, \\u202e)."""
    return ch if ch.isprintable() else repr(ch)[1:-1]


def one_line(text: str) -> str:
    """Partner-supplied text shown in a message: one line, every control or layout character made visible."""
    if text.isprintable():  # no control, layout or lone surrogate character: nothing to change
        return text
    return "".join(visible(ch) for ch in valid(text))


def display_name(path: Path) -> str:
    """The path as text any output can hold: bytes of the name that are not UTF-8 (which Python keeps as
    lone surrogates) are shown as escapes such as \\xff. The file itself is still read by its real path."""
    text = str(path)
    if text.isascii():
        return text
    return "".join(f"\\x{ord(c) - 0xDC00:02x}" if 0xDC80 <= ord(c) <= 0xDCFF
                   else f"\\u{ord(c):04x}" if 0xD800 <= ord(c) <= 0xDFFF else c for c in text)


def file_name(shown: str) -> str:
    """A return's name without its folder; for a workbook sent in an email or zip, the email's name and the
    attachment's ('police-q3.eml > Hate crime return.xlsx', with PART), so a message still says which email."""
    head, sep, rest = shown.partition(PART)
    return Path(head).name + sep + rest


def json_text(value: Any) -> str:
    """json.dumps(value, indent=2, ensure_ascii=False, default=str), character for character, in 0.6 of the time:
    with an indent the standard library encodes in Python, a generator a level, and the JSON of a large round holds
    a million values. A dict with a key that is not a text goes to json itself."""
    out: list[str] = []
    try:
        _json_value(value, "\n", out.append)  # (each value's line break and indent, before its items' own)
    except _Unusual:
        return json.dumps(value, indent=2, ensure_ascii=False, default=str)
    return "".join(out)


class _Unusual(Exception):
    """A dict key that is not a text: left to json, which turns numbers, True and None into texts."""


_encode = json.encoder.encode_basestring  # (the C function, as json itself uses with ensure_ascii=False)


def _json_value(value: Any, pad: str, add: Callable[[str], object]) -> None:
    kind = value.__class__
    if kind is str:
        add(_encode(value))
    elif value is None:
        add("null")
    elif value is True:
        add("true")
    elif value is False:
        add("false")
    elif kind is int:
        add(int.__repr__(value))
    elif isinstance(value, dict):
        if not value:
            add("{}")
            return
        inner, sep = pad + "  ", "{"
        for key, item in value.items():
            if key.__class__ is not str:
                raise _Unusual
            add(sep + inner + _encode(key) + ": ")
            _json_value(item, inner, add)
            sep = ","
        add(pad + "}")
    elif isinstance(value, (list, tuple)):
        if not value:
            add("[]")
            return
        inner, sep = pad + "  ", "["
        for item in value:
            add(sep + inner)
            _json_value(item, inner, add)
            sep = ","
        add(pad + "]")
    elif isinstance(value, str):
        add(_encode(value))
    elif isinstance(value, int):
        add(int.__repr__(value))
    elif isinstance(value, float):
        add(json.dumps(value))  # (repr, or NaN and Infinity as json writes them)
    else:
        add(_encode(str(value)))  # default=str
