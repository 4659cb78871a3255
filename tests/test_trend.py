"""Issue 13: the trend, the histories, the stuck list and timeliness, worked out from round snapshots built here.

Every expected figure below is worked out by hand from the four rounds in `rounds()`, not by the code under test.
"""

from __future__ import annotations

import difflib
import random
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from plan_workbook.plan import ROLES, Plan
from plan_workbook.reading.rows import Values
from plan_workbook.rounds.compare import NEARLY, best_match
from plan_workbook.rounds.snapshot import ActionRecord, PartnerRecord, Snapshot
from plan_workbook.rounds.trend import ALL, NOTHING, Travel, match_histories, tables, trend
from plan_workbook.store.earlier import pack, unpack

# the priorities' titles (the snapshot keeps the title; the sheet is named for short)
RA = "Raising Awareness"
IR = "Improving our Response, Identifying and Responding to Emerging Issues"
SC = "Re-assuring and Strengthening Communities and Educating Communities"
POLICE, CITY, RUTLAND, VF = ("Leicestershire Police", "Leicester City Council", "Rutland County Council",
                             "Victim First")
AS_OF = (date(2021, 6, 30), date(2021, 9, 30), date(2021, 12, 31), date(2022, 3, 31))
NAMES = ("Q1 2021/22", "Q2 2021/22", "Q3 2021/22", "Q4 2021/22")


def act(partner: str, priority: str, text: str, status: str, update: str, cell: str,
        due: date | None = None) -> ActionRecord:
    values = dict.fromkeys(ROLES, "")
    values.update(action=text, status=status, update=update)
    file = f"{partner.rsplit(maxsplit=1)[-1].lower()}.xlsx"
    return ActionRecord(partner, priority, Values.of(values), due, file, priority[:10], cell, "")


def who(partner: str, state: str, errors: int = 0, received: datetime | None = None) -> PartnerRecord:
    return PartnerRecord(partner, state, errors, 0, received)  # type: ignore[arg-type]  # states typed as literals


TRAIN = "Train all staff on hate crime reporting"
DUE = date(2021, 9, 1)


def rounds() -> list[Snapshot]:
    """Police: A improves, B stays Amber and overdue with the same update (reworded in Q3), C worsens and is
    dropped in Q4, D is new in Q4. City: missing in Q2; E Amber whenever it reports, G worsens in Q4.
    Victim First: nil (sent late), returned with an error, missing, returned late with no status.
    Rutland: unreadable, empty, then two returns with no actions of note."""
    a = [act(POLICE, RA, "Awareness stall", s, u, "D5") for s, u in
         (("Red", "a"), ("Amber", "b"), ("Green", "c"), ("Green", "c"))]
    b = [act(POLICE, RA, t, "Amber", "same", "D6", DUE) for t in (TRAIN, TRAIN, TRAIN + ".", TRAIN + ".")]
    c = [act(POLICE, RA, "Leaflets", s, u, "D7") for s, u in (("Green", "x"), ("Red", "y"), ("Red", "y"))]
    d = act(POLICE, RA, "Library drop-in sessions", "Amber", "Started", "D8")
    e = [act(CITY, IR, "Review the reporting policy", "Amber", u, "D5") for u in ("u1", "u2", "u2")]
    g = [act(CITY, IR, "Hate crime panel", s, u, "D6") for s, u in (("Green", "ok"), ("Green", "ok"), ("Red", "bad"))]
    f = [act(VF, SC, "Support victims", s, "helping", "D5") for s in ("Green", "")]
    late_nil = datetime(2021, 7, 1, 9, 0, tzinfo=UTC)
    on_time = datetime(2021, 10, 1, 0, 30, tzinfo=timezone(timedelta(hours=1)))  # 23:30 UTC on the as-of day
    late = datetime(2022, 4, 2, 10, 0, tzinfo=UTC)
    return [
        Snapshot(NAMES[0], AS_OF[0], (who(POLICE, "received"), who(CITY, "received"), who(RUTLAND, "unreadable", 1),
                                      who(VF, "nil", received=late_nil)),
                 (a[0], b[0], c[0], e[0], g[0])),
        Snapshot(NAMES[1], AS_OF[1], (who(POLICE, "received"), who(CITY, "missing"), who(RUTLAND, "empty"),
                                      who(VF, "received", 1, on_time)),
                 (a[1], b[1], c[1], f[0])),
        Snapshot(NAMES[2], AS_OF[2], (who(POLICE, "received"), who(CITY, "received", 2), who(RUTLAND, "nil"),
                                      who(VF, "missing")),
                 (a[2], b[2], c[2], e[1], g[1])),
        Snapshot(NAMES[3], AS_OF[3], (who(POLICE, "received"), who(CITY, "received"), who(RUTLAND, "nil"),
                                      who(VF, "received", received=late)),
                 (a[3], b[3], d, e[2], g[2], f[1])),
    ]


