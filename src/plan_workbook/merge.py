"""Find returned workbooks, read and validate them all: the result the CLI and the summary share."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import layout as L
from .errors import UsageError
from .plan import Plan
from .problems import Problem, count
from .read import Return, read_return
from .validate import Action, validate_rows

EXTENSIONS = (".xlsx", ".xlsm")


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

    def return_state(self, ret: Return) -> str:
        if not ret.readable:
            return "unreadable"
        if ret.partner and sum(1 for r in self.returns if r.partner == ret.partner) > 1:
            return "duplicate"
        return "received"

    def status_counts(self, actions: Iterable[Action]) -> dict[str, int]:
        """Count per plan status, plus 'No status' for anything else (missing or invalid)."""
        names = self.plan.status_names
        c = Counter(a.status if a.status in names else "No status" for a in actions)
        return {k: c.get(k, 0) for k in [*names, "No status"]}

    def file_rows(self) -> list[dict[str, Any]]:
        """Per return: partner, state, action count, examples not used, errors and warnings."""
        files = []
        for ret in self.returns:
            mine = [p for p in self.problems if p.file == ret.file]
            files.append({"file": ret.file, "partner": ret.partner, "state": self.return_state(ret),
                          "actions": sum(1 for a in self.actions if a.row.file == ret.file),
                          "examples_ignored": ret.examples_ignored,
                          "errors": count(mine, "error"), "warnings": count(mine, "warning")})
        return files

    def as_dict(self) -> dict[str, Any]:
        received = {r.partner for r in self.returns if r.partner and r.readable}
        return {
            "files": self.file_rows(),
            "problems": [p.as_dict() for p in [*self.notes, *self.problems]],
            "summary": {
                "plan": self.plan.id,
                "returns_expected": len(self.plan.returning_partners),
                "returns_received": len(received),
                "missing": [p for p in self.plan.returning_partners if p not in received],
                "actions": len(self.actions),
                "status": self.status_counts(self.actions),
                "errors": self.errors,
                "warnings": self.warnings,
            },
        }


def find_workbooks(paths: Iterable[Path]) -> tuple[list[Path], list[Problem]]:
    """Files given, and .xlsx/.xlsm files under folders given, sorted; Excel lock files skipped."""
    found: list[Path] = []
    notes: list[Problem] = []
    for path in paths:
        if path.is_dir():
            candidates = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in EXTENSIONS)
        elif path.exists():
            candidates = [path]
        else:
            raise UsageError(f"{path} does not exist")
        for p in candidates:
            if p.name.startswith("~$"):
                notes.append(Problem(str(p), "", "", "lock-file-skipped",
                                     "Skipped: this is Excel's lock file for a workbook that is open, not a return."))
            elif p not in found:
                found.append(p)
    if not found:
        raise UsageError("no returned workbooks (.xlsx or .xlsm) were found in "
                         + ", ".join(str(p) for p in paths))
    return found, notes


def check_returns(plan: Plan, files: list[Path], progress: Callable[[Path], None] | None = None) -> Result:
    returns = []
    for path in files:
        returns.append(read_return(plan, path))
        if progress:
            progress(path)
    partner_rows = [(r.partner or "", row) for r in returns for row in r.rows]
    actions, row_problems = validate_rows(plan, partner_rows)
    by_file: dict[str, list[Problem]] = {r.file: list(r.problems) for r in returns}
    for p in row_problems:
        by_file[p.file].append(p)
    partners = Counter(r.partner for r in returns if r.partner)
    for r in returns:
        if r.partner and partners[r.partner] > 1:
            others = [o.file for o in returns if o.partner == r.partner and o is not r]
            by_file[r.file].append(Problem(r.file, "", "", "duplicate-return",
                                           f"{r.partner} sent more than one return (also {', '.join(others)}). "
                                           "Both are included; remove the one that is out of date.",
                                           value=r.partner))
    rank = {"": 0, L.FRONT_SHEET: 1, **{pr.sheet: i for i, pr in enumerate(plan.priorities, 2)}}

    def order(p: Problem) -> tuple[Any, ...]:
        """Workbook order: whole-file problems, front sheet, priority sheets; then row and column."""
        digits = "".join(ch for ch in p.cell if ch.isdigit())
        letters = "".join(ch for ch in p.cell if ch.isalpha())
        return (rank.get(p.sheet, 99), p.sheet, int(digits) if digits else 0, len(letters), letters, p.code)

    problems = [p for r in returns for p in sorted(by_file[r.file], key=order)]
    return Result(plan, returns, actions, problems)
