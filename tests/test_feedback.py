"""Issue 6, feedback to partners: a marked-up copy of each return that merges cleanly once fixed."""

from __future__ import annotations

import hashlib
from pathlib import Path

from click.testing import CliRunner
from openpyxl import load_workbook

from conftest import RA, MakeReturn, action
from plan_workbook import layout as L
from plan_workbook.cli import main
from plan_workbook.merge import check_returns
from plan_workbook.plan import Plan


def test_feedback_copy_marks_problems_and_merges_once_fixed(plan: Plan, make_return: MakeReturn,
                                                           tmp_path: Path) -> None:
    bad = make_return("vf", "Victim First",
                      {RA: [action("Drop-in", status=None), action("Stall", lead="Victim Support")]})
    clean = make_return("police", "Leicestershire Police", {RA: [action()]})
    before = hashlib.sha256(bad.read_bytes()).hexdigest()
    out = tmp_path / "feedback"
    out.mkdir()
    result = CliRunner().invoke(main, ["feedback", str(bad), str(clean), "--out-dir", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [f"Wrote 1 feedback workbook(s) to {out}", "  vf - feedback.xlsx"]
    assert hashlib.sha256(bad.read_bytes()).hexdigest() == before  # the partner's file is untouched

    copy = out / "vf - feedback.xlsx"
    wb = load_workbook(copy)
    assert wb.sheetnames == [L.FEEDBACK_SHEET, *load_workbook(bad).sheetnames]
    listing = wb[L.FEEDBACK_SHEET]
    rows = [(r[0].value, r[1].value, r[2].value, r[1].hyperlink.location if r[1].hyperlink else None)
            for r in listing.iter_rows(min_row=5)]
    assert rows == [(RA, "G10", "error", f"'{RA}'!G10"), (RA, "E11", "warning", f"'{RA}'!E11")]
    ws = wb[RA]
    assert ws["G10"].fill.fgColor.rgb == "00FFC000"
    assert "has no Status (RAG)" in ws["G10"].comment.text
    assert "'Victim Support'" in ws["E11"].comment.text
    original = load_workbook(bad)
    for name in (p.sheet for p in plan.priorities):  # the template's protection and dropdowns are kept
        assert wb[name].protection.sheet
        assert len(wb[name].data_validations.dataValidation) == len(original[name].data_validations.dataValidation)
    assert [c.value for c in wb[L.META_SHEET]["B"]] == [c.value for c in original[L.META_SHEET]["B"]]

    # the partner fixes the copy and sends it back: it merges with no problem at all
    ws["G10"] = "Green"
    ws["E11"] = "Victim First"
    wb.save(copy)
    again = check_returns(plan, [copy])
    assert again.problems == []
    assert [a.values["action"] for a in again.actions] == ["Drop-in", "Stall"]
