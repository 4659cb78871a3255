"""A problem as the store keeps it (a flat dict of its fields, its message and its parameters) and back: the one
place that knows how a Problem is made, so a change to Problem is a change here alone."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from ..problems import Code, Problem

FIELDS = ("file", "sheet", "cell", "column", "value", "code", "message")


def problem_dict(p: Problem) -> dict[str, Any]:
    return {**{f: getattr(p, f) for f in FIELDS}, "params": params(p)}


def params(p: object) -> dict[str, Any]:
    """A problem's (or a refusal's) parameters: {} until problems carry them."""
    return dict(getattr(p, "params", ()) or ())


def problem_from(d: Mapping[str, Any]) -> Problem:
    return Problem(d["file"], d["sheet"], d["cell"], cast(Code, d["code"]), d["message"], d["column"], d["value"])
