"""Stage 2: the template, read back with openpyxl and checked property by property."""

from __future__ import annotations

import re
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from plan_workbook import layout as L
from plan_workbook.cli import main
from plan_workbook.errors import UsageError
from plan_workbook.fill import fill_template
from plan_workbook.outputs.template import build_template, resolve_partner, time_frame_choices, write_template
from plan_workbook.plan import ROLES, Plan
from plan_workbook.reading.normalise import suggest_partners


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, plan: Plan) -> Path:
    return write_template(plan, tmp_path_factory.mktemp("t") / "template.xlsx")


def validations(ws: Worksheet) -> dict[str, tuple[str, str, bool]]:
    """sqref -> (formula1, errorStyle, showErrorMessage)"""
    return {str(dv.sqref): (dv.formula1, dv.errorStyle, dv.showErrorMessage)
            for dv in ws.data_validations.dataValidation}


def test_sheets_in_order_with_hidden_lists_and_meta(template: Path, plan: Plan) -> None:
    wb = load_workbook(template)
    assert wb.sheetnames == ["Front", "Raising Awareness", "Improving our Response", "Strengthening Communities",
                             "Lists", "_meta"]
    assert [wb[n].sheet_state for n in wb.sheetnames] == ["visible"] * 4 + ["hidden"] * 2
    assert wb.security is not None
    assert wb.security.lockStructure
    assert all(wb[n].protection.sheet for n in wb.sheetnames)
    meta = {r[0]: r[1] for r in wb["_meta"].iter_rows(values_only=True)}
    assert meta == {"plan_id": plan.id, "plan_version": plan.version, "template_version": L.TEMPLATE_VERSION,
                    "partner": None, "round": None}


def test_priority_sheet_layout_and_example_rows(template: Path, plan: Plan) -> None:
    wb = load_workbook(template)
    for priority in plan.priorities:
        ws = wb[priority.sheet]
        assert ws["A1"].value == priority.title
        assert [c.value for c in ws[L.HEADER_ROW]] == [c.header for c in plan.columns] + [L.CHECK_HEADER]
        assert ws["A3"].value == "Strategic Priority"  # one spelling on every sheet
        assert ws[L.GUIDANCE_ROW][1].value == "Overall intention (what) is hoped to be achieved"
        for i, example in enumerate(priority.examples):
            row = ws[L.FIRST_DATA_ROW + i]
            assert [c.value or "" for c in row[:8]] == [example[r] for r in ROLES]
            assert {c.fill.fgColor.rgb for c in row[:8]} == {"00" + L.EXAMPLE_FILL}
            assert not any(c.protection.locked for c in row[:8])
        last = L.FIRST_DATA_ROW + len(priority.examples) + plan.input_rows - 1
        first_input = ws[L.FIRST_DATA_ROW + len(priority.examples)]
        assert all(c.value is None and not c.protection.locked for c in first_input[:8])
        assert first_input[0].fill.fill_type is None
        assert not ws.cell(last, 8).protection.locked
        assert ws.cell(last + 1, 1).protection.locked  # below the input area: locked
        assert ws.cell(L.FIRST_DATA_ROW, 9).protection.locked  # right of it: locked, the template's own check
        assert str(ws.cell(last, 9).value).startswith("='Lists'!")
        assert ws.cell(last + 1, 9).value is None
        assert all(c.protection.locked for c in ws[L.HEADER_ROW])
        assert ws.freeze_panes == "A4"
        assert ws.print_title_rows == "$3:$3"
        assert ws.page_setup.orientation == "landscape"
        assert ws.page_setup.fitToWidth == 1
        assert ws.cell(last, ROLES.index("time_frame") + 1).number_format == "@"


