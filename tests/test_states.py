"""Where each return and each partner stands: received, nil, empty, unreadable, rejected, superseded, skipped."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner
from openpyxl import load_workbook

from conftest import RA, MakeReturn, action
from plan_workbook import layout as L
from plan_workbook.cli import main
from plan_workbook.merge import check_returns
from plan_workbook.plan import Plan

CORPUS = Path(__file__).parent / "data" / "corpus"


def say_nil(path: Path, answer: str = L.NIL_YES) -> Path:
    """Answer the Front sheet's 'nothing to report' question, as a partner would."""
    wb = load_workbook(path)
    ws = wb[L.FRONT_SHEET]
    row = next((c.row for c in ws["A"] if c.value == L.NIL_LABEL), None)
    if row is None:  # a template from before the question existed
        row = ws.max_row + 1
        ws.cell(row, 1, L.NIL_LABEL)
    ws.cell(row, 2, answer)
    wb.save(path)
    return path


def merge_json(*args: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    result = CliRunner().invoke(main, ["validate", "--format", "json", *args])
    assert "Traceback" not in result.output, result.output
    return result.exit_code, json.loads(result.output)


def test_nil_empty_and_received_are_told_apart(plan: Plan, make_return: MakeReturn, tmp_path: Path) -> None:
    make_return("police", "Leicestershire Police", {RA: [action()]})
    say_nil(make_return("vf", "Victim First"))
    make_return("melton", "Melton Borough Council")  # the personalised template sent back blank
    code, data = merge_json(str(tmp_path / "returns"))
    assert code == 0
    states = {p["partner"]: (p["state"], p["outstanding"]) for p in data["partners"]}
    assert states["Leicestershire Police"] == ("received", [])
    assert states["Victim First"] == ("nil", [])
    assert states["Melton Borough Council"] == (
        "empty", ["return has no actions (fill it in, or say there is nothing to report)"])
    assert states["Rutland County Council"] == ("missing", ["no return received"])
    summary = data["summary"]
    assert summary["returns_received"] == 2  # police and the nil return; the blank one is not a return
    assert summary["nil_returns"] == ["Victim First"]
    assert summary["empty"] == ["Melton Borough Council"]
    assert "Melton Borough Council" not in summary["missing"]
    files = {Path(f["file"]).stem: f["state"] for f in data["files"]}
    assert files == {"police": "received", "vf": "nil", "melton": "empty"}
    codes = {(Path(p["file"]).stem, p["code"], p["severity"]) for p in data["problems"]}
    assert ("vf", "nil-return", "note") in codes
    assert ("melton", "return-empty", "warning") in codes


def test_a_nil_return_with_actions_has_its_actions_read(plan: Plan, make_return: MakeReturn) -> None:
    path = say_nil(make_return("vf", "Victim First", {RA: [action()]}))
    result = check_returns(plan, [path])
    assert len(result.actions) == 1
    assert result.partner_states["Victim First"] == "received"
    assert [p.code for p in result.problems] == ["nil-return"]


def test_a_partner_whose_only_file_cannot_be_read_is_chased_for_that_file(plan: Plan, tmp_path: Path) -> None:
    folder = tmp_path / "returns"
    folder.mkdir()
    shutil.copyfile(CORPUS / "legacy.xls", folder / "victim-first-q3.xls")
    code, data = merge_json(str(folder))
    assert code == 1
    states = {p["partner"]: (p["state"], p["outstanding"]) for p in data["partners"]}
    assert states["Victim First"] == ("unreadable", ["return could not be read (victim-first-q3.xls)"])
    assert "Victim First" not in data["summary"]["missing"]
    assert data["files"][0]["partner"] == "Victim First"


def test_the_tools_own_summary_in_the_returns_folder_is_skipped(make_return: MakeReturn, tmp_path: Path) -> None:
    make_return("police", "Leicestershire Police", {RA: [action()]})
    folder = tmp_path / "returns"
    first = CliRunner().invoke(main, ["merge", str(folder), "--out", str(folder / "summary.xlsx"),
                                      "--report", str(folder / "board.html")])
    assert first.exit_code == 0, first.output
    again = CliRunner().invoke(main, ["merge", str(folder), "--out", str(tmp_path / "again.xlsx"), "--format", "json"])
    assert again.exit_code == 0, again.output
    data = json.loads(again.output)
    assert [Path(f["file"]).name for f in data["files"]] == ["police.xlsx"]
    assert [(Path(p["file"]).name, p["code"]) for p in data["problems"]] == [
        ("board.html", "own-output-skipped"), ("summary.xlsx", "own-output-skipped")]


def test_a_corrected_feedback_copy_replaces_its_original(plan: Plan, make_return: MakeReturn, tmp_path: Path) -> None:
    import hashlib

    original = make_return("vf", "Victim First", {RA: [action("Stall", status=None)]})
    wb = load_workbook(original)
    wb[RA]["G10"] = "Green"  # the partner fixes the error in the copy
    meta = wb[L.META_SHEET]
    meta.append([L.FEEDBACK_OF, hashlib.sha256(original.read_bytes()).hexdigest()])
    corrected = original.with_name("vf - feedback.xlsx")
    wb.save(corrected)
    result = check_returns(plan, [original, corrected])
    assert [result.return_state(r) for r in result.returns] == ["superseded", "received"]
    assert [(Path(p.file).name, p.code) for p in result.problems] == [("vf.xlsx", "return-superseded")]
    assert [a.status for a in result.actions] == ["Green"]
