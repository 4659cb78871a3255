"""Issue 6, feedback to partners: a marked-up copy of each return that merges cleanly once fixed."""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from pdfminer.high_level import extract_pages
from pdfminer.layout import LTContainer, LTCurve

from conftest import RA, MakeReturn, action
from plan_workbook import layout as L
from plan_workbook.cli import main
from plan_workbook.merge import check_returns
from plan_workbook.outputs.feedback import MARK_FILL, write_feedback
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
    assert [r[3].value.split(":")[0] for r in listing.iter_rows(min_row=5)] == ["Must be fixed", "Please check"]
    ws = wb[RA]
    # a thick border in a colour no status uses, and a rule of our own that wins over the template's colours
    assert (ws["G10"].border.left.style, ws["G10"].border.left.color.rgb) == ("thick", "007030A0")
    assert (ws["E11"].border.top.style, ws["E11"].border.top.color.rgb) == ("thick", "000070C0")
    first = min(((r.priority, str(cf.sqref), r) for cf in ws.conditional_formatting for r in cf.rules),
                key=lambda t: t[0])
    assert first[:2] == (1, "G10")
    assert first[2].stopIfTrue
    assert first[2].dxf.fill.bgColor.rgb == "00E4DFEC"
    assert ws["G10"].comment.text.startswith("Must be fixed: The action in row 10 has no Status (RAG).")
    assert ws["E11"].comment.text.startswith("Please check: 'Victim Support'")
    assert all(ws.row_dimensions[r].height for r in (10, 11))
    original = load_workbook(bad)
    for name in (p.sheet for p in plan.priorities):  # the template's protection and dropdowns are kept
        assert wb[name].protection.sheet
        assert len(wb[name].data_validations.dataValidation) == len(original[name].data_validations.dataValidation)
    meta = [(c.value, c.offset(0, 1).value) for c in wb[L.META_SHEET]["A"]]
    # which return the copy was made from, below the template's own keys
    assert meta == [(c.value, c.offset(0, 1).value) for c in original[L.META_SHEET]["A"]] + [(L.FEEDBACK_OF, before)]

    # the partner fixes the copy and sends it back: it merges with no problem at all
    ws["G10"] = "Green"
    ws["E11"] = "Victim First"
    wb.save(copy)
    again = check_returns(plan, [copy])
    assert again.problems == []
    assert [a.values["action"] for a in again.actions] == ["Drop-in", "Stall"]


def rewrite(path: Path, part: str, old: bytes, new: bytes) -> None:
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i.filename) for i in z.infolist()}
    assert old in parts[part]
    parts[part] = parts[part].replace(old, new, 1)
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)


def test_feedback_goes_on_past_a_return_it_cannot_copy(plan: Plan, make_return: MakeReturn,
                                                       tmp_path: Path) -> None:
    good = make_return("vf", "Victim First", {RA: [action(status=None)]})
    odd = make_return("police", "Leicestershire Police", {RA: [action(status=None)]})
    # a rule type openpyxl does not know (as a newer Excel might write): values read, but no copy can be made
    rewrite(odd, "xl/worksheets/sheet2.xml", b'<cfRule type="cellIs"', b'<cfRule type="newKind"')
    out = tmp_path / "feedback"
    result = CliRunner().invoke(main, ["feedback", str(good), str(odd), "--out-dir", str(out)])
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert lines[:2] == [f"Wrote 1 feedback workbook(s) to {out}", "  vf - feedback.xlsx"]
    assert lines[2].startswith(f"  {odd}: No feedback copy was made: the workbook could not be opened")
    assert len(lines) == 3

    # a return that vanished, or changed, after it was checked: reported, and the others are still written
    gone = make_return("gone", "Melton", {RA: [action(status=None)]})
    changed = make_return("changed", "Blaby", {RA: [action(status=None)]})
    checked = check_returns(plan, [gone, good, changed])
    gone.unlink()
    changed.write_bytes(changed.read_bytes() + b"\0")
    written, failed = write_feedback(checked, tmp_path / "again")
    assert [p.name for p in written] == ["vf - feedback.xlsx"]
    assert [(Path(p.file).name, p.code) for p in failed] == [("gone.xlsx", "unreadable-file"),
                                                            ("changed.xlsx", "unreadable-file")]
    assert "changed after it was checked" in failed[1].message


@pytest.mark.libreoffice
def test_marks_are_not_painted_over_in_libreoffice(plan: Plan, make_return: MakeReturn,
                                                   convert: Callable[[Path, str], Path], tmp_path: Path) -> None:
    """The template paints an empty Status or Lead of a started row salmon, and Green cells green, by
    conditional formats that beat a cell's own fill: the feedback mark must still show where printed."""
    bad = make_return("vf", "Victim First", {RA: [action(status=None), action("Stall", lead=None)]})
    (written, _) = write_feedback(check_returns(plan, [bad]), tmp_path / "fb")
    boxes: dict[str, list[tuple[float, float, float, float]]] = {}
    for page in extract_pages(convert(written[0], "pdf")):
        for o in walk(page):
            if isinstance(o, LTCurve) and o.fill:
                boxes.setdefault(rgb(o.non_stroking_color), []).append((page.pageid, *o.bbox[:2]))  # type: ignore[arg-type]
    assert {MARK_FILL["error"], MARK_FILL["warning"]} <= set(boxes)
    # the template's own highlight may show elsewhere (its check column), never where a mark is
    marked = set(boxes[MARK_FILL["error"]]) | set(boxes[MARK_FILL["warning"]])
    assert not marked & set(boxes.get(L.MISSING_FILL, []))


def walk(item: Any) -> Iterator[Any]:
    yield item
    if isinstance(item, LTContainer):
        for child in item:
            yield from walk(child)


def rgb(colour: Any) -> str:
    return "".join(f"{round(c * 255):02X}" for c in colour) if isinstance(colour, tuple) and len(colour) == 3 else ""
