"""Issue 18: recording a round was made faster without changing what the store holds. Two rounds of returns whose
bytes are fixed (files, an email, a zip, a copy, a file name that is not UTF-8; the second round with a status
changed, actions reworded and replaced, a partner missing) are merged by the CLI into a store, and every table must
hold the rows that the code before the change recorded, kept in tests/data/store_rounds.json.

Only when what a round records changes on purpose, make the file again with the code at hand:
    .venv/bin/python tests/test_store_same.py
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import sqlite3
import sys
import tempfile
import zipfile
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from mails import eml
from plan_workbook.cli import main
from plan_workbook.plan import load_plan
from plan_workbook.store import open_store, rounds
from plan_workbook.store.db import PAGE_SIZE
from plan_workbook.store.schema import migrate

ROOT = Path(__file__).parent.parent
SAMPLES = ROOT / "samples" / "returns"
EXPECTED = Path(__file__).parent / "data" / "store_rounds.json"
WHEN = datetime(2022, 3, 1, 12, 0, tzinfo=UTC).timestamp()  # every file's time, so `received` is fixed
# Last round to this round: in the Police return, a status moved, an action reworded slightly (the same action)
# and one replaced (one dropped, one new); Victim First sends nothing.
EDITS = {"leicestershire-police.xlsx": [
    (b">Amber<", b">Green<"),
    (b"to every neighbourhood policing page", b"to each neighbourhood policing page"),
    (b"Promote NHCAW using the refreshed Stamp it Out logo", b"Hold a stall at every district market in October"),
]}


def edited(path: Path, edits: list[tuple[bytes, bytes]]) -> bytes:
    """The workbook with text replaced in its sheets, written with the same zip entries (so the same bytes each
    time)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(path) as z, zipfile.ZipFile(buffer, "w") as out:
        for info in z.infolist():
            data = z.read(info)
            if info.filename.startswith("xl/worksheets/"):
                for old, new in edits:
                    data = data.replace(old, new)
            out.writestr(info, data)
    return buffer.getvalue()


def fixed_eml(name: str, data: bytes) -> bytes:
    """An email with the return attached, its MIME boundary fixed (the email package picks one at random)."""
    raw = eml("Our return", "Ann <ann@leics.police.uk>", [(name, data)])
    return re.sub(rb"={15}\d+==", b"===============0000000000000000018==", raw)