def counts(red: int, amber: int, green: int, none: int = 0) -> dict[str, int]:
    return {"Red": red, "Amber": amber, "Green": green, "No status": none}


def test_status_by_priority_in_every_round(plan: Plan) -> None:
    t = trend(plan, rounds())
    assert t.rounds == NAMES
    assert t.as_of == AS_OF
    assert t.statuses == ("Red", "Amber", "Green", "No status")
    assert t.priorities == (RA, IR, SC, ALL)
    assert t.counts[0] == {RA: counts(1, 1, 1), IR: counts(0, 1, 1), SC: counts(0, 0, 0), ALL: counts(1, 2, 2)}
    assert t.counts[1] == {RA: counts(1, 2, 0), IR: counts(0, 0, 0), SC: counts(0, 0, 1), ALL: counts(1, 2, 1)}
    assert t.counts[2] == {RA: counts(1, 1, 1), IR: counts(0, 1, 1), SC: counts(0, 0, 0), ALL: counts(1, 2, 2)}
    assert t.counts[3] == {RA: counts(0, 2, 1), IR: counts(1, 1, 0), SC: counts(0, 0, 0, 1), ALL: counts(1, 3, 1, 1)}


def test_direction_of_travel(plan: Plan) -> None:
    t = trend(plan, rounds())
    assert len(t.travel) == 3  # into Q2, Q3 and Q4
    # into Q2: A Red->Amber, B same, C Green->Red; City sent nothing; F is new
    assert t.travel[0] == {RA: Travel(1, 1, 1), IR: Travel(0, 0, 0), SC: Travel(0, 0, 0), ALL: Travel(1, 1, 1)}
    # into Q3: A Amber->Green, B and C the same; E and G not in Q2; F not in Q3
    assert t.travel[1] == {RA: Travel(1, 0, 2), IR: Travel(0, 0, 0), SC: Travel(0, 0, 0), ALL: Travel(1, 0, 2)}
    # into Q4: A and B the same (C dropped, D new); E the same, G Green->Red; F not in Q3
    assert t.travel[2] == {RA: Travel(0, 0, 2), IR: Travel(0, 1, 1), SC: Travel(0, 0, 0), ALL: Travel(0, 1, 3)}
    assert [[t.travel[i][p].direction for p in (RA, IR, ALL)] for i in range(3)] == [
        ["unchanged", "nothing to compare", "unchanged"], ["improved", "nothing to compare", "improved"],
        ["unchanged", "worsened", "worsened"]]


def test_histories(plan: Plan) -> None:
    t = trend(plan, rounds())
    got = [(h.partner, h.priority, h.action, h.statuses, h.update_changed()) for h in t.histories]
    assert got == [
        (POLICE, RA, "Awareness stall", ("Red", "Amber", "Green", "Green"), 2),
        (POLICE, RA, TRAIN + ".", ("Amber", "Amber", "Amber", "Amber"), 0),  # reworded in Q3: the same action
        (POLICE, RA, "Leaflets", ("Green", "Red", "Red", None), 1),  # dropped in Q4
        (CITY, IR, "Review the reporting policy", ("Amber", None, "Amber", "Amber"), 2),  # City missing in Q2
        (CITY, IR, "Hate crime panel", ("Green", None, "Green", "Red"), 3),
        (VF, SC, "Support victims", (None, "Green", None, ""), 1),
        (POLICE, RA, "Library drop-in sessions", (None, None, None, "Amber"), 3),
    ]


