"""A warm checker for long-running callers: the same worker processes from one check to the next."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from conftest import IR, RA, MakeReturn, action
from faulty import abort_on_3, pid_of_worker, pid_or_abort
from plan_workbook import service
from plan_workbook.merge import check_returns
from plan_workbook.plan import Plan
from plan_workbook.reading.isolate import Failure, Limits, MiB, Workers
from plan_workbook.sources.files import file_source
from plan_workbook.sources.source import from_bytes

LIMITS = Limits(memory=256 * MiB, seconds=3)


def test_workers_stay_between_calls_and_a_crash_costs_only_its_item() -> None:
    workers: Workers[int, int] = Workers(pid_of_worker, jobs=2, limits=LIMITS)
    try:
        first = set(workers.map([1, 2, 3, 4]))
        assert len(first) == 2
        assert set(workers.map([5, 6, 7, 8])) == first  # the same two processes answered again
    finally:
        workers.close()
    crashing: Workers[int, int] = Workers(pid_or_abort, jobs=1, limits=LIMITS)
    try:
        before, failed, after = crashing.map([1, 2, 4])  # 2 aborts its worker
        assert isinstance(failed, Failure)
        assert before != after  # a fresh worker after the crash
        assert list(crashing.map([5])) == [after]  # and it is kept for the next call
    finally:
        crashing.close()


def test_a_call_stopped_early_leaves_no_answer_for_the_next() -> None:
    workers: Workers[int, int] = Workers(abort_on_3, jobs=1, limits=LIMITS)
    try:
        answers = workers.map([1, 2, 4, 5])
        assert next(answers) == 2
        answers.close()  # the worker may hold the next items: it is stopped, not asked again
        assert list(workers.map([6, 7])) == [12, 14]
    finally:
        workers.close()


def test_checker_gives_what_check_gives_call_after_call(plan: Plan, make_return: MakeReturn, tmp_path: Path) -> None:
    police = make_return("police", "Leicestershire Police", {RA: [action(status="green")]})
    vf = make_return("vf", "Victim First", {IR: [action(None), action("Review", lead="Nobody Ltd")]})
    with service.open_checker(plan, jobs=2) as checker:
        both = checker.check([file_source(police), file_source(vf)])
        pids = {w.proc.pid for w in checker.workers.pool.workers}
        dropped = checker.check([from_bytes("dropped.xlsx", vf.read_bytes())])
        again = checker.check([file_source(police), file_source(vf)])
        assert {w.proc.pid for w in checker.workers.pool.workers} <= pids  # warm: no new worker was started
    assert both.as_dict() == again.as_dict() == check_returns(plan, [police, vf]).as_dict()
    assert [p.code for p in both.problems] == ["status-normalised", "action-missing", "lead-unknown"]
    assert [(p.file, p.code) for p in dropped.problems] == [("dropped.xlsx", "action-missing"),
                                                            ("dropped.xlsx", "lead-unknown")]
    assert not any(w.proc.is_alive() for w in checker.workers.pool.workers)  # closed with the block


def test_readme_checker_example_runs() -> None:
    root = Path(__file__).parent.parent
    readme = (root / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## From Python"):readme.index("## How a return is read")]
    code = [c for c in re.findall(r"```python\n(.*?)```", section, re.DOTALL) if "open_checker" in c]
    assert len(code) == 1
    done = subprocess.run([sys.executable, "-c", code[0]], cwd=root, capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split(" ", 1)[0] for line in lines] == ["victim-first.xlsx", "rutland-county-council.xlsx"]
    assert "'lead-unknown'" in lines[0]
