"""Problems found in returned workbooks: data, not exceptions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from string import Formatter
from typing import Any, Literal, NamedTuple

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


# Endings many messages share: how to get a readable file back.
RESAVE = "Ask the partner to open it in Excel, save it again as .xlsx and resend it."
RESAVE_ODS = "Ask the partner to open it in LibreOffice, save it again and resend it."
SAVE_AS = ("Ask the partner to open it and use File > Save As, choose 'Excel Workbook (.xlsx)' "
           "(LibreOffice: 'Excel 2007-365'), and send that file.")
SEND_AGAIN = "Ask the partner to send it again."
FAULT = "if that does not help, please report it as a fault."
CHECK = "Check the attachment."
TRIM = ("Ask the partner to delete the sheets, rows and columns that are not part of the template and resend it.")
SHEET_LIMITS = ("the tool reads at most {max_rows} rows, {max_columns} columns and {max_cells} cells per sheet, so "
                "this sheet was not read. Ask the partner to delete the unused rows and columns (or the stray entry "
                "in {far}) and resend it.")
BOMB = "It may be a 'zip bomb'; do not open it in Excel either."
BOMB_ODS = "It may be a 'zip bomb'; do not open it either."
CONTAINER_AGAIN = "so it was not read. Ask the partner to send the return again, attached to a new email."
NO_COPY = "No feedback copy was made: "


@dataclass(frozen=True)
class Entry:
    """What a problem code means: its severity, the role of the column it points at ("" for none), a line
    saying what it is, and its message: one template, or templates by variant (the problem's `variant`
    parameter) when the same code is found in ways that need different sentences. A template's fields are the
    problem's parameters, plus `cell`, `sheet` and `column` taken from the problem itself."""

    severity: Severity
    column: str
    description: str
    message: str | Mapping[str, str]

    @property
    def templates(self) -> dict[str, str]:
        """Every template by variant ("" for a code with one template)."""
        return {"": self.message} if isinstance(self.message, str) else dict(self.message)


