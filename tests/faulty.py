"""Work that fails the ways native code can, for tests/test_isolate.py. Kept apart and light (no
plan_workbook, no pandas), so a worker that loads it starts in milliseconds."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from plan_workbook.plan import Plan
    from plan_workbook.sources import Source


class Panic(BaseException):
    """What a Rust panic looks like from Python: pyo3's PanicException is a BaseException, not an Exception."""


def double(x: int) -> int:
    return 2 * x


def abort_on_3(x: int) -> int:
    if x == 3:
        os.abort()
    return 2 * x


def panic_on_3(x: int) -> int:
    if x == 3:
        raise Panic("called `Option::unwrap()` on a `None` value")
    return 2 * x


def allocate_on_3(x: int) -> int:
    if x == 3:
        hog = bytearray(1024 * 1024 * 1024)  # far past the limit, far within this machine's memory
        return len(hog)
    return 2 * x


def hang_on_3(x: int) -> int:
    if x == 3:
        time.sleep(3600)
    return 2 * x


def exit_on_3(x: int) -> int:
    if x == 3:
        os._exit(7)  # as native code may: no exception, the process just ends
    return 2 * x


def calamine_unguarded(path: Path) -> int:
    """What the guard exists to stop: calamine asked for a sheet whose used area reaches XFD1048576."""
    import python_calamine

    wb = python_calamine.CalamineWorkbook.from_path(str(path))
    return sum(len(r) for r in wb.get_sheet_by_name("Raising Awareness").to_python())


def pid_of_worker(_: int) -> int:
    return os.getpid()


def pid_or_abort(x: int) -> int:
    if x == 2:
        os.abort()
    return os.getpid()


def read_or_abort(plan: Plan, source: Source, debug: bool = False) -> Any:
    """The real per-file reader, except that it kills its process on one named file."""
    if Path(source.name).name == "crash.xlsx":
        os.abort()
    from plan_workbook.reading.fixes import read_and_fix

    return read_and_fix(plan, source, debug)
