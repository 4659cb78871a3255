"""Stage 2: build the locked Excel template from a plan."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from copy import copy
from dataclasses import replace
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Border, Font, Protection, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.utils.indexed_list import IndexedList
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.protection import SheetProtection
from openpyxl.worksheet.worksheet import Worksheet

from .. import layout as L
from ..errors import UsageError
from ..plan import ROLES, Plan, Priority, partner_named
from ..reading.normalise import suggest_partners
from .checks import add_checks, panel_rows
from .xlsx import WRAP, fit_row_heights, header, print_setup, put, save, solid

UNLOCKED = Protection(locked=False)
LINE = Side(style="thin", color=L.BORDER_COLOUR)
GRID = Border(left=LINE, right=LINE, top=LINE, bottom=LINE)
GREY_TEXT = "595959"


def font(**kw: Any) -> Font:
    """A font in the template's one typeface: an unnamed font renders in a serif fallback in LibreOffice."""
    kw.setdefault("size", L.FONT_SIZE)
    return Font(name=L.FONT_NAME, **kw)


def build_template(plan: Plan, partner: str | None = None, password: str | None = None,
                   round_name: str = "", carried: Mapping[str, Collection[int]] | None = None) -> Workbook:
    """The template as an openpyxl Workbook; `partner` personalises it; `round_name` names the reporting round.
    `carried` makes a rolled-forward workbook: sheet -> the examples carried as actions, left out of the sheet."""
    if partner is not None:
        partner = resolve_partner(plan, partner)
    wb = Workbook()
    _normal_font(wb)
    front = wb.active
    assert front is not None
    front.title = L.FRONT_SHEET
    lists = _lists_sheet(wb, plan)
    panel_row = _front_sheet(front, plan, partner, round_name, rolled=carried is not None)
    shown_examples = {}
    for i, priority in enumerate(plan.priorities, 1):
        left_out = set((carried or {}).get(priority.sheet, ()))
        shown = replace(priority, examples=tuple(e for j, e in enumerate(priority.examples) if j not in left_out))
        shown_examples[priority.sheet] = len(shown.examples)
        _priority_sheet(wb.create_sheet(priority.sheet), plan, shown, themes_name=f"Themes{i}")
    check_column = len(ROLES) + 1 + (len(L.CARRIED_HEADERS) if carried is not None else 0)  # right of last round's
    add_checks(wb, plan, lists.max_column + 2, time_frame_choices(plan), panel_row, shown_examples, check_column)
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
    typed = " ".join(name.split()).casefold()
    lead_only = [p.name for p in plan.partners if not p.returns
                 and typed in {w.casefold() for w in (p.name, *p.aliases)}]
    if lead_only:
        raise UsageError(f"{lead_only[0]} is a lead only: it sends no return, so it has no template.")
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


def _normal_font(wb: Workbook) -> None:
    """Make the workbook's default font (unstyled cells and the Normal style) the template's one typeface."""
    base = font()
    wb._fonts = IndexedList([base])  # index 0 is what every unstyled cell shows
    wb._named_styles["Normal"].font = base


def carried_key(plan: Plan) -> str:
    """The key line for actions carried from last round, on the Front sheet and every priority sheet."""
    h = {role: plan.column(role).header for role in ROLES}
    return (f"Rows shaded like this are your actions carried from last round. Their {h['theme']}, {h['aim']}, "
            f"{h['objective']} and {h['action']} are locked; fill in {h['status']} and {h['update']}, and change "
            f"{h['lead']} or {h['time_frame']} if they have changed.")


def _rolled_lines(plan: Plan) -> list[str]:
    h = {role: plan.column(role).header for role in ROLES}
    last_status, last_update = L.CARRIED_HEADERS
    return [
        "Your actions from last round's summary are already on each priority sheet, shaded as in the key.",
        f"For each one, choose this round's {h['status']} and fill in its {h['update']}. Change its {h['lead']} or "
        f"{h['time_frame']} if they have changed, for example a new date for an action that has slipped.",
        f"The '{last_status}' and '{last_update}' columns, right of {h['update']}, show what you reported last "
        "round. They are for reference only and are not read.",
        "Add any new actions in the white rows below them.",
    ]


def _instructions(plan: Plan, partner: str | None) -> list[str]:
    """The plan's instructions; where the partner is filled in and locked, not the ones about choosing it."""
    if partner is None:
        return list(plan.instructions)
    return [line for line in plan.instructions if L.PARTNER_LABEL.casefold() not in line.casefold()]


