"""Where things sit in the template: shared by the builder and the reader."""

from __future__ import annotations

TEMPLATE_VERSION = "1"  # bump when the template's layout changes in a way the reader must know

FRONT_SHEET = "Front"
LISTS_SHEET = "Lists"
META_SHEET = "_meta"
FEEDBACK_SHEET = "Feedback"  # added by `plan-workbook feedback`; ignored when a return is read
PARTNER_LABEL = "Partner organisation"
# A nil return: the partner says, on the Front sheet, that there is nothing to report this round.
NIL_LABEL = "Nothing to report this round"
NIL_YES = "Yes"

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
CARRIED_FILL = "EDEDED"

# Fills shared by template and summary.
EXAMPLE_FILL = "D9D9D9"
INPUT_FILL = "FFF2CC"  # the front sheet's partner cell
MISSING_FILL = "F8CBAD"
HEADER_FILL = "D9E1F2"
