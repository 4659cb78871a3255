"""What the rounds so far add up to, from their snapshots (oldest first): status by strategic priority in every
round, the direction of travel round on round, each action's history, the stuck actions and partner timeliness.

Pure: the plan and the snapshots in, plain records out; the summary's Trend sheets and the board page only render
them. The rules, which the README repeats:

- An action's history is matched round to round as `--previous` matches (compare.best_match): the same partner
  and priority, the same or nearly the same action text. A round in which its partner sent nothing that counts
  (missing, nil, unreadable) leaves a gap without ending the history; an action left out of a return that was
  sent ends it (a later action of the same text starts a new history).
- Direction of travel of a priority into a round: its actions in both that round and the one before, counted
  improved (a better status, in the plan's order worst first), worsened or unchanged; the priority improved when
  more improved than worsened, worsened when more worsened, and is unchanged otherwise ("nothing to compare"
  when no action of it is in both rounds). An action with no valid status in either round is not compared.
- Stuck, among the actions of the latest round that are not at the plan's done status: the same status for 3
  rounds or more, overdue (due before the round's as-of date) in 2 rounds or more, or the same non-blank update
  for 2 rounds or more. Runs are counted back from the latest round over the rounds the action was reported in.
- Timeliness per partner over the rounds: returned (received or nil), returned with errors, nil, not usable
  (empty or unreadable), missing, and late: sent by email with a Date after the end of the round's as-of day.
  A return from a file has no sent date, so it is never counted late.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from ..plan import Plan
from .compare import best_match, text_key
from .snapshot import ActionRecord, Snapshot

NO_STATUS = "No status"
ALL = "All priorities"
NOTHING = "nothing to compare"  # the direction of a priority with no action in both rounds
SAME_STATUS_ROUNDS = 3
OVERDUE_ROUNDS = 2
SAME_UPDATE_ROUNDS = 2
SHORTEST = min(SAME_STATUS_ROUNDS, OVERDUE_ROUNDS, SAME_UPDATE_ROUNDS)
RETURNED = frozenset({"received", "nil"})
NOT_USABLE = frozenset({"empty", "unreadable"})


@dataclass(frozen=True)
class Travel:
    """A priority's direction of travel into a round: its actions compared with the round before."""

    improved: int
    worsened: int
    unchanged: int

    @property
    def direction(self) -> str:
        if not self.improved + self.worsened + self.unchanged:
            return NOTHING
        if self.improved > self.worsened:
            return "improved"
        return "worsened" if self.worsened > self.improved else "unchanged"


@dataclass(frozen=True, slots=True)  # one for every action of every round: kept small
class History:
    """One action across the rounds: its record in each round, None where it was not reported."""

    partner: str
    priority: str
    records: tuple[ActionRecord | None, ...]  # one per round, oldest first

    @property
    def latest(self) -> ActionRecord:
        return next(r for r in reversed(self.records) if r is not None)

    @property
    def action(self) -> str:
        action: str = self.latest.values["action"]
        return action

    @property
    def statuses(self) -> tuple[str | None, ...]:
        return tuple(r.status if r is not None else None for r in self.records)

    def update_changed(self) -> int:
        """The round (an index) from which its latest update has been the same in every round reported since."""
        seen = [(i, r) for i, r in enumerate(self.records) if r is not None]
        first = seen[-1][0]
        for i, r in reversed(seen):
            if r.values["update"] != seen[-1][1].values["update"]:
                break
            first = i
        return first


@dataclass(frozen=True)
class Stuck:
    """An action of the latest round that has not moved; a run below its rule's threshold is given as 0."""

    partner: str
    priority: str
    action: str
    status: str
    same_status: int  # rounds at this status
    overdue: int  # rounds overdue
    same_update: int  # rounds with this update
    file: str  # where it is in the latest return
    sheet: str
    cell: str

    @property
    def reasons(self) -> list[str]:
        out = [f"{self.status} for {self.same_status} rounds"] if self.same_status else []
        out += [f"overdue in {self.overdue} rounds"] if self.overdue else []
        return out + ([f"update unchanged for {self.same_update} rounds"] if self.same_update else [])


