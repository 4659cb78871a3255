"""Pieces of the board page that make it accessible, safe to publish and challenging (issue 17).

- Status is a word and a shape as well as a colour, and its colours are checked for contrast (WCAG 2.2 AA,
  4.5:1 for text): a plan colour that fails is replaced by black or white, whichever reads better.
- Tables have real headers: `<th scope="col">` in a `<thead>` (repeated on every printed page) and the
  first cell of each row a `<th scope="row">`; each table is named by the heading above it.
- Partner text is escaped, and with `redact` the personal data `personal.scan` finds is replaced.
- "For challenge" lists the challenge flags with partner, cell and reason.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

from ..merge import Result
from ..personal import redact as redact_text
from ..plan import Plan
from ..problems import Problem
from ..rounds.challenge import RULES

SHAPES = ("▲", "◆", "●", "■", "★", "✚", "⬟", "⬢")  # by the status's place in the plan, worst first
NO_STATUS = "No status"
NO_STATUS_SHAPE = "○"
NO_STATUS_COLOURS = ("D9D9D9", "333333")  # fill, text
AA_TEXT = 4.5  # WCAG 2.2 AA contrast for normal text


def luminance(colour: str) -> float:
    """Relative luminance of a six-digit hex colour (WCAG 2.2)."""
    channels = [int(colour[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def readable(font: str, fill: str) -> str:
    """The plan's text colour on its fill when it meets AA, else black or white, whichever reads better."""
    if contrast(font, fill) >= AA_TEXT:
        return font
    return "000000" if contrast("000000", fill) >= contrast("FFFFFF", fill) else "FFFFFF"


def shape(plan: Plan, name: str) -> str:
    names = plan.status_names
    return SHAPES[names.index(name) % len(SHAPES)] if name in names else NO_STATUS_SHAPE


def colours(plan: Plan, name: str) -> tuple[str, str]:
    """(fill, text) for a status, the text colour readable on the fill."""
    found = next((s for s in plan.statuses if s.name == name), None)
    fill, font = (found.fill, found.font) if found else NO_STATUS_COLOURS
    return fill, readable(font, fill)


def badge(plan: Plan, name: str) -> str:
    """A status as its shape, its word and its colour; the shape is hidden from screen readers (the word says
    it)."""
    word = name if name in plan.status_names else NO_STATUS
    fill, font = colours(plan, word)
    return (f'<span class="status" style="background:#{fill};color:#{font}">'
            f'<span aria-hidden="true">{shape(plan, word)}</span> {escape(word)}</span>')


BLANK = "(blank)"  # a row header left empty (an action with no text): never an empty th


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], label: str = "", numeric: frozenset[int] = frozenset(),
          head_html: Sequence[str] | None = None) -> str:
    """A table with real headers. `rows` hold HTML already made safe (escape partner text first); `headers`
    plain text (or `head_html` when a header holds markup, such as a status badge); `label` the id of the
    heading that names the table; `numeric` the columns right-aligned."""
    if not rows:
        return "<p>None.</p>"
    heads = head_html or [escape(h) for h in headers]
    head = "".join(f'<th scope="col"{_n(i, numeric)}>{h}</th>' for i, h in enumerate(heads))
    body = "".join("<tr>" + "".join(f'<th scope="row"{_n(i, numeric)}>{c or BLANK}</th>' if i == 0
                                    else f"<td{_n(i, numeric)}>{c}</td>" for i, c in enumerate(row)) + "</tr>"
                   for row in rows)
    named = f' aria-labelledby="{label}"' if label else ""
    return f"<table{named}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _n(i: int, numeric: frozenset[int]) -> str:
    return ' class="n"' if i in numeric else ""


def partner_text(plan: Plan, redact: bool) -> Callable[[str], str]:
    """How partner text goes on the page: escaped, line breaks kept, personal data replaced with `redact`."""
    names = [w for p in plan.partners for w in (p.name, *p.aliases)]

    def shown(text: str) -> str:
        text = redact_text(text, names) if redact else text
        return escape(text).replace("\n", "<br>")

    return shown


def for_challenge(result: Result, flags: Sequence[Problem], shown: Callable[[str], str]) -> str:
    """The challenge flags as a table: partner, where (sheet and cell), and the reason, in the rules' order."""
    partner = {r.file: r.partner or "" for r in result.returns}
    order = {code: i for i, (code, _) in enumerate(RULES)}
    listed = sorted((f for f in flags if f.code in order), key=lambda f: order[f.code])
    rows = [[escape(partner.get(f.file, "")), escape(f"{f.sheet} {f.cell}"), shown(f.message)] for f in listed]
    return table(["Partner", "Where", "Reason"], rows, label="for-challenge")
