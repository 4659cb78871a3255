"""The template checks itself: formulas that tell the partner, before they send it, what the coordinator's
check will say about every row that can be decided inside the workbook.

Everything is generated from the plan, as the pandera schema is (validate.schema), and mirrors the reader and
the fixes: a started row is one with any of the eight cells non-blank (blank = only the reader's trimmed
spaces), an untouched example row is not counted (exact text, the first row to use each example), a status
or alias matches in any case with the reader's spaces trimmed at the ends, leads and action texts are
compared with their whitespace collapsed and case folded. What a formula cannot decide exactly (a joint
lead, a time frame other than a listed month or Ongoing) is shown as "checked by the coordinator" and never
counted. Only functions Excel 2016 and LibreOffice 7 both calculate the same way; nothing volatile.

The row-by-row working sits on the hidden `Lists` sheet, which the reader never reads. What the partner sees:
a panel on the Front sheet (formulas in column B from the row labelled `PANEL_LABEL`) and a `CHECK_HEADER`
column right of the template's columns on each priority sheet (one formula per row). Every formula the partner
can see refers to the Lists sheet, which is how the reader knows them (layout.template_formula).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from openpyxl import Workbook
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.worksheet import Worksheet

from .. import layout as L
from ..plan import ROLES, TEXT_ROLES, Plan, Priority
from ..reading.normalise import SPACES
from ..reading.timeframes import ONGOING, parse_time_frame
from .xlsx import WRAP, put, solid

# Python's str.split() splits on these; partner and action texts are compared as " ".join(text.split()).
WHITESPACE = "".join(chr(i) for i in range(0x3001) if chr(i).isspace() and chr(i) != " ")
LEAD_SEPARATORS = ("/", ",", "&", ";", "+", " and ")  # normalise.LEAD_SEPARATORS and AND, on collapsed text
ERROR_TYPES = ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A")  # ERROR.TYPE 1-7
MAX_FORMULA = 8192  # Excel's limit on a formula's length
MARK = "_xlfn.UNICHAR(57344)"  # a private-use character no partner types: marks a place in a text


def char(c: str) -> str:
    return f"CHAR({ord(c)})" if ord(c) < 128 else f"_xlfn.UNICHAR({ord(c)})"  # a 2013 function: stored with its prefix


def text(value: str) -> str:
    """An Excel string literal; Excel refuses literals over 255 characters, so longer text is joined."""
    parts = [value[i:i + 255] for i in range(0, len(value), 255)] or [""]
    return "&".join('"' + p.replace('"', '""') + '"' for p in parts)


def spaced(expr: str) -> str:
    """expr with every character the reader trims made a space, each in its place: TRIM of it is empty exactly
    when the reader sees a blank."""
    for c in SPACES:
        if c != " ":
            expr = f'SUBSTITUTE({expr},{char(c)}," ")'
    return expr


def trimmed(value: str, spaced_value: str) -> str:
    """`value` with the reader's spaces removed from its ends only (normalise.trim): from the first character
    that is not one of them to the last, each found in the spaced copy, where they are at the same places."""
    t = f"TRIM({spaced_value})"
    start = f"FIND(LEFT({t},1),{spaced_value})"
    last = f"RIGHT({t},1)"
    count = f'LEN({spaced_value})-LEN(SUBSTITUTE({spaced_value},{last},""))'
    end = f"FIND({MARK},SUBSTITUTE({spaced_value},{last},{MARK},{count}))"
    return f'IF(LEN({t})=0,"",MID({value},{start},{end}-{start}+1))'


def collapsed(expr: str, whitespace: str = WHITESPACE) -> str:
    """" ".join(expr.split()).casefold(), for the ASCII case: every whitespace character made a space, then
    TRIM (which also collapses runs of spaces) and LOWER."""
    for c in whitespace:
        expr = f'SUBSTITUTE({expr},{char(c)}," ")'
    return f"LOWER(TRIM({expr}))"


def blank(expr: str) -> str:
    return f"LEN(TRIM({spaced(expr)}))=0"


@dataclass
class Columns:
    """Columns of the hidden Lists sheet, handed out left to right."""

    next: int
    names: dict[str, str] = field(default_factory=dict)

    def take(self, name: str) -> str:
        self.names[name] = get_column_letter(self.next)
        self.next += 1
        return self.names[name]


@dataclass(frozen=True)
class SheetChecks:
    """Where one priority sheet's working and totals are on the Lists sheet."""

    sheet: str
    cols: dict[str, str]
    first: int
    last: int
    check_column: str

    def total(self, name: str) -> str:
        return f"{quote_sheetname(L.LISTS_SHEET)}!${self.cols[name]}${TOTAL_ROW}"


