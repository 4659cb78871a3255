"""Stage 3: read a returned workbook into rows with provenance, reporting its structure problems."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import python_calamine

from . import layout as L
from .normalise import suggest_partners, trim
from .plan import ROLES, TEXT_ROLES, Plan, Priority, partner_named
from .problems import Problem

HEADER_SEARCH_ROWS = 30  # the header may be pushed down by inserted rows, but not far


@dataclass(frozen=True)
class Row:
    """One started row of a priority sheet, as the partner left it."""

    file: str
    sheet: str
    row: int  # Excel row number
    priority: str  # the priority's full title
    kind: str  # "adopted example", "adapted example" or "new"
    values: dict[str, Any]  # role -> cell value as read (str, float, bool, date, or None)
    cells: dict[str, str]  # role -> A1 reference in the partner's sheet; "" where the column is missing


@dataclass
class Return:
    """What one returned workbook holds."""

    file: str
    partner: str | None = None
    readable: bool = True
    rows: list[Row] = field(default_factory=list)
    examples_ignored: int = 0
    problems: list[Problem] = field(default_factory=list)


def display(value: Any) -> str:
    """A cell value as the partner sees it, for messages and text columns."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ") if value.time() != time(0) else value.date().isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value)


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not trim(value))


def column_letter(index: int) -> str:
    """0-based column index to letters."""
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def _key(text: Any) -> str:
    return " ".join(display(text).split()).casefold()


def read_return(plan: Plan, path: Path, name: str | None = None) -> Return:
    """Read one return. Never raises for a bad workbook: problems say what is wrong."""
    file = name or str(path)
    ret = Return(file)
    try:
        wb = python_calamine.CalamineWorkbook.from_path(str(path))
    except Exception as e:  # calamine raises several unrelated types for unreadable files
        ret.readable = False
        ret.problems.append(Problem(file, "", "", "unreadable-file",
                                    f"The file cannot be opened as an Excel workbook ({type(e).__name__}). "
                                    "Ask the partner to save it again as .xlsx and resend it."))
        return ret
    try:
        _read_workbook(plan, wb, ret)
    finally:
        wb.close()
    return ret


def _grid(wb: python_calamine.CalamineWorkbook, sheet: str) -> list[list[Any]]:
    """Cell values with row 0 = Excel row 1 and column 0 = column A; empty cells are None."""
    ws = wb.get_sheet_by_name(sheet)
    rows = ws.to_python(skip_empty_area=False)
    return [[None if v == "" else v for v in r] for r in rows]


def _read_workbook(plan: Plan, wb: python_calamine.CalamineWorkbook, ret: Return) -> None:
    names = list(wb.sheet_names)
    meta = _meta(wb, names)
    claimed = {n for n in names if n in (L.FRONT_SHEET, L.LISTS_SHEET, L.META_SHEET)}
    sheets: dict[str, str] = {}
    for priority in plan.priorities:
        if priority.sheet in names:
            sheets[priority.sheet] = priority.sheet
            claimed.add(priority.sheet)
    if not meta and not sheets and L.FRONT_SHEET not in names:
        ret.readable = False
        ret.problems.append(Problem(ret.file, "", "", "not-a-template",
                                    f"This workbook is not a return of the {plan.title} template: it has none of "
                                    f"its sheets ({', '.join(p.sheet for p in plan.priorities)}). "
                                    "Check that the right file was attached."))
        return
    _check_meta(plan, meta, ret)
    _partner(plan, wb, names, meta, ret)
    for priority in plan.priorities:
        sheet = sheets.get(priority.sheet) or _renamed(plan, wb, priority, names, claimed, ret)
        if sheet is None:
            continue
        claimed.add(sheet)
        _read_sheet(plan, priority, sheet, _grid(wb, sheet), ret)
    for extra in names:
        if extra not in claimed:
            grid = _grid(wb, extra)
            filled = sum(1 for r in grid for v in r if not is_blank(v))
            ret.problems.append(Problem(ret.file, extra, "", "sheet-extra",
                                        f"The sheet '{extra}' is not part of the template ({filled} filled cells) "
                                        "and was not read. Move any actions onto the priority sheets."))
            for r, row in enumerate(grid):
                for c, v in enumerate(row):
                    if not is_blank(v):
                        ret.problems.append(Problem(ret.file, extra, f"{column_letter(c)}{r + 1}",
                                                    "data-outside-area", "This cell is on a sheet the template does "
                                                    "not have; it is listed here so it is not lost.",
                                                    value=display(v)))


def _meta(wb: python_calamine.CalamineWorkbook, names: list[str]) -> dict[str, str]:
    if L.META_SHEET not in names:
        return {}
    out = {}
    for row in _grid(wb, L.META_SHEET):
        if len(row) >= 2 and isinstance(row[0], str):
            out[row[0]] = display(row[1])
    return out


