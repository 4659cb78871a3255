"""Whether the tool runs under --debug: set once by the caller, passed on to the workers by the reader's caller."""

from __future__ import annotations

from contextvars import ContextVar

# True: an unforeseen error in a return is let through with its traceback instead of becoming that file's problem.
DEBUG: ContextVar[bool] = ContextVar("plan_workbook_debug", default=False)