TOTAL_ROW = 2  # on the Lists sheet: each priority's totals (errors, warnings, coordinator, started rows)
HELPER_HEADER_ROW = 3
TOTALS = ("errors", "warnings", "coordinator", "started")


def time_frame_keys(plan: Plan, choices: list[str]) -> list[str]:
    """Time frames a formula can call understood: the dropdown's months and Ongoing, and the words that mean
    'ongoing', in the form the reader compares them. Each is checked here against the parser, so they cannot
    drift: understood, and inside the plan period."""
    keys = sorted({" ".join(c.split()).casefold() for c in choices} | set(ONGOING))
    for key in keys:
        due, understood = parse_time_frame(key)
        assert understood, key
        assert due is None or plan.period_start <= due <= plan.period_end, key
    return keys


def add_checks(wb: Workbook, plan: Plan, first_lists_column: int, time_frames: list[str],
               panel_row: int, shown: dict[str, int], check_column: int) -> list[SheetChecks]:
    """The working on the Lists sheet, the check column and highlights on each priority sheet, and the panel
    on the Front sheet from `panel_row`. `shown`: sheet -> how many examples it shows (a rolled workbook
    leaves out those carried as actions). `check_column`: where the reasons go, right of the template's columns
    (and of a rolled workbook's last-round columns)."""
    lists = wb[L.LISTS_SHEET]
    cols = Columns(first_lists_column)
    partner_keys = _list(lists, cols, "PartnerKeys", sorted(plan.partner_index))
    tf_keys = _list(lists, cols, "TimeFrameKeys", time_frame_keys(plan, time_frames))
    status_names = _list(lists, cols, "StatusNames", plan.status_names)
    error_texts = _list(lists, cols, "ErrorValues", list(ERROR_TYPES))
    words = [(w.casefold(), i) for i, st in enumerate(plan.statuses, 1) for w in (st.name, *st.aliases)]
    status_words = (_list(lists, cols, "StatusWords", [w for w, _ in words]),
                    _list(lists, cols, "StatusOfWord", [i for _, i in words]))
    done = []
    for priority in plan.priorities:
        ws = wb[priority.sheet]
        examples = _examples(lists, cols, priority)
        last = L.FIRST_DATA_ROW + shown[priority.sheet] + plan.input_rows - 1
        done.append(_sheet(ws, lists, plan, priority, cols, examples,
                           Keys(partner_keys, tf_keys, status_names, *status_words, error_texts), last, check_column))
    _panel(wb[L.FRONT_SHEET], plan, done, panel_row)
    return done


@dataclass(frozen=True)
class Keys:
    """Ranges on the Lists sheet the row checks look things up in."""

    partners: str  # every partner name and alias, as normalise compares them
    time_frames: str  # time_frame_keys
    status_names: str
    status_words: str  # every status name and alias, case folded
    status_of_word: str  # the status (1 = the plan's first) each word means
    error_values: str  # ERROR_TYPES: an Excel error value in a cell is read as its text


def _list(ws: Worksheet, cols: Columns, name: str, values: Sequence[str | int]) -> str:
    """A column of values under a heading; returns its absolute range."""
    col = cols.take(name)
    put(ws[f"{col}1"], name)
    for r, v in enumerate(values, 2):
        put(ws[f"{col}{r}"], v)
    return f"{quote_sheetname(L.LISTS_SHEET)}!${col}$2:${col}${len(values) + 1}"


def _examples(ws: Worksheet, cols: Columns, priority: Priority) -> dict[str, str]:
    """Every example of the priority (those a rolled workbook leaves out too: the reader compares with all),
    one column per role; role -> absolute range."""
    texts = [tuple(e[role] for role in TEXT_ROLES) for e in priority.examples]
    assert len(set(texts)) == len(texts), f"two examples of {priority.sheet} have the same text"  # plan check
    out = {role: _list(ws, cols, f"{priority.sheet[:20]} example {role}", [e[role] for e in priority.examples])
           for role in ROLES}
    out["number"] = _list(ws, cols, f"{priority.sheet[:20]} example number", list(range(1, len(texts) + 1)))
    return out