# Every problem code the tool can report: the one table (the README's table is generated from it, and a test
# keeps the two the same). A code that is not here is a type error (Code), not a surprise at run time.
CATALOGUE: dict[Code, Entry] = {
    "unreadable-file": Entry("error", "", "The file, or one sheet of it, could not be read at all.", {
        "empty": "The file is empty (0 bytes). " + SEND_AGAIN,
        "cut-short": "The file is damaged or incomplete ({detail}), perhaps cut short when it was sent or saved. "
                     + SEND_AGAIN,
        "not-zip": "The file is not an Excel workbook (its content is not a zip archive). Ask the partner to save "
                   "it again as .xlsx and resend it.",
        "zip-not-workbook": "The file is a zip archive but not an Excel workbook. Ask the partner to save it again "
                            "as .xlsx and resend it.",
        "damaged": "The workbook is damaged ({error}: {detail}). " + RESAVE,
        "no-workbook": "The file has no workbook in it (its package names none). " + RESAVE,
        "no-workbook-part": "The workbook part (workbook.xml) is missing. " + RESAVE,
        "sheet-part-missing": "The sheet '{name}' points to a part that is not in the file. " + RESAVE,
        "sheet-kind": "The sheet '{name}' is of a kind the tool cannot read ({kind}). " + RESAVE,
        "sheet-visibility": "The sheet '{name}' has a visibility that Excel never writes ('{state}'), so the "
                            "workbook cannot be read; another program made it. " + RESAVE,
        "sheet-visibility-case": "The sheet '{name}' has a visibility that Excel never writes ('{state}' instead of "
                                 "'{hint}'), so the workbook cannot be read; another program made it. " + RESAVE,
        "strings-utf16": "The workbook's text table (sharedStrings.xml) is stored as UTF-16, which the tool cannot "
                         "read. " + RESAVE,
        "sheet-utf16": "The sheet '{name}' is stored as UTF-16 text, which the tool cannot read (it would look "
                       "empty). It was probably written by a program other than Excel. " + RESAVE,
        "sheet-xml": "The sheet '{name}' is damaged (its XML is broken at line {line}, column {offset}). " + RESAVE,
        "ods-no-content": "The spreadsheet has no content (content.xml is missing). " + RESAVE_ODS,
        "ods-damaged": "The spreadsheet is damaged ({error}: {detail}). " + RESAVE_ODS,
        "not-opened": "The file cannot be opened as an Excel workbook ({error}). Ask the partner to save it again "
                      "as .xlsx and resend it.",
        "sheet-unreadable": "The sheet '{sheet}' is damaged and could not be read ({error}: {detail}). Ask the "
                            "partner to save the file again.",
        "sheets-same-name": "{count} sheets are named '{name}'; only the first could be read, so anything on the "
                            "others is missing. Ask the partner to rename or merge them and send the file again.",
        "crashed": "The file could not be read ({error}: {detail}). Ask the partner to save it again as .xlsx; "
                   + FAULT,
        "reader-failed": "The file made the reader fail ({detail}), so it was not read. Ask the partner to save it "
                         "again as .xlsx; " + FAULT,
        "timeout": "Reading this file took {took}, so it was stopped and not read. Ask the partner to save it again "
                   "as .xlsx and resend it; " + FAULT,
        "no-bytes": "This return holds no bytes, so it was not read.",
        "cannot-open": "The file cannot be opened ({detail}).",
        "link-loop": "This is a link that leads round in a loop, not a file, so it was not read.",
        "link-broken": "This cannot be opened ({detail}), so it was not read. If it is a link, the file it points "
                       "to may have been moved or deleted.",
        "folder-unsearchable": "This folder could not be searched ({detail}), so any returns in it were not read. "
                               "Check that you are allowed to open it.",
        "zip-damaged": "The zip file is damaged or incomplete ({detail}). " + SEND_AGAIN,
        "zip-member-damaged": "This file in the zip is damaged ({detail}). " + SEND_AGAIN,
        "email-unreadable": "The email cannot be read ({error}). Ask the partner to send the return again.",
        "attachment-damaged": "This attachment is damaged ({error}). " + SEND_AGAIN,
        "msg-damaged": "The Outlook message is damaged: its storage cannot be read ({detail}). Ask the partner to "
                       "send the return again, attached to a new email.",
        "msg-part-damaged": "The Outlook message is damaged: part of its storage cannot be read ({detail}). Ask the "
                            "partner to send the return again.",
        "container-timeout": "Opening this email or zip took {took}, " + CONTAINER_AGAIN,
        "container-failed": "Opening this email or zip made the reader fail ({detail}), " + CONTAINER_AGAIN,
        "copy-ods": NO_COPY + "the spreadsheet could not be opened for marking up ({reason})",
        "copy-ods-sheet": NO_COPY + "the spreadsheet cannot be written as an Excel workbook ({detail})",
        "copy-unreadable": NO_COPY + "the file cannot be read again ({reason}). Check that it is still there, then "
                           "run feedback again.",
        "copy-changed": NO_COPY + "the file changed after it was checked. Run feedback again.",
        "copy-not-opened": NO_COPY + "the workbook could not be opened for marking up ({error}), though its values "
                           "were read. Ask the partner to save it again from Excel.",
    }),
    "wrong-format": Entry("error", "", "A spreadsheet saved in another format (.xls, CSV ...), not .xlsx.", {
        "xls": "This is an old Excel 97-2003 workbook (.xls), not the template's .xlsx. " + SAVE_AS,
        "doc": "This is a Word document (.doc), not a workbook. " + CHECK,
        "ole": "This is an old-style Office file, not an .xlsx workbook. " + SAVE_AS,
        "pdf": "This is a PDF, not a workbook. Ask the partner to send the filled .xlsx template.",
        "xml-2003": "This is an 'XML Spreadsheet 2003' file, not an .xlsx workbook. " + SAVE_AS,
        "html": "This is a web page (HTML) saved with a spreadsheet name, not a workbook. " + SAVE_AS,
        "csv": "This is a CSV text file, not a workbook: it cannot hold the template's sheets and partner details. "
               "Ask the partner to send the filled .xlsx template itself.",
        "text": "This is a text file, not a workbook. " + CHECK,
        "ods": "This is an OpenDocument spreadsheet (.ods), which LibreOffice saves by default, not the template's "
               ".xlsx. " + SAVE_AS,
        "opendocument": "This is an OpenDocument file ({kind}), not a workbook.",
        "xlsb": "This is an Excel binary workbook (.xlsb), not the template's .xlsx. " + SAVE_AS,
        "docx": "This is a Word document, not a workbook. " + CHECK,
        "pptx": "This is a PowerPoint file, not a workbook. " + CHECK,
        "ods-other": "This is an OpenDocument file ({kind}), not a spreadsheet. " + CHECK,
        "ods-no-kind": "This is an OpenDocument file (of no stated kind), not a spreadsheet. " + CHECK,
        "container": "This is named like {kind} but is not one (its content is neither a saved email nor a zip "
                     "archive), so it was not opened.",
    }),
    "encrypted": Entry("error", "", "The workbook needs a password to open.", {
        "xlsx": "The workbook is protected with a password to open, so it cannot be read. Ask the partner to remove "
                "the password (File > Info > Protect Workbook > Encrypt with Password, clear it) and send an "
                "unencrypted copy.",
        "ods": "The spreadsheet is protected with a password to open, so it cannot be read. Ask the partner to save "
               "it without the password (File > Save As, untick 'Save with password') and send that copy.",
        "zip-member": "This file in the zip is protected with a password, so it cannot be read. Ask the partner to "
                      "send it without a password.",
    }),
    "too-large": Entry("error", "", "The file, a sheet, or reading it, is beyond the tool's limits.", {
        "file": "The file is over {limit_mb} MB; the tool reads returns of up to that size. Ask the partner to "
                "remove pictures or unused sheets.",
        "parts": "The {what} holds {count} parts; the tool reads at most {limit}.",
        "unpacked": "The {what} unpacks to {size_mb} MB; the tool reads at most {limit_mb} MB. " + BOMB,
        "unpacked-ods": "The {what} unpacks to {size_mb} MB; the tool reads at most {limit_mb} MB. " + BOMB_ODS,
        "ratio": "The part {part} unpacks {times} times larger than it is stored (the tool allows {limit}). " + BOMB,
        "ratio-ods": "The part {part} unpacks {times} times larger than it is stored (the tool allows {limit}). "
                     + BOMB_ODS,
        "sheet": "The sheet '{sheet}' has entries as far as cell {far} ({rows} rows by {columns} columns from A1); "
                 + SHEET_LIMITS,
        "sheet-ods": "The sheet '{sheet}' has entries as far as cell {far} ({rows} rows by {columns} columns from "
                     "A1, repeated cells counted); " + SHEET_LIMITS,
        "book": "The workbook '{name}' has {cells} cells in use over {sheets} sheets; the tool reads at most "
                "{limit} in one return. " + TRIM,
        "book-ods": "The spreadsheet '{name}' has more than {limit} cells in use; the tool reads at most that many "
                    "in one return. " + TRIM,
        "memory": "Reading this file needed more than the {limit_mb} MB of memory the tool allows for one return "
                  "({detail}), so it was not read. It may be built to harm the tool: do not open it in Excel "
                  "either. Ask the partner to save a new copy from the template and resend it.",
        "attachments": "This holds more than {limit} attachments or files (emails and zips inside it included); the "
                       "tool takes at most that many from one file, so the rest were not read. Send the returns in "
                       "smaller batches.",
        "container-unpacked": "What this holds unpacks to more than {limit_mb} MB; the tool takes at most that much "
                              "from one file, so the rest was not read. It may be a 'zip bomb'.",
        "nested": "This is nested {depth} deep (emails forwarded inside emails, or zips inside zips); the tool "
                  "opens at most {limit} levels, so it was not opened. Ask the partner to attach the return itself.",
        "container": "This is over {limit_mb} MB; the tool opens emails and zip files of up to that size. Ask the "
                     "partner to send the return on its own.",
        "zip-ratio": "This file unpacks {times} times larger than it is stored in the zip (the tool allows {limit}). "
                     "It may be a 'zip bomb'; it was not opened.",
        "email-parts": "The email has {count} part boundaries; mail programs write a few for each attachment, and "
                       "the tool reads at most {limit}. It was not read.",
        "email-depth": "The email's parts are nested too deeply to be read, which no mail program writes; it was "
                       "not read.",
        "container-memory": "Opening this email or zip needed more memory than the tool allows for one file, "
                            + CONTAINER_AGAIN,
    }),
    "unsafe-file": Entry("error", "", "The workbook's XML is built in a way Excel never writes (DTDs, entities).", {
        "dtd": "The workbook's XML declares its own entities or a DTD, which Excel never writes; it was not read. "
               "Ask the partner to save a new copy from Excel.",
        "dtd-ods": "The spreadsheet's XML declares its own entities or a DTD, which LibreOffice never writes; it "
                   "was not read. " + RESAVE_ODS,
        "same-part": "The workbook holds two parts that Excel readers take for one ('{first}' and '{second}'), so "
                     "what would be read cannot be checked; it was not read. " + RESAVE,
        "macro-sheet": "The sheet '{name}' is an Excel 4.0 macro sheet ({part}): old-style macros that can run "
                       "code, and that the tool cannot read. Ask the partner to delete that sheet (right-click its "
                       "tab > Delete), save the workbook as .xlsx and resend it.",
        "strings": "The workbook's text table claims {count} different texts, more than its {size} bytes could "
                   "hold; reading it would exhaust memory. It was not read. " + RESAVE,
        "zip-path": "This name in the zip file points outside the zip (it starts with '/', a drive letter, or "
                    "climbs up with '..'), which no real zip tool writes for a return; it was not read. Ask the "
                    "partner to zip the returns again.",
    }),
    "cell-too-long": Entry("error", "", "A cell holds more text than Excel allows.",
                           "This cell holds {length} characters; Excel allows {limit}, so only the first {limit} are "
                           "in the summary. The full text is still in the returned file."),
    "macros-ignored": Entry("note", "", "The workbook holds macros, which are never run.",
                            "This is a macro-enabled workbook (.xlsm). Its values were read; its macros were not run "
                            "and are not copied into anything the tool writes."),
    "not-a-template": Entry("error", "", "The workbook has none of the plan's sheets: not a return of this template.",
                            "This workbook is not a return of the {title} template: it has none of its sheets "
                            "({sheets}). Check that the right file was attached."),
    "plan-mismatch": Entry("error", "", "The return was made from another plan's template; nothing of it is counted.",
                           "This return was made from the template of another plan ({plan_id!r}), not "
                           "{current!r}, so none of its actions were counted. Send the partner the current "
                           "template, or merge it with that plan's file (--plan)."),
    "template-version-mismatch": Entry("warning", "", "Made from an older template; read by sheet and column names.", {
        "no-details": "The workbook has lost the template's hidden details sheet, so it cannot be matched to a "
                      "template version. It was read by its sheet and column names.",
        "older": "This return was made from an older template (plan version {plan_version!r}, template version "
                 "{template_version!r}; current {current_plan!r} and {current_template!r}). It was read by its "
                 "sheet and column names; check the results, and send the current template next round.",
    }),
    "sheet-missing": Entry("error", "", "A priority sheet is missing, so its actions cannot be read.", {
        "": "The sheet '{sheet}' ({title}) is missing. Its actions cannot be read; ask the partner to use the "
            "template's sheets.",
        "closest": "The sheet '{sheet}' ({title}) is missing. The closest sheet is '{closest}'. Its actions cannot "
                   "be read; ask the partner to use the template's sheets.",
    }),
    "sheet-renamed": Entry("warning", "", "A priority sheet was renamed; it was still read.",
                           "The sheet '{expected}' has been renamed '{sheet}'. It was read, but please rename it back "
                           "to '{expected}'."),
    "sheet-hidden": Entry("warning", "", "A priority sheet is hidden; it was still read.",
                          "The sheet '{sheet}' is hidden. It was read; please unhide it (right-click a sheet tab > "
                          "Unhide) so everyone can see its actions."),
    "sheet-duplicated": Entry("warning", "", "A copy of a priority sheet; its actions were read with the original's.",
                              "The sheet '{sheet}' is a copy of '{original}'. Its actions were read as part of "
                              "{title}; please move them onto '{original}' and delete the copy."),
    "sheets-reordered": Entry("note", "", "The priority sheets are in another order; read by name.",
                              "The priority sheets are in a different order ({order}). They were read by name; the "
                              "order does not matter."),
    "sheet-extra": Entry("warning", "", "A sheet that is not part of the template, with entries that were not read.",
                         "The sheet '{sheet}' is not part of the template ({filled} filled cells) and was not read. "
                         "Move any actions onto the priority sheets."),
    "header-missing": Entry("error", "", "A priority sheet's header row cannot be found.",
                            "The header row ({headers}) cannot be found on this sheet, so its actions cannot be "
                            "read. Restore the header row."),
    "header-moved": Entry("note", "", "The header row moved; the sheet was read from where it is now.",
                          "The header row is row {row}, not row {expected} as in the template (rows were added or "
                          "removed above it). The sheet was read from where the header is now."),
    "column-missing": Entry("error", "", "A column is missing from the header row.",
                            "The column '{column}' is missing from the header row. Restore it from the template."),
    "column-renamed": Entry("warning", "", "A column heading was changed; the column was still read.",
                            "The column '{column}' has been renamed '{heading}'. It was read as {column}; please "
                            "restore the heading."),
    "columns-moved": Entry("note", "", "The columns are in another order; read by heading.",
                           "The columns are in a different order from the template ({order}). They were read by "
                           "their headings."),
    "column-extra": Entry("warning", "", "A column that is not part of the template; its cells are listed.",
                          "The column '{heading}' is not part of the template. Its cells are listed as issues so "
                          "they are not lost; move them into the template's columns."),
    "data-outside-area": Entry("warning", "", "Entries outside the template's columns or below its prepared rows.", {
        "columns": "This cell is outside the template's columns; it is listed here so it is not lost. Move it into "
                   "the right column.",
        "extra-sheet": "This cell is on a sheet the template does not have; it is listed here so it is not lost.",
        "below": "{count} row(s) with entries, from row {first} to row {last}, are below the template's prepared "
                 "rows. They were read; next time use the prepared rows.",
    }),
    "merged-cells": Entry("warning", "", "Merged cells; only the first cell's entry is read.",
                          "Cells {cells} are merged. Excel keeps only the entry in {cell}, which was read there. "
                          "Please unmerge them."),
    "hidden-cells": Entry("warning", "", "A hidden row or column holds entries; they were read.", {
        "row": "Row {row} is hidden but holds entries; they were read. Unhide the row, or delete it if the action "
               "is no longer wanted.",
        "column": "Column {letter} is hidden but holds entries; they were read. Unhide the column so everyone can "
                  "see them.",
    }),
    "formula-value": Entry("note", "", "A formula; the value Excel last saved was read.",
                           "{cell} holds a formula (={formula}); the value Excel last saved for it was read. Type "
                           "values rather than formulas."),
    "formula-no-value": Entry("warning", "", "A formula with no saved value; nothing could be read from it.",
                              "{cell} holds a formula (={formula}) with no saved value, so nothing could be read "
                              "from it. Type the value instead, or open the file in Excel, let it calculate, and "
                              "save it."),
    "cell-error": Entry("warning", "", "An Excel error value (#REF! ...), kept as text.",
                        "{cell} holds the Excel error value {error}, not an entry; it was kept as the text "
                        "'{error}'. Type the value itself."),
    "cell-damaged": Entry("error", "", "A cell whose value cannot be trusted; left out.", {
        "": "{cell}: {why}, so its value cannot be trusted and was left out. Ask the partner to retype it in Excel "
            "and save the file again.",
        "blocks-sheet": "{cell}: {why}, so the sheet '{name}' cannot be read. Ask the partner to retype that cell "
                        "in Excel and save the file again.",
    }),
    "cell-note": Entry("warning", "", "A note (comment) on a cell, which is not read as an entry.",
                       "{cell} has a note attached: '{note}'. Notes are not read as entries; type it in the cell if "
                       "it is part of the return."),
    "not-a-file": Entry("error", "", "A pipe, socket or device, never opened.", {
        "": "'{name}' is {kind}, not a file; it was not opened. Save the return as a file and give that instead.",
        "replaced": "'{name}' is {kind}, not a file; it was not opened.",
        "found": "This is {kind}, not a file, so it was not read.",
    }),
    "partner-missing": Entry("error", "", "The return does not say which partner sent it.", {
        "": "The return does not say which partner sent it. Choose the organisation in the '{column}' cell on the "
            "{sheet} sheet.",
        "cell": "The return does not say which partner sent it. Choose the organisation in the '{column}' cell "
                "{cell} on the {sheet} sheet.",
    }),
    "partner-unknown": Entry("error", "", "The partner named on the Front sheet is not in the plan.", {
        "": "'{name}' is not a partner in the plan. Choose the organisation from the list in {cell}.",
        "closest": "'{name}' is not a partner in the plan (closest: {closest}). Choose the organisation from the "
                   "list in {cell}.",
    }),
    "partner-mismatch": Entry("error", "", "A personalised template names a different partner from its own.",
                              "The template was made for {made_for}, but {cell} says {partner}. Check who sent this "
                              "return."),
    "duplicate-return": Entry("warning", "", "A partner sent more than one return; all are included.",
                              "{partner} sent more than one return (also {others}). All are included; remove any "
                              "that is out of date, or merge with --prefer newest."),
    "return-superseded": Entry("note", "", "A newer return, or the corrected feedback copy, replaces this one.", {
        "corrected": "The corrected copy {copy} (made from this return by plan-workbook feedback) was sent back, so "
                     "it replaces this one.",
        "newest": "{partner} sent more than one return; the newest, {newest}, was used (--prefer newest), and the "
                  "{rows} started row(s) of this one were left out.",
    }),
    "same-file": Entry("warning", "", "The same bytes under another name; read once.",
                       "This file is identical to {first}, so it was read only once."),
    "lock-file-skipped": Entry("note", "", "An Excel lock file (~$...) in a folder, skipped.",
                               "Skipped: this is Excel's lock file for a workbook that is open, not a return."),
    "file-skipped": Entry("note", "", "A file in a folder that is not a spreadsheet, skipped.", {
        "": "Skipped: not a spreadsheet file, so not a return.",
        "folder-link": "Skipped: this is a link to a folder, and folders behind links are not searched. Give the "
                       "folder itself if it holds returns.",
    }),
    "own-output-skipped": Entry("note", "", "A summary or board report written by plan-workbook, skipped.", {
        "summary": "Skipped: this is a summary written by plan-workbook, not a partner's return.",
        "report": "Skipped: this is a board report written by plan-workbook, not a partner's return.",
    }),
    "nil-return": Entry("note", "", "The partner says there is nothing to report this round.", {
        "": "{partner} says there is nothing to report this round ({sheet} sheet, {cell}). Counted as returned.",
        "with-actions": "The return says there is nothing to report this round ({cell}) but has {count} action(s); "
                        "they were read.",
    }),
    "return-empty": Entry("warning", "", "A return with no actions that does not say there is nothing to report.", {
        "": "This return has no actions and does not say '{label}'. Fill in the priority sheets.",
        "cell": "This return has no actions and does not say '{label}'. Fill in the priority sheets or choose {yes} "
                "in {cell} of the {sheet} sheet.",
    }),
    "guidance-edited": Entry("warning", "", "Text typed over the guidance row, which is never read as an action.",
                             "Text was typed into the guidance row ({cell}), which is never read as an action: "
                             "'{text}'. Type actions in the rows below the examples."),
    "attachment-skipped": Entry("note", "", "A file in an email or zip that is not a spreadsheet, skipped.", {
        "": "Skipped: not a spreadsheet, an email or a zip file, so not a return.",
        "not-a-file": "Skipped: this attachment is a link or an embedded object, not a file, so not a return.",
    }),
    "no-return-attached": Entry("warning", "", "An email (or zip) that holds no workbook.", {
        "": "This email has no workbook attached, so it holds no return. If the partner meant to send one, ask "
            "them to attach it.",
        "listed": "This email has no workbook attached (attached: {attached}), so it holds no return. If the "
                  "partner meant to send one, ask them to attach it.",
        "empty-zip": "This zip file is empty: it holds no workbook.",
    }),
    "sender-unexpected": Entry("warning", "", "Sent from an email domain the plan does not list for its partner.",
                               "This return was sent from {sender}, but the plan lists {domains} for {partner}. "
                               "Check that it really comes from them."),
    "spaces-trimmed": Entry("fixed", "", "Spaces at the start or end of a cell removed.",
                            "Spaces at the start or end of {cell} were removed."),
    "status-normalised": Entry("fixed", "status", "A status read as the plan's word (case, abbreviation).",
                               "'{original}' in {cell} was read as '{fixed}'. Choose it from the list next time."),
    "lead-normalised": Entry("fixed", "lead", "A lead read as the plan's partner names (alias, joint leads).",
                             "'{original}' in {cell} was read as '{fixed}'."),
    "action-missing": Entry("error", "action", "A row with entries but no Action.",
                            "Row {row} has entries but no {column}. Type the action in {cell}, or clear the row."),
    "status-missing": Entry("error", "status", "An action with no status.",
                            "The action in row {row} has no {column}. Choose one of {statuses} in {cell}."),
    "status-invalid": Entry("error", "status", "A status that is not one of the plan's.",
                            "'{status}' is not a status. Choose one of {statuses} in {cell}."),
    "lead-missing": Entry("warning", "lead", "An action with no Lead.",
                          "The action in row {row} has no {column}. Choose the lead partner in {cell}."),
    "lead-unknown": Entry("warning", "lead", "A Lead that is not a partner in the plan.", {
        "": "'{name}' in {cell} is not a partner in the plan. Choose from the list, or ask the coordinator to add "
            "the partner.",
        "closest": "'{name}' (closest: {closest}) in {cell} is not a partner in the plan. Choose from the list, or "
                   "ask the coordinator to add the partner.",
        "several": "{names} in {cell} are not partners in the plan. Choose from the list, or ask the coordinator to "
                   "add the partners.",
    }),
    "time-frame-missing": Entry("warning", "time_frame", "An action with no Time Frame.",
                                "The action in row {row} has no {column}. Choose the month it is due, or Ongoing, in "
                                "{cell}."),
    "time-frame-unparsed": Entry("warning", "time_frame", "A Time Frame the tool cannot read as a due date.",
                                 "'{text}' in {cell} is not a time frame the tool understands, so the action has no "
                                 "due date. Use a date (31/03/2022), a month (Oct 21), a quarter (Q3 2021/22), a "
                                 "financial year (2022/23) or Ongoing."),
    "time-frame-outside-plan": Entry("warning", "time_frame", "A due date outside the plan period.",
                                     "'{text}' in {cell} (due {due}) is outside the plan period {start} to {end}."),
    "update-missing": Entry("warning", "update", "No Update beside a status that needs one.",
                            "The action in row {row} is {status} but has no {column}. Say what is being done in "
                            "{cell}."),
    "update-is-example": Entry("warning", "update", "The Update is still the example's own text.",
                               "The {column} in {cell} is still the example's own text ('{text}'). Say what your "
                               "organisation has done."),
    "action-duplicate": Entry("warning", "action", "The same action twice on one sheet.",
                              "The same action is already in row {first} of this sheet. Remove one of them, or make "
                              "them different."),
    # safe to publish, and challenge the green: the board's checks (issue 17)
    "personal-data": Entry("warning", "", "An Action or Update that seems to hold personal data (README: Safe to "
                           "publish).", "{cell} seems to hold personal data ({kinds}). Board papers are published: "
                           "take it out of the return, or write the board outputs with --redact."),
    "challenge-overdue-no-date": Entry("note", "update", "Past its due date, not done, and no new date given.", {
        "": "'{action}' was due {due} and is {status}, but the update gives no new date.",
        "no-status": "'{action}' was due {due} and is without a status, but the update gives no new date.",
    }),
    "challenge-update-short": Entry("note", "update", "A Red or Amber update of only a few words.",
                                    "'{action}' is {status} but its update is only {words} word(s): '{update}'."),
    "challenge-improved-same-update": Entry("note", "status", "Status improved, but the update is last round's.",
                                            "'{action}' moved from {before} to {status}, but the update is the same "
                                            "as last round's."),
    "challenge-update-stale": Entry("note", "update", "The same update for two rounds running.",
                                    "'{action}' has had the same update for {rounds} rounds running."),
    "challenge-due-slipped": Entry("note", "time_frame", "The due date moved later since last round.", {
        "later": "'{action}' was due {before} last round and is now due {due}.",
        "no-date": "'{action}' was due {before} last round and now has no due date.",
    }),
}
CODES: dict[str, Severity] = {code: entry.severity for code, entry in CATALOGUE.items()}