def _front_sheet(ws: Worksheet, plan: Plan, partner: str | None, round_name: str, rolled: bool = False) -> int:
    """The Front sheet; returns the row of the checks panel."""
    ws.column_dimensions["A"].width = 28
    ws.column_dimensions["B"].width = 90
    ws.column_dimensions["C"].width = 40
    put(ws["A1"], plan.title)
    ws["A1"].font = font(bold=True, size=16)
    put(ws["A2"], plan.partnership)
    rows: list[tuple[str, str]] = [(L.PARTNER_LABEL, partner or ""), (L.NIL_LABEL, ""),
                                   ("Plan period", period_text(plan))]
    if round_name:
        rows.append(("Reporting round", round_name))
    if plan.return_date:
        rows.append(("Return by", plan.return_date))
    if plan.contact:
        rows.append(("Contact", plan.contact))
    rows.append((L.PANEL_LABEL, ""))  # the checks panel: its formulas go in column B (checks.py)
    rows += [("", "")] * (panel_rows(plan) - 1)
    rows.append(("", ""))
    rows.append(("Key", plan.key))
    if rolled:
        rows.append(("", carried_key(plan)))
        rows += [("This round" if i == 0 else "", line) for i, line in enumerate(_rolled_lines(plan))]
    rows += [("How to fill in" if i == 0 else "", line) for i, line in enumerate(_instructions(plan, partner))]
    rows.append(("", ""))
    rows += [(plan.column("status").header if i == 0 else "", f"{s.name}: {s.meaning}" if s.meaning else s.name)
             for i, s in enumerate(plan.statuses)]
    for r, (label, value) in enumerate(rows, 4):
        put(ws.cell(r, 1), label)
        ws.cell(r, 1).font = font(bold=True)
        ws.cell(r, 1).alignment = WRAP
        put(ws.cell(r, 2), value)
        ws.cell(r, 2).alignment = WRAP
    _partner_cell(ws, partner)
    _nil_cell(ws)
    fit_row_heights(ws)
    print_setup(ws, marking=plan.marking)
    key_row = 4 + next(i for i, (label, _) in enumerate(rows) if label == "Key")
    ws.cell(key_row, 2).fill = solid(L.EXAMPLE_FILL)
    if rolled:
        ws.cell(key_row + 1, 2).fill = solid(L.CARRIED_FILL)
    for i, s in enumerate(plan.statuses):
        c = ws.cell(len(rows) + 4 - len(plan.statuses) + i, 2)
        c.fill = solid(s.fill)
        c.font = font(color=s.font)
    return 4 + next(i for i, (label, _) in enumerate(rows) if label == L.PANEL_LABEL)


def _note(cell: Any, text: str) -> None:
    """A short grey instruction beside an input cell."""
    put(cell, text)
    cell.font = font(italic=True, color=GREY_TEXT)
    cell.alignment = WRAP


def _partner_cell(ws: Worksheet, partner: str | None) -> None:
    cell = ws[L.PARTNER_CELL]
    cell.border = GRID
    if partner is not None:  # filled in and locked: not shown as an input
        cell.font = font(bold=True)
        _note(cell.offset(0, 1), "Filled in for you; it cannot be changed.")
        return
    cell.fill = solid(L.INPUT_FILL)
    cell.protection = UNLOCKED
    dv = _list_validation("Organisations", True, "Partner organisation",
                          "Choose your organisation from the list.",
                          "Choose your organisation from the list. If it is missing, ask the coordinator.")
    dv.add(L.PARTNER_CELL)
    ws.add_data_validation(dv)


def _nil_cell(ws: Worksheet) -> None:
    """The nil return: below the partner, an input the reader finds by its label (column A) and reads
    from the cell to its right."""
    cell = ws[L.NIL_CELL]
    cell.fill = solid(L.INPUT_FILL)
    cell.border = GRID
    cell.protection = UNLOCKED
    text = f"Choose {L.NIL_YES} only if your organisation has nothing to report this round, then send it back."
    _note(cell.offset(0, 1), text)
    dv = _list_validation(f'"{L.NIL_YES}"', True, L.NIL_LABEL[:32], text,
                          f"Choose {L.NIL_YES} from the list, or leave the cell empty.")
    dv.add(L.NIL_CELL)
    ws.add_data_validation(dv)