def _sheet(ws: Worksheet, lists: Worksheet, plan: Plan, priority: Priority, cols: Columns,
           examples: dict[str, str], keys: Keys, last: int, check_column: int) -> SheetChecks:
    first = L.FIRST_DATA_ROW
    src = quote_sheetname(ws.title) + "!"
    names = [f"v_{r}" for r in ROLES] + [f"f_{r}" for r in ROLES] + [
        "example", "untouched", "started", "spaced_status", "status", "lead_key", "lead", "time_frame",
        "spaced_update", "update_is_example", "action_key", "duplicate", "flag_action", "flag_status", "flag_lead",
        "flag_time_frame", "flag_update", "errors", "warnings", "coordinator", "fixes", "checks", "later", "reason"]
    c = {n: cols.take(f"{priority.sheet[:20]} {n}") for n in names}
    cols.next += 1  # a blank column between blocks, for whoever reads the sheet
    for n in names:
        put(lists[f"{c[n]}{HELPER_HEADER_ROW}"], n)
    put(lists[f"{c['errors']}1"], priority.sheet)
    for n in TOTALS:
        lists[f"{c[n]}{TOTAL_ROW}"] = f"=SUMPRODUCT(--({c[n]}{first}:{c[n]}{last}))"
    h = {role: plan.column(role).header for role in ROLES}
    needs = [i for i, st in enumerate(plan.statuses, 1) if st.update_required]
    updates = [e["update"] for e in priority.examples]
    for r in range(first, last + 1):
        def at(n: str, r: int = r) -> str:
            return f"{c[n]}{r}"

        formulas: dict[str, str] = {}
        for j, role in enumerate(ROLES, 1):
            cell = f"{src}${get_column_letter(j)}{r}"
            value = f'IF(ISERROR({cell}),IFERROR(INDEX({keys.error_values},ERROR.TYPE({cell})),"#N/A"),{cell}&"")'
            if role != "update":  # as the reader compares with the examples; the update is compared as typed
                value = f"SUBSTITUTE({value},CHAR(13)&CHAR(10),CHAR(10))"
            formulas[f"v_{role}"] = value
            formulas[f"f_{role}"] = f"NOT({blank(at(f'v_{role}'))})"
        same = "*".join(f"EXACT({examples[role]},{at(f'v_{role}')})" for role in TEXT_ROLES)
        formulas["example"] = f"SUMPRODUCT({same}*{examples['number']})" if priority.examples else "0"
        update = f"SUBSTITUTE({at('v_update')},CHAR(13)&CHAR(10),CHAR(10))"
        rest = ",".join(f"EXACT({update if role == 'update' else at(f'v_{role}')},INDEX({examples[role]},"
                        f"{at('example')}))" for role in ROLES if role not in TEXT_ROLES)
        # the reader takes each example once, for the first row that has its text
        earlier = f"COUNTIF({c['example']}${first - 1}:{c['example']}{r - 1},{at('example')})=0"
        formulas["untouched"] = f"IF({at('example')}>0,AND({rest},{earlier}),FALSE)" if priority.examples else "FALSE"
        any_filled = ",".join(at(f"f_{role}") for role in ROLES)
        formulas["started"] = f"AND(OR({any_filled}),NOT({at('untouched')}))"
        formulas["spaced_status"] = spaced(at("v_status"))
        status = trimmed(at("v_status"), at("spaced_status"))
        found = f"SUMPRODUCT(EXACT({keys.status_words},LOWER({status}))*{keys.status_of_word})"
        formulas["status"] = f"IF({at('f_status')},IF({found}>0,{found},-1),0)"
        formulas["lead_key"] = collapsed(at("v_lead"))
        separated = ",".join(f"ISNUMBER(FIND({text(s)},{at('lead_key')}))" for s in LEAD_SEPARATORS)
        formulas["lead"] = (f"IF(NOT({at('f_lead')}),0,IF(SUMPRODUCT(--EXACT({keys.partners},{at('lead_key')}))>0,1,"
                            f"IF(OR({separated}),2,3)))")
        # only the reader's trimmed spaces: rarer whitespace just leaves the time frame to the coordinator
        short_collapsed = collapsed(at("v_time_frame"), SPACES.replace(" ", ""))
        raw_time = f"{src}${get_column_letter(ROLES.index('time_frame') + 1)}{r}"
        formulas["time_frame"] = (f"IF(NOT({at('f_time_frame')}),0,IF(ISNUMBER({raw_time}),2,"
                                  f"IF(SUMPRODUCT(--EXACT({keys.time_frames},{short_collapsed}))>0,1,2)))")
        formulas["spaced_update"] = spaced(at("v_update"))
        typed = trimmed(at("v_update"), at("spaced_update"))
        formulas["update_is_example"] = (f"AND({at('f_update')},SUMPRODUCT(--EXACT({examples['update']},{typed}))>0)"
                                         if any(updates) else "FALSE")
        formulas["action_key"] = f'IF(AND({at("started")},{at("f_action")}),{collapsed(at("v_action"))},"")'
        formulas["duplicate"] = (f'IF({at("action_key")}="",FALSE,'
                                 f"SUMPRODUCT(--EXACT({c['action_key']}${first - 1}:{c['action_key']}{r - 1},"
                                 f"{at('action_key')}))>0)")
        started, has_action = at("started"), at("f_action")
        st = at("status")
        needs_update = f"OR({','.join(f'{st}={i}' for i in needs)})" if needs else "FALSE"
        # 2 an error, 1 a warning, 0 nothing: one per cell, as the tool reports one problem per cell
        formulas["flag_action"] = f"IF(AND({started},NOT({has_action})),2,IF({at('duplicate')},1,0))"
        formulas["flag_status"] = (f"IF(NOT({started}),0,IF({st}=-1,2,IF(AND({has_action},{st}=0),2,0)))")
        formulas["flag_lead"] = (f"IF(NOT({started}),0,IF({at('lead')}=3,1,IF(AND({has_action},{at('lead')}=0),1,0)))")
        formulas["flag_time_frame"] = f"IF(AND({started},{has_action},{at('time_frame')}=0),1,0)"
        formulas["flag_update"] = (f"IF(NOT({started}),0,IF({at('update_is_example')},1,IF(AND({has_action},{st}>0,"
                                   f"{needs_update},NOT({at('f_update')})),1,0)))")
        flags = [at(f"flag_{role}") for role in ("action", "status", "lead", "time_frame", "update")]
        formulas["errors"] = "+".join(f"({f}=2)" for f in flags)
        formulas["warnings"] = "+".join(f"({f}=1)" for f in flags)
        formulas["coordinator"] = f"IF({started},({at('lead')}=2)+({at('time_frame')}=2),0)"
        names_list = ", ".join(plan.status_names)
        needs_entry = text(f" needs an entry in {h['update']}")
        fixes = [
            (f"AND({started},NOT({has_action}))", text(f"type the {h['action']}, or clear the row")),
            (f"AND({at('flag_status')}=2,{st}=-1)", text(f"{h['status']} must be one of {names_list}")),
            (f"AND({at('flag_status')}=2,{st}=0)", text(f"choose a {h['status']}")),
        ]
        checks = [
            (at("duplicate"), text(f"the same {h['action']} is in an earlier row")),
            (f"AND({at('flag_lead')}=1,{at('lead')}=0)", text(f"no {h['lead']}")),
            (f"AND({at('flag_lead')}=1,{at('lead')}=3)", text(f"the {h['lead']} is not a partner in the plan")),
            (f"{at('flag_time_frame')}=1", text(f"no {h['time_frame']}")),
            (f"AND({at('flag_update')}=1,{at('update_is_example')})",
             text(f"the {h['update']} is still the example's")),
            (f"AND({at('flag_update')}=1,NOT({at('update_is_example')}))",
             f"INDEX({keys.status_names},MAX(1,{st}))&{needs_entry}"),
        ]
        later = [
            (f"AND({started},{at('lead')}=2)", text(f"joint {h['lead']}")),
            (f"AND({started},{at('time_frame')}=2)", text(f"{h['time_frame']}")),
        ]
        for n, parts in (("fixes", fixes), ("checks", checks), ("later", later)):
            formulas[n] = "&".join(f'IF({cond},{msg}&"; ","")' for cond, msg in parts)

        def part(n: str, lead: str, end: str) -> str:
            return f'IF({at(n)}="","",{text(lead)}&LEFT({at(n)},LEN({at(n)})-2)&{text(end)})'

        formulas["reason"] = "TRIM(" + "&".join([part("fixes", "To fix: ", ". "), part("checks", "To check: ", ". "),
                                       part("later", "The coordinator checks the ", ".")]) + ")"
        for n, formula in formulas.items():
            assert len(formula) < MAX_FORMULA, (n, len(formula))
            lists[at(n)] = f"={formula}"
    _check_column(ws, c["reason"], first, last, check_column)
    _highlights(ws, c, first, last)
    return SheetChecks(ws.title, c, first, last, get_column_letter(check_column))


