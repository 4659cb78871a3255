"""Hostile corpus cases for the file system and the process: special files, odd names, faults."""

from __future__ import annotations

from pathlib import Path

from corpus import Add
from plan_workbook.plan import Plan


def source_cases(folder: Path, plan: Plan, add: Add) -> None:
    """Write this module's cases into `folder`, each registered with add(name, *expected codes)."""
