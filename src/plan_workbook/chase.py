"""Chase partners: from a written summary, a short ready-to-send message per partner who owes something."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .plan import Plan
from .readback import read_summary

SHOWN = ("error", "warning")  # notes are for the coordinator, not the partner


NEEDED = {"Returns": ("Partner", "Return", "File", "Outstanding"),
          "Issues": ("File", "Sheet", "Cell", "Severity", "Message")}


def messages(plan: Plan, summary: Path) -> list[tuple[str, str]]:
    """(partner, message) for each partner with something outstanding, in the plan's order."""
    sheets = read_summary(summary, NEEDED)
    returns, issues = sheets["Returns"], sheets["Issues"]
    deadline = f" by {plan.return_date}" if plan.return_date else ""
    contact = f"\n\nIf anything is unclear, contact {plan.contact}." if plan.contact else ""
    out = []
    order = {p: i for i, p in enumerate(plan.returning_partners)}
    for row in sorted(returns, key=lambda r: (order.get(str(r["Partner"]), len(order)), str(r["File"]))):
        partner, state, file = str(row["Partner"]), str(row["Return"]), str(row["File"])
        if partner not in order or str(row["Outstanding"]) in ("", "nothing"):
            continue
        if state == "missing":
            body = (f"We have not yet received your return for the {plan.title}. Please fill in the template "
                    f"and send it back{deadline}.")
            subject = f"{plan.title}: your return"
        else:
            points = [i for i in issues if i["File"] == file and i["Severity"] in SHOWN]
            lines = "\n".join(f"- {_where(i)}{i['Message']}" for i in points)
            name = Path(file).name
            body = (f"Thank you for your return ({name}). Before it goes to the board, please correct the "
                    f"errors and complete or explain the warnings below, then send the file back{deadline}.\n\n"
                    f"{lines}")
            subject = f"{plan.title}: {len(points)} point(s) on your return"
        out.append((partner, f"To: {partner}\nSubject: {subject}\n\nDear colleague,\n\n{body}{contact}\n\nThank you."))
    return out


def _where(issue: dict[str, Any]) -> str:
    sheet, cell = str(issue["Sheet"]), str(issue["Cell"])
    return f"{sheet} {cell}: " if sheet and cell else f"{sheet}: " if sheet else ""