def test_dropdowns_come_from_the_hidden_lists_sheet(template: Path, plan: Plan) -> None:
    wb = load_workbook(template)
    ws = wb["Raising Awareness"]
    n = len(plan.priorities[0].examples) + plan.input_rows
    end = L.FIRST_DATA_ROW + n - 1
    assert validations(ws) == {
        f"G5:G{end}": ("Statuses", "stop", True),
        f"E5:E{end}": ("Partners", "warning", True),
        f"F5:F{end}": ("TimeFrames", "warning", True),
        f"A5:A{end}": ("Themes1", "warning", True),
    }
    lists = wb["Lists"]
    names = {name: dn.attr_text for name, dn in wb.defined_names.items()}
    assert names["Statuses"] == f"'Lists'!$C$2:$C${1 + len(plan.statuses)}"
    assert [c.value for c in lists["C"][1:] if c.value] == plan.status_names
    partners = [c.value for c in lists["A"][1:] if c.value]
    assert partners == plan.partner_names
    assert len(",".join(partners)) > 255  # why it cannot be an inline list
    times = [c.value for c in lists["D"][1:] if c.value]
    assert times == time_frame_choices(plan)
    assert (times[0], times[-2], times[-1]) == ("Apr 21", "Mar 23", "Ongoing")
    front = validations(wb["Front"])
    assert front == {"B4": ("Organisations", "stop", True), "B5": (f'"{L.NIL_YES}"', "stop", True)}
    assert wb["Front"]["A4"].value == L.PARTNER_LABEL
    assert not wb["Front"]["B4"].protection.locked


def test_status_colours_and_missing_field_highlights(template: Path, plan: Plan) -> None:
    ws = load_workbook(template)["Raising Awareness"]
    rules = {str(cf.sqref): [(r.type, r.formula, r.dxf.fill.fgColor.rgb if r.dxf and r.dxf.fill else None)
                             for r in cf.rules] for cf in ws.conditional_formatting}
    end = L.FIRST_DATA_ROW + len(plan.priorities[0].examples) + plan.input_rows - 1
    status = rules.pop(f"G5:G{end}")
    assert [(t, f) for t, f, _ in status[:3]] == [("cellIs", ['"Red"']), ("cellIs", ['"Amber"']),
                                                  ("cellIs", ['"Green"'])]
    assert {str(fill)[-6:] for *_, fill in status[:3]} == {"FFC7CE", "FFEB9C", "C6EFCE"}
    rules[f"G5:G{end}"] = status[3:]
    flagged = {ref[0]: [(f, str(fill)[-6:]) for _, f, fill in r] for ref, r in rules.items()}
    # every cell behind a count, in the error or the warning colour, from the template's own checks
    assert sorted(flagged) == ["D", "E", "F", "G", "H"]
    for col, found in flagged.items():
        assert [fill for _, fill in found] == [L.MISSING_FILL, L.CHECK_WARNING_FILL], col
        assert all(f[0].startswith("'Lists'!$") and f[0].endswith(("5=2", "5=1")) for f, _ in found), found


def test_front_sheet(template: Path, plan: Plan) -> None:
    ws = load_workbook(template)["Front"]
    values = [c.value for row in ws.iter_rows() for c in row if c.value]
    assert plan.title in values
    assert "April 2021 to March 2023" in values
    assert plan.key in values
    assert "Return by" not in values  # the LLR plan gives no return date


def test_personalised_template_locks_the_partner(tmp_path: Path, plan: Plan) -> None:
    path = write_template(plan, tmp_path / "p.xlsx", partner="police")
    wb = load_workbook(path)
    assert wb["Front"]["B4"].value == "Leicestershire Police"
    assert wb["Front"]["B4"].protection.locked
    assert validations(wb["Front"]) == {"B5": (f'"{L.NIL_YES}"', "stop", True)}  # only the nil return
    assert wb["_meta"]["B4"].value == "Leicestershire Police"
    text = " ".join(str(c.value) for row in wb["Front"].iter_rows() for c in row if c.value)
    assert "choose your organisation" not in text.casefold()  # the cell is filled in and locked


def test_unknown_partner_suggests_close_names(plan: Plan) -> None:
    with pytest.raises(UsageError, match="Did you mean: Leicestershire Police"):
        resolve_partner(plan, "Leicestershire Polise")


def test_password_is_hashed_never_written(tmp_path: Path, plan: Plan) -> None:
    secret = "S3cret-Pa55"
    path = write_template(plan, tmp_path / "p.xlsx", password=secret)
    with zipfile.ZipFile(path) as z:
        blob = b"".join(z.read(n) for n in z.namelist())
    assert secret.encode() not in blob
    wb = load_workbook(path)
    assert wb["Raising Awareness"].protection.password  # the legacy hash
    assert wb.security is not None
    assert wb.security.workbookPassword


