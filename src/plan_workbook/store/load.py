"""Reading rounds back: as snapshots for the trend, as last round's rows for compare, as sources for a rebuild or
a new run of the round, and as tidy tables for export."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, cast

from ..errors import UsageError
from ..plan import ROLES, Plan
from ..problems import Problem
from ..reading.rows import Values
from ..rounds.snapshot import ActionRecord, PartnerRecord, Snapshot
from ..sources.source import Source, from_bytes
from .db import Store
from .problems import FIELDS, problem_from

ORDER = "ORDER BY as_of, recorded, name"  # oldest first


@dataclass(frozen=True)
class Round:
    """One recorded round, as `history` lists it."""

    name: str
    as_of: date
    recorded: datetime
    plan_version: str
    prefer: str | None
    previous: str | None  # the round it was compared with (None: none, or a summary file)
    returns_expected: int
    returns_received: int
    actions: int
    errors: int
    warnings: int
    outputs: dict[str, str]  # kind/file name -> SHA-256 ("summary/summary.xlsx")


def rounds(store: Store) -> list[Round]:
    """Every round, oldest first (by as-of date, then when recorded)."""
    outs: dict[int, dict[str, str]] = {}
    for rid, kind, name, sha in store.conn.execute("SELECT round_id, kind, name, sha256 FROM outputs"):
        outs.setdefault(rid, {})[f"{kind}/{name}"] = sha
    return [Round(name, date.fromisoformat(as_of), datetime.fromisoformat(rec), version, prefer, prev, expected,
                  received, actions, errors, warnings, outs.get(rid, {}))
            for rid, name, as_of, rec, version, prefer, prev, expected, received, actions, errors, warnings
            in store.conn.execute(
                "SELECT id, name, as_of, recorded, plan_version, prefer, previous, returns_expected, "
                f"returns_received, actions, errors, warnings FROM rounds {ORDER}")]


def find_round(store: Store, name: str) -> Round:
    found = [r for r in rounds(store) if r.name == name]
    if not found:
        names = ", ".join(r.name for r in rounds(store)) or "none yet"
        raise UsageError(f"the round store {store.path} has no round '{name}' (its rounds: {names})")
    return found[0]


def previous_round(store: Store, name: str, as_of: date) -> str | None:
    """The round before `name`: the latest of the others with an earlier as-of date."""
    row = store.conn.execute("SELECT name FROM rounds WHERE name != ? AND as_of < ? "
                             "ORDER BY as_of DESC, recorded DESC, name DESC LIMIT 1",
                             (name, as_of.isoformat())).fetchone()
    return None if row is None else str(row[0])


def previous_rows(store: Store, plan: Plan, name: str) -> list[dict[str, str]]:
    """A round's actions in the shape compare.read_previous gives from a summary: text keyed by this plan's column
    headers, with Partner, Priority, Source file, Source cell and Change."""
    rid = _id(store, name)
    cols = ", ".join(f'"{r}"' for r in ROLES)
    keys = (*(plan.column(role).header for role in ROLES), "Partner", "Priority", "Source file", "Source cell",
            "Change")
    return [dict(zip(keys, row, strict=True)) for row in store.conn.execute(
        f"SELECT {cols}, partner, priority, file, source, change FROM actions WHERE round_id = ? ORDER BY seq",
        (rid,))]


def compared_rows(store: Store, name: str) -> list[dict[str, str]] | None:
    """The rows a round was compared with when it was recorded (None: it was not compared)."""
    row = store.conn.execute("SELECT previous_rows FROM rounds WHERE id = ?", (_id(store, name),)).fetchone()
    return None if row[0] is None else cast(list[dict[str, str]], json.loads(row[0]))


def round_sources(store: Store, name: str) -> list[Source]:
    """A round's returns as sources made from the stored bytes, in the order they were read, each with its name,
    when it was received and the email it came in: what the round was run on."""
    out = []
    for sname, data, origin, received, via, sender, problems in store.conn.execute(
            "SELECT s.name, b.data, s.origin, s.received, s.via, s.sender, s.problems FROM sources s "
            "LEFT JOIN blobs b ON b.sha256 = s.sha256 WHERE s.round_id = ? ORDER BY s.seq", (_id(store, name),)):
        source = from_bytes(sname, bytes(data) if data is not None else b"", origin,
                            datetime.fromisoformat(received) if received else None)
        out.append(replace(source, data=None if data is None else source.data, via=Path(via) if via else None,
                           sender=sender, problems=tuple(problem_from(p) for p in json.loads(problems))))
    return out


def round_notes(store: Store, name: str) -> list[Problem]:
    """The notes about finding a round's returns (what was skipped), which no source holds."""
    cur = store.conn.execute('SELECT file, sheet, cell, "column", value, code, message, params FROM problems '
                             "WHERE round_id = ? AND note = 1 ORDER BY seq", (_id(store, name),))
    return [problem_from({**dict(zip(FIELDS, row, strict=False)), "params": json.loads(row[-1])}) for row in cur]