# The one message any code can take: problems past the per-sheet limit (reading/reader.py), summed up in one.
MORE = {
    "more": "{count} more problem(s) like the {per_area} above on '{name}', from {first} to {last}, are listed "
            "together here: their cells and values are in the value column. They are all still in the returned "
            "file.",
    "more-cut": "{count} more problem(s) like the {per_area} above on '{name}', from {first} to {last}, are listed "
                "together here: their cells and values are in the value column (and {left} more). They are all "
                "still in the returned file.",
}
# What a template may name besides its parameters: the problem's own location.
OWN_FIELDS = frozenset({"cell", "sheet", "column"})
# Every parameter a template may name, and what it holds (as text; partner text already cut with short()). The
# JSON `params` of a problem use these names, plus `variant`: which of its code's templates it uses.
PARAMS: dict[str, str] = {
    "action": "the action's text",
    "attached": "the names of the files attached to an email that are not workbooks",
    "before": "last round's value (a status, or a due date)",
    "cells": "a range or count of cells",
    "closest": "the nearest name the plan or workbook has",
    "columns": "a sheet's width in columns",
    "copy": "the corrected feedback copy's file name",
    "count": "how many",
    "current": "this plan's id",
    "current_plan": "this plan's version",
    "current_template": "this tool's template version",
    "depth": "how deep an email or zip is nested",
    "detail": "what the system or library said",
    "domains": "the email domains the plan lists for the partner",
    "due": "a due date",
    "end": "the plan period's last month",
    "error": "the name of an error (an exception type, or an Excel error value)",
    "expected": "what the template has there",
    "far": "the furthest cell holding an entry",
    "filled": "how many cells hold entries",
    "first": "the first of several (a file, a row, a cell)",
    "fixed": "the value as the tool read it",
    "formula": "a cell's formula",
    "headers": "the plan's column headers",
    "heading": "the heading found in the header row",
    "hint": "the spelling Excel writes",
    "kind": "what something is (a pipe, an OpenDocument type, ...)",
    "kinds": "the kinds of personal data found",
    "label": "a label on the Front sheet",
    "last": "the last of several (a row, a cell)",
    "left": "how many more there are than are listed",
    "length": "a text's length in characters",
    "letter": "a column letter",
    "limit": "the tool's limit",
    "limit_mb": "the tool's limit in MB",
    "line": "a line number in a part's XML",
    "made_for": "the partner a personalised template was made for",
    "max_cells": "the most cells a sheet may have",
    "max_columns": "the most columns a sheet may have",
    "max_rows": "the most rows a sheet may have",
    "name": "a name as found (a sheet, a file, a partner)",
    "names": "names not in the plan, each with the closest partner",
    "newest": "the newest return's file name",
    "note": "the text of a note on a cell",
    "offset": "a column number in a part's XML",
    "order": "names in the order found",
    "original": "the value as typed, or the sheet copied",
    "others": "the partner's other returns",
    "part": "a part of the workbook's zip package",
    "partner": "a partner's name",
    "per_area": "how many problems of one kind a sheet lists one by one",
    "plan_id": "the plan id a return was made for",
    "plan_version": "the plan version a return was made from",
    "reason": "why it failed",
    "rounds": "how many rounds",
    "row": "a row number",
    "rows": "how many rows",
    "second": "the second of two",
    "sender": "the email address a return came from",
    "sheets": "sheet names, or how many sheets",
    "size": "a size in bytes",
    "size_mb": "a size in MB",
    "start": "the plan period's first month",
    "state": "a sheet's visibility as written",
    "status": "a status",
    "statuses": "the plan's statuses",
    "template_version": "the template version a return was made from",
    "text": "a cell's text",
    "times": "how many times larger unpacked than stored",
    "title": "a plan or priority title",
    "took": "how long it ran",
    "update": "the update's text",
    "what": "workbook or spreadsheet",
    "why": "what is wrong with a cell's stored value",
    "words": "how many words",
    "yes": "the word that says so",
}
Params = tuple[tuple[str, str], ...]  # (name, text) sorted by name: hashable, so a Problem stays frozen


