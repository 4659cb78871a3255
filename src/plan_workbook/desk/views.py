"""What each page shows, as plain data for its template: all of it from the round's Result and its Figures, so
the page, the summary workbook and the board page never disagree."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from ..merge import Result
from ..outputs.board import NO_STATUS, badge, colours, shape
from ..outputs.report import status_chart
from ..plan import Plan
from ..problems import Problem

PARTNER_WORDS = {"received": "Received", "fix": "Problems to fix", "nil": "Nil return", "empty": "Nothing filled in",
                 "unreadable": "Unreadable", "missing": "Missing"}
FILE_WORDS = {"received": "Received", "nil": "Nil return", "empty": "Nothing filled in",
              "duplicate": "More than one from this partner", "copy": "Same file again", "superseded": "Superseded",
              "rejected": "Set aside", "unreadable": "Unreadable"}
SEVERITY_WORDS = {"error": "Must be fixed", "warning": "Please check", "fixed": "Fixed by the tool",
                  "note": "For you"}


def round_view(result: Result) -> dict[str, Any]:
    figures = result.figures
    owed = result.outstanding()
    files = result.file_rows()
    errors = {f["file"]: f["errors"] for f in files}
    partners = []
    for partner, state in result.partner_states.items():
        mine = [f["file"] for f in files if f["partner"] == partner]
        shown = "fix" if state == "received" and any(errors[f] for f in mine) else state
        partners.append({"name": partner, "state": shown, "word": PARTNER_WORDS[shown], "files": mine,
                         "owed": owed.get(partner, [])})
    by_file: dict[str, list[Problem]] = {}
    for p in result.problems:
        by_file.setdefault(p.file, []).append(p)
    names = [*result.plan.status_names, NO_STATUS]
    return {
        "figures": figures,
        "partners": partners,
        "files": [{**f, "word": FILE_WORDS.get(f["state"], f["state"]), "problems": by_file.get(f["file"], [])}
                  for f in files],
        "notes": result.notes,
        "statuses": [{"name": n, "key": status_key(result.plan, n), "shape": shape(result.plan, n)} for n in names],
        "by_priority": [(title, [counts[n] for n in names], sum(counts.values()))
                        for title, counts in [*figures.by_priority.items(), ("All priorities", figures.status)]],
        "chart": status_chart(result) if figures.actions else "",
    }


def status_key(plan: Plan, name: str) -> str:
    names = plan.status_names
    return f"s{names.index(name)}" if name in names else "s-none"


def status_css(plan: Plan) -> str:
    """Each status's colours as a class (the page's policy allows no inline style), text readable on its fill."""
    rules = []
    for name in [*plan.status_names, NO_STATUS]:
        fill, font = colours(plan, name)
        rules.append(f".{status_key(plan, name)} {{ background: #{fill}; color: #{font}; }}")
    return "\n".join(rules) + "\n"


def badge_styles(plan: Plan) -> list[str]:
    """The inline styles of outputs.board.badge, the only ones the page's policy lets through (by hash)."""
    out = []
    for name in [*plan.status_names, NO_STATUS]:
        found = re.search(r'style="([^"]*)"', badge(plan, name))
        if found:
            out.append(found.group(1))
    return out


def chase_view(plan: Plan, found: Sequence[tuple[str, str]]) -> list[dict[str, str]]:
    """Each message, and a mailto: address that opens it in the mail program (the plan holds no partners'
    addresses, so the coordinator picks the recipient there)."""
    out = []
    for partner, text in found:
        head, _, body = text.partition("\n\n")
        subject = next((line.removeprefix("Subject: ") for line in head.split("\n") if line.startswith("Subject: ")),
                       plan.title)
        out.append({"partner": partner, "text": text,
                    "mailto": f"mailto:?subject={quote(subject)}&body={quote(body)}"})
    return out