def fixed_zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(zipfile.ZipInfo(name, (2022, 3, 1, 12, 0, 0)), data, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def round_folder(root: Path, name: str, second: bool) -> Path:
    folder = root / name
    folder.mkdir()
    for sample in sorted(SAMPLES.glob("*.xlsx")):
        if second and sample.name == "victim-first.xlsx":
            continue
        data = edited(sample, EDITS.get(sample.name, [])) if second else sample.read_bytes()
        (folder / sample.name).write_bytes(data)
    city = (SAMPLES / "leicester-city-council.xlsx").read_bytes()
    (folder / "city copy.xlsx").write_bytes(city)  # the same file twice
    (folder / "rutland.zip").write_bytes(fixed_zip({"rutland.xlsx": (SAMPLES / "rutland-county-council.xlsx")
                                                    .read_bytes()}))
    (folder / "charnwood.eml").write_bytes(fixed_eml("charnwood.xlsx", (SAMPLES / "charnwood-borough-council.xlsx")
                                                     .read_bytes()))
    (folder / os.fsdecode(b"caf\xe9.xlsx")).write_bytes(city)  # a file name that is not UTF-8
    for path in folder.iterdir():
        os.utime(path, (WHEN, WHEN))
    return folder


def record(root: Path) -> Path:
    """The two rounds merged by the CLI into one store; returns the store."""
    store = root / "rounds.sqlite"
    for name, as_of, second in (("q3", "2021-12-31", False), ("q4", "2022-03-31", True)):
        folder = round_folder(root, name, second)
        got = CliRunner().invoke(main, ["merge", str(folder), "--out", str(root / f"{name}.xlsx"), "--as-of", as_of,
                                        "--store", str(store)])
        assert got.exit_code in (0, 1), got.output
    return store


def dump(store: Path, root: Path) -> dict[str, list[list[Any]]]:
    """Every table as rows of plain values, with what may differ from one run to the next taken out: where the
    folder is, when a round was recorded, the SHA-256 of the summary (the writers' business) and how zlib packed
    the earlier rounds (their JSON is kept)."""
    here = str(root)

    def plain(table: str, column: str, value: Any) -> Any:
        if (table, column) in {("rounds", "recorded"), ("outputs", "sha256")}:
            return None
        if (table, column) == ("blobs", "data"):
            return [len(value), hashlib.sha256(value).hexdigest()]
        if (table, column) == ("trend_inputs", "data"):
            return json.loads(zlib.decompress(value).decode("ascii").replace(here, "<tmp>"))
        if isinstance(value, bytes):  # a text that is not valid Unicode, kept as its bytes
            text = value.decode("utf-8", "surrogateescape").encode("utf-8", "backslashreplace").decode()
            return "bytes:" + text.replace(here, "<tmp>")
        return value.replace(here, "<tmp>") if isinstance(value, str) else value

    out: dict[str, list[list[Any]]] = {}
    with sqlite3.connect(store) as db:
        for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"):
            cur = db.execute(f"SELECT * FROM {table}")
            names = [d[0] for d in cur.description]
            out[table] = sorted(([plain(table, n, v) for n, v in zip(names, row, strict=True)] for row in cur),
                                key=lambda r: json.dumps(r, sort_keys=True))
    return out


def test_two_rounds_are_recorded_as_before(tmp_path: Path) -> None:
    got = dump(record(tmp_path), tmp_path)
    expected = json.loads(EXPECTED.read_text(encoding="utf-8"))
    assert sorted(got) == sorted(expected)
    for table, rows in expected.items():
        assert json.loads(json.dumps(got[table])) == rows, table
    changes = {row[-1] for row in got["actions"]}  # the actions' change since last round: the second round compared
    assert changes >= {"", "status changed", "update unchanged", "new"}, changes
    assert any("bytes:" in str(row) for row in got["sources"])  # the file name that is not UTF-8


def test_a_new_store_has_large_pages_and_an_old_one_keeps_its_own(tmp_path: Path) -> None:
    """The returns' bytes are most of a store: a new one takes 16 KiB pages (a quarter as many); a store made
    with SQLite's default 4 KiB pages keeps them, and its rounds."""
    plan = load_plan()
    with open_store(tmp_path / "new.sqlite", plan) as store:
        assert store.conn.execute("PRAGMA page_size").fetchone()[0] == PAGE_SIZE == 16384
    old = tmp_path / "old.sqlite"
    db = sqlite3.connect(old, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    migrate(db, str(old))
    db.execute("INSERT INTO meta VALUES ('plan_id', ?)", (plan.id,))
    db.close()
    with open_store(old, plan) as store:
        assert store.conn.execute("PRAGMA page_size").fetchone()[0] == 4096
    got = CliRunner().invoke(main, ["merge", str(SAMPLES), "--out", str(tmp_path / "s.xlsx"), "--store", str(old)])
    assert got.exit_code in (0, 1), got.output
    with open_store(old, plan) as store:
        assert store.conn.execute("PRAGMA page_size").fetchone()[0] == 4096
        assert [r.actions for r in rounds(store)] == [16]


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        rows = dump(record(Path(tmp)), Path(tmp))
    EXPECTED.write_text(json.dumps(rows, indent=0, ensure_ascii=True) + "\n", encoding="utf-8")
    print(f"{EXPECTED}: " + ", ".join(f"{t} {len(r)}" for t, r in rows.items()), file=sys.stderr)
