"""What a coordinator does in a round, as plain functions: what the command line, a web page or another program
calls. Each takes its settings as parameters (nothing from the environment or a command line), returns data and
raises a PlanWorkbookError only when it cannot run.

    plan = load_plan()
    sources, notes = find_sources([Path("returns")])
    result = run_round(plan, sources, Path("summary.xlsx"), as_of=date(2022, 3, 31), notes=notes)
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, cast

from .errors import OutputError, UsageError
from .heap import long_lived, round_heap
from .plan import Plan, load_plan
from .problems import Problem
from .sources import Source, find_sources

if TYPE_CHECKING:  # merge imports pandas: only the functions that check returns need it, so --help stays quick
    from .merge import Prefer, Result
    from .rounds.compare import Change
    from .rounds.snapshot import Snapshot
    from .rounds.trend import Trend
    from .store import Format, Round, Store

__all__ = ["build_all_templates", "build_template", "chase", "check", "export_history", "feedback", "find_round",
           "find_sources", "history", "load_plan", "rebuild", "roll_forward", "round_name_for", "run_round",
           "store_warning"]


def build_template(plan: Plan, out: Path, partner: str | None = None, password: str | None = None) -> str | None:
    """Write the template (personalised for `partner`, a name or alias, when given); returns the partner's name."""
    from .outputs.template import resolve_partner, write_template

    name = resolve_partner(plan, partner) if partner else None
    write_template(plan, out, name, password)
    return name


def build_all_templates(plan: Plan, out_dir: Path, password: str | None = None) -> list[Path]:
    """One personalised template per partner that sends a return, in `out_dir` (made when missing)."""
    from .outputs.template import write_all_partners

    folder(out_dir)
    return write_all_partners(plan, out_dir, password)


def start_readers() -> None:
    """For a command about to read returns: start the workers' server now, so that it imports the reader while
    this process loads the plan and finds the returns (a tenth of a second sooner than the checker would)."""
    from .reading import WORKER_IMPORTS
    from .reading.isolate import warm_up

    warm_up(WORKER_IMPORTS)


def check(plan: Plan, sources: Sequence[Source], prefer: Prefer | None = None, jobs: int = 0,
          progress: Callable[[Source], None] | None = None, notes: Iterable[Problem] = ()) -> Result:
    """Read and validate returns; writes nothing. `jobs` 0: one worker per core when there are many;
    `notes` (what finding the sources skipped) go first in the result's notes."""
    from .merge import default_jobs

    with open_checker(plan, jobs or default_jobs(len(sources))) as checker:
        return checker.check(sources, prefer, notes, progress)


