"""Chase partners: from a written summary, a short ready-to-send message per partner who owes something.

Everything a partner supplied (file and sheet names, the values quoted in messages) is made one line and
visible before it goes into a message, so no return can print a "To:" or "Subject:" line of its own.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ..plan import Plan
from ..problems import ASK
from ..text import one_line
from .readback import read_data

DATE_FORMATS = ("%d %B %Y", "%d %b %Y", "%Y-%m-%d", "%d/%m/%Y", "%B %d %Y", "%b %d %Y")


def messages(plan: Plan, summary: Path, as_of: date | None = None) -> list[tuple[str, str]]:
    """(partner, message) for each partner with something outstanding, in the plan's order. A deadline
    (`return_date`) already past on `as_of` (default today) is not given as the deadline."""
    data = read_data(summary, "Returns")
    returns, issues = data["return"], data["issue"]
    deadline = _deadline(plan.return_date, as_of or date.today())
    contact = f"\n\nIf anything is unclear, contact {plan.contact}." if plan.contact else ""
    out = []
    order = {p: i for i, p in enumerate(plan.returning_partners)}
    for row in sorted(returns, key=lambda r: (order.get(str(r["partner"]), len(order)), str(r["file"]))):
        partner, state, file = str(row["partner"]), str(row["state"]), str(row["file"])
        if partner not in order or row["owes"] != 1:
            continue
        if state == "missing":
            body = (f"We have not yet received your return for the {plan.title}. Please fill in the template "
                    f"and send it back{deadline}.")
            subject = f"{plan.title}: your return"
        else:
            # notes are for the coordinator, and fixes need nothing from the partner: only these are chased
            points = [i for i in issues if i["file"] == file and i["severity"] in ASK]
            lines = "\n".join(point(i) for i in points)
            body = (f"Thank you for your return ({one_line(Path(file).name)}). Before it goes to the board, please "
                    f"correct each point marked 'Must be fixed' and complete or explain each point marked 'Please "
                    f"check', then send the file back{deadline}.\n\n{lines}")
            subject = f"{plan.title}: {len(points)} point(s) on your return"
        out.append((partner, f"To: {partner}\nSubject: {subject}\n\nDear colleague,\n\n{body}{contact}\n\nThank you."))
    return out


def point(issue: dict[str, Any]) -> str:
    """One line per point: what to do about it, where it is (its cell named once), and the message."""
    sheet, cell, message = (one_line(str(issue[k])) for k in ("sheet", "cell", "message"))
    if cell and re.search(rf"\b{re.escape(cell)}\b", message):
        cell = ""  # the message already says which cell
    where = " ".join(w for w in (sheet, cell) if w)
    return f"- {ASK[str(issue['severity'])]}: {where + ': ' if where else ''}{message}"


def _deadline(text: str, today: date) -> str:
    """' by <deadline>' while the deadline is ahead (or cannot be read as a date), else ' as soon as you can'."""
    if not text:
        return ""
    due = _as_date(text)
    return f" by {one_line(text)}" if due is None or due >= today else " as soon as you can"


def _as_date(text: str) -> date | None:
    cleaned = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", " ".join(text.replace(",", " ").split()))
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(cleaned, fmt).date()
        except ValueError:
            continue
    return None