def test_build_is_deterministic(tmp_path: Path, plan: Plan) -> None:
    a = write_template(plan, tmp_path / "a.xlsx", partner="Victim First")
    b = write_template(plan, tmp_path / "b.xlsx", partner="Victim First")
    assert a.read_bytes() == b.read_bytes()


def test_no_validation_text_exceeds_excel_limits(plan: Plan) -> None:
    wb = build_template(plan)
    for ws in wb.worksheets:
        for dv in ws.data_validations.dataValidation:
            assert len(dv.prompt or "") <= 255
            assert len(dv.error or "") <= 224
            assert len(dv.errorTitle or "") <= 32
            assert len(dv.promptTitle or "") <= 32


def test_cli_build_variants(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "t.xlsx"
    assert runner.invoke(main, ["build", "--out", str(out)]).exit_code == 0
    assert load_workbook(out)["Front"]["B4"].value is None
    r = runner.invoke(main, ["build", "--partner", "Polise", "--out", str(tmp_path / "x.xlsx")])
    assert r.exit_code == 2
    assert "Did you mean" in r.output
    assert "Traceback" not in r.output
    r = runner.invoke(main, ["build", "--all-partners", "--out-dir", str(tmp_path)])
    assert r.exit_code == 0, r.output
    made = sorted(p.name for p in tmp_path.glob("template-*.xlsx"))
    assert len(made) == 17
    assert "template-victim-first.xlsx" in made
    r = runner.invoke(main, ["build", "--out", str(tmp_path / "missing" / "t.xlsx")])
    assert r.exit_code == 2
    assert "does not exist" in r.output


def rules_by_range(ws: Worksheet) -> dict[str, list[tuple[str, list[str]]]]:
    return {str(cf.sqref): [(r.type, r.formula) for r in cf.rules] for cf in ws.conditional_formatting}


def flag_formula(wb: Workbook, role: str) -> str:
    """The Lists sheet's formula for the first Raising Awareness row's flag on `role`, with its status
    cell written as S."""
    lists = wb[L.LISTS_SHEET]
    col = next(c.column for c in lists[3] if c.value == f"flag_{role}")
    status = next(c.column_letter for c in lists[3] if c.value == "status")
    return str(lists.cell(L.FIRST_DATA_ROW, col).value).replace(f"{status}{L.FIRST_DATA_ROW}", "S")


def test_update_rule_follows_the_plan_statuses(plan: Plan) -> None:
    assert [s.name for s in plan.statuses if s.update_required] == ["Red", "Amber"]
    assert ",OR(S=1,S=2)," in flag_formula(build_template(plan), "update")
    statuses = tuple(replace(s, update_required=s.name == "Green") for s in plan.statuses)
    assert ",OR(S=3)," in flag_formula(build_template(replace(plan, statuses=statuses)), "update")
    none = tuple(replace(s, update_required=False) for s in plan.statuses)
    assert ",FALSE," in flag_formula(build_template(replace(plan, statuses=none)), "update")


def test_checks_use_no_volatile_functions_or_links(template: Path, plan: Plan) -> None:
    """Formulas Excel 2016 and LibreOffice 7 both calculate, none recalculated on every change, none longer
    than Excel allows, and links only inside the workbook."""
    wb = load_workbook(template)
    formulas = [str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row
                if isinstance(c.value, str) and c.value.startswith("=")]
    assert len(formulas) > 1000
    text = "\n".join(formulas)
    for banned in ("INDIRECT(", "OFFSET(", "TODAY(", "NOW(", "RAND(", "CELL(", "INFO(", "TEXTJOIN(", "CONCAT(",
                   "FILTER(", "LET(", "LAMBDA(", "[", "://"):
        assert banned not in text, banned
    assert max(len(f) for f in formulas) < 8192
    assert set(re.findall(r"_xlfn\.(\w+)", text)) == {"UNICHAR"}  # 2013, in both
    links = re.findall(r'HYPERLINK\("([^"]*)"', text)
    assert links == [f"#'{p.sheet}'!I3" for p in plan.priorities]
    front = wb[L.FRONT_SHEET]
    (row,) = [c.row for c in front["A"] if c.value == L.PANEL_LABEL]
    assert str(front.cell(row, 2).value).startswith("=IF(")


def test_one_named_font_everywhere(template: Path) -> None:
    wb = load_workbook(template)
    assert wb._named_styles["Normal"].font.name == L.FONT_NAME
    assert wb._fonts[0].name == L.FONT_NAME  # what unstyled cells show
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.font.name == L.FONT_NAME, f"{ws.title}!{c.coordinate}"


def test_input_area_has_light_borders(template: Path, plan: Plan) -> None:
    ws = load_workbook(template)["Raising Awareness"]
    last = L.FIRST_DATA_ROW + len(plan.priorities[0].examples) + plan.input_rows - 1
    for r in (L.FIRST_DATA_ROW, L.FIRST_DATA_ROW + len(plan.priorities[0].examples), last):
        for c in ws[r][:8]:
            sides = (c.border.left, c.border.right, c.border.top, c.border.bottom)
            assert {(s.style, s.color.rgb[-6:]) for s in sides} == {("thin", L.BORDER_COLOUR)}, c.coordinate
    assert ws.cell(last + 1, 1).border.left.style is None  # only the input area


def test_nil_return_row_below_the_partner(template: Path, tmp_path: Path, plan: Plan) -> None:
    for path in (template, write_template(plan, tmp_path / "p.xlsx", partner="Victim First")):
        front = load_workbook(path)["Front"]
        assert (front["A4"].value, front["A5"].value) == (L.PARTNER_LABEL, L.NIL_LABEL)
        assert front["B5"].value is None
        assert not front["B5"].protection.locked
        (dv,) = [dv for dv in front.data_validations.dataValidation if str(dv.sqref) == "B5"]
        assert (dv.type, dv.formula1, dv.errorStyle, dv.showErrorMessage) == ("list", f'"{L.NIL_YES}"', "stop", True)
        assert L.NIL_YES in str(front["C5"].value)  # the short instruction beside it
        assert front["A5"].protection.locked
    filled = fill_template(plan, "Victim First", nil=True)[L.FRONT_SHEET]
    assert (filled[L.NIL_CELL].coordinate, filled[L.NIL_CELL].value) == ("B5", L.NIL_YES)


@pytest.mark.parametrize(("typed", "resolved"), [("police", "Leicestershire Police"),
                                                 ("  LEICESTERSHIRE   police ", "Leicestershire Police"),
                                                 ("lp", "Leicestershire Police"),
                                                 ("Fire  Service", "Leicestershire Fire and Rescue Service")])
def test_partner_by_name_or_alias_in_any_case_and_spacing(plan: Plan, typed: str, resolved: str) -> None:
    assert resolve_partner(plan, typed) == resolved


def test_mistyped_partner_suggestions_use_initials_and_aliases(plan: Plan) -> None:
    assert suggest_partners(plan, "LCC")[0] == "Leicester City Council"
    assert "Rutland County Council" not in suggest_partners(plan, "LCC")
    assert suggest_partners(plan, "L.F.R.S") == ["Leicestershire Fire and Rescue Service"]
    assert suggest_partners(plan, "Victim Frist") == ["Victim First"]
    assert suggest_partners(plan, "Charnwod")[0] == "Charnwood Borough Council"  # by its alias 'Charnwood'
    with pytest.raises(UsageError, match="Did you mean: Leicester City Council"):
        resolve_partner(plan, "LCC")
    with pytest.raises(UsageError, match="All partners is a lead only"):
        resolve_partner(plan, "all")  # listed by `plan-workbook partners`, but sends no return


def test_cli_build_echoes_the_resolved_partner(tmp_path: Path) -> None:
    r = CliRunner().invoke(main, ["build", "--partner", "leics  POLICE", "--out", str(tmp_path / "p.xlsx")])
    assert r.exit_code == 0, r.output
    assert r.output.strip() == f"Wrote the LLR Hate Crime Delivery Plan 2021-23 template for Leicestershire Police " \
                               f"to {tmp_path / 'p.xlsx'}"