@round_heap()  # each stage's long-lived objects settled (heap.py)
def run_round(plan: Plan, sources: Sequence[Source], out: Path, as_of: date, previous: Path | None = None,
              reports: Sequence[Path] = (), prefer: Prefer | None = None, jobs: int = 0,
              progress: Callable[[Source], None] | None = None, notes: Iterable[Problem] = (),
              plan_path: Path | None = None, redact: bool = False, store: Path | None = None,
              round_name: str | None = None) -> Result:
    """Check the returns, compare with last round (`previous`, a summary; else the round before this one in the
    `store`), flag what the board should challenge, and write the summary and the board `reports` (HTML, or PDF
    for a name ending .pdf) as one set; with `redact`, the personal data found in partners' text is replaced in the
    reports (never in the summary). Then, with a `store`, record the round (`round_name`, by default the plan's
    quarter holding `as_of`), replacing a round of that name. No output may overwrite a return, last round's
    summary, the plan file, the store or another output."""
    from .outputs.atomic import settle, write_set
    from .outputs.summary import begin_summary, write_summary

    check_outputs(out, reports, previous, plan_path, store)
    for target in (out, *reports, *([store] if store else [])):
        if any(s.path is not None and same_file(target, s.path) for s in sources):
            raise UsageError(f"the output {target} is one of the returns; choose another")
    settle([p for p in (out, *reports, previous) if p is not None])  # complete a set a killed run left half-renamed
    with contextlib.ExitStack() as stack:
        opened = stack.enter_context(_open_store(store, plan)) if store is not None else None  # refused before reading
        name = round_name or round_name_for(plan, as_of)
        result = check(plan, sources, prefer, jobs, progress, notes)
        long_lived()
        begun = begin_summary(result, as_of)  # the rows of the actions alone, in a copy, while the rest is worked out
        if begun is not None:
            stack.callback(begun.cancel)  # should the round stop before the summary is written
        last, last_name = None, None
        if previous is not None:
            from .rounds.compare import read_previous

            last = read_previous(result.plan, previous)
        elif opened is not None:
            from .store import previous_round, previous_rows

            last_name = previous_round(opened, name, as_of)
            last = previous_rows(opened, plan, last_name) if last_name else None
        changes, flags = against_last(result, as_of, last)
        earlier = _earlier(opened, name, as_of) if opened is not None else None
        trend, now = _trend(result, name, as_of, earlier, changes) if earlier is not None else (None, None)
        long_lived()
        writers: dict[Path, Callable[[Path], object]] = {
            out: lambda p: write_summary(result, p, as_of, changes, trend, begun)}
        if reports:
            from .outputs.report import write_report, write_report_pdf

            for report in reports:
                write = write_report_pdf if is_pdf(report) else write_report
                writers[report] = partial(lambda w, p: w(result, p, as_of, changes, flags, redact, trend), write)
        if opened is None:
            write_set(writers)  # all written in full beside their targets, then renamed together
            return result
        from .store import record_beside, record_round

        record = partial(record_round, result=result, name=name, as_of=as_of, prefer=prefer, previous=last_name,
                         previous_rows=last, changes=changes or (), outputs={"summary": [out], "report": list(reports)},
                         earlier=earlier, snap=now)
        rows = len(result.actions) + len(result.problems)
        recording = record_beside(opened, plan, record, rows)  # the rows go in while the outputs are written
        try:
            write_set(writers)
        except BaseException:
            if recording is not None:
                recording.give_up()
            raise
        if recording is None or not recording.go():
            record(opened)  # here: no copy could be made, or it failed (and its error, if any, is raised here)
    return result


def against_last(result: Result, as_of: date, last: list[dict[str, str]] | None
                 ) -> tuple[list[Change] | None, list[Problem]]:
    """This round against the last (`last`: its actions, compare.read_previous): the changes (None without a last
    round) and the challenge flags, which are added to the result's problems. Last round's actions are matched to
    this round's once, for both."""
    from .rounds.challenge import add_challenges
    from .rounds.compare import compare, match_previous

    lasts = match_previous(result, last) if last else None
    changes = compare(result, last, lasts) if last is not None else None
    return changes, add_challenges(result, as_of, last, lasts)


def _earlier(store: Store, name: str, as_of: date) -> list[Snapshot]:
    """The rounds in the store before this one (by as-of date), oldest first."""
    from .store import snapshots

    return [s for s in snapshots(store) if s.name != name and s.as_of < as_of]


def _earlier_then(store: Store, name: str, as_of: date) -> list[Snapshot]:
    """The earlier rounds round `name`'s trend used, as they were then (a round recorded before they were kept:
    as they are now)."""
    from .store.earlier import earlier_rounds

    kept = earlier_rounds(store, name)
    return kept if kept is not None else _earlier(store, name, as_of)


def _trend(result: Result, name: str, as_of: date, earlier: list[Snapshot], changes: list[Change] | None = None
           ) -> tuple[Trend, Snapshot]:
    """The trend, histories, stuck list and timeliness over the earlier rounds and this one (rounds/trend.py), and
    this round's snapshot, which the store records too."""
    from .rounds.snapshot import snapshot
    from .rounds.trend import trend

    now = snapshot(result, name, as_of, changes or ())
    return trend(result.plan, [*earlier, now]), now


def is_pdf(path: Path) -> bool:
    return path.suffix.lower() == ".pdf"


def feedback(result: Result, out_dir: Path) -> tuple[list[Path], list[Problem]]:
    """A marked-up copy of each return with errors or warnings, made from the bytes that were checked; returns
    the files written and a problem for each return no copy could be made of."""
    from .outputs.feedback import write_feedback

    return write_feedback(result, out_dir)