def _check_column(ws: Worksheet, reason: str, first: int, last: int, col: int) -> None:
    """The reason for every count, beside the row, readable without hovering; locked, so never typed over."""
    from .template import GREY_TEXT, font, heading  # the template calls this module: imported here to avoid a cycle

    letter = get_column_letter(col)
    ws.column_dimensions[letter].width = 40
    heading(ws.cell(L.HEADER_ROW, col), L.CHECK_HEADER)
    guide = ws.cell(L.GUIDANCE_ROW, col)
    put(guide, "Filled in for you: what the coordinator's check will say about the row. Fix what it lists "
               "before you send the file.")
    guide.font = font(italic=True, color=GREY_TEXT)
    guide.alignment = WRAP
    style = font(color=L.CHECK_FONT)
    for r in range(first, last + 1):
        cell = ws.cell(r, col)
        cell.value = f"={quote_sheetname(L.LISTS_SHEET)}!{reason}{r}"
        cell.font = style
        cell.alignment = Alignment(wrap_text=True, vertical="top")


def _highlights(ws: Worksheet, c: dict[str, str], first: int, last: int) -> None:
    """Every cell behind a count: errors in the error colour, warnings in the lighter one."""
    lists = quote_sheetname(L.LISTS_SHEET)
    for role in ("action", "status", "lead", "time_frame", "update"):
        col = get_column_letter(ROLES.index(role) + 1)
        flag = f"{lists}!${c[f'flag_{role}']}{first}"
        for value, fill in ((2, L.MISSING_FILL), (1, L.CHECK_WARNING_FILL)):
            ws.conditional_formatting.add(f"{col}{first}:{col}{last}", FormulaRule(
                formula=[f"{flag}={value}"], fill=solid(fill)))


