"""Roll-forward: next round's workbooks, pre-filled from last round's summary, that a partner can complete."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from conftest import IR, RA, SC, MakeReturn, action
from plan_workbook import layout as L
from plan_workbook.cli import main
from plan_workbook.merge import check_returns
from plan_workbook.outputs.template import carried_key
from plan_workbook.plan import ROLES, TEXT_ROLES, Plan
from plan_workbook.reading.reader import read_return

SAMPLES = Path(__file__).parent.parent / "samples" / "returns"
ROUND = "Q4 2021/22"


def cli(*args: str | Path) -> str:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 1), result.output
    return result.output


def roll(tmp_path: Path, *returns: Path) -> Path:
    """Merge the returns into a summary and roll it forward through the CLI; the folder of rolled workbooks."""
    rolled = tmp_path / "rolled"
    rolled.mkdir()
    cli("merge", *returns, "--out", tmp_path / "summary.xlsx", "--as-of", "2022-03-31")
    cli("roll-forward", tmp_path / "summary.xlsx", "--out-dir", rolled, "--round", ROUND)
    return rolled


@pytest.fixture(scope="module")
def rolled_samples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return roll(tmp_path_factory.mktemp("samples"), SAMPLES)


def rolled(folder: Path, partner: str) -> Path:
    return folder / f"{partner.lower().replace(' ', '-')}-q4-2021-22.xlsx"


def carried_rows(ws: Worksheet) -> list[int]:
    """Rows holding last round's status or update: the carried actions."""
    extra = len(ROLES) + 1
    return [r for r in range(L.FIRST_DATA_ROW, ws.max_row + 1)
            if ws.cell(r, extra).value is not None or ws.cell(r, extra + 1).value is not None]


def col(role: str) -> int:
    return ROLES.index(role) + 1


def test_carried_identity_is_locked_and_the_rest_is_input(rolled_samples: Path, plan: Plan) -> None:
    ws = load_workbook(rolled(rolled_samples, "Leicestershire Police"))[RA]
    rows = carried_rows(ws)
    assert len(rows) == 3
    for r in rows:
        assert [ws.cell(r, col(role)).protection.locked for role in ROLES] == [True] * 4 + [False] * 4
        assert ws.cell(r, col("lead")).value  # carried, and open to change
        assert ws.cell(r, col("status")).value is None  # this round's: to fill in
        assert ws.cell(r, len(ROLES) + 1).protection.locked  # last round's status: read-only
    def covers(ref: str, role: str) -> bool:
        top, bottom = ref.split(":")
        return top[0] == bottom[0] == chr(64 + col(role)) and int(top[1:]) <= rows[0] and rows[-1] <= int(bottom[1:])

    dv = {dv.formula1: str(dv.sqref) for dv in ws.data_validations.dataValidation}
    for name, role in (("Partners", "lead"), ("TimeFrames", "time_frame"), ("Statuses", "status")):
        assert covers(dv[name], role), name  # the same dropdowns as any input row
    for role in ("lead", "time_frame", "status", "update"):  # and the same highlights
        assert any(covers(str(cf.sqref), role) for cf in ws.conditional_formatting), role


def test_every_problem_on_a_carried_row_is_at_a_cell_the_partner_can_change(rolled_samples: Path,
                                                                              plan: Plan) -> None:
    # last round's mistakes come back: 'Victim Support' as a lead, 'Spring 2022' as a time frame, a row with no
    # action, and every carried status is blank
    result = check_returns(plan, sorted(rolled_samples.glob("*.xlsx")))
    codes = {p.code for p in result.problems}
    assert {"lead-unknown", "time-frame-unparsed", "action-missing", "status-missing"} <= codes
    books = {str(p): load_workbook(p) for p in rolled_samples.glob("*.xlsx")}
    for p in result.problems:
        assert p.cell, p
        assert not books[p.file][p.sheet][p.cell].protection.locked, (p.file, p.sheet, p.cell, p.code)


def test_a_partner_can_redate_and_reassign_a_carried_action(tmp_path: Path, plan: Plan) -> None:
    folder = roll(tmp_path, SAMPLES / "rutland-county-council.xlsx")
    path = rolled(folder, "Rutland County Council")
    wb = load_workbook(path)
    ws = wb[SC]
    (r,) = carried_rows(ws)
    assert ws.cell(r, col("time_frame")).value == "Spring 2022"  # not understood last round
    # Excel and LibreOffice refuse typing into locked cells (openpyxl does not): these must be open
    assert not any(ws.cell(r, col(role)).protection.locked for role in ("lead", "time_frame", "status", "update"))
    ws.cell(r, col("time_frame")).value = "Jun 22"
    ws.cell(r, col("lead")).value = "Rutland County Council"
    ws.cell(r, col("status")).value = "Amber"
    ws.cell(r, col("update")).value = "Pack ready; schools visits in June"
    (r,) = carried_rows(wb[IR])
    wb[IR].cell(r, col("status")).value = "Green"
    wb.save(path)
    ret = read_return(plan, path)
    result = check_returns(plan, [path])
    assert [(a.row.sheet, a.values["time_frame"], a.due) for a in result.actions if a.row.sheet == SC] == \
        [(SC, "Jun 22", date(2022, 6, 30))]
    assert not [p for p in result.problems if p.severity in ("error", "warning")], result.problems
    assert ret.partner == "Rutland County Council"


