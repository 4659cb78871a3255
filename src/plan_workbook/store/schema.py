"""The store's tables, as migrations: each step a list of SQL statements, applied in order; `PRAGMA user_version`
holds how many have been applied. A new version is a new step at the end, never an edit of an old one."""

from __future__ import annotations

import sqlite3

from ..errors import UsageError

MIGRATIONS: list[tuple[str, ...]] = [
    (  # 1: the first store
        """CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)""",
        """CREATE TABLE rounds (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            as_of TEXT NOT NULL,
            recorded TEXT NOT NULL,
            plan_version TEXT NOT NULL,
            prefer TEXT,
            previous TEXT,
            previous_rows TEXT,
            returns_expected INTEGER NOT NULL,
            returns_received INTEGER NOT NULL,
            actions INTEGER NOT NULL,
            errors INTEGER NOT NULL,
            warnings INTEGER NOT NULL)""",
        """CREATE TABLE blobs (sha256 TEXT PRIMARY KEY, data BLOB NOT NULL)""",
        """CREATE TABLE sources (
            round_id INTEGER NOT NULL REFERENCES rounds(id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            name TEXT NOT NULL,
            sha256 TEXT REFERENCES blobs(sha256),
            origin TEXT NOT NULL,
            received TEXT,
            via TEXT,
            sender TEXT NOT NULL,
            partner TEXT,
            state TEXT NOT NULL,
            problems TEXT NOT NULL,
            PRIMARY KEY (round_id, seq))""",
        """CREATE TABLE partners (
            round_id INTEGER NOT NULL REFERENCES rounds(id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            partner TEXT NOT NULL,
            state TEXT NOT NULL,
            errors INTEGER NOT NULL,
            warnings INTEGER NOT NULL,
            received TEXT,
            PRIMARY KEY (round_id, seq))""",
        """CREATE TABLE actions (
            round_id INTEGER NOT NULL REFERENCES rounds(id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            partner TEXT NOT NULL,
            priority TEXT NOT NULL,
            theme TEXT NOT NULL, aim TEXT NOT NULL, objective TEXT NOT NULL, action TEXT NOT NULL,
            lead TEXT NOT NULL, time_frame TEXT NOT NULL, status TEXT NOT NULL, "update" TEXT NOT NULL,
            due TEXT,
            file TEXT NOT NULL,
            sheet TEXT NOT NULL,
            cell TEXT NOT NULL,
            source TEXT NOT NULL,
            row_kind TEXT NOT NULL,
            change TEXT NOT NULL,
            PRIMARY KEY (round_id, seq))""",
        """CREATE TABLE problems (
            round_id INTEGER NOT NULL REFERENCES rounds(id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            note INTEGER NOT NULL,
            file TEXT NOT NULL, sheet TEXT NOT NULL, cell TEXT NOT NULL, "column" TEXT NOT NULL,
            value TEXT NOT NULL, code TEXT NOT NULL, severity TEXT NOT NULL, message TEXT NOT NULL,
            PRIMARY KEY (round_id, seq))""",
        """CREATE TABLE outputs (
            round_id INTEGER NOT NULL REFERENCES rounds(id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            name TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            PRIMARY KEY (round_id, kind, name))""",
    ),
    (  # 2: a problem's parameters (the facts its catalogue message is made from), as JSON
        """ALTER TABLE problems ADD COLUMN params TEXT NOT NULL DEFAULT '{}'""",
        """CREATE INDEX actions_by_partner ON actions (partner, priority)""",
    ),
    (  # 3: the earlier rounds a round's trend used, as they were then (store/earlier.py)
        """CREATE TABLE trend_inputs (
            round_id INTEGER PRIMARY KEY REFERENCES rounds(id) ON DELETE CASCADE,
            data BLOB NOT NULL)""",
    ),
    (  # 4: no query reads actions by partner (they are read by round), and keeping the index slowed every round
        """DROP INDEX IF EXISTS actions_by_partner""",
    ),
]
VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection, path: str, upto: int = VERSION) -> int:
    """Bring the store up to `upto`, each step in its own transaction; returns the version it was at. The caller
    holds no transaction (the connection is in autocommit mode)."""
    found = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if found > VERSION:
        raise UsageError(f"the store {path} was made by a newer plan-workbook (schema version {found}; this one "
                         f"knows up to {VERSION}); upgrade plan-workbook to use it")
    for version in range(found + 1, upto + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            if int(conn.execute("PRAGMA user_version").fetchone()[0]) >= version:  # another process got there
                conn.execute("ROLLBACK")
                continue
            for statement in MIGRATIONS[version - 1]:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return found
