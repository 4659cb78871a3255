"""Issue 17, challenge the green: each rule fires on a case made for it, and none fires on a clean round."""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from conftest import RA, action
from plan_workbook.cli import main
from plan_workbook.fill import write_filled
from plan_workbook.merge import check_returns
from plan_workbook.plan import Challenge, Plan
from plan_workbook.reading.timeframes import parse_time_frame
from plan_workbook.rounds.challenge import _DATE_PHRASE, _MONTH_ONLY, RULES, challenges, mentions_new_date
from plan_workbook.rounds.compare import read_previous

AS_OF = date(2022, 3, 31)
POLICE = "Leicestershire Police"


class Rounds:
    """Rounds of one partner's return, each merged by the real CLI against the round before."""

    def __init__(self, plan: Plan, tmp_path: Path) -> None:
        self.plan, self.tmp, self.n = plan, tmp_path, 0
        tmp_path.mkdir(exist_ok=True)

    def next(self, rows: list[dict[str, Any]], settings: Challenge | None = None) -> list[tuple[str, str, str]]:
        """This round's challenge flags as (column, code, action), after which it becomes last round."""
        self.n += 1
        folder = self.tmp / f"round{self.n}"
        folder.mkdir()
        path = write_filled(folder / "police.xlsx", self.plan, POLICE, {RA: rows})
        last = self.tmp / f"s{self.n - 1}.xlsx"
        previous = read_previous(self.plan, last) if self.n > 1 else None
        result = check_returns(self.plan, [path])
        flags = challenges(result, AS_OF, previous, settings)
        extra = ["--previous", str(last)] if self.n > 1 else []
        done = CliRunner().invoke(main, ["merge", str(folder), "--out", str(self.tmp / f"s{self.n}.xlsx"),
                                         "--as-of", AS_OF.isoformat(), *extra])
        assert done.exit_code == 0, done.output
        by_row = {str(a.row.row): str(a.values["action"]) for a in result.actions}
        return [(p.cell.rstrip("0123456789"), p.code, by_row[p.cell.lstrip("ABCDEFGH")]) for p in flags]


CLEAN = [action("Run a stall at the market", status="Green", time_frame="Oct 21", update="Held on 3 October"),
         action("Train call handlers", status="Amber", time_frame="Jun 22",
                update="Half of the call handlers trained; the rest booked"),
         action("Survey victims", status="Red", time_frame="Ongoing",
                update="The survey company withdrew; a new supplier is being found")]


def test_the_samples_flag_only_what_they_hold(plan: Plan) -> None:
    """Of the samples, only Victim First's Amber action past its February due date, whose update gives no new
    date; Charnwood's overdue row with no Action is an error to fix first, not an action to challenge."""
    samples = sorted((Path(__file__).parent.parent / "samples" / "returns").glob("*.xlsx"))
    flags = challenges(check_returns(plan, samples), AS_OF)
    assert [(Path(p.file).name, p.cell, p.code) for p in flags] == [
        ("victim-first.xlsx", "H10", "challenge-overdue-no-date")]


def test_a_clean_round_has_no_flags(plan: Plan, tmp_path: Path) -> None:
    rounds = Rounds(plan, tmp_path)
    assert rounds.next(CLEAN) == []
    second = [dict(r, update=r["update"] + ", as planned") for r in CLEAN]  # each update new this round
    assert rounds.next(second) == []


def test_overdue_with_no_new_date(plan: Plan, tmp_path: Path) -> None:
    rows = [action("Stall A", status="Amber", time_frame="Oct 21", update="The venue fell through again"),
            action("Stall B", status="Amber", time_frame="Oct 21", update="Venue fell through; now June 2022"),
            action("Stall C", status="Red", time_frame="Oct 21", update="Venue fell through; moved to 30/06/2022"),
            action("Stall D", status="Amber", time_frame="Oct 21", update="Venue fell through, rebooked by May"),
            action("Stall E", status="Amber", time_frame="Oct 21", update="Was to be held 1 Sept 2021, not held"),
            action("Stall F", status="Green", time_frame="Oct 21", update="Held"),  # done
            action("Stall G", status="Amber", time_frame="Jun 22", update="Booked for the twelfth of June")]  # not due
    flags = Rounds(plan, tmp_path).next(rows)
    # Stall E's date is before the due date: no new date
    assert flags == [("H", "challenge-overdue-no-date", "Stall A"), ("H", "challenge-overdue-no-date", "Stall E")]
    grace = Challenge(overdue_grace_days=200)  # Oct 21 is 151 days before the as-of date
    assert Rounds(plan, tmp_path / "g").next(rows, grace) == []


def test_short_update_at_a_status_that_needs_one(plan: Plan, tmp_path: Path) -> None:
    rows = [action("Stall A", status="Red", time_frame="Jun 22", update="In hand"),
            action("Stall B", status="Amber", time_frame="Jun 22", update="Venue booked for the twelfth of June"),
            action("Stall C", status="Green", time_frame="Jun 22", update="Done")]  # Green needs no update
    assert Rounds(plan, tmp_path / "a").next(rows) == [("H", "challenge-update-short", "Stall A")]
    assert Rounds(plan, tmp_path / "b").next(rows, Challenge(min_update_words=2)) == []


