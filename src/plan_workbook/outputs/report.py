"""The board report: one self-contained, printable HTML page from a merge result, and the same page as a PDF.

Everything is inline (styles and an SVG chart), so the file can be emailed or opened offline. It is built to
WCAG 2.2 AA (tests run axe-core on it): landmarks, headings in order, tables with scoped headers, a chart with
a name and its numbers in a table, status as a word and a shape as well as a readable colour. Partner text is
HTML-escaped, so nothing typed in a return can run, and with `redact` its personal data is replaced.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from html import escape
from pathlib import Path
from typing import Any

from .. import layout as L
from ..merge import Result
from ..problems import Problem
from ..reading.fixes import Action
from ..rounds.challenge import RULES
from ..rounds.compare import DIRECTIONS, Change, direction_counts
from ..rounds.trend import Trend
from ..text import valid
from .atomic import write_atomic
from .board import NO_STATUS, badge, colours, for_challenge, partner_text, shape, table
from .pdf import write_pdf
from .trend_page import trend_section

CSS = """
body { font-family: Arial, Helvetica, sans-serif; font-size: 11pt; margin: 2em; color: #222; line-height: 1.35; }
h1 { font-size: 18pt; margin: 0.2em 0; } h2 { font-size: 13pt; margin-top: 1.4em; border-bottom: 1px solid #767676; }
table { border-collapse: collapse; margin: 0.4em 0; } th, td { border: 1px solid #8c8c8c; padding: 3px 6px;
  vertical-align: top; text-align: left; } thead th { background: #D9E1F2; } tbody th { font-weight: normal; }
td.n, th.n { text-align: right; }
.marking { text-align: center; font-weight: bold; letter-spacing: 0.1em; margin: 0; }
dl.facts { display: grid; grid-template-columns: max-content auto; gap: 2px 16px; margin: 0.6em 0; }
dl.facts dt { font-weight: bold; } dl.facts dd { margin: 0; }
.status { font-weight: bold; white-space: nowrap; padding: 0 3px; }
.none { font-style: italic; color: #9C0006; }
figure { margin: 0.6em 0; }
@media print { body { margin: 0; } h2 { break-after: avoid; } tr { break-inside: avoid; }
  thead { display: table-header-group; } .marking { display: none; } }
"""
# In print the marking goes in the page's own margin (not over the content), on every page.
PAGE = """
@page { size: A4; margin: 18mm 12mm;
  @top-center { content: "MARK"; font: bold 10pt Arial, Helvetica, sans-serif; letter-spacing: 0.1em; }
  @bottom-center { content: "MARK"; font: bold 10pt Arial, Helvetica, sans-serif; letter-spacing: 0.1em; }
  @bottom-right { content: "Page " counter(page) " of " counter(pages); font: 9pt Arial, Helvetica, sans-serif; } }
"""
NO_UPDATE = "No update given"
LABEL_CHARS = 36  # a chart label's line, broken between words


def write_report(result: Result, out: Path, as_of: date, changes: list[Change] | None = None,
                 flags: list[Problem] | None = None, redact: bool = False, trend: Trend | None = None) -> Path:
    write_atomic(out, valid(build_report(result, as_of, changes, flags, redact, trend)).encode("utf-8"))
    return out


def write_report_pdf(result: Result, out: Path, as_of: date, changes: list[Change] | None = None,
                     flags: list[Problem] | None = None, redact: bool = False, trend: Trend | None = None) -> Path:
    """The same page, printed to PDF by headless Chromium."""
    return write_pdf(valid(build_report(result, as_of, changes, flags, redact, trend)), out)


def build_report(result: Result, as_of: date, changes: list[Change] | None = None,
                 flags: list[Problem] | None = None, redact: bool = False, trend: Trend | None = None) -> str:
    """The board page. `flags` are the challenge flags (challenge.challenges); with `redact`, the personal
    data found in partners' text is replaced on the page; with `trend` (rounds/trend.py), a section across rounds."""
    plan = result.plan
    s = result.figures
    worst = _worst(result)
    listed = _listed(result)
    shown = {id(a) for a in listed}
    text = partner_text(plan, redact)
    overdue = [a for a in result.overdue(as_of) if id(a) in shown]
    flags = flags or []
    marking = escape(plan.marking)
    page = PAGE.replace('"MARK"', f'"{_css_string(plan.marking)}"')
    unlisted = len(result.actions) - len(listed)
    left_out = (f"<p>{unlisted} row(s) with no Action are not listed here: the partner must fix them first "
                "(see Returns outstanding).</p>" if unlisted else "")
    parts = [
        "<!DOCTYPE html>", '<html lang="en-GB"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">', L.OWN_REPORT_MARK.decode(),
        f"<title>{escape(plan.title)}: board report</title><style>{CSS}{page}</style></head><body>",
        f'<header><p class="marking">{marking}</p></header>' if plan.marking else "",
        "<main>", f"<h1>{escape(plan.title)}</h1>",
        f"<p>Combined summary of partners' returns, as of {as_of:%d %B %Y}.</p>",
        '<dl class="facts">',
        *(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in (
            ("Returns received", f"{s.returns_received} of {s.returns_expected} expected"),
            ("Actions", s.actions), ("Overdue", len(overdue)), (escape(worst), s.status.get(worst, 0)),
            ("For challenge", len(flags)))),
        "</dl>",
        '<h2 id="by-priority">Status by strategic priority</h2>', _status_table(result), status_chart(result),
    ]
    if changes is not None:
        parts += ['<h2 id="direction">Direction of travel since last round</h2>',
                  _counts(["Strategic priority", *DIRECTIONS], direction_counts(result, changes), "direction")]
    parts += [trend_section(plan, trend, text)] if trend is not None else []  # outputs/trend_page.py
    parts += [f'<h2 id="worst">{escape(worst)} actions</h2>',
              _actions(result, [a for a in listed if a.status == worst], text, "worst", with_update=True),
              '<h2 id="overdue">Overdue actions</h2>', _actions(result, overdue, text, "overdue", as_of=as_of),
              left_out,
              '<h2 id="for-challenge">For challenge</h2>',
              "<p>Reports the board may wish to question: " + "; ".join(why for _, why in RULES) + ".</p>",
              for_challenge(result, flags, text),
              '<h2 id="outstanding">Returns outstanding</h2>',
              table(["Partner", "Outstanding"], [[escape(p), text("; ".join(o))]
                                                 for p, o in result.outstanding().items() if o], "outstanding"),
              _personal_note(result, redact), "</main>",
              f'<footer><p class="marking">{marking}</p></footer>' if plan.marking else "",
              "</body></html>"]
    return "\n".join(part for part in parts if part)


def _personal_note(result: Result, redact: bool) -> str:
    n = sum(1 for p in result.problems if p.code == "personal-data")
    if not n:
        return ""
    if redact:
        return (f"<p>{n} cell(s) in the returns seemed to hold personal data; it is replaced on this page "
                "(for example [name removed]).</p>")
    return (f"<p>{n} cell(s) in the returns seem to hold personal data, shown here as typed (see the "
            "summary's Issues sheet): check before publishing, or write this page with --redact.</p>")


def _listed(result: Result) -> list[Action]:
    """Actions to list by name: not the rows with no Action at all (an error the partner must fix)."""
    no_action = {(p.file, p.sheet, "".join(ch for ch in p.cell if ch.isdigit()))
                 for p in result.problems if p.code == "action-missing"}
    return [a for a in result.actions if (a.row.file, a.row.sheet, str(a.row.row)) not in no_action]


def _css_string(text: str) -> str:
    """Text for a CSS string: everything but letters, digits and spaces as a hex escape, so nothing a plan
    says can end the string or the style sheet."""
    return "".join(ch if (ch.isalnum() and ch.isascii()) or ch == " " else f"\\{ord(ch):06x} " for ch in valid(text))


def _worst(result: Result) -> str:
    return result.plan.status_names[0]  # statuses are listed worst first


def _counts(headers: list[str], rows: list[list[Any]], label: str) -> str:
    numeric = frozenset(range(1, len(headers)))
    return table(headers, [[escape(str(r[0])), *(str(v) for v in r[1:])] for r in rows], label, numeric)


def _status_table(result: Result) -> str:
    plan = result.plan
    names = [*plan.status_names, NO_STATUS]
    rows = []
    for title, counts in [*result.figures.by_priority.items(), ("All priorities", result.figures.status)]:
        rows.append([escape(title), *(str(counts[n]) for n in names), str(sum(counts.values()))])
    heads = ["Strategic priority", *names, "Total"]
    return table(heads, rows, "by-priority", frozenset(range(1, len(heads))),
                 head_html=[escape(heads[0]), *(badge(plan, n) for n in names), "Total"])


def status_chart(result: Result) -> str:
    """Stacked horizontal bars per priority, each status in its colour and labelled with its word where it
    fits, the total at the end of each bar, and a legend with each status's shape: the same counts as the
    table above, No status included. Named for screen readers, which are pointed to the table."""
    plan = result.plan
    width, bar, gap, label, line = 480, 22, 14, 260, 13
    fills = [(n, *colours(plan, n)) for n in [*plan.status_names, NO_STATUS]]
    rows = [(_wrap(title), counts) for title, counts in result.figures.by_priority.items()]
    most = max((sum(c.values()) for _, c in rows), default=0) or 1
    out, y = [], 0
    for lines, counts in rows:
        out.append(f'<text x="0" y="{y + 15}">' + "".join(
            f'<tspan x="0" dy="{0 if i == 0 else line}">{escape(t)}</tspan>' for i, t in enumerate(lines)) + "</text>")
        x = float(label)
        for name, fill, font in fills:
            n = counts[name]
            if not n:
                continue
            w = n / most * width
            out.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar}" fill="#{fill}" '
                       f'stroke="#{font}"><title>{escape(name)}: {n}</title></rect>')
            text = next((t for t in (f"{name} {n}", str(n)) if len(t) * 6.5 + 6 <= w), "")
            if text:  # a word never spills over the next colour; the legend and the table have every count
                out.append(f'<text x="{x + 3:.1f}" y="{y + 15}" fill="#{font}">{escape(text)}</text>')
            x += w
        out.append(f'<text x="{x + 4:.1f}" y="{y + 15}" font-weight="bold">{sum(counts.values())}</text>')
        y += max(bar, line * len(lines) + 4) + gap
    legend_x = label
    for name, fill, font in fills:
        out.append(f'<rect x="{legend_x}" y="{y}" width="14" height="14" fill="#{fill}" stroke="#{font}"/>'
                   f'<text x="{legend_x + 3}" y="{y + 11}" fill="#{font}" font-size="10">{shape(plan, name)}</text>'
                   f'<text x="{legend_x + 18}" y="{y + 11}">{escape(name)}</text>')
        legend_x += 28 + len(name) * 7
    height = y + 20
    return (f'<figure><svg xmlns="http://www.w3.org/2000/svg" width="{label + width + 40}" height="{height}" '
            'role="img" aria-labelledby="chart-title chart-desc" font-size="11">'
            '<title id="chart-title">Actions by status and priority</title>'
            '<desc id="chart-desc">A bar for each strategic priority, split by status; the same counts are in '
            "the table above.</desc>" + "".join(out) + "</svg></figure>")


def _wrap(title: str) -> list[str]:
    """A label broken into lines between words (a word longer than a line is kept whole)."""
    lines: list[str] = []
    for word in title.split():
        if lines and len(lines[-1]) + 1 + len(word) <= LABEL_CHARS:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def _actions(result: Result, actions: list[Action], text: Callable[[str], str], label: str,
             with_update: bool = False, as_of: date | None = None) -> str:
    """Actions with the action itself as each row's header."""
    head = ["Action", "Partner", "Priority", "Lead", "Time frame", "Status"]
    head += ["Update"] if with_update else ["Days overdue"]
    needs_update = {s.name for s in result.plan.statuses if s.update_required}
    rows = []
    for a in actions:
        v = a.values
        cells = [text(str(v["action"] or "")), escape(a.partner), escape(a.row.priority), text(str(v["lead"] or "")),
                 text(str(v["time_frame"] or "")), badge(result.plan, a.status)]
        if with_update:
            update = text(str(v["update"] or ""))
            cells.append(update or (f'<span class="none">{NO_UPDATE}</span>' if a.status in needs_update else ""))
        else:
            cells.append(str((as_of - a.due).days) if as_of and a.due else "")
        rows.append(cells)
    return table(head, rows, label, frozenset() if with_update else frozenset({6}))
