"""Where the desk keeps each round's uploaded returns: a small interface, so the page does not care whether the
files live in memory (this module) or in the round store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol

from ..sources import Source


@dataclass(frozen=True)
class RoundInfo:
    name: str
    as_of: date


class Shelf(Protocol):
    def rounds(self) -> list[RoundInfo]:
        """Every round, oldest first; the last is the current one."""

    def sources(self, name: str) -> list[Source]:
        """A round's returns, in the order they were dropped."""

    def keep(self, info: RoundInfo, sources: list[Source]) -> None:
        """Keep a round with these returns, replacing what it held (a new round goes last)."""


class MemoryShelf:
    """Rounds kept only while the desk runs."""

    def __init__(self) -> None:
        self._rounds: dict[str, tuple[RoundInfo, list[Source]]] = {}

    def rounds(self) -> list[RoundInfo]:
        return [info for info, _ in self._rounds.values()]

    def sources(self, name: str) -> list[Source]:
        return list(self._rounds[name][1]) if name in self._rounds else []

    def keep(self, info: RoundInfo, sources: list[Source]) -> None:
        self._rounds[info.name] = (info, list(sources))
