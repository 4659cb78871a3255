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

Code = Literal[
    "unreadable-file",
    "wrong-format",
    "encrypted",
    "too-large",
    "unsafe-file",
    "cell-too-long",
    "macros-ignored",
    "not-a-template",
    "plan-mismatch",
    "template-version-mismatch",
    "sheet-missing",
    "sheet-renamed",
    "sheet-hidden",
    "sheet-duplicated",
    "sheets-reordered",
    "sheet-extra",
    "header-missing",
    "header-moved",
    "column-missing",
    "column-renamed",
    "columns-moved",
    "column-extra",
    "data-outside-area",
    "merged-cells",
    "hidden-cells",
    "formula-value",
    "formula-no-value",
    "cell-error",
    "cell-damaged",
    "cell-note",
    "not-a-file",
    "partner-missing",
    "partner-unknown",
    "partner-mismatch",
    "duplicate-return",
    "return-superseded",
    "same-file",
    "lock-file-skipped",
    "file-skipped",
    "own-output-skipped",
    "nil-return",
    "return-empty",
    "guidance-edited",
    "attachment-skipped",
    "no-return-attached",
    "sender-unexpected",
    "spaces-trimmed",
    "status-normalised",
    "lead-normalised",
    "action-missing",
    "status-missing",
    "status-invalid",
    "lead-missing",
    "lead-unknown",
    "time-frame-missing",
    "time-frame-unparsed",
    "time-frame-outside-plan",
    "update-missing",
    "update-is-example",
    "action-duplicate",
    "personal-data",
    "challenge-overdue-no-date",
    "challenge-update-short",
    "challenge-improved-same-update",
    "challenge-update-stale",
    "challenge-due-slipped",
]


@dataclass(frozen=True)
class Entry:
    """What a problem code means: its severity, the role of the column it points at ("" for none), and a line
    saying what it is. Messages are built where the problem is found, from its facts."""

    severity: Severity
    column: str
    description: str


