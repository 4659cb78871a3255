"""Find returned workbooks, read and validate them all: the result the CLI and the summary share."""

from __future__ import annotations

import contextlib
import os
import queue
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property, partial
from pathlib import Path
from typing import Any, Literal

from . import layout as L
from .debug import DEBUG
from .errors import UsageError
from .heap import long_lived, round_heap
from .personal import scan_actions
from .plan import ROLES, Plan
from .problems import Problem, count, short
from .reading import WORKER_IMPORTS
from .reading.fixes import Action, Read, read_and_fix
from .reading.isolate import Failure, Limits, MiB, Workers, run_isolated
from .reading.normalise import partner_in_name
from .reading.reader import Return
from .reading.rows import ROLE_INDEX, Values
from .sources.files import file_source, not_a_file
from .sources.source import Refused, Source
from .text import file_name

# What became of one returned file; `received`, `nil` and `duplicate` count as a return from the partner.
FileState = Literal["received", "nil", "empty", "duplicate", "copy", "superseded", "rejected", "unreadable"]
# Where each returning partner stands this round.
PartnerState = Literal["received", "nil", "empty", "unreadable", "missing"]
Prefer = Literal["newest"]
# A partner's return counts as received: with actions, or a nil return (nothing to report this round).
RECEIVED: frozenset[PartnerState] = frozenset({"received", "nil"})
RETURNED: frozenset[FileState] = frozenset({"received", "nil", "duplicate"})


@dataclass(frozen=True)
class Figures:
    """The round's headline figures, computed once (Result.figures): the summary workbook, the board page and the
    JSON all show these, so no two outputs can disagree. Status counts include 'No status'."""

    returns_expected: int
    returns_received: int  # partners whose return counts: with actions, or a nil return
    nil: list[str]
    empty: list[str]
    unreadable: list[str]
    missing: list[str]
    actions: int
    status: dict[str, int]  # every action
    by_priority: dict[str, dict[str, int]]  # priority title -> counts, in the plan's order
    by_partner: dict[str, dict[str, int] | None]  # None: no return that counts (shown blank, never as zeros)
    errors: int
    warnings: int
    fixed: int


