"""Where the desk keeps each round's returns: the round store, and nothing else (no copy on disk). Each drop
records the round again with every return it now holds, compared with the round before, as a merge would."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from .. import service
from ..merge import Result
from ..plan import Plan
from ..sources import Source
from ..store import (
    Round,
    open_store,
    previous_round,
    previous_rows,
    record_round,
    round_sources,
    rounds,
    snapshots,
)


@dataclass(frozen=True)
class RoundInfo:
    name: str
    as_of: date


class Shelf:
    def __init__(self, plan: Plan, path: Path) -> None:
        self.plan, self.path = plan, path
        self._trend: tuple[tuple[tuple[str, datetime], ...], str] | None = None  # the section, until a round changes
        with open_store(path, plan):  # a store of another plan, or not a store, is refused at start-up
            pass

    def rounds(self) -> list[Round]:
        """Every round, oldest first (by as-of date); the last is the current one."""
        with open_store(self.path, self.plan) as store:
            return rounds(store)

    def sources(self, name: str) -> list[Source]:
        """A round's returns, in the order they were dropped."""
        with open_store(self.path, self.plan) as store:
            return round_sources(store, name) if any(r.name == name for r in rounds(store)) else []

    def keep(self, info: RoundInfo, result: Result, record: bool = True) -> None:
        """Record a round as checked (its returns are the result's sources), replacing what it held, with the
        challenge flags and the changes since the round before, as a merge records it; without `record`, only
        add the challenge flags (a round read back as it was recorded)."""
        with open_store(self.path, self.plan) as store:
            last_name = previous_round(store, info.name, info.as_of)
            last = previous_rows(store, self.plan, last_name) if last_name else None
            changes = service.against_last(result, info.as_of, last)[0] or []
            if record:
                record_round(store, result, info.name, info.as_of, previous=last_name, previous_rows=last,
                             changes=changes)
        self._trend = None  # after recording: a trend worked out meanwhile is not kept

    def trend_html(self) -> str:
        """The trend across every round recorded, the stuck actions and partner timeliness, as the board page's
        section shows them (rounds/trend.py, outputs/trend_page.py)."""
        from ..outputs.board import partner_text
        from ..outputs.trend_page import trend_section
        from ..rounds.trend import trend

        with open_store(self.path, self.plan) as store:
            key = tuple((r.name, r.recorded) for r in rounds(store))  # a merge from the command line changes it
            if self._trend is not None and self._trend[0] == key:
                return self._trend[1]
            kept = snapshots(store)
        html = trend_section(self.plan, trend(self.plan, kept), partner_text(self.plan, redact=False))
        self._trend = (key, html)
        return html

    def write(self, info: RoundInfo, out: Path, board: Path) -> None:
        """A round's summary workbook and board page, compared with the round before; recorded again with the
        outputs' SHA-256, so `plan-workbook rebuild` can prove a copy is the one the desk gave."""
        service.run_round(self.plan, self.sources(info.name), out, info.as_of, reports=[board], store=self.path,
                          round_name=info.name)
        self._trend = None
