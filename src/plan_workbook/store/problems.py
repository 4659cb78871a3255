"""A problem as the store keeps it (a flat dict of its fields, its message and its parameters) and back: the one
place that knows how a Problem is made, so a change to Problem is a change here alone."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from ..errors import UsageError
from ..problems import Code, Problem, as_params
from ..sources.source import Refused

FIELDS = ("file", "sheet", "cell", "column", "value", "code", "message")


def problem_dict(p: Problem) -> dict[str, Any]:
    return {**{f: getattr(p, f) for f in FIELDS}, "params": params(p)}


def params(p: Problem | Refused) -> dict[str, str]:
    """A problem's (or a refusal's) message parameters."""
    return dict(p.params)


def problem_from(d: Mapping[str, Any]) -> Problem:
    """The problem again, its message rendered from its code and parameters (the stored message is for readers
    of the database)."""
    try:
        return Problem(d["file"], d["sheet"], d["cell"], cast(Code, d["code"]), as_params(d["params"]), d["column"],
                       d["value"])
    except (TypeError, ValueError):  # recorded before problems kept their parameters
        raise UsageError(f"a problem about {d['file']} in the round store has no parameters for its message (it "
                         "was recorded by an older plan-workbook); merge that round again") from None