def panel_rows(plan: Plan) -> int:
    """Rows the Front sheet's panel takes: the headline, one per priority, the coordinator's line."""
    return len(plan.priorities) + 2


def _panel(ws: Worksheet, plan: Plan, done: list[SheetChecks], row: int) -> None:
    """'Ready to send', or what to fix and check, with a link to each priority sheet's check column."""
    errors = "+".join(s.total("errors") for s in done) or "0"
    warnings = "+".join(s.total("warnings") for s in done) or "0"
    later = "+".join(s.total("coordinator") for s in done) or "0"
    started = "+".join(s.total("started") for s in done) or "0"
    partner = f"IF({blank(L.PARTNER_CELL)},1,0)"  # partner-missing: the reader's error for this cell
    total_e = f"({errors}+{partner})"

    def things(n: str, what: str) -> str:
        return f'{n}&IF({n}=1," thing"," things")&{text(what)}'

    headline = ws.cell(row, 2)
    headline.value = (f"=IF({total_e}>0,{things(total_e, ' to fix before you send this')},"
                      f"IF(AND({started}=0,{blank(L.NIL_CELL)}),{text('Nothing filled in yet')},"
                      f"{text('Ready to send')}))"
                      f'&IF(({warnings})>0," ("&{things(f"({warnings})", " to check")}&")","")')
    headline.font = Font(name=L.FONT_NAME, size=14, bold=True)
    ws.conditional_formatting.add(headline.coordinate, FormulaRule(formula=[f"{total_e}>0"],
                                                                   fill=solid(L.MISSING_FILL)))
    ws.conditional_formatting.add(headline.coordinate, FormulaRule(
        formula=[f"AND({total_e}=0,OR({started}>0,NOT({blank(L.NIL_CELL)})))"], fill=solid(L.READY_FILL)))
    ws.row_dimensions[row].height = 24
    for i, s in enumerate(done, 1):
        e, w = s.total("errors"), s.total("warnings")
        target = text(f"#{quote_sheetname(s.sheet)}!{s.check_column}{L.HEADER_ROW}")
        label = (f'{text(s.sheet + ": ")}&IF({e}+{w}=0,"nothing to fix",'
                 f'IF({e}>0,{e}&" to fix","")&IF(AND({e}>0,{w}>0),", ","")&IF({w}>0,{w}&" to check",""))'
                 f'&{text(" (go to the sheet)")}')
        cell = ws.cell(row + i, 2)
        cell.value = f"=HYPERLINK({target},{label})"
        cell.font = Font(name=L.FONT_NAME, size=L.FONT_SIZE, color="0563C1", underline="single")
    h = {role: plan.column(role).header for role in ROLES}
    note = ws.cell(row + len(done) + 1, 2)
    words = (f"Checked by the coordinator when you send it: joint {h['lead']}s (two or more partners), "
             f"any {h['time_frame']} other than a month from the list or Ongoing, and whether it falls in the plan "
             "period.")
    note.value = f'={text(words)}&IF(({later})>0," This return has "&({later})&" of them.","")'
    note.font = Font(name=L.FONT_NAME, size=L.FONT_SIZE, italic=True, color="595959")
    note.alignment = WRAP
    ws.row_dimensions[row + len(done) + 1].height = 30
    ws.conditional_formatting.add(L.PARTNER_CELL, FormulaRule(formula=[f"{partner}=1"], fill=solid(L.MISSING_FILL)))
