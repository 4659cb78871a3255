"""Issue 5: the parallel merge gives exactly the serial result, and the benchmark script still runs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import IR, RA, SC, MakeReturn, action
from plan_workbook import merge, rules
from plan_workbook.cli import main
from plan_workbook.merge import check_returns, default_jobs
from plan_workbook.plan import Plan
from plan_workbook.problems import Problem
from plan_workbook.reading.fixes import Action
from plan_workbook.rules import check_actions

ROOT = Path(__file__).parent.parent


def returns(make_return: MakeReturn, plan: Plan) -> list[Path]:
    partners = plan.returning_partners
    return [make_return(f"r{i:02d}", partners[i % len(partners)], {
        RA: [action(f"Stall {i}"), action(f"Leaflets {i}", status="green", lead="Police / VF")],
        IR: [action(f"Review {i}", status="Red", update=None, time_frame="Spring 2022")],
        SC: [action(f"Event {i}", lead="Victim Support", time_frame="Q3 2021/22")]}) for i in range(12)]


def test_parallel_merge_is_identical_to_serial(plan: Plan, make_return: MakeReturn, tmp_path: Path) -> None:
    files = returns(make_return, plan)
    serial, parallel = check_returns(plan, files, jobs=1), check_returns(plan, files, jobs=2)
    assert parallel.as_dict() == serial.as_dict()
    assert len(serial.actions) == 48
    assert serial.errors == 0
    assert serial.warnings > 12
    outs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"summary-{jobs}.xlsx"
        result = CliRunner().invoke(main, ["merge", str(files[0].parent), "--out", str(out), "--jobs", jobs,
                                           "--as-of", "2022-03-31"])
        assert result.exit_code == 0, result.output
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]


def test_default_jobs_uses_the_cores_only_for_many_files() -> None:
    assert default_jobs(1) == 1
    assert default_jobs(9) == 1
    assert default_jobs(10_000) == len(os.sched_getaffinity(0))  # every core this process may use


def test_benchmark_script_runs_with_a_tiny_n() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_merge.py"), "--n", "3", "--repeat", "1",
                           "--jobs", "1", "--scale", "2,3", "--before", str(ROOT / "src")],
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for task in ("merge", "validate", "baseline", "floor", "--help", "validate 1 return", "merge (before)",
                 "validate (before)"):
        assert f"| {task} |" in out, out
    assert "baseline / merge = " in out
    assert "validate / floor = " in out
    assert re.search(r"validate / floor = [0-9.]+x  \(target <= 3x; sampled: [0-9.]+x; CPU seconds", out)
    assert "| wall, sampled (s) |" in out  # the wall time of the sampled runs too, beside the unwatched one
    assert "merge before / now = " in out
    assert "3 returns made" in out
    assert "| 2 | " in out  # the memory table, one line per number of returns
    assert "| 3 | " in out


def test_rules_checked_in_chunks_while_reading_find_what_one_pass_finds(plan: Plan, make_return: MakeReturn,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The rules run on chunks of whole returns as they arrive: the same problems, in the same order, as one pass
    over every action, with a copy set aside (its problems dropped) and a duplicate action inside a return."""
    files = returns(make_return, plan)
    twin = files[0].parent / "r00 copy.xlsx"
    twin.write_bytes(files[0].read_bytes())  # an exact copy: set aside, its rows not checked
    make_return("dup", plan.returning_partners[0], {RA: [action("Same stall"), action("Same stall", status="Purple")]})
    monkeypatch.setattr(merge, "RULES_LAST", -1)  # never: every action in one chunk
    one_pass = check_returns(plan, sorted(files[0].parent.glob("*.xlsx")), jobs=2).as_dict()
    monkeypatch.setattr(merge, "RULES_LAST", 2)  # those before the last two returns, then those two
    calls: list[int] = []

    def counted(plan: Plan, actions: list[Action]) -> list[Problem]:
        calls.append(len(actions))
        return check_actions(plan, actions)

    monkeypatch.setattr(rules, "check_actions", counted)
    assert check_returns(plan, sorted(files[0].parent.glob("*.xlsx")), jobs=2).as_dict() == one_pass
    assert len(calls) == 2
    assert calls[1] < calls[0]  # the last two returns' actions: fewer than those before them
    monkeypatch.undo()
    monkeypatch.setattr(merge, "RULES_LAST", -1)
    monkeypatch.setattr(merge, "RULES_CHUNK", 3)
    chunked = check_returns(plan, sorted(files[0].parent.glob("*.xlsx")), jobs=2).as_dict()
    assert chunked == one_pass
    codes = [p["code"] for p in chunked["problems"]]
    assert {"action-duplicate", "status-invalid", "update-missing"} <= set(codes)
    aside = {p["file"] for p in chunked["problems"] if p["code"] == "same-file"}  # the second of the two
    assert len(aside) == 1
    kept = {f["file"] for f in chunked["files"] if f["file"].endswith(("r00.xlsx", "r00 copy.xlsx"))} - aside
    missing = {p["file"] for p in chunked["problems"] if p["code"] == "update-missing"}
    assert kept <= missing  # the kept one's rows are checked
    assert not aside & missing  # the one set aside: not