@dataclass
class Result:
    plan: Plan
    returns: list[Return]
    actions: list[Action]
    problems: list[Problem]  # every problem, in file order
    notes: list[Problem] = field(default_factory=list)  # about the search, not a return
    sources: dict[str, Source] = field(default_factory=dict)  # each return's source, by its name (Return.file)

    @property
    def errors(self) -> int:
        return count(self.problems, "error")

    @property
    def warnings(self) -> int:
        return count(self.problems, "warning")

    def return_state(self, ret: Return, counted: Counter[str] | None = None) -> FileState:
        if not ret.readable:
            return "unreadable"
        if ret.set_aside in ("copy", "superseded", "rejected"):
            return ret.set_aside  # type: ignore[return-value]  # the three reasons set_aside holds
        if ret.nil:
            return "nil"
        if not ret.rows:
            return "empty"
        counted = counted if counted is not None else self._partner_counts()
        return "duplicate" if ret.partner and counted[ret.partner] > 1 else "received"

    def _partner_counts(self) -> Counter[str]:
        return Counter(r.partner for r in self.returns if r.partner and not r.set_aside and r.rows)

    def partner_of(self, ret: Return) -> str | None:
        """The partner a file is from: the workbook's own word, or for a file that could not be read at all,
        the partner its name gives away (so that partner is chased for that file, not told nothing came)."""
        if ret.partner:
            return ret.partner
        return None if ret.readable else partner_in_name(self.plan, ret.file)

    @cached_property
    def partner_states(self) -> dict[str, PartnerState]:
        """Where each returning partner stands: the best of what its files came to."""
        counted = self._partner_counts()
        files: dict[str, set[FileState]] = {}
        for ret in self.returns:
            partner = self.partner_of(ret)
            if partner:
                files.setdefault(partner, set()).add(self.return_state(ret, counted))
        out: dict[str, PartnerState] = {}
        for partner in self.plan.returning_partners:
            states = files.get(partner, set())
            out[partner] = ("received" if states & {"received", "duplicate"} else "nil" if "nil" in states
                            else "empty" if "empty" in states else "unreadable" if states else "missing")
        return out

    def overdue(self, as_of: date) -> list[Action]:
        """Actions due before `as_of` and not at the plan's done status, most overdue first."""
        done = self.plan.done_status
        return sorted((a for a in self.actions if a.due and a.due < as_of and a.status != done),
                      key=lambda a: (a.due, a.partner, a.row.file, a.row.sheet, a.row.row))

    def status_counts(self, actions: Iterable[Action]) -> dict[str, int]:
        """Count per plan status, plus 'No status' for anything else (missing or invalid)."""
        return self._counted(Counter(a.status for a in actions))  # each action's status read once

    def _counted(self, c: Counter[str]) -> dict[str, int]:
        """A count of statuses as the plan's statuses, in its order, then 'No status' for the rest."""
        names = self.plan.status_names
        counts = {k: c.get(k, 0) for k in names}
        counts["No status"] = counts.get("No status", 0) + sum(n for k, n in c.items() if k not in counts)
        return counts

    @cached_property
    def _severities(self) -> Counter[tuple[str, str]]:
        """(file, severity) -> number of problems; the problems do not change once checked."""
        return Counter((p.file, p.severity) for p in self.problems)

    def file_rows(self) -> list[dict[str, Any]]:
        """Per return: partner, state, action count, examples not used, errors and warnings."""
        severities = self._severities
        actions = Counter(a.row.file for a in self.actions)
        counted = self._partner_counts()
        return [{"file": ret.file, "partner": self.partner_of(ret), "state": self.return_state(ret, counted),
                 "actions": actions[ret.file], "examples_ignored": ret.examples_ignored,
                 "errors": severities[ret.file, "error"], "warnings": severities[ret.file, "warning"],
                 **_sent(self.sources.get(ret.file))} for ret in self.returns]

    def outstanding(self) -> dict[str, list[str]]:
        """What each returning partner still owes: a return, a readable or filled-in one, errors to fix,
        warnings to explain."""
        severities = self._severities
        out: dict[str, list[str]] = {}
        for partner, state in self.partner_states.items():
            mine = [r for r in self.returns if self.partner_of(r) == partner and not r.set_aside]
            if state == "missing":
                out[partner] = ["no return received"]
            elif state == "unreadable":
                out[partner] = [f"return could not be read ({', '.join(file_name(r.file) for r in mine)})"]
            elif state == "empty":
                out[partner] = ["return has no actions (fill it in, or say there is nothing to report)"]
            else:
                out[partner] = still_to_do(sum(severities[r.file, "error"] for r in mine),
                                           sum(severities[r.file, "warning"] for r in mine))
        return out

    @cached_property
    def figures(self) -> Figures:
        """The headline figures, the one place they are computed."""
        states = self.partner_states
        # one pass over every action (a round holds a hundred thousand): a count of each (priority, partner,
        # status), added up below for the whole round, each priority and each partner
        at = ROLE_INDEX["status"]
        each = Counter((a.row.priority, a.partner, a.values[at] or "") for a in self.actions)
        by_priority: dict[str, Counter[str]] = {p.title: Counter() for p in self.plan.priorities}
        by_partner: dict[str, Counter[str]] = {p: Counter() for p in states}
        total: Counter[str] = Counter()
        for (priority, partner, status), n in each.items():
            by_priority.setdefault(priority, Counter())[status] += n
            by_partner.setdefault(partner, Counter())[status] += n
            total[status] += n
        return Figures(
            returns_expected=len(self.plan.returning_partners),
            returns_received=sum(1 for s in states.values() if s in RECEIVED),
            nil=[p for p, s in states.items() if s == "nil"],
            empty=[p for p, s in states.items() if s == "empty"],
            unreadable=[p for p, s in states.items() if s == "unreadable"],
            missing=[p for p, s in states.items() if s == "missing"],
            actions=len(self.actions),
            status=self._counted(total),
            by_priority={p.title: self._counted(by_priority[p.title]) for p in self.plan.priorities},
            # a nil return's zero is a real zero; no return (or none that could be read or had actions) is not
            by_partner={p: self._counted(by_partner[p]) if s in RECEIVED else None for p, s in states.items()},
            errors=self.errors, warnings=self.warnings, fixed=count(self.problems, "fixed"))

    def summary(self) -> dict[str, Any]:
        """The headline counts for the JSON, from the figures."""
        f = self.figures
        return {
            "plan": self.plan.id,
            "returns_expected": f.returns_expected,
            "returns_received": f.returns_received,
            "nil_returns": f.nil,
            "empty": f.empty,
            "unreadable": f.unreadable,
            "missing": f.missing,
            "actions": f.actions,
            "status": f.status,
            "errors": f.errors,
            "warnings": f.warnings,
            "fixed": f.fixed,
        }

    def as_dict(self) -> dict[str, Any]:
        files = self.file_rows()
        return {
            "files": files,
            "partners": [{"partner": p, "state": self.partner_states[p],
                          "files": [f["file"] for f in files if f["partner"] == p],
                          "outstanding": owed} for p, owed in self.outstanding().items()],
            "problems": [p.as_dict() for p in [*self.notes, *self.problems]],
            "summary": self.summary(),
        }


