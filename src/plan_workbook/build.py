"""Stage 2: build the locked Excel template from a plan."""

from __future__ import annotations

import re
from pathlib import Path

from openpyxl import Workbook
from openpyxl.formatting.rule import CellIsRule, FormulaRule
from openpyxl.styles import Font, Protection
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.protection import SheetProtection
from openpyxl.worksheet.worksheet import Worksheet

from . import layout as L
from .errors import UsageError
from .normalise import suggest_partners
from .plan import ROLES, Plan, Priority, partner_named
from .xlsx import BOLD, WRAP, fit_row_heights, header, print_setup, put, save, solid

UNLOCKED = Protection(locked=False)


def build_template(plan: Plan, partner: str | None = None, password: str | None = None,
                   round_name: str = "") -> Workbook:
    """The template as an openpyxl Workbook; `partner` personalises it; `round_name` names the reporting round."""
    if partner is not None:
        partner = resolve_partner(plan, partner)
    wb = Workbook()
    front = wb.active
    assert front is not None
    front.title = L.FRONT_SHEET
    lists = _lists_sheet(wb, plan)
    _front_sheet(front, plan, partner, round_name)
    for i, priority in enumerate(plan.priorities, 1):
        _priority_sheet(wb.create_sheet(priority.sheet), plan, priority, themes_name=f"Themes{i}")
    wb.move_sheet(lists, offset=len(wb.sheetnames))
    _meta_sheet(wb.create_sheet(L.META_SHEET), plan, partner, round_name)
    for ws in wb.worksheets:
        ws.protection = SheetProtection(sheet=True, formatColumns=False, formatRows=False)
        if password:
            ws.protection.password = password  # openpyxl stores only the hash
    wb.security = WorkbookProtection(lockStructure=True)
    if password:
        wb.security.workbookPassword = password
    wb.active = 0
    return wb


def write_template(plan: Plan, out: Path, partner: str | None = None, password: str | None = None) -> Path:
    save(build_template(plan, partner, password), out)
    return out


def write_all_partners(plan: Plan, out_dir: Path, password: str | None = None) -> list[Path]:
    paths = []
    for name in plan.returning_partners:
        path = Path(out_dir) / f"template-{slug(name)}.xlsx"
        paths.append(write_template(plan, path, name, password))
    return paths


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def resolve_partner(plan: Plan, name: str) -> str:
    """The plan's name for a returning partner, by name or alias; UsageError suggests close names."""
    found = partner_named(plan, name)
    if found:
        return found
    close = suggest_partners(plan, name)
    hint = f" Did you mean: {', '.join(close)}?" if close else ""
    raise UsageError(f"{name!r} is not a partner in the plan.{hint} "
                     "Use `plan-workbook partners` to list them.")


def period_text(plan: Plan) -> str:
    return f"{plan.period_start:%B %Y} to {plan.period_end:%B %Y}"


def time_frame_choices(plan: Plan) -> list[str]:
    return [f"{m:%b %y}" for m in plan.months()] + ["Ongoing"]


def _lists_sheet(wb: Workbook, plan: Plan) -> Worksheet:
    ws = wb.create_sheet(L.LISTS_SHEET)
    ws.sheet_state = "hidden"
    columns: list[tuple[str, list[str]]] = [
        ("Partners", plan.partner_names),
        ("Organisations", plan.returning_partners),
        ("Statuses", plan.status_names),
        ("TimeFrames", time_frame_choices(plan)),
    ]
    columns += [(f"Themes{i}", list(p.themes)) for i, p in enumerate(plan.priorities, 1)]
    for col, (name, values) in enumerate(columns, 1):
        letter = get_column_letter(col)
        put(ws.cell(1, col), name)
        for row, value in enumerate(values, 2):
            put(ws.cell(row, col), value)
        if values:
            ref = f"{quote_sheetname(L.LISTS_SHEET)}!${letter}$2:${letter}${len(values) + 1}"
            wb.defined_names[name] = DefinedName(name, attr_text=ref)
        ws.column_dimensions[letter].width = 40
    return ws


def _list_validation(source: str, strict: bool, title: str, prompt: str, error: str) -> DataValidation:
    # Excel rejects longer texts with a repair prompt; openpyxl does not check them.
    assert len(title) <= 32, title
    assert len(prompt) <= 255, prompt
    assert len(error) <= 224, error
    return DataValidation(
        type="list", formula1=source, allow_blank=True,
        showErrorMessage=True, errorStyle="stop" if strict else "warning",
        showInputMessage=True, promptTitle=title, prompt=prompt,
        errorTitle=title, error=error,
    )


def _front_sheet(ws: Worksheet, plan: Plan, partner: str | None, round_name: str) -> None:
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 90
    put(ws["A1"], plan.title)
    ws["A1"].font = Font(bold=True, size=16)
    put(ws["A2"], plan.partnership)
    rows: list[tuple[str, str]] = [(L.PARTNER_LABEL, partner or ""), ("Plan period", period_text(plan))]
    if round_name:
        rows.append(("Reporting round", round_name))
    if plan.return_date:
        rows.append(("Return by", plan.return_date))
    if plan.contact:
        rows.append(("Contact", plan.contact))
    rows.append(("", ""))
    rows.append(("Key", plan.key))
    rows += [("How to fill in" if i == 0 else "", line) for i, line in enumerate(plan.instructions)]
    rows.append(("", ""))
    rows += [(plan.column("status").header if i == 0 else "", f"{s.name}: {s.meaning}" if s.meaning else s.name)
             for i, s in enumerate(plan.statuses)]
    for r, (label, value) in enumerate(rows, 4):
        put(ws.cell(r, 1), label)
        ws.cell(r, 1).font = BOLD
        put(ws.cell(r, 2), value)
        ws.cell(r, 2).alignment = WRAP
    partner_cell = ws["B4"]
    partner_cell.fill = solid(L.INPUT_FILL)
    if partner is None:
        partner_cell.protection = UNLOCKED
        dv = _list_validation("Organisations", True, "Partner organisation",
                              "Choose your organisation from the list.",
                              "Choose your organisation from the list. If it is missing, ask the coordinator.")
        dv.add("B4")
        ws.add_data_validation(dv)
    fit_row_heights(ws)
    print_setup(ws, marking=plan.marking)
    key_row = 4 + next(i for i, (label, _) in enumerate(rows) if label == "Key")
    ws.cell(key_row, 2).fill = solid(L.EXAMPLE_FILL)
    for i, s in enumerate(plan.statuses):
        c = ws.cell(len(rows) + 4 - len(plan.statuses) + i, 2)
        c.fill = solid(s.fill)
        c.font = Font(color=s.font)


