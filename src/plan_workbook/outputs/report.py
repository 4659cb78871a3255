"""The board report: one self-contained, printable HTML page from a merge result.

Everything is inline (styles and an SVG chart), so the file can be emailed or opened offline. Status is
always a word as well as a colour. Partner text is HTML-escaped, so nothing typed in a return can run.
"""

from __future__ import annotations

from datetime import date
from html import escape
from pathlib import Path

from .. import layout as L
from ..merge import Result
from ..reading.fixes import Action
from ..rounds.compare import DIRECTIONS, Change, direction_counts
from ..text import valid
from .summary import NO_STATUS_FILL
from .xlsx import write_atomic

CSS = """
body { font-family: Arial, Helvetica, sans-serif; font-size: 11pt; margin: 2em; color: #222; }
h1 { font-size: 18pt; margin: 0.2em 0; } h2 { font-size: 13pt; margin-top: 1.4em; border-bottom: 1px solid #999; }
table { border-collapse: collapse; margin: 0.4em 0; } th, td { border: 1px solid #bbb; padding: 3px 6px;
  vertical-align: top; text-align: left; } th { background: #D9E1F2; } td.n, th.n { text-align: right; }
.marking { text-align: center; font-weight: bold; letter-spacing: 0.1em; }
.facts td { border: none; padding: 1px 12px 1px 0; } .status { font-weight: bold; white-space: nowrap; }
.none { font-style: italic; color: #9C0006; }
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


def write_report(result: Result, out: Path, as_of: date, changes: list[Change] | None = None) -> Path:
    write_atomic(out, valid(build_report(result, as_of, changes)).encode("utf-8"))
    return out


def build_report(result: Result, as_of: date, changes: list[Change] | None = None) -> str:
    plan = result.plan
    s = result.figures
    worst = _worst(result)
    listed = _listed(result)
    shown = {id(a) for a in listed}
    overdue = [a for a in result.overdue(as_of) if id(a) in shown]
    top, bottom = (f'<div class="marking {where}">{escape(plan.marking)}</div>' if plan.marking else ""
                   for where in ("top", "bottom"))
    page = PAGE.replace('"MARK"', f'"{_css_string(plan.marking)}"')
    unlisted = len(result.actions) - len(listed)
    left_out = (f"<p>{unlisted} row(s) with no Action are not listed here: the partner must fix them first "
                "(see Returns outstanding).</p>" if unlisted else "")
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">', L.OWN_REPORT_MARK.decode(),
        f"<title>{escape(plan.title)}: board report</title><style>{CSS}{page}</style></head><body>", top,
        f"<h1>{escape(plan.title)}</h1>",
        f"<p>Combined summary of partners' returns, as of {as_of:%d %B %Y}.</p>",
        '<table class="facts">',
        *(f"<tr><td><b>{k}</b></td><td>{v}</td></tr>" for k, v in (
            ("Returns received", f"{s.returns_received} of {s.returns_expected} expected"),
            ("Actions", s.actions), ("Overdue", len(overdue)), (escape(worst), s.status.get(worst, 0)))),
        "</table>",
        "<h2>Status by strategic priority</h2>", _status_table(result), _chart(result),
    ]
    if changes is not None:
        parts += ["<h2>Direction of travel since last round</h2>",
                  _table(["Strategic priority", *DIRECTIONS], direction_counts(result, changes))]
    parts += [f"<h2>{escape(worst)} actions</h2>",
              _actions(result, [a for a in listed if a.status == worst], with_update=True),
              "<h2>Overdue actions</h2>", _actions(result, overdue, as_of=as_of), left_out,
              "<h2>Returns outstanding</h2>",
              _table(["Partner", "Outstanding"], [[p, "; ".join(o)] for p, o in result.outstanding().items() if o]),
              bottom, "</body></html>"]
    return "\n".join(parts)


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


def _status(result: Result, name: str) -> str:
    found = next((s for s in result.plan.statuses if s.name == name), None)
    if found is None:
        return escape(name or "No status")
    return f'<span class="status" style="background:#{found.fill};color:#{found.font}">{escape(name)}</span>'


def _table(headers: list[str], rows: list[list[object]]) -> str:
    if not rows:
        return "<p>None.</p>"
    numeric = [isinstance(v, int) for v in rows[0]]
    head = "".join(f'<th class="n">{escape(h)}</th>' if n else f"<th>{escape(h)}</th>"
                   for h, n in zip(headers, numeric, strict=True))
    body = "".join("<tr>" + "".join(f'<td class="n">{v}</td>' if isinstance(v, int) else f"<td>{v}</td>"
                                    for v in (escape(c) if isinstance(c, str) else c for c in row)) + "</tr>"
                   for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _status_table(result: Result) -> str:
    names = [*result.plan.status_names, "No status"]
    head = "".join(f'<th class="n">{_status(result, n) if n != "No status" else n}</th>' for n in names)
    rows = []
    for title, counts in [*result.figures.by_priority.items(), ("All priorities", result.figures.status)]:
        rows.append(f"<tr><td>{escape(title)}</td>" + "".join(f'<td class="n">{counts[n]}</td>' for n in names)
                    + f'<td class="n">{sum(counts.values())}</td></tr>')
    return (f'<table><thead><tr><th>Strategic priority</th>{head}<th class="n">Total</th></tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>")


def _chart(result: Result) -> str:
    """Stacked horizontal bars per priority, each status in its colour and labelled with its word where it
    fits, the total at the end of each bar, and a legend: the same counts as the table, No status included."""
    plan = result.plan
    width, bar, gap, label, line = 480, 22, 14, 260, 13
    fills = [(s.name, s.fill, s.font) for s in plan.statuses] + [("No status", NO_STATUS_FILL, "333333")]
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
        out.append(f'<rect x="{legend_x}" y="{y}" width="12" height="12" fill="#{fill}" stroke="#{font}"/>'
                   f'<text x="{legend_x + 16}" y="{y + 10}">{escape(name)}</text>')
        legend_x += 24 + len(name) * 7
    height = y + 20
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{label + width + 40}" height="{height}" role="img" '
            f'aria-label="Actions by status and priority" font-size="11">' + "".join(out) + "</svg>")


def _wrap(title: str) -> list[str]:
    """A label broken into lines between words (a word longer than a line is kept whole)."""
    lines: list[str] = []
    for word in title.split():
        if lines and len(lines[-1]) + 1 + len(word) <= LABEL_CHARS:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def _actions(result: Result, actions: list[Action], with_update: bool = False, as_of: date | None = None) -> str:
    if not actions:
        return "<p>None.</p>"
    head = ["Partner", "Priority", "Action", "Lead", "Time frame", "Status"]
    head += ["Update"] if with_update else ["Days overdue"]
    needs_update = {s.name for s in result.plan.statuses if s.update_required}
    rows = []
    for a in actions:
        v = a.values
        cells = [escape(a.partner), escape(a.row.priority), escape(str(v["action"] or "")),
                 escape(str(v["lead"] or "")), escape(str(v["time_frame"] or "")), _status(result, a.status)]
        if with_update:
            update = escape(str(v["update"] or "")).replace("\n", "<br>")
            cells.append(update or (f'<span class="none">{NO_UPDATE}</span>' if a.status in needs_update else ""))
        else:
            cells.append(str((as_of - a.due).days) if as_of and a.due else "")
        rows.append("<tr>" + "".join(f'<td class="n">{c}</td>' if i == 6 and not with_update else f"<td>{c}</td>"
                                     for i, c in enumerate(cells)) + "</tr>")
    heads = "".join(f'<th class="n">{h}</th>' if h == "Days overdue" else f"<th>{h}</th>" for h in head)
    return f"<table><thead><tr>{heads}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
