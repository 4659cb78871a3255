"""Problems found in returned workbooks: data, not exceptions."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

# error: must be fixed (exit code 1); warning: should be checked by the partner; fixed: the tool corrected it
# and says so with the original value (nothing for the partner to do); note: for the coordinator only.
Severity = Literal["error", "warning", "fixed", "note"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "fixed", "note")
# How a point is put to the partner (chase messages, feedback copies).
ASK: dict[str, str] = {"error": "Must be fixed", "warning": "Please check"}

# Every problem code the tool can report, with its severity. README lists them with examples.
CODES: dict[str, Severity] = {
    # reading the file
    "not-a-template": "error",
    "unreadable-file": "error",
    "lock-file-skipped": "note",
    "plan-mismatch": "error",
    "template-version-mismatch": "warning",
    "sheet-missing": "error",
    "sheet-extra": "warning",
    "header-missing": "error",
    "column-missing": "error",
    "column-renamed": "warning",
    "column-extra": "warning",
    "data-outside-area": "warning",
    "partner-missing": "error",
    "partner-unknown": "error",
    "partner-mismatch": "error",
    "duplicate-return": "warning",
    "return-superseded": "note",
    "same-file": "warning",
    "file-skipped": "note",
    # untrusted and damaged files
    "wrong-format": "error",
    "encrypted": "error",
    "too-large": "error",
    "unsafe-file": "error",
    "cell-too-long": "error",
    "macros-ignored": "note",
    "sheet-renamed": "warning",
    "sheet-hidden": "warning",
    "sheet-duplicated": "warning",
    "sheets-reordered": "note",
    "header-moved": "note",
    "columns-moved": "note",
    "merged-cells": "warning",
    "hidden-cells": "warning",
    "formula-value": "note",
    "formula-no-value": "warning",
    "cell-error": "warning",
    "cell-damaged": "error",
    "cell-note": "warning",
    "not-a-file": "error",
    "own-output-skipped": "note",
    "nil-return": "note",
    "return-empty": "warning",
    "guidance-edited": "warning",
    # automatic fixes, reported with the original value
    "spaces-trimmed": "fixed",
    "status-normalised": "fixed",
    "lead-normalised": "fixed",
    # rules
    "action-missing": "error",
    "status-missing": "error",
    "status-invalid": "error",
    "lead-missing": "warning",
    "lead-unknown": "warning",
    "time-frame-missing": "warning",
    "time-frame-unparsed": "warning",
    "time-frame-outside-plan": "warning",
    "update-missing": "warning",
    "update-is-example": "warning",
    "action-duplicate": "warning",
    # safe to publish, and challenge the green (board outputs)
    "personal-data": "warning",
    "challenge-overdue-no-date": "note",
    "challenge-update-short": "note",
    "challenge-improved-same-update": "note",
    "challenge-update-stale": "note",
    "challenge-due-slipped": "note",
}


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    sheet: str
    cell: str
    code: str
    message: str
    column: str = ""
    value: str = ""

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unknown problem code {self.code!r}")

    @property
    def severity(self) -> Severity:
        return CODES[self.code]

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["severity"] = self.severity
        return {k: d[k] for k in FIELDS}


FIELDS = ("file", "sheet", "cell", "column", "value", "code", "severity", "message")


def short(text: str, limit: int = 80) -> str:
    """A partner's text, cut for quoting in a message; the problem's value keeps it whole."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def count(problems: list[Problem], severity: Severity) -> int:
    return sum(1 for p in problems if p.severity == severity)
