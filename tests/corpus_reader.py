"""Hostile corpus cases for the reader and the rules: what partners really type and what the reader must not lose."""

from __future__ import annotations

from pathlib import Path

from corpus import Add
from plan_workbook.plan import Plan


def reader_cases(folder: Path, plan: Plan, add: Add) -> None:
    """Write this module's cases into `folder`, each registered with add(name, *expected codes)."""