def template(code: Code, variant: str = "") -> str:
    """The message template for a code and variant; KeyError for a variant the code does not have."""
    return _TEMPLATES[code, variant]


def fields(text: str) -> frozenset[str]:
    """The names a template uses."""
    return frozenset(name for _, name, _, _ in Formatter().parse(text) if name)


# Looked up for every problem made and shown (thousands in a round), so worked out once.
_TEMPLATES: dict[tuple[str, str], str] = {
    (code, variant): text for code, entry in CATALOGUE.items() for variant, text in [*entry.templates.items(),
                                                                                       *MORE.items()]}
_NEEDS = {key: fields(text) - OWN_FIELDS for key, text in _TEMPLATES.items()}


def as_params(params: Mapping[str, object]) -> Params:
    """Parameters as text, in one order."""
    return tuple(sorted((k, v if isinstance(v, str) else str(v)) for k, v in params.items()))


def check_params(code: str, params: Params) -> None:
    """ValueError unless the code is known and the parameters are exactly what its template needs."""
    if code not in CODES:
        raise ValueError(f"unknown problem code {code!r}")
    if not isinstance(params, tuple) or not all(isinstance(p, tuple) and len(p) == 2 for p in params):
        raise TypeError(f"a problem takes its message's parameters, not {params!r}: use Problem.of(...)")
    names = {k for k, _ in params}
    variant = dict(params).get("variant", "")
    needs = _NEEDS.get((code, variant))
    if needs is None:
        raise ValueError(f"problem code {code!r} has no message {variant!r}")
    if names - {"variant"} != needs:
        raise ValueError(f"problem {code!r} {variant!r} takes {sorted(needs)}, not {sorted(names - {'variant'})}")


