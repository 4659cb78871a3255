"""A return to read: named bytes, whatever they came from (a file, later an email or an upload)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..problems import Code

MiB = 1024 * 1024
MAX_FILE_BYTES = 50 * MiB  # a filled return is 30-100 kB; pictures pasted in can make it a few MB


class Refused(Exception):
    """A source whose bytes were not read, with the problem code and message that say why."""

    def __init__(self, code: Code, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.code, self.message = code, message
        self.reason = reason or message  # the cause alone ("No such file or directory"), for other messages


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

    def read(self) -> bytes:
        """The bytes; raises Refused for a file that must not, or cannot, be read."""
        if self.data is not None:
            return self.data
        if self.path is None:
            raise Refused("unreadable-file", "This return holds no bytes, so it was not read.")
        from .files import read_bytes  # the file source's own protections

        return read_bytes(self.path)


def from_bytes(name: str, data: bytes, origin: str = "", received: datetime | None = None) -> Source:
    """A return given as bytes (an attachment, an upload, a test's workbook)."""
    return Source(name, origin or name, received, data=data)