def _check_meta(plan: Plan, meta: dict[str, str], ret: Return) -> None:
    if not meta:
        ret.problems.append(Problem(ret.file, L.META_SHEET, "", "template-version-mismatch",
                                    "The workbook has lost the template's hidden details sheet, so it cannot be "
                                    "matched to a template version. It was read by its sheet and column names."))
        return
    if meta.get("plan_id") and meta.get("plan_id") != plan.id:
        ret.problems.append(Problem(ret.file, L.META_SHEET, "B1", "plan-mismatch",
                                    f"This return was made from the template of another plan ({meta['plan_id']!r}), "
                                    f"not {plan.id!r}. Send the partner the current template, or merge it with "
                                    "that plan's file (--plan).", value=meta["plan_id"]))
    elif meta.get("plan_version") != plan.version or meta.get("template_version") != L.TEMPLATE_VERSION:
        ret.problems.append(Problem(ret.file, L.META_SHEET, "B2", "template-version-mismatch",
                                    f"This return was made from an older template (plan version "
                                    f"{meta.get('plan_version')!r}, template version {meta.get('template_version')!r}; "
                                    f"current {plan.version!r} and {L.TEMPLATE_VERSION!r}). It was read by its sheet "
                                    "and column names; check the results, and send the current template next round.",
                                    value=meta.get("plan_version", "")))


def _partner(plan: Plan, wb: python_calamine.CalamineWorkbook, names: list[str],
             meta: dict[str, str], ret: Return) -> None:
    sheet, cell, typed = L.FRONT_SHEET, "", None
    if L.FRONT_SHEET in names:
        for r, row in enumerate(_grid(wb, L.FRONT_SHEET)):
            for c, v in enumerate(row):
                if isinstance(v, str) and _key(v) == _key(L.PARTNER_LABEL):
                    cell = f"{column_letter(c + 1)}{r + 1}"
                    typed = row[c + 1] if c + 1 < len(row) else None
                    break
            if cell:
                break
    personal = meta.get("partner", "")
    if is_blank(typed) and personal:
        typed = personal
    if is_blank(typed):
        ret.problems.append(Problem(ret.file, sheet, cell or "", "partner-missing",
                                    f"The return does not say which partner sent it. Choose the organisation in "
                                    f"the '{L.PARTNER_LABEL}' cell{' ' + cell if cell else ''} on the {sheet} sheet.",
                                    column=L.PARTNER_LABEL))
        return
    ret.partner = partner_named(plan, display(typed))
    if ret.partner is None:
        close = suggest_partners(plan, display(typed), n=1)
        hint = f" (closest: {close[0]})" if close else ""
        ret.problems.append(Problem(ret.file, sheet, cell, "partner-unknown",
                                    f"'{display(typed)}' is not a partner in the plan{hint}. Choose the "
                                    f"organisation from the list in {cell}.", column=L.PARTNER_LABEL,
                                    value=display(typed)))
        return
    if personal and ret.partner != personal:
        ret.problems.append(Problem(ret.file, sheet, cell, "partner-mismatch",
                                    f"The template was made for {personal}, but {cell} says {ret.partner}. "
                                    "Check who sent this return.", column=L.PARTNER_LABEL, value=display(typed)))


def _renamed(plan: Plan, wb: python_calamine.CalamineWorkbook, priority: Priority, names: list[str],
             claimed: set[str], ret: Return) -> str | None:
    """A priority sheet under another name: found by its title cell or a close name."""
    free = [n for n in names if n not in claimed]
    for n in free:
        grid = _grid(wb, n)
        if grid and grid[0] and _key(grid[0][0]) == _key(priority.title):
            found = n
            break
    else:
        close = difflib.get_close_matches(priority.sheet, free, n=1, cutoff=0.75)
        found = close[0] if close else ""
    if found:
        ret.problems.append(Problem(ret.file, found, "", "sheet-missing",
                                    f"The sheet '{priority.sheet}' has been renamed '{found}'. It was read, but "
                                    f"please rename it back to '{priority.sheet}'.", value=found))
        return found
    close = difflib.get_close_matches(priority.sheet, free, n=1, cutoff=0.3)
    hint = f" The closest sheet is '{close[0]}'." if close else ""
    ret.problems.append(Problem(ret.file, priority.sheet, "", "sheet-missing",
                                f"The sheet '{priority.sheet}' ({priority.title}) is missing.{hint} "
                                "Its actions cannot be read; ask the partner to use the template's sheets."))
    return None


def _header(plan: Plan, grid: list[list[Any]]) -> tuple[int, dict[str, int]] | None:
    """(row index, role -> column index) of the row that holds most of the plan's headers."""
    wanted = {_key(c.header): c.role for c in plan.columns}
    best: tuple[int, dict[str, int]] | None = None
    for r, row in enumerate(grid[:HEADER_SEARCH_ROWS]):
        found = {wanted[_key(v)]: c for c, v in enumerate(row) if _key(v) in wanted}
        if len(found) >= len(ROLES) // 2 and (best is None or len(found) > len(best[1])):
            best = (r, found)
    return best