@dataclass(frozen=True)
class Timeliness:
    partner: str
    rounds: int  # rounds it was asked for a return in
    returned: int  # a return that counts: with actions, or nil
    with_errors: int  # of those returned, with errors
    nil: int
    not_usable: int  # sent, but empty or unreadable
    missing: int
    late: int  # sent by email after the end of the round's as-of day


@dataclass(frozen=True)
class Trend:
    rounds: tuple[str, ...]  # names, oldest first
    as_of: tuple[date, ...]
    statuses: tuple[str, ...]  # the plan's, worst first, then No status
    priorities: tuple[str, ...]  # the plan's titles (then any an earlier round had), then All priorities
    counts: tuple[dict[str, dict[str, int]], ...]  # per round: priority -> status -> actions
    travel: tuple[dict[str, Travel], ...]  # per round after the first: priority -> direction into it
    stuck: tuple[Stuck, ...]
    timeliness: tuple[Timeliness, ...]
    snapshots: tuple[Snapshot, ...] = field(default=(), repr=False)  # what the histories are matched from
    _histories: tuple[History, ...] | None = field(default=None, repr=False, compare=False)

    @property
    def histories(self) -> tuple[History, ...]:
        """Every action's history. Matched when first asked for where the trend did not need them (a first round:
        nothing to compare, and the summary has no history to show), which saves a record of every action."""
        if self._histories is None:
            object.__setattr__(self, "_histories", match_histories(self.snapshots))
        assert self._histories is not None
        return self._histories


def trend(plan: Plan, snapshots: Sequence[Snapshot]) -> Trend:
    names = plan.status_names
    statuses = (*names, NO_STATUS)
    titles = [p.title for p in plan.priorities]
    titles += sorted({a.priority for s in snapshots for a in s.actions} - set(titles))
    counts = tuple(_counts(s, titles, statuses, names) for s in snapshots)
    histories = match_histories(snapshots) if len(snapshots) > 1 else None  # a first round: matched if asked
    rank = {name: i for i, name in enumerate(names)}
    travel = tuple(_travel(histories or (), i, titles, rank) for i in range(1, len(snapshots)))
    return Trend(tuple(s.name for s in snapshots), tuple(s.as_of for s in snapshots), statuses, (*titles, ALL),
                 counts, travel, stuck(plan, snapshots, histories or ()), timeliness(plan, snapshots),
                 tuple(snapshots), histories)


def _counts(s: Snapshot, titles: list[str], statuses: tuple[str, ...], names: list[str]) -> dict[str, dict[str, int]]:
    out = {t: dict.fromkeys(statuses, 0) for t in [*titles, ALL]}
    for a in s.actions:
        status = a.status if a.status in names else NO_STATUS
        out[a.priority][status] += 1
        out[ALL][status] += 1
    return out


def _travel(histories: Sequence[History], i: int, titles: list[str], rank: dict[str, int]) -> dict[str, Travel]:
    moved: dict[str, list[int]] = {t: [0, 0, 0] for t in [*titles, ALL]}
    for h in histories:
        last, this = h.records[i - 1], h.records[i]
        if last is None or this is None:
            continue
        before, now = last.status, this.status
        if before not in rank or now not in rank:
            continue
        step = rank[now] - rank[before]
        k = 0 if step > 0 else 1 if step < 0 else 2
        moved[h.priority][k] += 1
        moved[ALL][k] += 1
    return {t: Travel(*m) for t, m in moved.items()}


