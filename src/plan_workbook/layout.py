"""Where things sit in the template: shared by the builder and the reader."""

from __future__ import annotations

import re

OWN_REPORT_MARK = b'<meta name="generator" content="plan-workbook">'  # in the head of every board report

TEMPLATE_VERSION = "1"  # bump when the template's layout changes in a way the reader must know

FRONT_SHEET = "Front"
LISTS_SHEET = "Lists"
META_SHEET = "_meta"
FEEDBACK_SHEET = "Feedback"  # added by `plan-workbook feedback`; ignored when a return is read
# The summary's machine contract: hidden and protected, read back by later rounds (rounds/readback.py).
DATA_SHEET = "_data"
# The template's own sheets, the one list of them: a plan may not give a priority sheet one of these names (in any
# case), the reader never takes them for priority or extra sheets, and the guard skips the cells of those never read.
RESERVED_SHEETS = (FRONT_SHEET, LISTS_SHEET, META_SHEET, FEEDBACK_SHEET)
UNREAD_SHEETS = frozenset({LISTS_SHEET, FEEDBACK_SHEET})
EXCEL_RESERVED = ("History",)  # Excel keeps this name for itself
PARTNER_LABEL = "Partner organisation"
# A nil return: the partner says, on the Front sheet, that there is nothing to report this round.
NIL_LABEL = "Nothing to report this round"
NIL_YES = "Yes"
# Where the builder puts them; the reader finds both by their label in column A and reads the cell to its right.
PARTNER_CELL = "B4"
NIL_CELL = "B5"  # the row directly below the partner

# Priority sheets: title, key, header, guidance, then examples and input rows.
TITLE_ROW = 1
KEY_ROW = 2
HEADER_ROW = 3
GUIDANCE_ROW = 4
FIRST_DATA_ROW = 5

# Metadata keys on the hidden sheet.
META_KEYS = ("plan_id", "plan_version", "template_version", "partner", "round")
# Added below META_KEYS by `plan-workbook feedback`: the sha256 of the return the copy was made from, so a
# corrected copy supersedes its original without any option.
FEEDBACK_OF = "feedback_of"

# A rolled-forward workbook shows last round's status and update, read-only, right of the template's columns;
# the reader knows these headings and does not treat them as extra columns.
CARRIED_HEADERS = ("Last round: Status", "Last round: Update")
CARRIED_FILL = "E4DFEC"  # lavender: apart from the examples' grey, the header blue and every status colour

# The template checks itself (checks.py): a panel on the Front sheet, formulas in column B from the row labelled
# PANEL_LABEL in column A, and a column headed CHECK_HEADER right of the template's columns on every priority
# sheet, one formula per row. The reader must not report either: they are the template's (template_formula).
PANEL_LABEL = "Before you send"
CHECK_HEADER = "Check before sending"

# Fills shared by template and summary.
EXAMPLE_FILL = "D9D9D9"
INPUT_FILL = "FFF2CC"  # the front sheet's partner cell
MISSING_FILL = "F8CBAD"  # also an error the template's own check finds
CHECK_WARNING_FILL = "FCE4D6"  # a warning the template's own check finds: lighter than an error
READY_FILL = "C6EFCE"  # "Ready to send"
CHECK_FONT = "9C0006"
HEADER_FILL = "D9E1F2"
BORDER_COLOUR = "BFBFBF"  # light lines between input cells, so columns do not run together

# One font everywhere, the Normal style included: Arial, which LibreOffice shows as its metric twin Liberation Sans
# (a font left unnamed falls back to a serif there).
FONT_NAME = "Arial"
FONT_SIZE = 10


def template_formula(sheet: str, formula: str) -> bool:
    """Whether a formula is one the template itself wrote (checks.py), so the reader does not report it: the
    Front sheet's panel refers to the hidden Lists sheet, and each cell of a priority sheet's CHECK_HEADER column
    is a bare reference to its row's working there. A partner's own formula (a VLOOKUP into the lists, say) is
    neither, and is reported like any formula."""
    if sheet == FRONT_SHEET:
        return _LISTS_REF.search(formula) is not None
    return _LISTS_CELL.fullmatch(formula) is not None


_LISTS_REF = re.compile(rf"(?<![\w.'])(?:'{LISTS_SHEET}'|{LISTS_SHEET})!")
_LISTS_CELL = re.compile(rf"(?:'{LISTS_SHEET}'|{LISTS_SHEET})!\$?[A-Z]{{1,3}}\$?[0-9]{{1,7}}")


def is_reserved(sheet: str) -> bool:
    """A name a plan may not give a priority sheet: one of the template's own, or Excel's, in any case."""
    return sheet.casefold() in {s.casefold() for s in (*RESERVED_SHEETS, *EXCEL_RESERVED)}
