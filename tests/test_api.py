"""The public API: what `plan_workbook.__all__` declares, the README's Python example, and returns given as bytes
(an email attachment, an upload) rather than files."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from openpyxl import load_workbook

import plan_workbook as pw
from conftest import RA, MakeReturn, action
from corpus import _set_saved
from plan_workbook.plan import Plan

ROOT = Path(__file__).parent.parent


def test_everything_declared_is_there() -> None:
    assert [name for name in pw.__all__ if not hasattr(pw, name)] == []
    assert {"run_round", "check", "from_bytes", "Source", "Result"} <= set(pw.__all__)


def test_readme_python_example_runs(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## From Python"):readme.index("## How a return is read")]
    code = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert code is not None
    shutil.copytree(ROOT / "samples", tmp_path / "samples")
    done = subprocess.run([sys.executable, "-c", code.group(1)], cwd=tmp_path, capture_output=True, text=True,
                          check=False, env={**os.environ, "PYTHONPATH": str(ROOT / "tests")})
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "6 of 17 returns, 1 error(s)"
    assert "samples/returns/victim-first.xlsx Improving our Response E8 lead-unknown warning" in done.stdout
    assert "Leicester City Council Subject: LLR Hate Crime Delivery Plan 2021-23: 1 point(s) on your return" \
        in done.stdout
    assert sorted(p.name for p in tmp_path.glob("*.xlsx")) == ["summary.xlsx", "template.xlsx"]
    assert [p.name for p in (tmp_path / "feedback").iterdir()] == ["victim-first - feedback.xlsx"]


def test_feedback_from_bytes_needs_no_file(plan: Plan, make_return: MakeReturn, tmp_path: Path) -> None:
    path = make_return("emailed", "Melton", {RA: [action(status=None)]})
    data = path.read_bytes()
    path.unlink()  # nothing on disk: the return is only the bytes of an attachment
    result = pw.check(plan, [pw.from_bytes("emailed.xlsx", data, origin="email <1@example.org>")])
    assert [(p.file, p.cell, p.code) for p in result.problems] == [("emailed.xlsx", "G10", "status-missing")]
    written, failed = pw.feedback(result, tmp_path / "fb")
    assert (written, failed) == ([tmp_path / "fb" / "emailed - feedback.xlsx"], [])
    wb = load_workbook(written[0])
    assert wb.sheetnames[0] == "Feedback"
    assert wb[RA]["G10"].comment is not None
    # the corrected copy, sent back as bytes too, replaces the original without any option
    again = pw.check(plan, [pw.from_bytes("emailed.xlsx", data),
                            pw.from_bytes("emailed - feedback.xlsx", written[0].read_bytes())])
    assert [(p.file, p.code) for p in again.problems if p.code == "return-superseded"] == [
        ("emailed.xlsx", "return-superseded")]


def test_prefer_newest_from_bytes(plan: Plan, make_return: MakeReturn) -> None:
    first = make_return("first", "Charnwood", {RA: [action("first stall")]}).read_bytes()
    second = make_return("second", "Charnwood", {RA: [action("second stall")]}).read_bytes()
    early, late = datetime(2022, 3, 1, tzinfo=UTC), datetime(2022, 3, 2, tzinfo=UTC)

    def used(*sources: pw.Source) -> list[str]:
        result = pw.check(plan, list(sources), prefer="newest")
        return [a.values["action"] for a in result.actions]

    # the same time saved inside both workbooks: the one received last is used, whatever the order given
    assert used(pw.from_bytes("a.xlsx", first, received=late), pw.from_bytes("b.xlsx", second, received=early)) \
        == ["first stall"]
    assert used(pw.from_bytes("a.xlsx", first, received=early), pw.from_bytes("b.xlsx", second, received=late)) \
        == ["second stall"]


def test_prefer_newest_takes_the_time_saved_inside_first(plan: Plan, make_return: MakeReturn) -> None:
    older = make_return("older", "Charnwood", {RA: [action("older stall")]})
    newer = make_return("newer", "Charnwood", {RA: [action("newer stall")]})
    _set_saved(older, datetime(2022, 3, 30, 9, 0))
    _set_saved(newer, datetime(2022, 4, 2, 16, 30))
    received = datetime(2022, 4, 5, tzinfo=UTC)  # the older one arrived last: the workbook's own time wins
    result = pw.check(plan, [pw.from_bytes("older.xlsx", older.read_bytes(), received=received),
                             pw.from_bytes("newer.xlsx", newer.read_bytes())], prefer="newest")
    assert [a.values["action"] for a in result.actions] == ["newer stall"]


def test_the_catalogue_is_the_one_list_of_codes() -> None:
    from typing import get_args

    from plan_workbook.plan import ROLES
    from plan_workbook.problems import CATALOGUE, CODES, Code
    from plan_workbook.rules import RULE_CODES

    assert list(get_args(Code)) == list(CATALOGUE) == list(CODES)
    assert {e.column for e in CATALOGUE.values()} <= {"", *ROLES}
    assert all(CATALOGUE[code].column for code in RULE_CODES.values())  # a rule's problem points at its column's cell
    assert all(e.description.endswith(".") and "\n" not in e.description for e in CATALOGUE.values())


def test_every_output_shows_the_same_figures(plan: Plan, tmp_path: Path) -> None:
    """The headline figures are computed once (Result.figures); the summary sheet, the board page and the JSON
    show those, not figures of their own."""
    from datetime import date
    from html import escape

    from plan_workbook.outputs.report import build_report
    from plan_workbook.outputs.summary import write_summary

    sources, _ = pw.find_sources([ROOT / "samples" / "returns"])
    result = pw.check(plan, sources)
    f = result.figures
    assert sum(f.status.values()) == f.actions == len(result.actions)
    assert {k: sum(c[k] for c in f.by_priority.values()) for k in f.status} == f.status
    assert (result.summary()["status"], result.summary()["returns_received"]) == (f.status, f.returns_received)
    # counted in one pass: the same as counting each priority's and each partner's actions on their own
    assert f.by_priority == {p.title: result.status_counts([a for a in result.actions if a.row.priority == p.title])
                             for p in plan.priorities}
    assert f.by_partner == {p: result.status_counts([a for a in result.actions if a.partner == p])
                            if state in ("received", "nil") else None for p, state in result.partner_states.items()}
    assert f.status == result.status_counts(result.actions)
    assert len({str(c) for c in f.by_partner.values() if c}) > 1  # the samples' partners differ
    ws = load_workbook(write_summary(result, tmp_path / "s.xlsx", date(2022, 3, 31)))["Summary"]
    rows = {r[0]: list(r[1:len(f.status) + 1]) for r in ws.iter_rows(values_only=True) if r[0]}
    for title, counts in f.by_priority.items():
        assert rows[title] == list(counts.values())
    assert rows["All priorities"] == list(f.status.values())
    html = build_report(result, date(2022, 3, 31))
    for title, counts in f.by_priority.items():
        cells = "".join(f'<td class="n">{n}</td>' for n in counts.values())
        assert f'<tr><th scope="row">{escape(title)}</th>{cells}' in html
    received = re.search(r"<dt>Returns received</dt><dd>([^<]*)<", html)
    assert received is not None
    assert received.group(1) == f"{f.returns_received} of {f.returns_expected} expected"