def test_stuck(plan: Plan) -> None:
    t = trend(plan, rounds())
    got = [(s.partner, s.action, s.status, s.same_status, s.overdue, s.same_update, s.file, s.sheet, s.cell)
           for s in t.stuck]
    assert got == [
        (POLICE, TRAIN + ".", "Amber", 4, 3, 4, "police.xlsx", "Raising Aw", "D6"),  # due 1 Sept 2021: overdue from Q2
        (CITY, "Review the reporting policy", "Amber", 3, 0, 2, "council.xlsx", "Improving ", "D5"),  # skips the gap
        (VF, "Support victims", "", 0, 0, 2, "first.xlsx", "Re-assurin", "D5"),  # no status: only the update counts
    ]
    assert t.stuck[0].reasons == ["Amber for 4 rounds", "overdue in 3 rounds", "update unchanged for 4 rounds"]
    assert t.stuck[2].reasons == ["update unchanged for 2 rounds"]


def test_timeliness(plan: Plan) -> None:
    t = trend(plan, rounds())
    got = [(x.partner, x.rounds, x.returned, x.with_errors, x.nil, x.not_usable, x.missing, x.late)
           for x in t.timeliness]
    assert got == [
        (POLICE, 4, 4, 0, 0, 0, 0, 0),
        (CITY, 4, 3, 1, 0, 0, 1, 0),
        (RUTLAND, 4, 2, 0, 2, 2, 0, 0),  # an unreadable return's error is not "returned with errors"
        (VF, 4, 3, 1, 1, 0, 1, 2),  # the nil return and Q4's were sent after the as-of day; Q2's at 23:30 UTC
    ]


def test_one_round_and_none(plan: Plan) -> None:
    one = trend(plan, rounds()[:1])
    assert one.travel == ()
    assert one.stuck == ()  # nothing has been the same for long enough
    assert [h.statuses for h in one.histories] == [("Red",), ("Amber",), ("Green",), ("Amber",), ("Green",)]
    assert one.histories == match_histories(rounds()[:1])  # matched only when asked for, the same way
    empty = trend(plan, [])
    assert (empty.rounds, empty.counts, empty.histories, empty.stuck, empty.timeliness) == ((), (), (), (), ())


def test_rounds_with_no_actions_still_have_a_direction(plan: Plan) -> None:
    bare = [replace(s, actions=()) for s in rounds()[:2]]
    t = trend(plan, bare)
    assert t.histories == ()
    assert len(t.travel) == 1
    assert set(t.travel[0]) == {*(p.title for p in plan.priorities), ALL}
    assert {m.direction for m in t.travel[0].values()} == {NOTHING}


@pytest.mark.parametrize(("q2", "expected"), [
    ("received", [("Leaflets", ("Green", None, None)), ("Leaflets", (None, None, "Green"))]),  # left out: ended
    ("missing", [("Leaflets", ("Green", None, "Green"))]),  # no return: a gap
    ("nil", [("Leaflets", ("Green", None, "Green"))]),  # nothing to report: a gap
])
def test_an_action_left_out_of_a_return_ends_its_history(plan: Plan, q2: str,
                                                          expected: list[tuple[str, tuple[str | None, ...]]]) -> None:
    leaflets = act(POLICE, RA, "Leaflets", "Green", "x", "D5")
    other = act(POLICE, RA, "Something else entirely", "Amber", "y", "D5")
    snaps = [Snapshot("1", AS_OF[0], (who(POLICE, "received"),), (leaflets,)),
             Snapshot("2", AS_OF[1], (who(POLICE, q2),), (other,) if q2 == "received" else ()),
             Snapshot("3", AS_OF[2], (who(POLICE, "received"),), (leaflets,))]
    got = [(h.action, h.statuses) for h in match_histories(snaps) if h.action == "Leaflets"]
    assert got == expected


