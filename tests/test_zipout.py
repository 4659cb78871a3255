"""The zip writer that takes members already deflated (outputs/zipout.py), checked by zipfile and, where it is
installed, Info-ZIP's own test of every member."""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plan_workbook.outputs import zipout
from plan_workbook.outputs.zipout import ZipOut, crc32_combine

WHEN = (2021, 4, 1, 0, 0, 0)


@settings(max_examples=300, deadline=None)
@given(a=st.binary(max_size=300), b=st.binary(max_size=3000))
def test_crc32_combine_is_zlibs(a: bytes, b: bytes) -> None:
    assert crc32_combine(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(a + b)


def deflated_in_pieces(pieces: list[bytes]) -> tuple[list[bytes], int]:
    """Each piece deflated on its own, cut with Z_SYNC_FLUSH but the last, as the summary's sheets are; and
    the CRC-32 of the whole, joined from the pieces' own."""
    out, crc = [], 0
    for n, piece in enumerate(pieces):
        packer = zlib.compressobj(3, zlib.DEFLATED, -15)
        out.append(packer.compress(piece) + packer.flush(zlib.Z_FINISH if n == len(pieces) - 1 else zlib.Z_SYNC_FLUSH))
        crc = crc32_combine(crc, zlib.crc32(piece), len(piece))
    return out, crc


def write(path: Path, pieces: list[bytes]) -> None:
    with path.open("wb") as f:
        z = ZipOut(f)
        z.add_bytes("[Content_Types].xml", b"<Types/>" * 50, WHEN, 0o644 << 16, 3)
        chunks, crc = deflated_in_pieces(pieces)
        z.add("xl/worksheets/sheet1.xml", chunks, WHEN, 0o644 << 16, crc, sum(map(len, pieces)),
              sum(map(len, chunks)))
        z.add_bytes("xl/caf\u00e9.xml", b"", WHEN, 0o644 << 16, 3)
        z.close()


@pytest.mark.parametrize("zip64", [False, True], ids=["plain", "zip64"])
def test_members_read_back_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, zip64: bool) -> None:
    if zip64:  # every size, offset and count past the limit: the zip64 fields and end records are written
        monkeypatch.setattr(zipout, "ZIP64_LIMIT", 1)
        monkeypatch.setattr(zipout, "COUNT_LIMIT", 1)
    pieces = [b"<worksheet><sheetData>", b"".join(b'<row r="%d"><c/></row>' % n for n in range(5000)), b"",
              b"</sheetData></worksheet>"]
    path = tmp_path / "book.zip"
    write(path, pieces)
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None
        assert zf.namelist() == ["[Content_Types].xml", "xl/worksheets/sheet1.xml", "xl/caf\u00e9.xml"]
        assert zf.read("xl/worksheets/sheet1.xml") == b"".join(pieces)
        assert zf.read("xl/caf\u00e9.xml") == b""
        assert all(i.date_time == WHEN for i in zf.infolist())
        assert (zf.getinfo("xl/worksheets/sheet1.xml").extra != b"") == zip64
    if shutil.which("unzip"):
        done = subprocess.run(["unzip", "-t", str(path)], capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stdout + done.stderr


def test_a_member_shorter_than_announced_is_refused() -> None:
    z = ZipOut(io.BytesIO())
    with pytest.raises(ValueError, match="announced"):
        z.add("a.xml", [b"\x03\x00"], WHEN, 0, 0, 0, 3)
