"""Hostile corpus cases for the guard (guard.py): files crafted to slip past its size and safety checks."""

from __future__ import annotations

from pathlib import Path

from corpus import Add
from plan_workbook.plan import Plan


def guard_cases(folder: Path, plan: Plan, add: Add) -> None:
    """Write this module's cases into `folder`, each registered with add(name, *expected codes)."""
