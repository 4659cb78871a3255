"""A zip file written from members that may come already deflated.

The summary's long sheets are deflated by the processes that write their rows, two at once (outputs/beside.py),
and copied into the workbook as they are: deflating them here, one after another, took a tenth of a merge.
zipfile compresses whatever it is given and has no way to take deflated data, so the few records of the format
are written here (PKWARE's APPNOTE.TXT, sections 4.3 and 4.5.3), with zip64 fields where a size or an offset
needs them, as zipfile writes them. Deflate streams cut with Z_SYNC_FLUSH join into one stream; their CRC-32s
join with crc32_combine, which Python's zlib does not offer.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable
from typing import IO, NamedTuple

ZIP64_LIMIT = 0xFFFFFFFF  # a size or offset this large goes in a zip64 field (a test lowers it)
COUNT_LIMIT = 0xFFFF  # members, likewise
_FULL32, _FULL16 = 0xFFFFFFFF, 0xFFFF  # "see the zip64 field"
_DEFLATED = 8
_UTF8_NAME = 0x800
_LOCAL = struct.Struct("<4sHHHHHIIIHH")
_CENTRAL = struct.Struct("<4sHHHHHHIIIHHHHHII")
_END = struct.Struct("<4sHHHHIIH")
_END64 = struct.Struct("<4sQHHIIQQQQ")
_LOCATOR = struct.Struct("<4sIQI")
_POLY = 0xEDB88320  # CRC-32's polynomial, bits reversed


class _Member(NamedTuple):
    name: bytes
    flags: int
    time: int
    date: int
    external_attr: int
    crc: int
    size: int
    compressed: int
    offset: int


class ZipOut:
    """Members added one after another to `out` (a new, empty file), then the central directory on close()."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out = out
        self.at = 0
        self.members: list[_Member] = []

    def add_bytes(self, name: str, data: bytes, date_time: tuple[int, ...], external_attr: int, level: int) -> None:
        """A member deflated here."""
        packer = zlib.compressobj(level, zlib.DEFLATED, -15)
        deflated = packer.compress(data) + packer.flush()
        self.add(name, [deflated], date_time, external_attr, zlib.crc32(data), len(data), len(deflated))

    def add(self, name: str, deflated: Iterable[bytes], date_time: tuple[int, ...], external_attr: int, crc: int,
            size: int, compressed: int) -> None:
        """A member given as raw deflate data (`compressed` bytes in all) of `size` bytes whose CRC-32 is `crc`."""
        raw = name.encode()
        flags = 0 if raw.isascii() else _UTF8_NAME
        year, month, day, hour, minute, second = date_time[:6]
        dos_date, dos_time = (year - 1980) << 9 | month << 5 | day, hour << 11 | minute << 5 | second // 2
        member = _Member(raw, flags, dos_time, dos_date, external_attr, crc, size, compressed, self.at)
        big = size >= ZIP64_LIMIT or compressed >= ZIP64_LIMIT
        extra = struct.pack("<HHQQ", 1, 16, size, compressed) if big else b""
        header = _LOCAL.pack(b"PK\x03\x04", 45 if big else 20, flags, _DEFLATED, dos_time, dos_date, crc,
                             _FULL32 if big else compressed, _FULL32 if big else size, len(raw), len(extra))
        self._write(header + raw + extra)
        written = 0
        for chunk in deflated:
            written += len(chunk)
            self._write(chunk)
        if written != compressed:
            raise ValueError(f"{name}: {written} deflated bytes given, {compressed} announced")
        self.members.append(member)

    def close(self) -> None:
        """The central directory and its end records."""
        start = self.at
        for m in self.members:
            wide = [v for v in (m.size, m.compressed, m.offset) if v >= ZIP64_LIMIT]
            extra = struct.pack(f"<HH{len(wide)}Q", 1, 8 * len(wide), *wide) if wide else b""
            version = 45 if wide else 20
            self._write(_CENTRAL.pack(
                b"PK\x01\x02", 3 << 8 | version, version, m.flags, _DEFLATED, m.time, m.date, m.crc,
                *(_FULL32 if v >= ZIP64_LIMIT else v for v in (m.compressed, m.size)), len(m.name), len(extra), 0,
                0, 0, m.external_attr, _FULL32 if m.offset >= ZIP64_LIMIT else m.offset) + m.name + extra)
        count, size = len(self.members), self.at - start
        if count > COUNT_LIMIT or size >= ZIP64_LIMIT or start >= ZIP64_LIMIT:
            end64 = self.at
            self._write(_END64.pack(b"PK\x06\x06", _END64.size - 12, 45, 45, 0, 0, count, count, size, start))
            self._write(_LOCATOR.pack(b"PK\x06\x07", 0, end64, 1))
            count = _FULL16 if count > COUNT_LIMIT else count
            size, start = (_FULL32 if v >= ZIP64_LIMIT else v for v in (size, start))
        self._write(_END.pack(b"PK\x05\x06", 0, 0, count, count, size, start, 0))

    def _write(self, data: bytes) -> None:
        self.out.write(data)
        self.at += len(data)


def crc32_combine(crc1: int, crc2: int, length2: int) -> int:
    """The CRC-32 of A + B from A's (`crc1`), B's (`crc2`) and B's length (zlib's crc32_combine)."""
    return _multiply(_x_to_8n(length2), crc1) ^ crc2


def _multiply(a: int, b: int) -> int:
    """a times b modulo the polynomial (a is never 0: it is a power of x)."""
    m, p = 1 << 31, 0
    while True:
        if a & m:
            p ^= b
            if a & (m - 1) == 0:
                return p
        m >>= 1
        b = (b >> 1) ^ _POLY if b & 1 else b >> 1


def _powers() -> list[int]:
    """x to the power 2**n, n = 0..31, modulo the polynomial."""
    out = [1 << 30]  # x
    for _ in range(31):
        out.append(_multiply(out[-1], out[-1]))
    return out


_X_2N = _powers()


def _x_to_8n(n: int) -> int:
    """x to the power 8n (n bytes of zeros) modulo the polynomial."""
    p, k = 1 << 31, 3  # 1, and 8 = 2**3
    while n:
        if n & 1:
            p = _multiply(_X_2N[k & 31], p)
        n >>= 1
        k += 1
    return p