def _priority_sheet(ws: Worksheet, plan: Plan, priority: Priority, themes_name: str) -> None:
    put(ws.cell(L.TITLE_ROW, 1), priority.title)
    ws.cell(L.TITLE_ROW, 1).font = Font(bold=True, size=14)
    put(ws.cell(L.KEY_ROW, 1), f"Key: {plan.key}")
    ws.cell(L.KEY_ROW, 1).font = Font(italic=True)
    for col, c in enumerate(plan.columns, 1):
        ws.column_dimensions[get_column_letter(col)].width = c.width
        header(ws.cell(L.HEADER_ROW, col), c.header)
        guide = ws.cell(L.GUIDANCE_ROW, col)
        put(guide, c.guidance)
        guide.font = Font(italic=True, color="595959")
        guide.alignment = WRAP

    first = L.FIRST_DATA_ROW
    last = first + len(priority.examples) + plan.input_rows - 1
    grey = solid(L.EXAMPLE_FILL)
    time_col = ROLES.index("time_frame") + 1
    for r in range(first, last + 1):
        example = priority.examples[r - first] if r - first < len(priority.examples) else None
        for col, role in enumerate(ROLES, 1):
            cell = ws.cell(r, col)
            if example is not None and example[role]:
                put(cell, example[role])
            cell.protection = UNLOCKED
            cell.alignment = WRAP
            if example is not None:
                cell.fill = grey
            if col == time_col:
                cell.number_format = "@"  # keep "Oct 21" as typed: Excel would turn it into a date

    def col_range(role: str) -> str:
        letter = get_column_letter(ROLES.index(role) + 1)
        return f"{letter}{first}:{letter}{last}"

    names = ", ".join(plan.status_names)
    y = plan.period_start.year
    quarter = f"Q3 {y}/{(y + 1) % 100:02d}"
    dropdowns = [  # (role, list name, strict, prompt, error)
        ("status", "Statuses", True, f"Choose one of: {names}.", f"The status must be one of: {names}."),
        ("lead", "Partners", False, "Choose the lead partner. For a joint lead, separate partners with /.",
         "This lead is not in the list. Keep it only for a joint lead such as 'A / B'."),
        ("time_frame", "TimeFrames", False,
         f"Choose the month it is due, or Ongoing. A quarter ({quarter}) also works.",
         "Not a month from the list. Keep it only if it is a quarter or a financial year."),
    ]
    if priority.themes:
        dropdowns.append(("theme", themes_name, False, "Choose a theme of this priority or type your own.",
                          "Not one of this priority's themes. Keep it if you mean a new theme."))
    validations = [(role, _list_validation(source, strict, plan.column(role).header[:32], prompt[:255], error[:224]))
                   for role, source, strict, prompt, error in dropdowns]
    for role, dv in validations:
        dv.add(col_range(role))
        ws.add_data_validation(dv)

    status_range = col_range("status")
    for s in plan.statuses:
        word = s.name.replace('"', '""')
        ws.conditional_formatting.add(status_range, CellIsRule(
            operator="equal", formula=[f'"{word}"'], fill=solid(s.fill), font=Font(color=s.font)))
    # Highlight a missing Lead, Time Frame or Status once a row is started: an input row when its
    # Action is typed; an example row (whose Action is printed) once a Status is chosen for it.
    action = get_column_letter(ROLES.index("action") + 1)
    status_col = get_column_letter(ROLES.index("status") + 1)
    input_first = first + len(priority.examples)
    for role in ("lead", "time_frame", "status"):
        letter = get_column_letter(ROLES.index(role) + 1)
        blocks = [(input_first, last, f"LEN(TRIM(${action}{input_first}))>0")]
        if priority.examples:
            blocks.append((first, input_first - 1,
                           f"LEN(TRIM(${action}{first}))>0,LEN(TRIM(${status_col}{first}))>0"))
        for top, bottom, started in blocks:
            ws.conditional_formatting.add(f"{letter}{top}:{letter}{bottom}", FormulaRule(
                formula=[f"AND({started},LEN(TRIM({letter}{top}))=0)"], fill=solid(L.MISSING_FILL)))

    ws.freeze_panes = ws.cell(L.HEADER_ROW + 1, 1)
    fit_row_heights(ws, range(L.HEADER_ROW, first + len(priority.examples)))
    print_setup(ws, f"{L.HEADER_ROW}:{L.HEADER_ROW}", plan.marking)


def _meta_sheet(ws: Worksheet, plan: Plan, partner: str | None, round_name: str) -> None:
    ws.sheet_state = "hidden"
    values = {"plan_id": plan.id, "plan_version": plan.version,
              "template_version": L.TEMPLATE_VERSION, "partner": partner or "", "round": round_name}
    for r, key in enumerate(L.META_KEYS, 1):
        put(ws.cell(r, 1), key)
        put(ws.cell(r, 2), values[key])
