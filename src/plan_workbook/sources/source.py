"""A return to read: named bytes, whatever they came from (a file, an email or zip, later an upload)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ..problems import Code, Fatal, Params, Problem, as_params, check_params, render

MiB = 1024 * 1024
MAX_FILE_BYTES = 50 * MiB  # a filled return is 30-100 kB; pictures pasted in can make it a few MB
CONTAINERS = (".eml", ".msg", ".zip")  # emails and zips: the workbooks in them are read (sources/mail.py)


def is_container(name: str) -> bool:
    return name.lower().endswith(CONTAINERS)


class Refused(Exception):
    """A source whose bytes were not read, with the problem code and the parameters of its message."""

    def __init__(self, code: Code, reason: str = "", **params: object) -> None:
        self.code, self.params = code, as_params(params)
        check_params(code, self.params)
        super().__init__(self.message)
        self.reason = reason or self.message  # the cause alone ("No such file or directory"), for other messages

    def __reduce__(self) -> tuple[Any, ...]:
        return _refused, (self.code, self.params, self.reason)

    @property
    def message(self) -> str:
        return render(self.code, self.params)

    @property
    def fatal(self) -> Fatal:
        """The problem a file that could not be read has, wherever it is named."""
        return Fatal(self.code, self.params)


def _refused(code: Code, params: Params, reason: str) -> Refused:
    return Refused(code, reason, **dict(params))


@dataclass(frozen=True)
class Source:
    """One return: the name every output shows, where it came from, when it was received, and its bytes.

    An in-memory source holds its bytes in `data`. A file source holds only its `path`: its bytes are read in
    the worker that reads the return, through `sources.files.read_bytes` (never opening a pipe or a device, and
    never more than the guard's limit), so a slow or hostile file costs that worker alone."""

    name: str
    origin: str = ""  # where it came from: a path, an email's Message-ID, an upload's id
    received: datetime | None = None  # when it arrived (a file: its modification time), for --prefer newest
    data: bytes | None = None
    path: Path | None = None
    # sent by email or in a zip (sources/emails.py): the email or zip it came in, and the email's sender
    via: Path | None = None
    sender: str = ""
    # what was found before it could be read (a part of an email that could not be taken out): then no bytes
    problems: tuple[Problem, ...] = ()

    def read(self) -> bytes:
        """The bytes; raises Refused for a file that must not, or cannot, be read."""
        if self.data is not None:
            return self.data
        if self.path is None:
            raise Refused("unreadable-file", variant="no-bytes")
        from .files import read_bytes  # the file source's own protections

        return read_bytes(self.path)


def from_bytes(name: str, data: bytes, origin: str = "", received: datetime | None = None) -> Source:
    """A return given as bytes (an attachment, an upload, a test's workbook)."""
    return Source(name, origin or name, received, data=data)