def _read_sheet(plan: Plan, priority: Priority, sheet: str, grid: list[list[Any]], ret: Return) -> None:
    file = ret.file
    found = _header(plan, grid)
    if found is None:
        ret.problems.append(Problem(file, sheet, "", "header-missing",
                                    f"The header row ({', '.join(c.header for c in plan.columns)}) cannot be found "
                                    "on this sheet, so its actions cannot be read. Restore the header row."))
        return
    head_r, cols = found
    header = grid[head_r]
    used = set(cols.values())
    for role in ROLES:
        if role in cols:
            continue
        position = ROLES.index(role)
        expected = plan.column(role).header
        neighbour = _expected_column(cols, role)
        if neighbour is not None and neighbour not in used and neighbour < len(header) \
                and not is_blank(header[neighbour]):
            cols[role] = neighbour
            used.add(neighbour)
            ret.problems.append(Problem(file, sheet, f"{column_letter(neighbour)}{head_r + 1}", "column-renamed",
                                        f"The column '{expected}' has been renamed '{display(header[neighbour])}'. "
                                        f"It was read as {expected}; please restore the heading.",
                                        column=expected, value=display(header[neighbour])))
        else:
            ret.problems.append(Problem(file, sheet, f"{column_letter(position)}{head_r + 1}", "column-missing",
                                        f"The column '{expected}' is missing from the header row. Restore it "
                                        "from the template.", column=expected))
    extra_cols = sorted(c for c in range(len(header)) if c not in used and not is_blank(header[c]))
    for c in extra_cols:
        ret.problems.append(Problem(file, sheet, f"{column_letter(c)}{head_r + 1}", "column-extra",
                                    f"The column '{display(header[c])}' is not part of the template. Its cells are "
                                    "listed as issues so they are not lost; move them into the template's columns.",
                                    value=display(header[c])))

    guidance = {role: _key(plan.column(role).guidance) for role in ROLES}
    examples = list(priority.examples)
    prepared_last = head_r + 1 + len(examples) + plan.input_rows  # 0-based index of the last prepared row
    position = 0  # rows after the header and guidance, for telling adapted examples from new rows
    matched: set[int] = set()
    for r in range(head_r + 1, len(grid)):
        row = grid[r]
        values = {role: (row[c] if c < len(row) else None) for role, c in cols.items()}
        for role in ROLES:
            values.setdefault(role, None)
        outside = [(c, row[c]) for c in range(len(row)) if c not in used and not is_blank(row[c])]
        if r == head_r + 1 and all(is_blank(v) or _key(v) == guidance[k] for k, v in values.items()):
            continue  # the guidance row
        for c, v in outside:
            ret.problems.append(Problem(file, sheet, f"{column_letter(c)}{r + 1}", "data-outside-area",
                                        "This cell is outside the template's columns; it is listed here so it is "
                                        "not lost. Move it into the right column.",
                                        column=display(header[c]) if c < len(header) else "", value=display(v)))
        if all(is_blank(v) for v in values.values()):
            position += 1 if r <= prepared_last else 0
            continue
        kind = _classify(values, examples, matched, position, present=set(cols))
        position += 1
        if kind == "untouched example":
            ret.examples_ignored += 1
            continue
        if r > prepared_last:
            ret.problems.append(Problem(file, sheet, f"A{r + 1}", "data-outside-area",
                                        "This row is below the template's prepared rows. It was read; next time "
                                        "use the prepared rows.", value=display(values["action"])))
        # a missing column has no cell; its problem is the column-missing error, not one per row
        cells = {role: f"{column_letter(cols[role])}{r + 1}" if role in cols else "" for role in ROLES}
        ret.rows.append(Row(file, sheet, r + 1, priority.title, kind, values, cells))


def _expected_column(cols: dict[str, int], role: str) -> int | None:
    """Where a missing role's column should be, judged from its neighbours."""
    i = ROLES.index(role)
    if i > 0 and ROLES[i - 1] in cols:
        return cols[ROLES[i - 1]] + 1
    if i + 1 < len(ROLES) and ROLES[i + 1] in cols:
        return cols[ROLES[i + 1]] - 1
    return None


def _classify(values: dict[str, Any], examples: list[dict[str, str]], matched: set[int], position: int,
              present: set[str]) -> str:
    """Untouched or adopted: an example's text, unchanged. Adapted: a row in an example's place that
    still looks like it (two of its text cells unchanged, or most of its wording). Otherwise new."""

    def same(role: str, example: dict[str, str]) -> bool:
        # exact, so a partner's small edit (case, a space) is never dropped as "untouched"
        return role not in present or display(values[role]).replace("\r\n", "\n") == example[role]

    for i, ex in enumerate(examples):
        if i not in matched and all(same(role, ex) for role in TEXT_ROLES):
            matched.add(i)
            return "untouched example" if all(same(role, ex) for role in ROLES) else "adopted example"
    if position < len(examples) and position not in matched:
        ex = examples[position]
        mine = " ".join(_key(values[r]) for r in TEXT_ROLES)  # similarity ignores case and spacing
        theirs = " ".join(_key(ex[r]) for r in TEXT_ROLES)
        if sum(same(r, ex) for r in TEXT_ROLES) >= 2 or difflib.SequenceMatcher(None, mine, theirs).ratio() >= 0.6:
            matched.add(position)
            return "adapted example"
    return "new"