def chase(plan: Plan, summary: Path, as_of: date | None = None) -> list[tuple[str, str]]:
    """(partner, message) for each partner who still owes something, from a summary written by run_round."""
    from .outputs.atomic import settle
    from .rounds.chase import messages

    settle([summary])  # a merge killed between its renames is completed first: never half a set
    return messages(plan, summary, as_of)


def roll_forward(plan: Plan, summary: Path, out_dir: Path, round_name: str) -> list[Path]:
    """Next round's workbook for every partner, pre-filled with their actions from a summary."""
    from .outputs.atomic import settle
    from .rounds.roll import roll_forward as roll

    settle([summary])  # a merge killed between its renames is completed first: never half a set
    folder(out_dir)
    return roll(plan, summary, out_dir, round_name)


def folder(path: Path) -> None:
    """An output folder, made (with its parents) when missing."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"cannot write to {path}: {e.strerror or e}") from None


def check_outputs(out: Path, reports: Sequence[Path], previous: Path | None, plan_path: Path | None,
                  store: Path | None = None) -> None:
    """Refuse outputs that would overwrite an input or each other, or go into a folder that is not there (before
    anything is read, or the store made; opening the store refuses a missing folder of its own), and a PDF that
    cannot be printed."""
    for target in (out, *reports):
        if not Path(target).parent.is_dir():
            raise OutputError(f"cannot write {target}: the folder {Path(target).parent} does not exist")
    for name, other in (("last round's summary", previous), ("the plan file", plan_path)):
        if store is not None and other is not None and same_file(store, other):
            raise UsageError(f"--store {store} is {name}; give the round store its own file (rounds.sqlite)")
    if store is not None and any(same_file(store, o) for o in (out, *reports)):
        raise UsageError(f"--store {store} is also an output; give the round store its own file (rounds.sqlite)")
    if previous is not None and any(same_file(o, previous) for o in (out, *reports)):
        raise UsageError(f"{previous} is last round's summary and would be overwritten; choose another output")
    if plan_path is not None:
        for option, target in (("--out", out), *(("--report", r) for r in reports)):
            if same_file(target, plan_path):
                raise UsageError(f"{option} {target} is the plan file and would be overwritten; choose another")
    for report in reports:
        if same_file(out, report):
            raise UsageError(f"--out and --report are the same file ({out}); give each its own name")
    if len(reports) > 2 or (len(reports) == 2 and (same_file(*reports) or is_pdf(reports[0]) == is_pdf(reports[1]))):
        raise UsageError("--report may be given twice only for one HTML and one PDF (a name ending .pdf)")
    pdf = next((r for r in reports if is_pdf(r)), None)
    if pdf is not None:
        from .outputs.pdf import find_browser

        if find_browser() is None:
            raise OutputError(f"cannot write {pdf}: the PDF is printed by Chromium, which is not installed "
                              "(apt-get install chromium); write the HTML report instead")


def same_file(a: Path, b: Path) -> bool:
    """The same file on disk, or, where either does not exist yet, the same path."""
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
        return os.path.normcase(os.path.realpath(a)) == os.path.normcase(os.path.realpath(b))
    except (OSError, ValueError):
        return False


# --- the round store


def round_name_for(plan: Plan, as_of: date) -> str:
    """A round's default name: the quarter of the plan's year holding `as_of` ("Q4 2021/22" for 2022-03-31)."""
    from .store import default_round_name

    return default_round_name(plan, as_of)


def store_warning(store: Path) -> str | None:
    """Why a store's place is risky (a network share or a synced folder), or None."""
    from .store import risky_place

    why = risky_place(store)
    return None if why is None else (f"the round store {store} may be damaged where it is: {why}. Keep it on a "
                                     "local disk, and copy it to the shared place when no merge is running.")


@contextlib.contextmanager
def _open_store(path: Path, plan: Plan, create: bool = True) -> Iterator[Store]:
    from .store import open_store

    with open_store(path, plan, create) as opened:
        yield opened


def find_round(plan: Plan, store: Path, name: str) -> Round:
    """One round of the store, as `history` lists it."""
    from .store import find_round as find

    with _open_store(store, plan, create=False) as opened:
        return find(opened, name)


def history(plan: Plan, store: Path) -> list[Round]:
    """Every round recorded in the store, oldest first."""
    from .store import rounds

    with _open_store(store, plan, create=False) as opened:
        return rounds(opened)


