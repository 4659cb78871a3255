"""Recording a round: everything a later round, the trend, an export or a rebuild needs, in one transaction."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import OutputError
from ..outputs.beside import Waiting
from ..plan import ROLES, Plan
from ..problems import Problem
from ..rounds.snapshot import Snapshot, snapshot, sources
from ..sources.source import Refused, Source
from .db import Store, insert_many, open_store, sql_values
from .earlier import pack
from .problems import params, problem_dict, problem_from

MIN_ROWS = 5_000  # a smaller round is recorded in well under a second: not worth a copy of this process

if TYPE_CHECKING:
    from ..merge import Result
    from ..rounds.compare import Change


def record_round(store: Store, result: Result, name: str, as_of: date, *, prefer: str | None = None,
                 previous: str | None = None, previous_rows: Sequence[Mapping[str, str]] | None = None,
                 changes: Sequence[Change] = (), outputs: Mapping[str, Sequence[Path]] | None = None,
                 recorded: datetime | None = None, earlier: Sequence[Snapshot] | None = None,
                 snap: Snapshot | None = None, ready: Callable[[], bool] | None = None) -> None:
    """Record `result` as the round `name`, replacing a round of that name and nothing else. `previous` names the
    round it was compared with and `previous_rows` are the rows it was compared with (as compare.read_previous
    gives them), so a rebuild compares with last round as it was then; `outputs` maps a kind (summary, report) to
    the files written, whose SHA-256 a rebuild checks against; `earlier` the earlier rounds its trend used; `snap`
    this round's snapshot(result, name, as_of, changes) when the caller has made it already (for the trend);
    `ready`, where given, is asked after the rows go in, before the outputs are: False undoes everything."""
    snap = snap or snapshot(result, name, as_of, changes)
    f = result.figures
    with store.transaction() as db:
        db.execute("DELETE FROM rounds WHERE name = ?", sql_values((name,)))
        cur = db.execute(
            "INSERT INTO rounds (name, as_of, recorded, plan_version, prefer, previous, previous_rows, "
            "returns_expected, returns_received, actions, errors, warnings) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            sql_values((name, as_of.isoformat(), (recorded or datetime.now(UTC)).isoformat(timespec="seconds"),
             result.plan.version, prefer, previous, None if previous_rows is None else json.dumps(list(previous_rows)),
             f.returns_expected, f.returns_received, f.actions, f.errors, f.warnings)))
        rid = cur.lastrowid
        if earlier is not None:
            db.execute("INSERT INTO trend_inputs VALUES (?, ?)", (rid, pack(earlier)))
        _sources(db, rid, result)
        insert_many(db, "INSERT INTO partners VALUES (?,?,?,?,?,?,?)", lambda: (
            (rid, i, p.partner, p.state, p.errors, p.warnings, _when(p.received)) for i, p in enumerate(snap.partners)))
        insert_many(db, f"INSERT INTO actions VALUES ({','.join('?' * (len(ROLES) + 11))})", lambda: (
            (rid, i, r.partner, r.priority, *r.values, r.due.isoformat() if r.due else None,
             r.file, r.sheet, r.cell, source, a.row.kind, r.change)
            for i, (a, r, source) in enumerate(zip(result.actions, snap.actions, sources(result.actions),
                                                   strict=True))))
        insert_many(db, "INSERT INTO problems (round_id, seq, note, file, sheet, cell, \"column\", value, code, "
                        "severity, message, params) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", lambda: (
                            (rid, i, int(note), p.file, p.sheet, p.cell, p.column, p.value, p.code, p.severity,
                             p.message, _params(p))
                            for i, (note, p) in enumerate(chain(((True, p) for p in result.notes),
                                                                ((False, p) for p in result.problems)))))
        if ready is not None:
            _flush_log(store.path)  # before waiting to be told go: the commit then has little left to write
            if not ready():
                raise _GaveUp
        digests = {kind: [(p.name, _file_sha(p)) for p in paths] for kind, paths in (outputs or {}).items()}
        insert_many(db, "INSERT INTO outputs VALUES (?,?,?,?)", lambda: (
            (rid, kind, n, sha) for kind, files in digests.items() for n, sha in files))
        db.execute("DELETE FROM blobs WHERE sha256 NOT IN (SELECT sha256 FROM sources WHERE sha256 IS NOT NULL)")


def record_beside(store: Store, plan: Plan, record: Callable[..., None], rows: int) -> Waiting | None:
    """Speed: `record` (record_round with all but the store and `ready` given) in a forked copy of this process,
    with its own connection to the store, while this process writes the outputs; the copy commits once told go
    (Waiting.go: the outputs are written), and undoes everything otherwise. None where no copy is made (a round of
    fewer than MIN_ROWS actions and problems, or where fork is not safe): then, or when the copy fails, the caller
    records the round itself."""
    if rows < MIN_ROWS:
        return None
    path = store.path

    # SQLite's rule for fork: the copy never uses (nor closes) a connection it inherited. Its own connection shares
    # the inherited lock bookkeeping of this process's, whose real locks (the shared ones WAL mode keeps) this
    # process holds until the copy has ended (it waits for it before closing the store); the write lock the copy
    # takes is its own.
    def work(go: Callable[[], bool]) -> None:
        with open_store(path, plan) as own:
            record(own, ready=go)

    return Waiting.start(work)


class _GaveUp(Exception):
    """The outputs were not written: the round is not recorded."""


def _sources(db: sqlite3.Connection, rid: int | None, result: Result) -> None:
    """Each return's bytes and what is known of it. The files are read as they go in, one at a time (the returns
    of a large round are gigabytes), so inside the transaction: reading them is quick beside writing them."""
    kept: list[tuple[str | None, tuple[Problem, ...]]] = []  # each source's SHA-256 and problems, in order
    db.executemany("INSERT OR IGNORE INTO blobs VALUES (?, ?)", _as_merged(result, kept))
    files = {row["file"]: row for row in result.file_rows()}  # each return's partner and state, in one pass
    insert_many(db, "INSERT INTO sources VALUES (?,?,?,?,?,?,?,?,?,?,?)", lambda: (
        (rid, i, source.name, sha, source.origin, _when(source.received),
         None if source.via is None else str(source.via), source.sender, files[source.name]["partner"],
         files[source.name]["state"],
         _json([problem_dict(p) for p in problems]))
        for i, (source, (sha, problems)) in enumerate(zip(result.sources.values(), kept, strict=True))))


def _as_merged(result: Result, kept: list[tuple[str | None, tuple[Problem, ...]]]) -> Iterator[tuple[str, bytes]]:
    """Each source's SHA-256 and bytes, its SHA-256 and problems also added to `kept`. The store keeps only the
    bytes that were merged: a file saved again since it was read is refused (and the transaction undone)."""
    read = {r.file: r.digest for r in result.returns}
    for source in result.sources.values():
        content, problems = _bytes(source)
        sha = None if content is None else _sha(content)
        kept.append((sha, problems))
        if sha is None or content is None:
            continue
        if read.get(source.name) and sha != read[source.name]:
            raise OutputError(f"{source.name} changed while the round was being merged, so the round was not "
                              "recorded; run merge again")
        yield sha, content


def _bytes(source: Source) -> tuple[bytes | None, tuple[Problem, ...]]:
    """A source's bytes, or the problems that stand for them where there are none (a part of an email that could
    not be taken out, a file that cannot be opened): a rebuilt source then reads as this one did."""
    if source.problems or source.data is not None:
        return source.data, source.problems
    try:
        return source.read(), ()
    except Refused as e:
        return None, (problem_from({"file": source.name, "sheet": "", "cell": "", "column": "", "value": "",
                                    "code": e.code, "message": e.message, "params": params(e)}),)


def _params(p: Problem) -> str:
    return _json(params(p))


_json = json.JSONEncoder(default=str).encode  # json.dumps(value, default=str), without a new encoder each call


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _flush_log(path: Path) -> None:
    """Write the store's log (SQLite's write-ahead file, which holds this transaction's pages: a large round's
    returns are hundreds of MB) to disk. The commit does the same; done before it, what it has left is short (1,000
    returns: 0.12 s of the 0.73 s the merge waited for the commit)."""
    with contextlib.suppress(OSError):
        fd = os.open(f"{path}-wal", os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_sha(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()  # in pieces: a summary may be hundreds of MB