def snapshots(store: Store) -> list[Snapshot]:
    """Every round as a Snapshot, oldest first: what the trend, the histories and the stuck list work from."""
    partners: dict[int, list[PartnerRecord]] = {}
    for rid, partner, state, errors, warnings, received in store.conn.execute(
            "SELECT round_id, partner, state, errors, warnings, received FROM partners ORDER BY round_id, seq"):
        partners.setdefault(rid, []).append(PartnerRecord(partner, state, errors, warnings,
                                                          datetime.fromisoformat(received) if received else None))
    actions: dict[int, list[ActionRecord]] = {}
    cols = ", ".join(f'"{r}"' for r in ROLES)
    for rid, partner, priority, *rest in store.conn.execute(
            f"SELECT round_id, partner, priority, {cols}, due, file, sheet, cell, change FROM actions "
            "ORDER BY round_id, seq"):
        values, (due, file, sheet, cell, change) = rest[:len(ROLES)], rest[len(ROLES):]
        actions.setdefault(rid, []).append(ActionRecord(
            partner, priority, Values(values), date.fromisoformat(due) if due else None,
            file, sheet, cell, change))
    return [Snapshot(name, date.fromisoformat(as_of), tuple(partners.get(rid, [])), tuple(actions.get(rid, [])))
            for rid, name, as_of in store.conn.execute(f"SELECT id, name, as_of FROM rounds {ORDER}")]


TABLES: dict[str, str] = {  # one tidy table per entity, each row naming its round; never the stored bytes
    "rounds": "SELECT name AS round, as_of, recorded, plan_version, prefer, previous, returns_expected, "
              f"returns_received, actions, errors, warnings FROM rounds {ORDER}",
    "sources": "SELECT r.name AS round, s.seq + 1 AS n, s.name AS file, s.sha256, s.received, s.via, s.sender, "
               "s.partner, s.state FROM sources s JOIN rounds r ON r.id = s.round_id "
               "ORDER BY r.as_of, r.recorded, r.name, s.seq",
    "partners": "SELECT r.name AS round, p.partner, p.state, p.errors, p.warnings, p.received FROM partners p "
                "JOIN rounds r ON r.id = p.round_id ORDER BY r.as_of, r.recorded, r.name, p.seq",
    "actions": "SELECT r.name AS round, a.partner, a.priority, " + ", ".join(f'a."{x}"' for x in ROLES)
               + ", a.due, a.file, a.sheet, a.cell, a.row_kind, a.change FROM actions a "
               "JOIN rounds r ON r.id = a.round_id ORDER BY r.as_of, r.recorded, r.name, a.seq",
    "problems": 'SELECT r.name AS round, p.file, p.sheet, p.cell, p."column", p.value, p.code, p.severity, '
                "p.message, p.params FROM problems p JOIN rounds r ON r.id = p.round_id "
                "ORDER BY r.as_of, r.recorded, r.name, p.seq",
}


@dataclass(frozen=True)
class Table:
    columns: list[str]
    rows: list[dict[str, Any]]


def tables(store: Store) -> dict[str, Table]:
    """The whole history as tidy tables (rounds, sources, partners, actions, problems), rows as dicts."""
    out = {}
    for table, sql in TABLES.items():
        cur = store.conn.execute(sql)
        names = [d[0] for d in cur.description]
        out[table] = Table(names, [dict(zip(names, row, strict=True)) for row in cur])
    return out


def _id(store: Store, name: str) -> int:
    row = store.conn.execute("SELECT id FROM rounds WHERE name = ?", (name,)).fetchone()
    if row is None:
        find_round(store, name)  # raises, listing the rounds there are
    return int(row[0])