# Every problem code the tool can report: the one table (README lists them with examples, and a test keeps the
# two the same). A code that is not here is a type error (Code), not a surprise at run time.
CATALOGUE: dict[Code, Entry] = {
    "unreadable-file": Entry("error", "", "The file, or one sheet of it, could not be read at all."),
    "wrong-format": Entry("error", "", "A spreadsheet saved in another format (.xls, CSV ...), not .xlsx."),
    "encrypted": Entry("error", "", "The workbook needs a password to open."),
    "too-large": Entry("error", "", "The file, a sheet, or reading it, is beyond the tool's limits."),
    "unsafe-file": Entry("error", "", "The workbook's XML is built in a way Excel never writes (DTDs, entities)."),
    "cell-too-long": Entry("error", "", "A cell holds more text than Excel allows."),
    "macros-ignored": Entry("note", "", "The workbook holds macros, which are never run."),
    "not-a-template": Entry("error", "", "The workbook has none of the plan's sheets: not a return of this template."),
    "plan-mismatch": Entry("error", "", "The return was made from another plan's template; nothing of it is counted."),
    "template-version-mismatch": Entry("warning", "", "Made from an older template; read by sheet and column names."),
    "sheet-missing": Entry("error", "", "A priority sheet is missing, so its actions cannot be read."),
    "sheet-renamed": Entry("warning", "", "A priority sheet was renamed; it was still read."),
    "sheet-hidden": Entry("warning", "", "A priority sheet is hidden; it was still read."),
    "sheet-duplicated": Entry("warning", "", "A copy of a priority sheet; its actions were read with the original's."),
    "sheets-reordered": Entry("note", "", "The priority sheets are in another order; read by name."),
    "sheet-extra": Entry("warning", "", "A sheet that is not part of the template, with entries that were not read."),
    "header-missing": Entry("error", "", "A priority sheet's header row cannot be found."),
    "header-moved": Entry("note", "", "The header row moved; the sheet was read from where it is now."),
    "column-missing": Entry("error", "", "A column is missing from the header row."),
    "column-renamed": Entry("warning", "", "A column heading was changed; the column was still read."),
    "columns-moved": Entry("note", "", "The columns are in another order; read by heading."),
    "column-extra": Entry("warning", "", "A column that is not part of the template; its cells are listed."),
    "data-outside-area": Entry("warning", "", "Entries outside the template's columns or below its prepared rows."),
    "merged-cells": Entry("warning", "", "Merged cells; only the first cell's entry is read."),
    "hidden-cells": Entry("warning", "", "A hidden row or column holds entries; they were read."),
    "formula-value": Entry("note", "", "A formula; the value Excel last saved was read."),
    "formula-no-value": Entry("warning", "", "A formula with no saved value; nothing could be read from it."),
    "cell-error": Entry("warning", "", "An Excel error value (#REF! ...), kept as text."),
    "cell-damaged": Entry("error", "", "A cell whose value cannot be trusted; left out."),
    "cell-note": Entry("warning", "", "A note (comment) on a cell, which is not read as an entry."),
    "not-a-file": Entry("error", "", "A pipe, socket or device, never opened."),
    "partner-missing": Entry("error", "", "The return does not say which partner sent it."),
    "partner-unknown": Entry("error", "", "The partner named on the Front sheet is not in the plan."),
    "partner-mismatch": Entry("error", "", "A personalised template names a different partner from its own."),
    "duplicate-return": Entry("warning", "", "A partner sent more than one return; all are included."),
    "return-superseded": Entry("note", "", "A newer return, or the corrected feedback copy, replaces this one."),
    "same-file": Entry("warning", "", "The same bytes under another name; read once."),
    "lock-file-skipped": Entry("note", "", "An Excel lock file (~$...) in a folder, skipped."),
    "file-skipped": Entry("note", "", "A file in a folder that is not a spreadsheet, skipped."),
    "own-output-skipped": Entry("note", "", "A summary or board report written by plan-workbook, skipped."),
    "nil-return": Entry("note", "", "The partner says there is nothing to report this round."),
    "return-empty": Entry("warning", "", "A return with no actions that does not say there is nothing to report."),
    "guidance-edited": Entry("warning", "", "Text typed over the guidance row, which is never read as an action."),
    "attachment-skipped": Entry("note", "", "A file in an email or zip that is not a spreadsheet, skipped."),
    "no-return-attached": Entry("warning", "", "An email (or zip) that holds no workbook."),
    "sender-unexpected": Entry("warning", "", "Sent from an email domain the plan does not list for its partner."),
    "spaces-trimmed": Entry("fixed", "", "Spaces at the start or end of a cell removed."),
    "status-normalised": Entry("fixed", "status", "A status read as the plan's word (case, abbreviation)."),
    "lead-normalised": Entry("fixed", "lead", "A lead read as the plan's partner names (alias, joint leads)."),
    "action-missing": Entry("error", "action", "A row with entries but no Action."),
    "status-missing": Entry("error", "status", "An action with no status."),
    "status-invalid": Entry("error", "status", "A status that is not one of the plan's."),
    "lead-missing": Entry("warning", "lead", "An action with no Lead."),
    "lead-unknown": Entry("warning", "lead", "A Lead that is not a partner in the plan."),
    "time-frame-missing": Entry("warning", "time_frame", "An action with no Time Frame."),
    "time-frame-unparsed": Entry("warning", "time_frame", "A Time Frame the tool cannot read as a due date."),
    "time-frame-outside-plan": Entry("warning", "time_frame", "A due date outside the plan period."),
    "update-missing": Entry("warning", "update", "No Update beside a status that needs one."),
    "update-is-example": Entry("warning", "update", "The Update is still the example's own text."),
    "action-duplicate": Entry("warning", "action", "The same action twice on one sheet."),
    # safe to publish, and challenge the green: the board's checks (issue 17)
    "personal-data": Entry("warning", "", "An Action or Update that seems to hold personal data (README: Safe to "
                           "publish)."),
    "challenge-overdue-no-date": Entry("note", "update", "Past its due date, not done, and no new date given."),
    "challenge-update-short": Entry("note", "update", "A Red or Amber update of only a few words."),
    "challenge-improved-same-update": Entry("note", "status", "Status improved, but the update is last round's."),
    "challenge-update-stale": Entry("note", "update", "The same update for two rounds running."),
    "challenge-due-slipped": Entry("note", "time_frame", "The due date moved later since last round."),
}
CODES: dict[str, Severity] = {code: entry.severity for code, entry in CATALOGUE.items()}


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    sheet: str
    cell: str
    code: Code
    message: str
    column: str = ""
    value: str = ""

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unknown problem code {self.code!r}")

    @property
    def severity(self) -> Severity:
        return CATALOGUE[self.code].severity

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
