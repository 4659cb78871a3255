"""Opening a round store: one SQLite file per plan, in WAL mode, waiting (not failing) while another merge writes."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import OutputError, UsageError
from ..plan import Plan
from .schema import migrate

WAIT_SECONDS = 120  # a merge waits this long for another merge's transaction before giving up
PAGE_SIZE = 16384  # the returns' bytes (a quarter of a MB each) are most of a round: a quarter as many pages


@dataclass
class Store:
    path: Path
    conn: sqlite3.Connection
    plan_id: str

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once (BEGIN IMMEDIATE) so two writers queue rather than deadlock;
        anything that goes wrong, or a kill, leaves the store as it was before it."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")


def open_store(path: Path, plan: Plan, create: bool = True) -> Store:
    """The store at `path` for `plan`, made (with its tables) when missing and `create`; a store of another plan is
    refused. Raises UsageError for a file that is not a store, OutputError for one that cannot be opened."""
    if not path.exists() and not create:
        raise UsageError(f"there is no round store at {path}: merge records one, or give --store FILE")
    if path.is_dir():
        raise UsageError(f"the round store {path} is a folder; give --store a file name (rounds.sqlite)")
    if not path.parent.is_dir():  # SQLite would say only "unable to open database file"
        raise OutputError(f"cannot open the round store {path}: the folder {path.parent} does not exist")
    try:
        conn = sqlite3.connect(path, timeout=WAIT_SECONDS, isolation_level=None)
    except sqlite3.Error as e:
        raise OutputError(f"cannot open the round store {path}: {e}") from None
    try:
        conn.row_factory = _row
        conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")  # a new store only: an existing one keeps its own
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = NORMAL")  # WAL: a power cut may lose the last round, never corrupt
        migrate(conn, str(path))
        stored = _plan_of(conn, plan)
    except sqlite3.DatabaseError as e:
        conn.close()
        if "not a database" in str(e):
            raise UsageError(f"{path} is not a round store (it is not an SQLite database); give --store another "
                             "file") from None
        raise OutputError(f"cannot use the round store {path}: {e}") from None
    except BaseException:
        conn.close()
        raise
    if stored != plan.id:
        conn.close()
        raise UsageError(f"the round store {path} holds the rounds of the plan '{stored}', not '{plan.id}'; keep "
                         "one store per plan: give this plan its own with --store FILE")
    return Store(path, conn, stored)


def _plan_of(conn: sqlite3.Connection, plan: Plan) -> str:
    """The plan the store is for; a new store takes this plan's id."""
    row = conn.execute("SELECT value FROM meta WHERE key = 'plan_id'").fetchone()
    if row is not None:
        return str(row[0])
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT OR IGNORE INTO meta VALUES ('plan_id', ?), ('plan_title', ?)", (plan.id, plan.title))
    conn.execute("COMMIT")
    return str(conn.execute("SELECT value FROM meta WHERE key = 'plan_id'").fetchone()[0])


def insert_many(db: sqlite3.Connection, sql: str, rows: Callable[[], Iterable[tuple[Any, ...]]]) -> None:
    """db.executemany(sql, rows()) with every row as sql_values makes it, but paying for sql_values only when a row
    needs it: sqlite3 refuses a text that is not valid Unicode (UnicodeEncodeError), so the rows go in as they are
    and, when one is refused, all of them again through sql_values."""
    db.execute("SAVEPOINT insert_many")
    try:
        db.executemany(sql, rows())
    except UnicodeEncodeError:
        db.execute("ROLLBACK TO insert_many")
        db.executemany(sql, map(sql_values, rows()))
    db.execute("RELEASE insert_many")


def sql_values(values: Iterable[Any]) -> tuple[Any, ...]:
    """Values to store: a text that is not valid Unicode (a file name that was not UTF-8, its bytes kept as lone
    surrogates by os.fsdecode) goes in as its bytes, which `_row` turns back into the same text."""
    return tuple(_bytes_if_needed(v) for v in values)


def _bytes_if_needed(value: Any) -> Any:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return value.encode("utf-8", "surrogateescape")
    return value


def _row(cursor: sqlite3.Cursor, row: tuple[Any, ...]) -> tuple[Any, ...]:
    """A row read back, each text stored as bytes by sql_values a text again (the returns' bytes stay bytes)."""
    if bytes not in map(type, row):  # sqlite3 gives exact types: a text stored as bytes, or a BLOB
        return row
    names = [d[0] for d in cursor.description]
    return tuple(v.decode("utf-8", "surrogateescape") if isinstance(v, bytes) and n != "data" else v
                 for n, v in zip(names, row, strict=True))