def test_status_improved_with_last_rounds_update(plan: Plan, tmp_path: Path) -> None:
    rounds = Rounds(plan, tmp_path)
    rounds.next([action("Stall A", status="Amber", time_frame="Jun 22", update="Venue booked for June"),
                 action("Stall B", status="Amber", time_frame="Jun 22", update="Venue booked for June")])
    assert rounds.next([action("Stall A", status="Green", time_frame="Jun 22", update="Venue booked for June"),
                        action("Stall B", status="Green", time_frame="Jun 22", update="Held on 3 June")]) == [
        ("G", "challenge-improved-same-update", "Stall A")]


def test_update_unchanged_for_two_rounds(plan: Plan, tmp_path: Path) -> None:
    same = [action("Stall A", status="Amber", time_frame="Jun 22", update="Waiting to hear from the venue")]
    rounds = Rounds(plan, tmp_path)
    assert rounds.next(same) == []
    assert rounds.next(same) == []  # the same once: the Changes sheet says so, but that is not two rounds
    assert rounds.next(same) == [("H", "challenge-update-stale", "Stall A")]
    once = Rounds(plan, tmp_path / "once")
    once.next(same)
    assert once.next(same, Challenge(stale_rounds=1)) == [("H", "challenge-update-stale", "Stall A")]


def test_due_date_moved_later(plan: Plan, tmp_path: Path) -> None:
    rounds = Rounds(plan, tmp_path)
    rounds.next([action("Stall A", status="Amber", time_frame="Jun 22", update="Venue booked"),
                 action("Stall B", status="Amber", time_frame="Jun 22", update="Venue booked"),
                 action("Stall C", status="Amber", time_frame="Jun 22", update="Venue booked"),
                 action("Stall D", status="Amber", time_frame="Jun 22", update="Venue booked")])
    rows = [action("Stall A", status="Amber", time_frame="Dec 22", update="Venue cancelled, now December 2022"),
            action("Stall B", status="Amber", time_frame="Ongoing", update="Now a rolling programme across the county"),
            action("Stall C", status="Amber", time_frame="30/06/2022", update="Still on for June 2022"),
            action("Stall D", status="Amber", time_frame="May 22", update="Brought forward to May 2022")]
    assert rounds.next(rows) == [("F", "challenge-due-slipped", "Stall A"), ("F", "challenge-due-slipped", "Stall B")]
    late = Rounds(plan, tmp_path / "late")
    late.next([action("Stall A", status="Amber", time_frame="Jun 22", update="Venue booked")])
    assert late.next(rows[:1], Challenge(slip_days=200)) == []  # Jun 22 to Dec 22 is 184 days


def test_every_rule_has_a_test_and_a_problem_code() -> None:
    from plan_workbook.problems import CODES

    text = Path(__file__).read_text(encoding="utf-8")
    for code, _ in RULES:
        assert CODES[code] == "note"
        assert text.count(f'"{code}"') >= 1, code


def test_new_date_in_an_update() -> None:
    due = date(2021, 10, 31)
    assert mentions_new_date("Moved to Q1 2022/23", due)
    assert mentions_new_date("rebooked for 14 Feb 2022", due)
    assert mentions_new_date("now expected by March", due)
    assert not mentions_new_date("Was due 1 Oct 2021", due)  # not later than the due date
    assert not mentions_new_date("Venue fell through", due)
    assert not mentions_new_date("Maybe next year", due)


def test_the_quick_look_before_the_date_patterns_changes_no_answer() -> None:
    """mentions_new_date first looks for a month's letters or a digit before / . or -, and runs its patterns only
    then: the same answer as the patterns alone, on text built at random from the pieces they match (odd letters
    that re.IGNORECASE matches to a month's, such as the long s, U+017F, and digits of other scripts too)."""
    def plain(update: str, due: date) -> bool:
        return bool(_MONTH_ONLY.search(update)) or any((found := parse_time_frame(m.group(0))[0]) is not None
                                                       and found > due for m in _DATE_PHRASE.finditer(update))

    pieces = ["by", "in", "end of", "until", "Q1", "q4", "2022/23", "22", "2023", "1", "14", "3rd", "/", ".", "-", ",",
              "Feb", "\u017fept", "SEPT", "MARCH", "june", "Dec.", "Venue", "x", "\u0663\u0661", "2022-03-01", "1/4/22",
              "ı", "\u212a", "May", "mAy"]
    rng = random.Random(18)
    texts = ["", "Venue fell through", "Met partners. Next steps", "by \u017feptember", "1 - 2 - 2023", "1 .4. 22"]
    texts += ["".join(rng.choice([" ", "", "  "]) + rng.choice(pieces) for _ in range(rng.randint(1, 7)))
              for _ in range(4000)]
    answers = {(t, due): mentions_new_date(t, due) for t in texts for due in (date(2021, 10, 31), date(2023, 6, 1))}
    assert answers == {(t, due): plain(t, due) for t, due in answers}
    assert 0.1 < sum(answers.values()) / len(answers) < 0.9  # the text made both answers, many times
