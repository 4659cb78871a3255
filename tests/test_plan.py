"""Stage 1: the plan file. The default plan must hold the seed (Appendix B) faithfully."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from plan_workbook.cli import main
from plan_workbook.errors import PlanError
from plan_workbook.plan import ROLES, Challenge, Plan, default_plan_path, load_plan, plan_from_dict

SEED = Path(__file__).parent / "data" / "appendix-b-draft-template-2021-23.txt"


def flat(text: str) -> str:
    return " ".join(re.sub(r"</?p>", " ", text).split())


def seed_rows() -> list[list[str]]:
    """The seed's table rows (eight tab-separated cells), without header and guidance rows."""
    rows = []
    for line in SEED.read_text(encoding="utf-8").splitlines():
        cells = line.split("\t")
        if len(cells) == 8 and cells[0] not in ("Strategy Priority", "Strategic Priority") \
                and "Overall intension" not in cells[1]:
            rows.append([flat(c) for c in cells])
    return rows


def test_default_plan_has_the_three_priorities_in_order(plan: Plan) -> None:
    assert [p.title for p in plan.priorities] == [
        "Raising Awareness",
        "Improving our Response, Identifying and Responding to Emerging Issues",
        "Re-assuring and Strengthening Communities and Educating Communities",
    ]
    assert all(len(p.sheet) <= 31 for p in plan.priorities)
    assert (plan.period_start.isoformat(), plan.period_end.isoformat()) == ("2021-04-01", "2023-03-31")
    assert plan.status_names == ["Red", "Amber", "Green"]
    assert plan.input_rows >= 100


def test_every_seed_row_is_an_example_with_the_same_text(plan: Plan) -> None:
    examples = [e for p in plan.priorities for e in p.examples]
    rows = seed_rows()
    assert len(examples) == len(rows) == 11
    theme = ""
    for example, row in zip(examples, rows, strict=True):
        theme = row[0] or theme  # the seed leaves a theme cell blank where it spans several rows
        expected = dict(zip(ROLES, [theme, *row[1:]], strict=True))
        assert {r: flat(example[r]) for r in ROLES} == expected


def test_every_seed_theme_is_offered_under_its_priority(plan: Plan) -> None:
    for priority in plan.priorities:
        assert {e["theme"] for e in priority.examples} <= set(priority.themes)
    assert len([t for p in plan.priorities for t in p.themes]) == 9


def test_multi_paragraph_cells_keep_separate_lines(plan: Plan) -> None:
    ex = plan.priorities[0].examples[3]
    assert ex["action"].split("\n") == ["Reporting Centres can sign post reports to appropriate agencies.",
                                        "Report hate on-line", "Report hate to local Councils (Community Safety Teams)"]


def test_partners_and_aliases(plan: Plan) -> None:
    names = plan.partner_names
    for p in ["Leicestershire Police", "Leicester City Council", "Leicestershire County Council",
              "Rutland County Council", "Blaby District Council", "Charnwood Borough Council",
              "Harborough District Council", "Hinckley and Bosworth Borough Council", "Melton Borough Council",
              "North West Leicestershire District Council", "Oadby and Wigston Borough Council",
              "Office of the Police and Crime Commissioner", "Victim First",
              "Leicestershire Fire and Rescue Service", "All partners", "Working Group"]:
        assert p in names
    police = next(p for p in plan.partners if p.name == "Leicestershire Police")
    assert "Police" in police.aliases
    assert "All partners" not in plan.returning_partners


BROKEN = '''
[plan]
id = "x"
version = "1"
title = "A plan"
period_start = "2021-04"
period_end = "2023-03"
done_status = "Green"
colour = "blue"

[columns]
theme = { header = "Theme" }
aim = { header = "Aim" }
objective = { header = "Objective" }
action = { header = "Action" }
lead = { header = "Lead" }
time_frame = { header = "Time Frame" }
status = { header = "Status" }
update = { header = "Update" }

[[statuses]]
name = "Green"
fill = "C6EFCE"

[[partners]]
name = "Police"

[[priorities]]
sheet = "Awareness: phase/1"

[[priorities]]
title = "Second"
sheet = "A very long sheet name that Excel will reject"

[[priorities]]
title = "Third"
sheet = "Awareness: phase/1"

[[priorities.examples]]
action = "Something"
status = "Purple"
'''


