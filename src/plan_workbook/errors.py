"""The few errors that stop the tool. Everything else is a Problem in a report."""

from __future__ import annotations


class PlanWorkbookError(Exception):
    """Base class: the tool cannot go on."""


class PlanError(PlanWorkbookError, ValueError):
    """The plan file cannot be used; `mistakes` lists every one found."""

    def __init__(self, path: str, mistakes: list[str]) -> None:
        self.path = path
        self.mistakes = mistakes
        lines = "\n".join(f"  {path}: {m}" for m in mistakes)
        super().__init__(f"the plan has {len(mistakes)} mistake(s):\n{lines}")


class UsageError(PlanWorkbookError, ValueError):
    """The command was asked for something it cannot do (unknown partner, no workbooks)."""


class OutputError(PlanWorkbookError, OSError):
    """An output file cannot be written."""