def match_histories(snapshots: Sequence[Snapshot]) -> tuple[History, ...]:
    """Every action's history, in the order each was first reported."""
    n = len(snapshots)
    rows: list[list[ActionRecord | None]] = []
    keys: list[tuple[str, str]] = []
    seen: list[int] = []  # each history's last round
    by_key: dict[tuple[str, str], list[int]] = {}  # (partner, priority) -> its histories
    reported: dict[str, int] = {}  # partner -> the last round it reported actions in
    for i, snap in enumerate(snapshots):
        groups: dict[tuple[str, str], list[ActionRecord]] = {}
        for a in snap.actions:
            groups.setdefault((a.partner, a.priority), []).append(a)
        for key, actions in groups.items():
            # an action goes on from the partner's last report; one it left out of that report has ended
            free = [h for h in by_key.get(key, []) if seen[h] == reported.get(key[0])]
            for a, goes_on in _pair(actions, free, rows):
                h = len(rows) if goes_on is None else goes_on
                if goes_on is None:
                    rows.append([None] * n)
                    keys.append(key)
                    seen.append(i)
                    by_key.setdefault(key, []).append(h)
                rows[h][i] = a
                seen[h] = i
        reported.update(dict.fromkeys({partner for partner, _ in groups}, i))
    return tuple(History(p, pr, tuple(r)) for (p, pr), r in zip(keys, rows, strict=True))


def _pair(actions: list[ActionRecord], free: list[int], rows: list[list[ActionRecord | None]]
          ) -> list[tuple[ActionRecord, int | None]]:
    """Each action of one partner and priority with the history it goes on (None: a new one). The same text
    first, in one pass, then compare.best_match for the rest (nearly the same text), among the histories left."""
    if not free:  # the partner's first report of this priority: every action starts a history
        return [(a, None) for a in actions]
    by_text: dict[str, list[int]] = {}
    for h in free:
        by_text.setdefault(text_key(_last(rows[h]).values["action"]), []).append(h)
    found: list[int | None] = []
    for a in actions:
        same = by_text.get(text_key(a.values["action"]))
        found.append(same.pop(0) if same else None)
    paired = set(found)
    left = [h for h in free if h not in paired]
    for k, a in enumerate(actions):
        if found[k] is None and left:
            candidates = [{"action": _last(rows[h]).values["action"], "h": str(h)} for h in left]
            match = best_match(a.values["action"], candidates, "action")
            if match is not None:
                found[k] = h = int(match["h"])
                left.remove(h)
    return list(zip(actions, found, strict=True))


def _last(records: list[ActionRecord | None]) -> ActionRecord:
    return next(r for r in reversed(records) if r is not None)


def stuck(plan: Plan, snapshots: Sequence[Snapshot], histories: Sequence[History]) -> tuple[Stuck, ...]:
    if not snapshots:
        return ()
    last = len(snapshots) - 1
    done, names = plan.done_status, set(plan.status_names)
    out = []
    for h in histories:
        now = h.records[last]
        if now is None or now.status == done:
            continue
        seen = [(snapshots[i].as_of, r) for i, r in enumerate(h.records) if r is not None]
        if len(seen) < SHORTEST:
            continue  # too few rounds for any rule
        late = [r.due is not None and r.due < day and r.status != done for day, r in seen]
        same = _tail([r.status for _, r in seen]) if now.status in names else 0
        update = _tail([r.values["update"] for _, r in seen]) if now.values["update"] else 0
        overdue = _tail(late) if late[-1] else 0
        runs = (same if same >= SAME_STATUS_ROUNDS else 0, overdue if overdue >= OVERDUE_ROUNDS else 0,
                update if update >= SAME_UPDATE_ROUNDS else 0)
        if any(runs):  # a reason to list it
            out.append(Stuck(h.partner, h.priority, now.values["action"], now.status, *runs, now.file, now.sheet,
                             now.cell))
    order = {name: i for i, name in enumerate(plan.partner_names)}
    return tuple(sorted(out, key=lambda s: (order.get(s.partner, len(order)), s.partner, s.file, s.sheet,
                                            _cell_key(s.cell))))


