"""A round's many long-lived objects and Python's cyclic garbage collector.

A round holds hundreds of thousands of objects (its actions, their rows and texts) from reading to the last
output, and the collector would traverse every one of them again at each full collection: 12% of a merge of
1,000 returns. `long_lived()` moves what exists now out of the collector's sight (gc.freeze: a few pointer moves,
nothing is copied); `round_heap()` gives it all back at the end, so a long-running process (the desk) still
collects a finished round's cycles. Objects are still freed as usual when nothing refers to them.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


def long_lived() -> None:
    """What exists now is long-lived: the collector stops traversing it until round_heap ends."""
    gc.freeze()


@contextlib.contextmanager
def round_heap() -> Iterator[None]:
    try:
        yield
    finally:
        gc.unfreeze()