def test_a_broken_plan_reports_every_mistake_with_its_key(tmp_path: Path) -> None:
    path = tmp_path / "plan.toml"
    path.write_text(BROKEN, encoding="utf-8")
    with pytest.raises(PlanError) as err:
        load_plan(path)
    keys = sorted(m.split(":")[0] for m in err.value.mistakes)
    assert keys == ["plan.colour", "priorities[1].sheet", "priorities[1].title", "priorities[2].sheet",
                    "priorities[3].examples[1].status", "priorities[3].sheet", "priorities[3].sheet"]
    assert any("earlier priority" in m for m in err.value.mistakes)  # the duplicate sheet name


def test_cli_reports_a_broken_plan_with_exit_2_and_no_traceback(tmp_path: Path) -> None:
    path = tmp_path / "plan.toml"
    path.write_text(BROKEN, encoding="utf-8")
    result = CliRunner().invoke(main, ["build", "--plan", str(path), "--out", str(tmp_path / "t.xlsx")])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "priorities[2].sheet" in result.output
    assert "at most 31" in result.output
    assert not (tmp_path / "t.xlsx").exists()


def test_missing_and_invalid_toml_are_plan_errors(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match="does not exist"):
        load_plan(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[plan\n", encoding="utf-8")
    with pytest.raises(PlanError, match="not valid TOML"):
        load_plan(bad)


@pytest.mark.parametrize("sheet", ["Feedback", "FRONT", "lists", "_Meta", "history"])
def test_a_priority_sheet_named_after_a_reserved_sheet_is_a_plan_mistake(tmp_path: Path, sheet: str) -> None:
    text = BROKEN.replace('sheet = "Awareness: phase/1"', f'sheet = "{sheet}"', 1)
    path = tmp_path / "plan.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PlanError) as err:
        load_plan(path)
    mine = [m for m in err.value.mistakes if m.startswith("priorities[1].sheet")]
    assert mine == [f"priorities[1].sheet: {sheet!r} is a name the template uses for its own sheets (Front, Lists, "
                    "_meta, Feedback, in any case) or Excel keeps for itself (History); give the priority sheet "
                    "another name"]
    result = CliRunner().invoke(main, ["build", "--plan", str(path), "--out", str(tmp_path / "t.xlsx")])
    assert result.exit_code == 2
    assert f"{sheet!r} is a name the template uses for its own sheets" in result.output


def test_a_plan_is_checked_from_data_without_a_file() -> None:
    import tomllib

    raw = tomllib.loads(BROKEN)
    with pytest.raises(PlanError) as err:
        plan_from_dict(raw)
    assert err.value.path == "<plan>"
    assert "priorities[2].sheet: 'A very long sheet name that Excel will reject' is 45 characters; Excel allows at " \
        "most 31" in err.value.mistakes
    del raw["plan"]["colour"]
    for i, sheet in enumerate(("Awareness", "Second", "Third")):
        raw["priorities"][i].update(title=raw["priorities"][i].get("title", sheet), sheet=sheet)
    raw["priorities"][2]["examples"][0]["status"] = "Green"
    plan = plan_from_dict(raw, "test")
    assert ([p.sheet for p in plan.priorities], plan.status_names) == (["Awareness", "Second", "Third"], ["Green"])


def test_challenge_thresholds_from_the_plan(plan: Plan, tmp_path: Path) -> None:
    assert plan.challenge == Challenge()  # the LLR plan states the defaults
    text = default_plan_path().read_text(encoding="utf-8")
    path = tmp_path / "plan.toml"
    path.write_text(text.replace("min_update_words = 5", "min_update_words = 3"), encoding="utf-8")
    assert load_plan(path).challenge == Challenge(min_update_words=3)
    path.write_text(text.replace("stale_rounds = 2", "stale_rounds = 3\nmin_words = 2")
                    .replace("slip_days = 0", 'slip_days = "a week"'), encoding="utf-8")
    with pytest.raises(PlanError) as err:
        load_plan(path)
    assert sorted(m.split(":")[0] for m in err.value.mistakes) == ["challenge.min_words", "challenge.slip_days",
                                                                  "challenge.stale_rounds"]
    assert "from 1 to 2, not 3" in " ".join(err.value.mistakes)
    start = text.index("[challenge]")
    path.write_text(text[:start] + text[text.index("[columns]"):], encoding="utf-8")
    assert load_plan(path).challenge == Challenge()  # the table is optional