def test_carried_rows_have_heights_their_own_shading_and_a_key(rolled_samples: Path, plan: Plan) -> None:
    wb = load_workbook(rolled(rolled_samples, "Leicestershire Police"))
    for priority in plan.priorities:
        ws = wb[priority.sheet]
        key = ws.cell(L.KEY_ROW, col("action"))
        assert key.value == carried_key(plan)
        assert key.fill.fgColor.rgb[-6:] == L.CARRIED_FILL
        for r in carried_rows(ws):
            assert ws.cell(r, col("action")).fill.fgColor.rgb[-6:] == L.CARRIED_FILL != L.EXAMPLE_FILL
            longest = max(len(str(ws.cell(r, c).value or "")) for c in (col("action"), len(ROLES) + 2))
            assert ws.row_dimensions[r].height, f"{priority.sheet} row {r} has no height"
            assert ws.row_dimensions[r].height >= 15 * (longest // 60), f"{priority.sheet} row {r} is too short"
        heading = ws.cell(L.HEADER_ROW, len(ROLES) + 1)
        assert heading.value == L.CARRIED_HEADERS[0]
        assert ws.row_dimensions[L.HEADER_ROW].height  # the new headings wrap
    assert carried_rows(wb[RA])


def test_front_sheet_of_a_rolled_workbook_explains_the_round(rolled_samples: Path, plan: Plan) -> None:
    front = load_workbook(rolled(rolled_samples, "Victim First"))[L.FRONT_SHEET]
    rows = {r[0].value or "": [c.value for c in r[1:] if c.value] for r in front.iter_rows(max_col=3)}
    text = " ".join(str(c.value) for r in front.iter_rows() for c in r if c.value)
    assert rows["Reporting round"] == [ROUND]
    assert rows[L.PARTNER_LABEL][0] == "Victim First"
    assert carried_key(plan) in text
    assert "carried from last round" in text
    assert all(f"'{h}'" in text for h in L.CARRIED_HEADERS)  # what the Last round columns are
    # the partner cell is filled in and locked: no instruction to choose it
    assert front["B4"].protection.locked
    assert not any("choose your organisation" in str(c.value).casefold() for r in front.iter_rows() for c in r)


def test_an_adopted_example_is_not_shown_again(rolled_samples: Path, plan: Plan) -> None:
    path = rolled(rolled_samples, "Leicestershire Police")  # adopted the first two Raising Awareness examples
    ws = load_workbook(path)[RA]
    examples = plan.priorities[0].examples
    shown = [tuple(ws.cell(r, col(role)).value or "" for role in TEXT_ROLES)
             for r in range(L.FIRST_DATA_ROW, L.FIRST_DATA_ROW + len(examples))]
    adopted = [tuple(examples[i][role] for role in TEXT_ROLES) for i in (0, 1)]
    assert [row for row in shown if row in adopted] == adopted  # once each: the carried rows
    assert carried_rows(ws)[0] == L.FIRST_DATA_ROW + len(examples) - 2
    ret = read_return(plan, path)
    assert ret.examples_ignored == sum(len(p.examples) for p in plan.priorities) - 2
    assert [r.kind for r in ret.rows if r.sheet == RA] == ["adopted example", "adopted example", "new"]


def test_an_action_listed_twice_is_carried_once(tmp_path: Path, plan: Plan, make_return: MakeReturn) -> None:
    twice = make_return("twice", rows={RA: [action("Market stall"), action("Market  stall", status="Amber")]})
    folder = roll(tmp_path, twice)
    ws = load_workbook(rolled(folder, "Leicestershire Police"))[RA]
    assert [ws.cell(r, col("action")).value for r in carried_rows(ws)] == ["Market stall"]


def test_nil_return_row_is_kept_in_a_rolled_workbook(rolled_samples: Path) -> None:
    front = load_workbook(rolled(rolled_samples, "Victim First"))[L.FRONT_SHEET]
    assert (front["A5"].value, front["B5"].value, front["B5"].protection.locked) == (L.NIL_LABEL, None, False)


def test_a_partner_with_nothing_carried_gets_a_plain_template_for_the_round(rolled_samples: Path) -> None:
    wb = load_workbook(rolled(rolled_samples, "Blaby District Council"))  # sent no return last round
    text = " ".join(str(c.value) for ws in wb.worksheets for r in ws.iter_rows() for c in r if c.value)
    assert "carried from last round" not in text
    assert L.CARRIED_HEADERS[0] not in text
    assert wb[L.META_SHEET]["B5"].value == ROUND
