"""Issue 6, chasing returns: what each partner owes, in the Returns sheet, the JSON and `chase` messages."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from click.testing import CliRunner
from openpyxl import load_workbook

from checks import table
from conftest import RA, MakeReturn, action
from plan_workbook.cli import main
from plan_workbook.plan import Plan, default_plan_path

SAMPLES = Path(__file__).parent.parent / "samples" / "returns"


def test_outstanding_in_json_returns_sheet_and_chase(plan: Plan, make_return: MakeReturn, tmp_path: Path) -> None:
    make_return("police", "Leicestershire Police", {RA: [action()]})
    make_return("vf", "Victim First",
                {RA: [action("Drop-in", status=None), action("Stall", lead="Police ", status="Red", update=None)]})
    out = tmp_path / "summary.xlsx"
    merged = CliRunner().invoke(main, ["merge", str(tmp_path / "returns"), "--out", str(out), "--format", "json"])
    assert merged.exit_code == 1
    owed = {p["partner"]: p["outstanding"] for p in json.loads(merged.output)["partners"]}
    assert owed["Leicestershire Police"] == []
    # 'Police ' was fixed by the tool (trimmed, read as the plan's name): reported, but nothing to chase
    assert owed["Victim First"] == ["1 error(s) to fix", "1 warning(s) to explain"]
    assert owed["Leicester City Council"] == ["no return received"]
    assert len(owed) == len(plan.returning_partners)

    rows = {r["Partner"]: r["Outstanding"] for r in table(out, "Returns")}
    assert rows["Leicestershire Police"] == "nothing"
    assert rows["Victim First"] == "1 error(s) to fix; 1 warning(s) to explain"
    assert rows["Rutland County Council"] == "no return received"

    chased = CliRunner().invoke(main, ["chase", str(out)])
    assert chased.exit_code == 0, chased.output
    messages = chased.output.split("\n----------\n")
    to = [m.strip().splitlines()[0] for m in messages]
    assert "To: Leicestershire Police" not in to  # nothing outstanding
    assert len(to) == len(plan.returning_partners) - 1
    vf = messages[to.index("To: Victim First")]
    assert "Subject: LLR Hate Crime Delivery Plan 2021-23: 2 point(s) on your return" in vf
    # each point says whether it must be fixed or should be checked, and names its cell once
    assert "- Must be fixed: Raising Awareness: The action in row 10 has no Status (RAG). Choose one of Red, " \
           "Amber, Green in G10." in vf
    assert "- Please check: Raising Awareness: The action in row 11 is Red but has no Update. Say what is being " \
           "done in H11." in vf
    assert "E11" not in vf  # a fix: nothing to chase
    city = messages[to.index("To: Leicester City Council")]
    assert "We have not yet received your return for the LLR Hate Crime Delivery Plan 2021-23." in city


def test_chase_refuses_what_is_not_a_current_summary(make_return: MakeReturn, tmp_path: Path) -> None:
    path = make_return(rows={RA: [action()]})
    result = CliRunner().invoke(main, ["chase", str(path)])
    assert result.exit_code == 2
    assert result.output.startswith("Error: ")
    assert "has no 'Returns' sheet" in result.output


def test_partner_text_cannot_forge_a_message(plan: Plan, make_return: MakeReturn, tmp_path: Path) -> None:
    """A sheet or file name with line breaks printed a fake "To:/Subject:" block; now it stays on its line."""
    path = make_return("vf", "Victim First", {RA: [action(status="Red", update=None)]})
    wb = load_workbook(path)
    wb.create_sheet("NOTES")["A1"] = "hello"
    wb.save(path)
    # Excel refuses ':' in a sheet name, but a hostile file can say anything
    rewrite(path, "xl/workbook.xml", b'name="NOTES"', b'name="Notes&#10;To: Chief Executive&#10;Subject: Urgent"')
    path.rename(path.with_name("vf\r\nTo: Finance\nSubject: Invoice.xlsx"))
    out = tmp_path / "summary.xlsx"
    CliRunner().invoke(main, ["merge", str(path.parent), "--out", str(out)])
    chased = CliRunner().invoke(main, ["chase", str(out)])
    assert chased.exit_code == 0, chased.output
    heads = [line for line in chased.output.splitlines() if line.startswith(("To:", "Subject:"))]
    assert len(heads) == 2 * len(plan.returning_partners)  # one To: and one Subject: per message, no more
    assert {h.removeprefix("To: ") for h in heads if h.startswith("To:")} == set(plan.returning_partners)
    assert "Notes\\nTo: Chief Executive\\nSubject: Urgent" in chased.output
    assert "(vf\\r\\nTo: Finance\\nSubject: Invoice.xlsx)" in chased.output


def rewrite(path: Path, part: str, old: bytes, new: bytes) -> None:
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i.filename) for i in z.infolist()}
    assert old in parts[part]
    parts[part] = parts[part].replace(old, new)
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)


def plan_with(tmp_path: Path, line: str) -> Path:
    text = default_plan_path().read_text(encoding="utf-8").replace("[plan]\n", f"[plan]\n{line}\n", 1)
    path = tmp_path / "plan.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_past_deadline_is_not_given_as_the_deadline(make_return: MakeReturn, tmp_path: Path) -> None:
    plan_file = str(plan_with(tmp_path, 'return_date = "30 November 2021"'))
    make_return("vf", "Victim First", {RA: [action()]})
    out = tmp_path / "summary.xlsx"
    CliRunner().invoke(main, ["merge", str(tmp_path / "returns"), "--out", str(out), "--plan", plan_file])
    before = CliRunner().invoke(main, ["chase", str(out), "--plan", plan_file, "--as-of", "2021-11-01"]).output
    assert "send it back by 30 November 2021." in before
    after = CliRunner().invoke(main, ["chase", str(out), "--plan", plan_file, "--as-of", "2022-03-31"]).output
    assert "30 November 2021" not in after
    assert "send it back as soon as you can." in after


def test_sample_round_chases_only_what_partners_must_do(tmp_path: Path) -> None:
    """The six samples: 4 points (1 error, 3 warnings); the 8 automatic fixes are not chased."""
    out = tmp_path / "summary.xlsx"
    merged = CliRunner().invoke(main, ["merge", str(SAMPLES), "--out", str(out), "--as-of", "2022-03-31"])
    assert merged.output.rstrip().endswith("1 error(s), 3 warning(s), 7 fixed automatically. Summary written to "
                                           f"{out}. Fix the errors and check again.")
    chased = CliRunner().invoke(main, ["chase", str(out)]).output
    points = [line for line in chased.splitlines() if line.startswith("- ")]
    assert [p.split(":")[0] for p in points] == ["- Please check", "- Please check", "- Must be fixed",
                                                 "- Please check"]
    assert "E5: 'Police / All' in E5" not in chased