def _priority_sheet(ws: Worksheet, plan: Plan, priority: Priority, themes_name: str) -> None:
    put(ws.cell(L.TITLE_ROW, 1), priority.title)
    ws.cell(L.TITLE_ROW, 1).font = font(bold=True, size=14)
    put(ws.cell(L.KEY_ROW, 1), f"Key: {plan.key}")
    ws.cell(L.KEY_ROW, 1).font = font(italic=True)
    ws.cell(L.KEY_ROW, 1).fill = solid(L.EXAMPLE_FILL)
    for col, c in enumerate(plan.columns, 1):
        ws.column_dimensions[get_column_letter(col)].width = c.width
        heading(ws.cell(L.HEADER_ROW, col), c.header)
        guide = ws.cell(L.GUIDANCE_ROW, col)
        put(guide, c.guidance)
        guide.font = font(italic=True, color=GREY_TEXT)
        guide.alignment = WRAP

    first = L.FIRST_DATA_ROW
    last = first + len(priority.examples) + plan.input_rows - 1
    styles: dict[tuple[bool, str], Any] = {}  # (example row, role) -> the cell style, made once
    for r in range(first, last + 1):
        example = priority.examples[r - first] if r - first < len(priority.examples) else None
        for col, role in enumerate(ROLES, 1):
            cell = ws.cell(r, col)
            _input_style(cell, styles, example is not None, role)
            if example is not None and example[role]:
                put(cell, example[role])  # after the style: text that looks like a formula sets quotePrefix
    _dropdowns(ws, plan, themes_name if priority.themes else None, first, last)
    _formats(ws, plan, first, last)
    ws.freeze_panes = ws.cell(L.HEADER_ROW + 1, 1)
    fit_row_heights(ws, range(L.HEADER_ROW, first + len(priority.examples)))
    print_setup(ws, f"{L.HEADER_ROW}:{L.HEADER_ROW}", plan.marking)


def _input_style(cell: Any, styles: dict[tuple[bool, str], Any], example: bool, role: str) -> None:
    """Style an example or input cell. Each (example, role) style is made once and copied: openpyxl hashes
    every part of a style on each assignment, which made this loop most of the build time."""
    key = (example, role)
    if key in styles:
        cell._style = copy(styles[key])
        return
    cell.protection = UNLOCKED
    cell.alignment = WRAP
    cell.border = GRID
    if example:
        cell.fill = solid(L.EXAMPLE_FILL)
    if role == "time_frame":
        cell.number_format = "@"  # keep "Oct 21" as typed: Excel would turn it into a date
    styles[key] = copy(cell._style)


def heading(cell: Any, text: str) -> None:
    """A column heading (xlsx.header) in the template's typeface."""
    header(cell, text)
    cell.font = font(bold=True)
    cell.border = GRID


def letter(role: str) -> str:
    return str(get_column_letter(ROLES.index(role) + 1))


def _dropdowns(ws: Worksheet, plan: Plan, themes_name: str | None, first: int, last: int) -> None:
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
    if themes_name:
        dropdowns.append(("theme", themes_name, False, "Choose a theme of this priority or type your own.",
                          "Not one of this priority's themes. Keep it if you mean a new theme."))
    for role, source, strict, prompt, error in dropdowns:
        dv = _list_validation(source, strict, plan.column(role).header[:32], prompt[:255], error[:224])
        dv.add(f"{letter(role)}{first}:{letter(role)}{last}")
        ws.add_data_validation(dv)


def _formats(ws: Worksheet, plan: Plan, first: int, last: int) -> None:
    """Status colours; what a row still lacks is highlighted by the template's own checks (checks.py)."""
    status_range = f"{letter('status')}{first}:{letter('status')}{last}"
    for s in plan.statuses:
        word = s.name.replace('"', '""')
        ws.conditional_formatting.add(status_range, CellIsRule(
            operator="equal", formula=[f'"{word}"'], fill=solid(s.fill), font=Font(color=s.font)))


def _meta_sheet(ws: Worksheet, plan: Plan, partner: str | None, round_name: str) -> None:
    ws.sheet_state = "hidden"
    values = {"plan_id": plan.id, "plan_version": plan.version,
              "template_version": L.TEMPLATE_VERSION, "partner": partner or "", "round": round_name}
    for r, key in enumerate(L.META_KEYS, 1):
        put(ws.cell(r, 1), key)
        put(ws.cell(r, 2), values[key])
