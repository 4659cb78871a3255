"""The board page's section across rounds (rounds/trend.py): status in every round as an inline SVG chart and the
same figures as a table, the direction of travel by priority, the stuck actions and partner timeliness. With one
round there is nothing to compare yet, and the section says so."""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from ..plan import Plan
from ..rounds.trend import ALL, NOTHING, Travel, Trend
from ..text import file_name
from .board import NO_STATUS, badge, colours, shape, table

FIRST_ROUND = "Trends start next round: this is the first round recorded."
COLUMN, GAP, HEIGHT, LEFT = 64, 28, 180, 40  # the chart's column width, gap, plot height and left margin


def trend_section(plan: Plan, trend: Trend, text: Callable[[str], str]) -> str:
    """The section's HTML; `text` shows partner text (escaped, and redacted when asked)."""
    parts = ['<h2 id="trend">Trend across rounds</h2>']
    if len(trend.rounds) < 2:
        return "\n".join([*parts, f"<p>{FIRST_ROUND}</p>"])
    statuses = list(trend.statuses)
    parts += [
        f"<p>{len(trend.rounds)} rounds, oldest first. A priority improved into a round when more of its actions "
        "in both rounds moved to a better status than to a worse one; it worsened when more moved to a worse "
        "one.</p>",
        _chart(plan, trend),
        '<h3 id="trend-status">Status in every round</h3>',
        table(["Round", *statuses, "Total", "Direction of travel"],
              [[escape(name), *(str(c[ALL][s]) for s in statuses), str(sum(c[ALL].values())),
                _travel(trend.travel[i - 1][ALL]) if i else "first round"]
               for i, (name, c) in enumerate(zip(trend.rounds, trend.counts, strict=True))],
              "trend-status", frozenset(range(1, len(statuses) + 2)),
              head_html=["Round", *(badge(plan, s) for s in statuses), "Total", "Direction of travel"]),
        '<h3 id="trend-direction">Direction of travel by strategic priority</h3>',
        table(["Strategic priority", *trend.rounds[1:]],
              [[escape(title), *(_travel(t[title]) for t in trend.travel)] for title in trend.priorities],
              "trend-direction"),
        '<h3 id="stuck">Stuck actions</h3>',
        "<p>Actions of this round not yet done that have been at the same status for 3 rounds or more, overdue "
        "in 2 rounds or more, or given the same update for 2 rounds or more.</p>",
        table(["Action", "Partner", "Status", "Why", "Where"],
              [[text(s.action), escape(s.partner), badge(plan, s.status), escape("; ".join(s.reasons)),
                escape(f"{file_name(s.file)}, {s.sheet} {s.cell}")] for s in trend.stuck], "stuck"),
        '<h3 id="timeliness">Partner timeliness</h3>',
        "<p>Rounds in which each partner returned (with actions, or nothing to report), returned with errors, "
        "sent a nil return, sent a return that could not be used, sent nothing, or sent by email after the "
        "round's as-of date.</p>",
        table(["Partner", "Rounds", "Returned", "With errors", "Nil returns", "Not usable", "Missing", "Late"],
              [[escape(t.partner), *map(str, (t.rounds, t.returned, t.with_errors, t.nil, t.not_usable, t.missing,
                                              t.late))] for t in trend.timeliness],
              "timeliness", frozenset(range(1, 8))),
    ]
    return "\n".join(parts)


def _travel(t: Travel) -> str:
    if t.direction == NOTHING:
        return NOTHING
    return f"{t.direction} ({t.improved} better, {t.worsened} worse, {t.unchanged} same)"


def _chart(plan: Plan, trend: Trend) -> str:
    """A stacked column per round, each status in its colour with its count where it fits, the total on top and
    a legend with each status's shape: the same counts as the table below it."""
    statuses = list(trend.statuses)
    most = max((sum(c[ALL].values()) for c in trend.counts), default=0) or 1
    out = []
    for i, (name, counts) in enumerate(zip(trend.rounds, trend.counts, strict=True)):
        x, y = LEFT + i * (COLUMN + GAP), 20.0 + HEIGHT
        for status in statuses:
            n = counts[ALL][status]
            if not n:
                continue
            fill, font = colours(plan, status)
            h = n / most * HEIGHT
            y -= h
            out.append(f'<rect x="{x}" y="{y:.1f}" width="{COLUMN}" height="{h:.1f}" fill="#{fill}" '
                       f'stroke="#{font}"><title>{escape(name)}, {escape(status)}: {n}</title></rect>')
            if h >= 14:
                out.append(f'<text x="{x + COLUMN / 2}" y="{y + h / 2 + 4:.1f}" text-anchor="middle" '
                           f'fill="#{font}">{n}</text>')
        out.append(f'<text x="{x + COLUMN / 2}" y="{y - 4:.1f}" text-anchor="middle" font-weight="bold">'
                   f'{sum(counts[ALL].values())}</text>')
        out.append(f'<text x="{x + COLUMN / 2}" y="{HEIGHT + 36}" text-anchor="middle">{escape(name)}</text>')
    legend_x, legend_y = LEFT, HEIGHT + 52
    for status in statuses:
        fill, font = colours(plan, status)
        out.append(f'<rect x="{legend_x}" y="{legend_y}" width="14" height="14" fill="#{fill}" stroke="#{font}"/>'
                   f'<text x="{legend_x + 3}" y="{legend_y + 11}" fill="#{font}" font-size="10">'
                   f'{shape(plan, status)}</text><text x="{legend_x + 18}" y="{legend_y + 11}">{escape(status)}</text>')
        legend_x += 28 + len(status) * 7
    width = max(LEFT + len(trend.rounds) * (COLUMN + GAP), legend_x) + 20
    return (f'<figure><svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{legend_y + 24}" '
            'role="img" aria-labelledby="trend-chart-title trend-chart-desc" font-size="11">'
            '<title id="trend-chart-title">Actions by status in every round</title>'
            '<desc id="trend-chart-desc">A column for each round, oldest first, split by status'
            f'{" (No status included)" if NO_STATUS in statuses else ""}; the same counts are in the table '
            "Status in every round.</desc>" + "".join(out) + "</svg></figure>")
