"""The history's CSV export cannot run a partner's text as a formula; the JSON keeps it exactly."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from plan_workbook.store.export import table_bytes

ROWS: list[dict[str, Any]] = [{"action": "=HYPERLINK(\"http://x\",\"y\")", "n": -3}, {"action": "+44 116 000", "n": 2},
        {"action": "-", "n": None}, {"action": "@SUM(A1)", "n": 0}, {"action": "Plain - text", "n": 1}]


def test_csv_text_that_would_be_a_formula_gets_an_apostrophe() -> None:
    text = table_bytes(ROWS, ["action", "n"], "csv").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["action", "n"]
    assert [r[0] for r in rows[1:]] == ["'=HYPERLINK(\"http://x\",\"y\")", "'+44 116 000", "'-", "'@SUM(A1)",
                                        "Plain - text"]
    assert [r[1] for r in rows[1:]] == ["-3", "2", "", "0", "1"]  # numbers stay numbers


def test_json_keeps_the_text_exactly() -> None:
    assert json.loads(table_bytes(ROWS, ["action", "n"], "json")) == ROWS
