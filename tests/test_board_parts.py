"""Issue 17, the board page's parts: status as shape, word and readable colour; tables with real headers."""

from __future__ import annotations

import re
from dataclasses import replace

from plan_workbook.outputs.board import AA_TEXT, badge, colours, contrast, partner_text, readable, shape, table
from plan_workbook.plan import Plan


def test_contrast_as_wcag_computes_it() -> None:
    assert round(contrast("000000", "FFFFFF"), 1) == 21.0
    assert round(contrast("777777", "FFFFFF"), 2) == 4.48  # the usual example: just under AA


def test_every_status_of_the_plan_reads_at_aa(plan: Plan) -> None:
    for s in plan.statuses:
        fill, font = colours(plan, s.name)
        assert fill == s.fill
        assert contrast(font, fill) >= AA_TEXT, s.name
    assert contrast(*colours(plan, "No status")) >= AA_TEXT


def test_a_plan_colour_that_fails_contrast_is_replaced(plan: Plan) -> None:
    assert readable("FFEB9C", "FFFFFF") == "000000"  # pale yellow on white: black instead
    assert readable("FFFFFF", "C6EFCE") == "000000"
    assert readable("CCCCCC", "000000") == "CCCCCC"  # already readable: kept
    pale = replace(plan, statuses=(replace(plan.statuses[0], font="FFD0D0"), *plan.statuses[1:]))
    assert colours(pale, pale.statuses[0].name)[1] == "000000"


def test_status_is_word_shape_and_colour(plan: Plan) -> None:
    shapes = [shape(plan, s.name) for s in plan.statuses]
    assert len(set(shapes)) == len(shapes)  # each status its own shape
    assert shape(plan, "No status") not in shapes
    red = badge(plan, "Red")
    assert re.fullmatch(r'<span class="status" style="background:#FFC7CE;color:#9C0006">'
                        r'<span aria-hidden="true">▲</span> Red</span>', red)
    assert "No status" in badge(plan, "")


def test_tables_have_scoped_headers_named_by_their_heading() -> None:
    html = table(["Priority", "Red"], [["<b>x</b>", "1"]], label="status-heading", numeric=frozenset({1}))
    assert html == ('<table aria-labelledby="status-heading"><thead><tr><th scope="col">Priority</th>'
                    '<th scope="col" class="n">Red</th></tr></thead><tbody><tr><th scope="row"><b>x</b></th>'
                    '<td class="n">1</td></tr></tbody></table>')
    assert table(["A"], []) == "<p>None.</p>"


def test_partner_text_escaped_and_redacted(plan: Plan) -> None:
    text = "Ring Mrs Patel <b> on 0116 222 2222\nthen Victim First"
    assert partner_text(plan, redact=False)(text) == ("Ring Mrs Patel &lt;b&gt; on 0116 222 2222<br>"
                                                      "then Victim First")
    assert partner_text(plan, redact=True)(text) == ("Ring Mrs [name removed] &lt;b&gt; on [phone number removed]"
                                                     "<br>then Victim First")


def test_a_row_header_is_never_empty() -> None:
    html = table(["Action", "Partner"], [["", "Police"], ["Patrols", "Police"]], "t")
    assert re.findall(r'<th scope="row">([^<]*)</th>', html) == ["(blank)", "Patrols"]
