"""The round store: every round a merge recorded, in one SQLite file per plan (what the trend, `history` and
`rebuild` read, and what a web page re-runs a round from).

    with open_store(Path("rounds.sqlite"), plan) as store:
        record_round(store, result, "Q4 2021/22", date(2022, 3, 31))
        rounds_so_far = snapshots(store)
        sources = round_sources(store, "Q4 2021/22")  # the returns as they were sent, to run the round again
"""

from .db import Store, open_store
from .export import Format, table_bytes
from .load import (
    Round,
    Table,
    compared_rows,
    find_round,
    previous_round,
    previous_rows,
    round_notes,
    round_sources,
    rounds,
    snapshots,
    tables,
)
from .names import default_round_name
from .record import record_beside, record_round
from .schema import VERSION
from .where import risky_place

__all__ = ["VERSION", "Format", "Round", "Store", "Table", "compared_rows", "default_round_name", "find_round",
           "open_store", "previous_round", "previous_rows", "record_beside", "record_round", "risky_place",
           "round_notes", "round_sources", "rounds", "snapshots", "table_bytes", "tables"]