def _sent(source: Source | None) -> dict[str, Any]:
    """Where a return sent by email or zip came from: its email's Date and sender (nothing for a file)."""
    if source is None or source.via is None:
        return {}
    return {"received": source.received.isoformat() if source.received else None, "sender": source.sender}


def still_to_do(errors: int, warnings: int) -> list[str]:
    return [text for n, text in ((errors, f"{errors} error(s) to fix"), (warnings, f"{warnings} warning(s) to explain"))
            if n]


FILES_PER_WORKER = 10  # below this, more than one worker process costs more than it saves


def default_jobs(n_files: int) -> int:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(cores, n_files // FILES_PER_WORKER))




def readers(plan: Plan, jobs: int = 1, limits: Limits | None = None,
            method: str | None = None) -> Workers[Source, Read]:
    """Worker processes that read and fix returns, kept for as many calls of check_returns as the caller likes."""
    work = partial(read_and_scan, plan, debug=DEBUG.get())  # the setting travels with the work, into each worker
    return Workers(work, jobs, limits, preload=WORKER_IMPORTS, method=method)


def read_and_scan(plan: Plan, source: Source, debug: bool = False) -> Read:
    """A worker's whole job on one return: read it, fix it, and scan its actions for personal data; the scan's
    warnings go with the fixes (both count only for a return that is not set aside). Done here, the scan runs
    in the workers, side by side, not in this process after them."""
    ret, actions, fixes = read_and_fix(plan, source, debug=debug)
    return ret, actions, [*fixes, *scan_actions(plan, actions)]


def read_returns(plan: Plan, sources: list[Source], jobs: int = 1, limits: Limits | None = None,
                 method: str | None = None, workers: Workers[Source, Read] | None = None) -> Iterator[Read]:
    """Each return read and fixed, in the order given, in `jobs` worker processes (one for jobs <= 1), or in
    `workers` (from `readers`), so a return that crashes the reader, exhausts its memory or hangs is a problem
    for that return alone. A worker is given the source itself: a file's path (it reads the file) or an
    in-memory source's bytes."""
    # decided here, for files: nothing that could block is handed on
    refused = [_unread(s, r) if s.path is not None and (r := not_a_file(s.path)) else None for s in sources]
    wanted = [s for s, r in zip(sources, refused, strict=True) if r is None]
    if workers is not None:
        limits = workers.pool.limits
        read = workers.map(wanted)
    else:
        limits = limits or Limits()
        work = partial(read_and_scan, plan, debug=DEBUG.get())  # the setting travels with the work, into each worker
        read = run_isolated(work, wanted, jobs, limits, preload=WORKER_IMPORTS, method=method)
    with contextlib.closing(read):  # stops the workers even if the caller stops early
        for source, early in zip(sources, refused, strict=True):
            if early is not None:
                yield early
                continue
            outcome = next(read)
            yield _failed(source, outcome, limits) if isinstance(outcome, Failure) else outcome


def _unread(source: Source, why: Refused) -> Read:
    ret = Return(source.name, path=str(source.path or ""), readable=False,
                 problems=[Problem(source.name, "", "", *why.fatal)])
    return ret, [], []


def _failed(source: Source, failure: Failure, limits: Limits) -> Read:
    """The problem for a file whose reading crashed, ran out of memory or did not finish."""
    if failure.kind == "crashed" and DEBUG.get():  # --debug: the traceback instead
        raise RuntimeError(f"reading {source.name} failed in a worker: {failure.detail}\n{failure.traceback}")
    if failure.kind == "memory":
        return _unread(source, Refused("too-large", variant="memory", limit_mb=f"{limits.memory // MiB:,}",
                                       detail=short(failure.detail)))
    if failure.kind == "timeout":
        return _unread(source, Refused("unreadable-file", variant="timeout", took=failure.detail))
    return _unread(source, Refused("unreadable-file", variant="reader-failed", detail=short(failure.detail)))


class _RulesMeanwhile:
    """The pandera rules, run in a thread while the workers read: on the actions of whole returns, a chunk at a
    time (the rules are local to a return, so each return's problems are those one pass over every action gives).
    The thread first imports pandas and pandera (about half a second). The rules hold the interpreter's lock most
    of the time, but this process only has answers to unpack meanwhile; after the last return only the last chunk
    is left to check."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.chunks: queue.SimpleQueue[list[Action] | None] = queue.SimpleQueue()
        self.pending: list[Action] = []
        self.found: list[Problem] = []
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="rules", daemon=True)
        self.thread.start()

    def add(self, actions: list[Action], now: bool = False) -> None:
        """Actions to check, sent to the thread a chunk at a time, or `now`."""
        self.pending += actions
        if self.pending and (now or len(self.pending) >= RULES_CHUNK):
            self.chunks.put(self.pending)
            self.pending = []

    def finish(self) -> list[Problem]:
        """Every problem the rules found, once the last chunk is checked; an error in the thread is raised here."""
        self.stop(self.pending)
        if self.error is not None:
            raise self.error
        return self.found

    def stop(self, last: list[Action] | None = None) -> None:
        if last:
            self.chunks.put(last)
        self.pending = []
        self.chunks.put(None)
        self.thread.join()

    def _run(self) -> None:
        try:
            from .rules import check_actions  # pandas and pandera: imported only where returns are checked

            while (chunk := self.chunks.get()) is not None:
                self.found += check_actions(self.plan, chunk)
        except BaseException as e:  # raised again in the caller's thread, by finish()
            self.error = e


@round_heap()  # the actions are frozen as they arrive (long_lived) and given back to the collector here
def check_returns(plan: Plan, inputs: Sequence[Source | Path], progress: Callable[[Source], None] | None = None,
                  prefer: Prefer | None = None, jobs: int = 1, workers: Workers[Source, Read] | None = None) -> Result:
    """Read and validate every return (a source, or a path read as a file source). `prefer="newest"` keeps
    only the newest return of each partner. Returns are read in `jobs` worker processes (one for jobs <= 1), or
    in `workers` kept by the caller, with the same result for any number, so that whatever one return does to the
    reader, every other is read."""
    sources = [file_source(s) if isinstance(s, Path) else s for s in inputs]
    named = Counter(s.name for s in sources)
    if any(n > 1 for n in named.values()):  # a name is how every output and every later step finds a return
        raise UsageError("two returns have the same name: " + ", ".join(sorted(k for k, n in named.items() if n > 1)))
    reads = []
    rules = _RulesMeanwhile(plan)
    try:
        texts: dict[str, str] = {}
        for i, (source, read) in enumerate(zip(sources, read_returns(plan, sources, jobs, workers=workers),
                                               strict=True)):
            reads.append(read)
            _share_texts(read[1], texts)
            long_lived()  # kept to the end of the round: never traversed again by the collector
            if not read[0].own_output:
                rules.add(read[1], now=len(sources) - 1 - i == RULES_LAST)  # (returns left to read)
            if progress:
                progress(source)
    except BaseException:
        rules.stop()
        raise
    found = rules.finish()
    own = [ret for ret, _, _ in reads if ret.own_output]  # the tool's own summary in the folder: a note only
    reads = [read for read in reads if not read[0].own_output]
    returns = [ret for ret, _, _ in reads]
    by_name = {s.name: s for s in sources}
    extra = _set_aside_copies(returns)
    extra += _set_aside_corrected(returns)
    extra += _set_aside_older(returns, by_name) if prefer == "newest" else _report_duplicates(returns)
    actions = [a for ret, fixed, _ in reads if not ret.set_aside for a in fixed]
    by_file: dict[str, list[Problem]] = {r.file: list(r.problems) for r in returns}
    for ret, _, fixes in reads:
        if not ret.set_aside:
            by_file[ret.file] += fixes
    counted = {ret.file for ret in returns if not ret.set_aside}  # a set-aside return's actions are not checked
    for p in [*(p for p in found if p.file in counted), *extra]:  # (the personal-data scan ran in the workers)
        by_file[p.file].append(p)
    rank = {"": 0, L.FRONT_SHEET: 1, **{pr.sheet: i for i, pr in enumerate(plan.priorities, 2)}}

    def order(p: Problem) -> tuple[Any, ...]:
        """Workbook order: whole-file problems, front sheet, priority sheets; then row and column."""
        cell = _A1.fullmatch(p.cell)  # (nearly always; a round sorts tens of thousands)
        if cell is not None:
            letters, digits = cell.groups()
        else:
            digits = "".join(ch for ch in p.cell if ch.isdigit())
            letters = "".join(ch for ch in p.cell if ch.isalpha())
        return (rank.get(p.sheet, 99), p.sheet, int(digits) if digits else 0, len(letters), letters, p.code)

    problems = [p for r in returns for p in sorted(by_file[r.file], key=order)]
    return Result(plan, returns, actions, problems, notes=[p for r in own for p in r.problems],
                  sources={r.file: by_name[r.file] for r in returns})


_A1 = re.compile(r"([A-Z]+)([0-9]+)")  # a problem's cell, as the reader names it
RULES_CHUNK = 10_000  # actions checked together: the rules cost about 12 ms a call and 4 µs an action
# Returns: once only these are left to read, the actions before them are checked while they are read, so that only
# theirs are left to check after the last (a whole chunk took 40 ms at the end of a 1,000-return check)
RULES_LAST = 12
# Where in an action's values (plan.ROLES order) are texts that recur from return to return (the plan's themes,
# aims and objectives, leads, time frames and statuses), unlike the free text of actions and updates
_RECURRING = tuple(i for i, role in enumerate(ROLES) if role not in ("action", "update"))


def _share_texts(actions: list[Action], texts: dict[str, str]) -> None:
    """Memory: each return's texts arrive as new objects; a text recurring over the returns is kept once. The
    actions were just unpickled (nothing else holds them), so their values are replaced in place."""
    share = texts.setdefault
    for a in actions:
        values = a.values
        each = list(values)
        for i in _RECURRING:  # (a loop over these six: quicker than a comprehension over all eight)
            v = each[i]
            if v.__class__ is str:
                each[i] = share(v, v)
        shared = Values(each)
        if a.row.values is values:
            a.row.values = shared
        a.values = shared


def _set_aside_copies(returns: list[Return]) -> list[Problem]:
    """The same bytes under two names (or twice on the command line) are read once."""
    first: dict[str, Return] = {}
    problems = []
    for r in returns:
        if not r.digest:
            continue
        if r.digest in first:
            r.set_aside = "copy"
            problems.append(Problem.of(r.file, "", "", "same-file", value=first[r.digest].file,
                                       first=first[r.digest].file))
        else:
            first[r.digest] = r
    return problems


def _set_aside_corrected(returns: list[Return]) -> list[Problem]:
    """A corrected copy made by `feedback` replaces the return it was made from, without any option."""
    by_digest = {r.digest: r for r in returns if r.digest and not r.set_aside}
    problems = []
    for copy in returns:
        original = by_digest.get(copy.feedback_of) if copy.feedback_of and not copy.set_aside else None
        if original is not None and original is not copy and original.partner == copy.partner:
            original.set_aside = "superseded"
            problems.append(Problem.of(original.file, "", "", "return-superseded", value=copy.file,
                                       variant="corrected", copy=copy.file))
    return problems


def _by_partner(returns: list[Return]) -> dict[str, list[Return]]:
    out: dict[str, list[Return]] = {}
    for r in returns:
        if r.partner and not r.set_aside:
            out.setdefault(r.partner, []).append(r)
    return {p: rs for p, rs in out.items() if len(rs) > 1}


def _report_duplicates(returns: list[Return]) -> list[Problem]:
    problems = []
    for partner, rets in _by_partner(returns).items():
        for r in rets:
            others = ", ".join(o.file for o in rets if o is not r)
            problems.append(Problem.of(r.file, "", "", "duplicate-return", value=partner, partner=partner,
                                       others=others))
    return problems


def _saved(r: Return, source: Source | None) -> tuple[float, float, str]:
    """Newest first by the time saved inside the workbook, then the time the source was received, then name;
    for a return sent by email, the email's Date comes first (when the partner sent it, not when they saved it)."""
    inside = _seconds(r.saved) if r.saved else 0.0
    received = _seconds(source.received) if source is not None and source.received else 0.0
    if source is not None and source.via is not None and source.received:
        return received, inside, r.file
    return inside, received, r.file


def _seconds(when: datetime) -> float:
    """Seconds since 1970 (UTC; a time with no zone taken as UTC), by arithmetic on the calendar, because
    datetime.timestamp() fails for times near year 1 or 9999, which a workbook may claim."""
    offset = when.utcoffset()
    day = (when.toordinal() - _EPOCH_DAY) * 86400
    return day + when.hour * 3600 + when.minute * 60 + when.second + when.microsecond / 1e6 \
        - (offset.total_seconds() if offset else 0.0)


_EPOCH_DAY = date(1970, 1, 1).toordinal()


def _set_aside_older(returns: list[Return], sources: dict[str, Source]) -> list[Problem]:
    problems = []
    for partner, rets in _by_partner(returns).items():
        newest = max(rets, key=lambda r: _saved(r, sources.get(r.file)))
        for r in rets:
            if r is not newest:
                r.set_aside = "superseded"
                problems.append(Problem.of(r.file, "", "", "return-superseded", value=newest.file, variant="newest",
                                           partner=partner, newest=newest.file, rows=len(r.rows)))
    return problems