def _tail(values: Sequence[object]) -> int:
    """How many of the last values, counting back, equal the last."""
    n = 0
    for v in reversed(values):
        if v != values[-1]:
            break
        n += 1
    return n


def _cell_key(cell: str) -> tuple[int, str]:
    digits = "".join(ch for ch in cell if ch.isdigit())
    return int(digits) if digits else 0, cell


def timeliness(plan: Plan, snapshots: Sequence[Snapshot]) -> tuple[Timeliness, ...]:
    partners = list(plan.returning_partners)
    partners += sorted({p.partner for s in snapshots for p in s.partners} - set(partners))
    tally = {p: [0] * 7 for p in partners}
    for s in snapshots:
        end = datetime.combine(s.as_of, time.max, UTC)  # the end of the as-of day, in UTC
        for p in s.partners:
            t = tally[p.partner]
            t[0] += 1
            t[1] += p.state in RETURNED
            t[2] += p.state in RETURNED and p.errors > 0
            t[3] += p.state == "nil"
            t[4] += p.state in NOT_USABLE
            t[5] += p.state == "missing"
            t[6] += p.received is not None and p.state != "missing" and _utc(p.received) > end
    return tuple(Timeliness(p, *t) for p, t in tally.items() if t[0])


def _utc(when: datetime) -> datetime:
    """A time with no zone is taken as UTC, as the rest of the tool does."""
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)



Row = dict[str, object]
Table = tuple[list[str], list[Row]]  # columns, and rows keyed by them


def tables(t: Trend) -> dict[str, Table]:
    """The trend as tidy tables, one row per fact, for `history --export` (CSV or JSON)."""
    named: dict[str, list[Row]] = {
        "trend_status": [
            {"round": r, "as_of": t.as_of[i].isoformat(), "priority": p, "status": s, "actions": n}
            for i, r in enumerate(t.rounds) for p in t.priorities for s, n in t.counts[i][p].items()],
        "trend_direction": [
            {"round": t.rounds[i + 1], "priority": p, "direction": m.direction, "improved": m.improved,
             "worsened": m.worsened, "unchanged": m.unchanged}
            for i, moved in enumerate(t.travel) for p, m in moved.items()],
        "action_history": [
            {"action_id": k, "round": t.rounds[i], "partner": h.partner, "priority": h.priority,
             "action": a.values["action"], "status": a.status, "update": a.values["update"],
             "due": a.due.isoformat() if a.due else None, "file": a.file, "sheet": a.sheet, "cell": a.cell}
            for k, h in enumerate(t.histories, 1) for i, a in enumerate(h.records) if a is not None],
        "stuck": [
            {"partner": s.partner, "priority": s.priority, "action": s.action, "status": s.status,
             "rounds_at_status": s.same_status, "rounds_overdue": s.overdue, "rounds_same_update": s.same_update,
             "file": s.file, "sheet": s.sheet, "cell": s.cell} for s in t.stuck],
        "timeliness": [
            {"partner": x.partner, "rounds": x.rounds, "returned": x.returned, "with_errors": x.with_errors,
             "nil": x.nil, "not_usable": x.not_usable, "missing": x.missing, "late": x.late}
            for x in t.timeliness],
    }
    return {name: (list(COLUMNS[name]), rows) for name, rows in named.items()}


COLUMNS = {  # each exported table's columns, so an empty one still has its header
    "trend_status": ("round", "as_of", "priority", "status", "actions"),
    "trend_direction": ("round", "priority", "direction", "improved", "worsened", "unchanged"),
    "action_history": ("action_id", "round", "partner", "priority", "action", "status", "update", "due", "file",
                       "sheet", "cell"),
    "stuck": ("partner", "priority", "action", "status", "rounds_at_status", "rounds_overdue", "rounds_same_update",
              "file", "sheet", "cell"),
    "timeliness": ("partner", "rounds", "returned", "with_errors", "nil", "not_usable", "missing", "late"),
}