def export_history(plan: Plan, store: Path, out_dir: Path, fmt: Format) -> list[Path]:
    """One tidy table per entity (rounds, sources, partners, actions, problems) and the trend's (trend_status,
    trend_direction, action_history, stuck, timeliness) as CSV or JSON files in `out_dir`, written as one set;
    never the returns' bytes."""
    from .outputs.atomic import write_atomic, write_set
    from .rounds.trend import tables as trend_tables
    from .rounds.trend import trend
    from .store import snapshots, table_bytes, tables

    with _open_store(store, plan, create=False) as opened:
        found = tables(opened)
        derived = trend_tables(trend(plan, snapshots(opened)))  # stuck, timeliness, histories ... (rounds/trend.py)
    folder(out_dir)
    files = {out_dir / f"{name}.{fmt}": table_bytes(t.rows, t.columns, fmt) for name, t in found.items()}
    files.update({out_dir / f"{name}.{fmt}": table_bytes(rows, cols, fmt) for name, (cols, rows) in derived.items()})
    write_set({path: partial(lambda data, p: write_atomic(p, data), data) for path, data in files.items()})
    return list(files)


@dataclass(frozen=True)
class Rebuilt:
    round: str
    out: Path
    sha256: str
    recorded: str | None  # the SHA-256 of the summary the merge wrote (None: no summary was recorded)

    @property
    def identical(self) -> bool:
        return self.sha256 == self.recorded


def rebuild(plan: Plan, store: Path, name: str, out: Path, jobs: int = 0, plan_path: Path | None = None) -> Rebuilt:
    """Write the summary of round `name` again from the returns stored with it (compared with last round as it was
    then), and say whether it is byte-identical to the summary the merge wrote."""
    from .outputs.atomic import write_set
    from .outputs.summary import write_summary
    from .store import compared_rows, find_round, round_notes, round_sources

    check_outputs(out, (), None, plan_path, store)
    with _open_store(store, plan, create=False) as opened:
        found = find_round(opened, name)
        sources, notes, last = round_sources(opened, name), round_notes(opened, name), compared_rows(opened, name)
        earlier = _earlier_then(opened, name, found.as_of)
    for source in sources:  # the files the round was merged from, where they still are: never written over
        if any(where and same_file(out, Path(where)) for where in (source.name, source.origin)):
            raise UsageError(f"--out {out} is one of the returns of {name}; choose another file")
    result = check(plan, sources, cast("Prefer | None", found.prefer), jobs, notes=notes)
    changes, _ = against_last(result, found.as_of, last)
    trend, _ = _trend(result, name, found.as_of, earlier)
    write_set({out: lambda p: write_summary(result, p, found.as_of, changes, trend)})
    recorded = next((sha for key, sha in found.outputs.items() if key.startswith("summary/")), None)
    return Rebuilt(name, out, hashlib.sha256(out.read_bytes()).hexdigest(), recorded)


class Checker:
    """Checks returns, again and again, with the same worker processes: for a long-running caller (a web page
    that re-checks each return dropped on it), which then pays for starting the workers and importing pandas
    once. Use as a context manager, or call close(); made by open_checker."""

    def __init__(self, plan: Plan, jobs: int = 1) -> None:
        start_readers()  # the workers' server imports the reader while this process imports pandas
        from .merge import readers

        self.plan = plan
        self.workers = readers(plan, jobs)

    def check(self, sources: Sequence[Source], prefer: Prefer | None = None, notes: Iterable[Problem] = (),
              progress: Callable[[Source], None] | None = None) -> Result:
        """As service.check: read and validate `sources`, writing nothing."""
        from .merge import check_returns

        result = check_returns(self.plan, sources, progress=progress, prefer=prefer, workers=self.workers)
        result.notes = [*notes, *result.notes]
        return result

    def close(self) -> None:
        self.workers.close()

    def __enter__(self) -> Checker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_checker(plan: Plan, jobs: int = 1) -> Checker:
    """A Checker whose `jobs` worker processes stay between checks:

        with open_checker(plan) as checker:
            result = checker.check([from_bytes(name, data)])  # sources.source.from_bytes
    """
    return Checker(plan, jobs)
