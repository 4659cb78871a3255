"""Issue 18: the reading benchmark (benchmarks/bench_reading.py) runs, and its sameness check finds no change
between two runs of the same code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from corpus import _good
from plan_workbook.plan import Plan

SCRIPT = Path(__file__).parent.parent / "benchmarks" / "bench_reading.py"


def run(*args: str) -> str:
    done = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=600,
                          check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_stages_are_timed_on_a_few_benchmark_returns() -> None:
    out = run("--n", "3", "--repeat", "1")
    lines = {line.split()[0]: line.split()[1:] for line in out.splitlines()[2:]}
    assert set(lines) == {"guard", "calamine", "read_return", "fixes", "read_and_fix"}
    assert all(float(v) > 0 for v, *_ in lines.values())


def test_what_reading_gives_is_kept_and_compared(plan: Plan, tmp_path: Path) -> None:
    folder = tmp_path / "returns"
    folder.mkdir()
    for name in ("a.xlsx", "b.xlsx"):
        _good(folder, plan, name)
    kept = tmp_path / "facts.pickle"
    assert run("--returns", str(folder), "--dump", str(kept)).strip() == f"2 returns kept in {kept}"
    assert "2 the same, 0 differ" in run("--returns", str(folder), "--compare", str(kept))
