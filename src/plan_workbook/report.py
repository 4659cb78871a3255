"""The board report: one self-contained, printable HTML page from a merge result.

Everything is inline (styles and an SVG chart), so the file can be emailed or opened offline. Status is
always a word as well as a colour. Partner text is HTML-escaped, so nothing typed in a return can run.
"""

from __future__ import annotations

from datetime import date
from html import escape
from pathlib import Path

from .compare import Change, direction_counts
from .merge import Result
from .read import OWN_REPORT_MARK
from .validate import Action
from .xlsx import write_atomic

CSS = """
body { font-family: Arial, Helvetica, sans-serif; font-size: 11pt; margin: 2em; color: #222; }
h1 { font-size: 18pt; margin: 0.2em 0; } h2 { font-size: 13pt; margin-top: 1.4em; border-bottom: 1px solid #999; }
table { border-collapse: collapse; margin: 0.4em 0; } th, td { border: 1px solid #bbb; padding: 3px 6px;
  vertical-align: top; text-align: left; } th { background: #D9E1F2; } td.n { text-align: right; }
.marking { text-align: center; font-weight: bold; letter-spacing: 0.1em; }
.facts td { border: none; padding: 1px 12px 1px 0; } .status { font-weight: bold; white-space: nowrap; }
@media print { body { margin: 0; } h2 { break-after: avoid; } tr { break-inside: avoid; }
  .marking { position: fixed; left: 0; right: 0; } .marking.top { top: 0; } .marking.bottom { bottom: 0; } }
"""


def write_report(result: Result, out: Path, as_of: date, changes: list[Change] | None = None) -> Path:
    write_atomic(out, build_report(result, as_of, changes).encode("utf-8"))
    return out


def build_report(result: Result, as_of: date, changes: list[Change] | None = None) -> str:
    plan = result.plan
    s = result.summary()
    worst = _worst(result)
    overdue = result.overdue(as_of)
    marking = f'<div class="marking top">{escape(plan.marking)}</div>' if plan.marking else ""
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">', OWN_REPORT_MARK.decode(),
        f"<title>{escape(plan.title)}: board report</title><style>{CSS}</style></head><body>", marking,
        f"<h1>{escape(plan.title)}</h1>",
        f"<p>Combined summary of partners' returns, as of {as_of:%d %B %Y}.</p>",
        '<table class="facts">',
        *(f"<tr><td><b>{k}</b></td><td>{v}</td></tr>" for k, v in (
            ("Returns received", f"{s['returns_received']} of {s['returns_expected']} expected"),
            ("Actions", s["actions"]), ("Overdue", len(overdue)), (escape(worst), s["status"].get(worst, 0)))),
        "</table>",
        "<h2>Status by strategic priority</h2>", _status_table(result), _chart(result),
    ]
    if changes is not None:
        parts += ["<h2>Direction of travel since last round</h2>",
                  _table(["Strategic priority", "Improved", "Worsened", "Unchanged", "New", "Dropped"],
                         direction_counts(result, changes))]
    parts += [f"<h2>{escape(worst)} actions</h2>",
              _actions(result, [a for a in result.actions if a.status == worst], with_update=True),
              "<h2>Overdue actions</h2>", _actions(result, overdue, as_of=as_of),
              "<h2>Returns outstanding</h2>",
              _table(["Partner", "Outstanding"], [[p, "; ".join(o)] for p, o in result.outstanding().items() if o]),
              marking.replace("top", "bottom"), "</body></html>"]
    return "\n".join(parts)


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
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f'<td class="n">{v}</td>' if isinstance(v, int) else f"<td>{v}</td>"
                                    for v in (escape(c) if isinstance(c, str) else c for c in row)) + "</tr>"
                   for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _status_table(result: Result) -> str:
    names = [*result.plan.status_names, "No status"]
    head = "".join(f"<th>{_status(result, n) if n != 'No status' else n}</th>" for n in names)
    rows = []
    for title, actions in [*((p.title, [a for a in result.actions if a.row.priority == p.title])
                             for p in result.plan.priorities), ("All priorities", result.actions)]:
        counts = result.status_counts(actions)
        rows.append(f"<tr><td>{escape(title)}</td>" + "".join(f'<td class="n">{counts[n]}</td>' for n in names)
                    + f'<td class="n">{sum(counts.values())}</td></tr>')
    return f"<table><tr><th>Strategic priority</th>{head}<th>Total</th></tr>{''.join(rows)}</table>"


def _chart(result: Result) -> str:
    """Stacked horizontal bars per priority, each status in its colour and labelled with its word."""
    plan = result.plan
    width, bar, gap, label = 560, 22, 14, 260
    rows = [(p.title, result.status_counts(a for a in result.actions if a.row.priority == p.title))
            for p in plan.priorities]
    most = max((sum(c.values()) for _, c in rows), default=0) or 1
    height = len(rows) * (bar + gap) + 30
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{label + width + 20}" height="{height}" '
           'role="img" aria-label="Actions by status and priority" font-size="11">']
    for i, (title, counts) in enumerate(rows):
        y = i * (bar + gap)
        out.append(f'<text x="0" y="{y + 15}">{escape(title[:45])}</text>')
        x = float(label)
        for s in plan.statuses:
            n = counts[s.name]
            if n:
                w = n / most * width
                out.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar}" fill="#{s.fill}" '
                           f'stroke="#{s.font}"><title>{escape(s.name)}: {n}</title></rect>')
                out.append(f'<text x="{x + 3:.1f}" y="{y + 15}" fill="#{s.font}">{escape(s.name)} {n}</text>')
                x += w
    out.append("</svg>")
    return "".join(out)


def _actions(result: Result, actions: list[Action], with_update: bool = False, as_of: date | None = None) -> str:
    if not actions:
        return "<p>None.</p>"
    head = ["Partner", "Priority", "Action", "Lead", "Time frame", "Status"]
    head += ["Update"] if with_update else ["Days overdue"]
    rows = []
    for a in actions:
        v = a.values
        cells = [escape(a.partner), escape(a.row.priority), escape(str(v["action"] or "")),
                 escape(str(v["lead"] or "")), escape(str(v["time_frame"] or "")), _status(result, a.status)]
        if with_update:
            cells.append(escape(str(v["update"] or "")).replace("\n", "<br>"))
        else:
            cells.append(str((as_of - a.due).days) if as_of and a.due else "")
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return "<table><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>" + "".join(rows) + "</table>"
