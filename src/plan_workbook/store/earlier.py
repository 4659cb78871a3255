"""The earlier rounds a round's trend was worked out from, kept with the round as they were then (compressed
JSON), so `rebuild` writes the same Trend sheets after an earlier round has been run again and replaced."""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from ..reading.rows import Values
from ..rounds.snapshot import ActionRecord, PartnerRecord, Snapshot
from .db import Store, sql_values


def pack(snapshots: Sequence[Snapshot]) -> bytes:
    rounds = [{"name": s.name, "as_of": s.as_of.isoformat(),
               "partners": [[p.partner, p.state, p.errors, p.warnings, p.received.isoformat() if p.received else None]
                            for p in s.partners],
               "actions": [[a.partner, a.priority, list(a.values), a.due.isoformat() if a.due else None,
                            a.file, a.sheet, a.cell, a.change] for a in s.actions]} for s in snapshots]
    return zlib.compress(json.dumps(rounds, separators=(",", ":")).encode("ascii"), 6)  # ASCII: lone surrogates too


def unpack(data: bytes) -> list[Snapshot]:
    rounds: list[dict[str, Any]] = json.loads(zlib.decompress(data))
    return [Snapshot(r["name"], date.fromisoformat(r["as_of"]),
                     tuple(PartnerRecord(p, state, errors, warnings, datetime.fromisoformat(t) if t else None)
                           for p, state, errors, warnings, t in r["partners"]),
                     tuple(ActionRecord(p, pr, Values(values),
                                        date.fromisoformat(due) if due else None, file, sheet, cell, change)
                           for p, pr, values, due, file, sheet, cell, change in r["actions"]))
            for r in rounds]


def earlier_rounds(store: Store, name: str) -> list[Snapshot] | None:
    """The earlier rounds round `name`'s trend used, as they were then; None for a round recorded without them."""
    row = store.conn.execute("SELECT t.data FROM trend_inputs t JOIN rounds r ON r.id = t.round_id WHERE r.name = ?",
                             sql_values((name,))).fetchone()
    return None if row is None else unpack(row[0])