def render(code: Code, params: Params, **own: str) -> str:
    """The message for a code and its parameters; `own` gives the problem's cell, sheet and column."""
    values = {**own, **dict(params)}
    return template(code, values.get("variant", "")).format_map(values)


class Fatal(NamedTuple):
    """Why a whole file cannot be read, before there is a Problem to say so: Problem(file, "", "", *fatal)."""

    code: Code
    params: Params

    @property
    def message(self) -> str:
        return render(self.code, self.params)


@dataclass(frozen=True, order=True, slots=True)  # slots: a large round holds a hundred thousand
class Problem:
    """One thing found, as data: where (file, sheet, cell, the column's header), what (its code, and the
    parameters its message is rendered from) and the value found there."""

    file: str
    sheet: str
    cell: str
    code: Code
    params: Params = ()
    column: str = ""
    value: str = ""

    def __post_init__(self) -> None:
        check_params(self.code, self.params)

    def __reduce__(self) -> tuple[Any, ...]:
        # a plain tuple, as for Row: a slotted dataclass's own pickling is slow to load
        return Problem, (self.file, self.sheet, self.cell, self.code, self.params, self.column, self.value)

    @classmethod
    def of(cls, file: str, sheet: str, cell: str, code: Code, column: str = "", value: str = "",
           **params: object) -> Problem:
        """A problem with its message's parameters as keywords: Problem.of(f, s, "G6", "status-normalised",
        original="green", fixed="Green")."""
        return cls(file, sheet, cell, code, as_params(params), column, value)

    @property
    def severity(self) -> Severity:
        return CATALOGUE[self.code].severity

    @property
    def message(self) -> str:
        return render(self.code, self.params, cell=self.cell, sheet=self.sheet, column=self.column)

    def as_dict(self) -> dict[str, Any]:
        """The JSON form: every field, the severity, the rendered message and the parameters."""
        return {"file": self.file, "sheet": self.sheet, "cell": self.cell, "column": self.column, "value": self.value,
                "code": self.code, "severity": self.severity, "message": self.message, "params": dict(self.params)}


FIELDS = ("file", "sheet", "cell", "column", "value", "code", "severity", "message", "params")  # as_dict's, in order


def short(text: str, limit: int = 80) -> str:
    """A partner's text, cut for quoting in a message; the problem's value keeps it whole."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def count(problems: list[Problem], severity: Severity) -> int:
    return sum(1 for p in problems if p.severity == severity)


def table() -> str:
    """The README's table of problem codes, generated from the catalogue (`python3 tasks.py readme` writes it)."""
    lines = ["| code | severity | what it means | message (fields in braces) |", "|---|---|---|---|"]
    for code, entry in CATALOGUE.items():
        first, *others = entry.templates.values()
        more = f" (and {len(others)} other wording{'s' if len(others) > 1 else ''})" if others else ""
        lines.append(f"| `{code}` | {entry.severity} | {entry.description} | {first}{more} |")
    return "\n".join(lines)