def test_two_actions_of_one_text_keep_two_histories(plan: Plan) -> None:
    one = act(POLICE, RA, "Leaflets", "Red", "x", "D5")
    two = act(POLICE, RA, "Leaflets", "Green", "x", "D6")
    snaps = [Snapshot(str(i), AS_OF[i], (who(POLICE, "received"),), (one, two)) for i in range(2)]
    assert [h.statuses for h in match_histories(snaps)] == [("Red", "Red"), ("Green", "Green")]


def test_tables_for_export(plan: Plan) -> None:
    t = tables(trend(plan, rounds()))
    assert list(t) == ["trend_status", "trend_direction", "action_history", "stuck", "timeliness"]
    for name, (columns, rows) in t.items():
        assert all(list(r) == columns for r in rows), name
    status = {(r["round"], r["priority"], r["status"]): r["actions"] for r in t["trend_status"][1]}
    assert (len(status), status[NAMES[3], ALL, "Amber"], status[NAMES[3], SC, "No status"]) == (4 * 4 * 4, 3, 1)
    assert [(r["round"], r["direction"]) for r in t["trend_direction"][1] if r["priority"] == ALL] == [
        (NAMES[1], "unchanged"), (NAMES[2], "improved"), (NAMES[3], "worsened")]
    assert [(r["action_id"], r["round"], r["status"]) for r in t["action_history"][1] if r["partner"] == VF] == [
        (6, NAMES[1], "Green"), (6, NAMES[3], "")]
    assert [(r["partner"], r["rounds_at_status"]) for r in t["stuck"][1]] == [(POLICE, 4), (CITY, 3), (VF, 0)]
    empty = tables(trend(plan, rounds()[:1]))
    assert empty["stuck"] == (["partner", "priority", "action", "status", "rounds_at_status", "rounds_overdue",
                               "rounds_same_update", "file", "sheet", "cell"], [])


def test_earlier_rounds_kept_exactly() -> None:
    """What the store keeps with a round for its trend reads back the same, odd text and times included."""
    snaps = rounds()
    odd = act(POLICE, RA, "caf\udce9 =SUM(A1) \u2028 line", "Amber", "\x07 bell", "D9", date(2022, 1, 31))
    snaps[0] = Snapshot(snaps[0].name, snaps[0].as_of, snaps[0].partners, (*snaps[0].actions, odd))
    assert unpack(pack(snaps)) == snaps


def test_best_match_is_plain_difflib_made_quick() -> None:
    """compare.best_match skips candidates by difflib's own upper bounds: the same answer as scoring them all."""
    def plain(text: str, candidates: list[dict[str, str]]) -> dict[str, str] | None:
        key = " ".join(text.split()).casefold()
        same = [o for o in candidates if " ".join(o["a"].split()).casefold() == key]
        if same:
            return same[0]
        scored = [(difflib.SequenceMatcher(None, key, " ".join(o["a"].split()).casefold()).ratio(), i)
                  for i, o in enumerate(candidates)]
        top = max(scored, default=(0.0, -1))
        return candidates[top[1]] if top[0] >= NEARLY else None

    rng = random.Random(13)
    words = ["Train", "staff", "hate", "crime", "Reporting", "centres", "leaflets", "x", "y"]

    def reworded(text: str) -> str:
        chars = list(text)
        for _ in range(rng.randint(0, 3)):
            if chars and rng.random() < 0.5:
                del chars[rng.randrange(len(chars))]
            else:
                chars.insert(rng.randint(0, len(chars)), rng.choice("aeX "))
        return "".join(chars)

    matched = 0
    for _ in range(3000):
        base = " ".join(rng.choice(words) for _ in range(rng.randint(0, 6)))
        candidates = [{"a": reworded(base)} for _ in range(rng.randint(0, 5))]
        text = reworded(base)
        assert best_match(text, candidates, "a") is plain(text, candidates), (text, candidates)
        matched += plain(text, candidates) is not None
    assert 1000 < matched < 2900  # both kinds of answer, many times
