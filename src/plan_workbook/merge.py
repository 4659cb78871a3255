"""Find returned workbooks, read and validate them all: the result the CLI and the summary share."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property, partial
from pathlib import Path
from typing import Any, Literal

from . import layout as L
from .errors import UsageError
from .fixes import Action, Read, read_and_fix
from .isolate import Failure, Limits, MiB, run_isolated
from .normalise import partner_in_name
from .plan import Plan
from .problems import Problem, count, short
from .read import OWN_REPORT_MARK, OWN_REPORT_SKIPPED, Return
from .text import display_name
from .validate import check_actions

EXTENSIONS = (".xlsx", ".xlsm")
# Found in folders too, so a partner who saved in another format is told how to fix it.
OTHER_SPREADSHEETS = (".xls", ".xlsb", ".ods", ".csv", ".xltx", ".xltm")
IGNORED = {"thumbs.db", "desktop.ini", ".ds_store"}


# What became of one returned file; `received`, `nil` and `duplicate` count as a return from the partner.
FileState = Literal["received", "nil", "empty", "duplicate", "copy", "superseded", "rejected", "unreadable"]
# Where each returning partner stands this round.
PartnerState = Literal["received", "nil", "empty", "unreadable", "missing"]
RETURNED: frozenset[FileState] = frozenset({"received", "nil", "duplicate"})


@dataclass
class Result:
    plan: Plan
    returns: list[Return]
    actions: list[Action]
    problems: list[Problem]  # every problem, in file order
    notes: list[Problem] = field(default_factory=list)  # about the search, not a return

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
        names = self.plan.status_names
        c = Counter(a.status if a.status in names else "No status" for a in actions)
        return {k: c.get(k, 0) for k in [*names, "No status"]}

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
                 "errors": severities[ret.file, "error"], "warnings": severities[ret.file, "warning"]}
                for ret in self.returns]

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
                out[partner] = [f"return could not be read ({', '.join(Path(r.file).name for r in mine)})"]
            elif state == "empty":
                out[partner] = ["return has no actions (fill it in, or say there is nothing to report)"]
            else:
                out[partner] = still_to_do(sum(severities[r.file, "error"] for r in mine),
                                           sum(severities[r.file, "warning"] for r in mine))
        return out

    def summary(self) -> dict[str, Any]:
        """The headline counts, without the per-file and per-problem lists as_dict also builds."""
        states = self.partner_states
        return {
            "plan": self.plan.id,
            "returns_expected": len(self.plan.returning_partners),
            "returns_received": sum(1 for s in states.values() if s in ("received", "nil")),
            "nil_returns": [p for p, s in states.items() if s == "nil"],
            "empty": [p for p, s in states.items() if s == "empty"],
            "unreadable": [p for p, s in states.items() if s == "unreadable"],
            "missing": [p for p, s in states.items() if s == "missing"],
            "actions": len(self.actions),
            "status": self.status_counts(self.actions),
            "errors": self.errors,
            "warnings": self.warnings,
            "fixed": count(self.problems, "fixed"),
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


def still_to_do(errors: int, warnings: int) -> list[str]:
    return [text for n, text in ((errors, f"{errors} error(s) to fix"), (warnings, f"{warnings} warning(s) to explain"))
            if n]


def find_workbooks(paths: Iterable[Path]) -> tuple[list[Path], list[Problem]]:
    """Files given, and spreadsheet files under folders given, sorted; Excel lock files and other
    files in folders are skipped with a note. A file named on the command line is always read.
    Whatever in a folder is neither a file nor a folder (a pipe, a socket, a device, a link that leads
    nowhere) and any sub-folder that cannot be listed are kept too, so the reader names each one in a
    problem; none of them is opened here."""
    paths = list(paths)
    found: list[Path] = []
    seen: set[str] = set()
    notes: list[Problem] = []
    for path in paths:
        if path.is_dir():
            candidates = []
            files, odd = _walk(path, notes)
            for p in sorted([*files, *odd]):
                if p in odd or p.suffix.lower() in EXTENSIONS + OTHER_SPREADSHEETS:
                    candidates.append(p)
                elif p.suffix.lower() in (".html", ".htm") and _is_own_report(p):
                    notes.append(Problem(display_name(p), "", "", "own-output-skipped", OWN_REPORT_SKIPPED))
                elif not p.name.startswith(".") and p.name.lower() not in IGNORED:
                    notes.append(Problem(display_name(p), "", "", "file-skipped",
                                         "Skipped: not a spreadsheet file, so not a return."))
        elif path.exists() or path.is_symlink():
            candidates = [path]
        else:
            raise UsageError(f"{display_name(path)} does not exist")
        for p in candidates:
            if p.name.startswith("~$"):
                notes.append(Problem(display_name(p), "", "", "lock-file-skipped",
                                     "Skipped: this is Excel's lock file for a workbook that is open, not a return."))
            elif os.path.realpath(p) not in seen:  # the same path given twice is read once; never raises on loops
                seen.add(os.path.realpath(p))
                found.append(p)
    if not found:
        raise UsageError("no returned workbooks (.xlsx or .xlsm) were found in "
                         + ", ".join(display_name(p) for p in paths))
    return found, notes


def _is_own_report(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            return OWN_REPORT_MARK in f.read(2048)
    except OSError:
        return False


def _walk(folder: Path, notes: list[Problem]) -> tuple[list[Path], list[Path]]:
    """(regular files, other entries) under a folder, without following links to folders (they could
    lead round in a loop) and without opening anything but folders."""
    files: list[Path] = []
    odd: list[Path] = []
    try:
        with os.scandir(folder) as listing:
            entries = list(listing)
    except OSError:
        return files, [folder]  # cannot be listed: the reader reports it with the reason
    for entry in entries:
        path = Path(entry.path)
        try:
            if entry.is_dir(follow_symlinks=False):
                sub_files, sub_odd = _walk(path, notes)
                files += sub_files
                odd += sub_odd
                continue
            mode = os.stat(path).st_mode if entry.is_symlink() else entry.stat(follow_symlinks=False).st_mode
        except OSError:  # a link that leads nowhere, or round in a loop
            odd.append(path)
            continue
        if stat.S_ISREG(mode):
            files.append(path)
        elif stat.S_ISDIR(mode):
            notes.append(Problem(display_name(path), "", "", "file-skipped",
                                 "Skipped: this is a link to a folder, and folders behind links are not searched. "
                                 "Give the folder itself if it holds returns."))
        else:
            odd.append(path)
    return files, odd


FILES_PER_WORKER = 10  # below this, more than one worker process costs more than it saves


def default_jobs(n_files: int) -> int:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(cores, n_files // FILES_PER_WORKER))


WORKER_IMPORTS = ["plan_workbook.fixes"]  # what a worker needs: the guard, the reader and the fixes; no pandas


def read_returns(plan: Plan, files: list[Path], jobs: int = 1, limits: Limits | None = None,
                 method: str | None = None) -> Iterator[Read]:
    """Each file read and fixed, in the order given, in `jobs` worker processes (one for jobs <= 1), so
    a file that crashes the reader, exhausts its memory or hangs is a problem for that file alone."""
    refused = [_not_a_file(p) for p in files]  # decided here: nothing that could block is handed on
    wanted = [p for p, r in zip(files, refused, strict=True) if r is None]
    limits = limits or Limits()
    read = run_isolated(partial(read_and_fix, plan), wanted, jobs, limits, preload=WORKER_IMPORTS, method=method)
    with contextlib.closing(read):  # stops the workers even if the caller stops early
        for path, early in zip(files, refused, strict=True):
            if early is not None:
                yield early
                continue
            outcome = next(read)
            yield _failed(path, outcome, limits) if isinstance(outcome, Failure) else outcome


def _unread(path: Path, code: str, message: str) -> Read:
    name = display_name(path)
    return Return(name, path=str(path), readable=False, problems=[Problem(name, "", "", code, message)]), [], []


_KINDS = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISCHR, "a device (character special file)"), (stat.S_ISBLK, "a device (block special file)"))


def _not_a_file(path: Path) -> Read | None:
    """A problem for anything that is not a regular file, found without opening it; None for a file."""
    try:
        mode = os.stat(path).st_mode
    except OSError as e:
        if e.errno == errno.ELOOP:
            return _unread(path, "unreadable-file", "This is a link that leads round in a loop, not a file, so it "
                           "was not read.")
        return _unread(path, "unreadable-file", f"This cannot be opened ({e.strerror or e}), so it was not read. "
                       "If it is a link, the file it points to may have been moved or deleted.")
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        try:
            with os.scandir(path):
                pass
        except OSError as e:
            return _unread(path, "unreadable-file", f"This folder could not be searched ({e.strerror or e}), so "
                           "any returns in it were not read. Check that you are allowed to open it.")
        return None  # listed after all: the reader says it is not a workbook
    kind = next((name for test, name in _KINDS if test(mode)), "a special file")
    return _unread(path, "not-a-file", f"This is {kind}, not a file, so it was not read.")


def _failed(path: Path, failure: Failure, limits: Limits) -> Read:
    """The problem for a file whose reading crashed, ran out of memory or did not finish."""
    if failure.kind == "crashed" and os.environ.get("PLAN_WORKBOOK_DEBUG"):  # --debug: the traceback instead
        raise RuntimeError(f"reading {display_name(path)} failed in a worker: {failure.detail}\n{failure.traceback}")
    if failure.kind == "memory":
        return _unread(path, "too-large", f"Reading this file needed more than the {limits.memory // MiB:,} MB of "
                       f"memory the tool allows for one return ({short(failure.detail)}), so it was not read. It may "
                       "be built to harm the tool: do not open it in Excel either. Ask the partner to save a new copy "
                       "from the template and resend it.")
    if failure.kind == "timeout":
        return _unread(path, "unreadable-file", f"Reading this file took {failure.detail}, so it was stopped and "
                       "not read. Ask the partner to save it again as .xlsx and resend it; if that does not help, "
                       "please report it as a fault.")
    return _unread(path, "unreadable-file", f"The file made the reader fail ({short(failure.detail)}), so it was "
                   "not read. Ask the partner to save it again as .xlsx; if that does not help, please report it "
                   "as a fault.")


def check_returns(plan: Plan, files: list[Path], progress: Callable[[Path], None] | None = None,
                  prefer: str | None = None, jobs: int = 1) -> Result:
    """Read and validate every file. `prefer="newest"` keeps only the newest return of each partner.
    Files are read in `jobs` worker processes (one for jobs <= 1), with the same result for any number,
    so that whatever one file does to the reader, every other file is still read."""
    reads = []
    for path, read in zip(files, read_returns(plan, files, jobs), strict=True):
        reads.append(read)
        if progress:
            progress(path)
    own = [ret for ret, _, _ in reads if ret.own_output]  # the tool's own summary in the folder: a note only
    reads = [read for read in reads if not read[0].own_output]
    returns = [ret for ret, _, _ in reads]
    extra = _set_aside_copies(returns)
    extra += _set_aside_corrected(returns)
    extra += _set_aside_older(returns) if prefer == "newest" else _report_duplicates(returns)
    actions = [a for ret, fixed, _ in reads if not ret.set_aside for a in fixed]
    by_file: dict[str, list[Problem]] = {r.file: list(r.problems) for r in returns}
    for ret, _, fixes in reads:
        if not ret.set_aside:
            by_file[ret.file] += fixes
    for p in [*check_actions(plan, actions), *extra]:
        by_file[p.file].append(p)
    rank = {"": 0, L.FRONT_SHEET: 1, **{pr.sheet: i for i, pr in enumerate(plan.priorities, 2)}}

    def order(p: Problem) -> tuple[Any, ...]:
        """Workbook order: whole-file problems, front sheet, priority sheets; then row and column."""
        digits = "".join(ch for ch in p.cell if ch.isdigit())
        letters = "".join(ch for ch in p.cell if ch.isalpha())
        return (rank.get(p.sheet, 99), p.sheet, int(digits) if digits else 0, len(letters), letters, p.code)

    problems = [p for r in returns for p in sorted(by_file[r.file], key=order)]
    return Result(plan, returns, actions, problems, notes=[p for r in own for p in r.problems])


def _set_aside_copies(returns: list[Return]) -> list[Problem]:
    """The same bytes under two names (or twice on the command line) are read once."""
    first: dict[str, Return] = {}
    problems = []
    for r in returns:
        if not r.digest:
            continue
        if r.digest in first:
            r.set_aside = "copy"
            problems.append(Problem(r.file, "", "", "same-file",
                                    f"This file is identical to {first[r.digest].file}, so it was read only once.",
                                    value=first[r.digest].file))
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
            problems.append(Problem(original.file, "", "", "return-superseded",
                                    f"The corrected copy {copy.file} (made from this return by plan-workbook "
                                    "feedback) was sent back, so it replaces this one.", value=copy.file))
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
            problems.append(Problem(r.file, "", "", "duplicate-return",
                                    f"{partner} sent more than one return (also {others}). All are included; "
                                    "remove any that is out of date, or merge with --prefer newest.",
                                    value=partner))
    return problems


def _saved(r: Return) -> tuple[float, float, str]:
    """Newest first by the time saved inside the workbook, then the file's own time, then name."""
    inside = _seconds(r.saved) if r.saved else 0.0
    try:
        mtime = Path(r.path or r.file).stat().st_mtime
    except OSError:
        mtime = 0.0
    return inside, mtime, r.file


def _seconds(when: datetime) -> float:
    """Seconds since 1970 (UTC; a time with no zone taken as UTC), by arithmetic on the calendar, because
    datetime.timestamp() fails for times near year 1 or 9999, which a workbook may claim."""
    offset = when.utcoffset()
    day = (when.toordinal() - _EPOCH_DAY) * 86400
    return day + when.hour * 3600 + when.minute * 60 + when.second + when.microsecond / 1e6 \
        - (offset.total_seconds() if offset else 0.0)


_EPOCH_DAY = date(1970, 1, 1).toordinal()


def _set_aside_older(returns: list[Return]) -> list[Problem]:
    problems = []
    for partner, rets in _by_partner(returns).items():
        newest = max(rets, key=_saved)
        for r in rets:
            if r is not newest:
                r.set_aside = "superseded"
                problems.append(Problem(r.file, "", "", "return-superseded",
                                        f"{partner} sent more than one return; the newest, {newest.file}, was used "
                                        f"(--prefer newest), and the {len(r.rows)} started row(s) of this one were "
                                        "left out.", value=newest.file))
    return problems
