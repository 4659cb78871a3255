"""Benchmark: the desk against the command line, on the benchmark's realistic returns (120 actions each).

    .venv/bin/python benchmarks/bench_desk.py               # 17 returns, 5 runs each way, interleaved
    .venv/bin/python benchmarks/bench_desk.py --n 17 --repeat 3 --rounds 8

  validate  plan-workbook validate DIR --format json, in its own process (what a coordinator waits for at a
            terminal: start-up, imports and the check)
  drop      the same files posted to a running desk (`plan-workbook desk --no-browser`) and the page that follows
            fetched: the check, recording the round in the store, and rendering the problems
  one       one return dropped into a round of its own, once the desk is warm
  pages     each page of a desk whose store holds `--rounds` rounds of N returns (first and second fetch)
Runs are interleaved (validate, drop, validate, ...) so a busy machine slows both alike.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))
from bench_merge import make_returns

from desk_run import Running, desk_command
from plan_workbook.plan import load_plan


def timed(step: object) -> float:
    start = time.perf_counter()
    step()  # type: ignore[operator]
    return time.perf_counter() - start


def new_round(desk: Running, i: int) -> None:
    as_of = date(2021, 6, 30) + timedelta(days=91 * i)
    assert desk.start_round(f"Round {i + 1}", as_of.isoformat()).status == 303


def drop(desk: Running, files: list[tuple[str, bytes]]) -> None:
    assert desk.upload(files).status == 303
    assert desk.get("/").status == 200


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=17)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=8)
    args = parser.parse_args()
    plan = load_plan()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "returns"
        folder.mkdir()
        paths = make_returns(plan, args.n, folder)
        files = [(p.name, p.read_bytes()) for p in paths]
        validate, dropped, one = [], [], []
        with desk_command("--store", str(Path(tmp) / "rounds.sqlite")) as desk:
            desk.enter()
            new_round(desk, 0)
            drop(desk, files[:1])  # warm: the reading workers started, the page's templates loaded
            cmd = [sys.executable, "-m", "plan_workbook", "validate", str(folder), "--format", "json"]
            for i in range(args.repeat):
                validate.append(timed(lambda: subprocess.run(cmd, stdout=subprocess.DEVNULL, check=False)))
                new_round(desk, 2 * i + 1)
                dropped.append(timed(lambda: drop(desk, files)))
                new_round(desk, 2 * i + 2)
                one.append(timed(lambda: drop(desk, files[:1])))
                print(f"  run {i + 1}: validate {validate[-1]:.2f} s, drop {dropped[-1]:.2f} s, "
                      f"one {one[-1] * 1000:.0f} ms", flush=True)
        v, d, o = (statistics.median(t) for t in (validate, dropped, one))
        print(f"{args.n} returns: validate {v:.2f} s, drop to problems {d:.2f} s (ratio {d / v:.2f}); "
              f"one return dropped when warm {o * 1000:.0f} ms")

        with desk_command("--store", str(Path(tmp) / "eight.sqlite")) as desk:
            desk.enter()
            for i in range(args.rounds):
                new_round(desk, i)
                drop(desk, files)
            for page in ("/", "/rounds", "/chase", "/"):
                first = timed(lambda page=page: desk.get(page))  # type: ignore[misc]
                again = timed(lambda page=page: desk.get(page))  # type: ignore[misc]
                print(f"  {page:8} first {first * 1000:.0f} ms, again {again * 1000:.0f} ms "
                      f"({args.rounds} rounds of {args.n} returns)")


if __name__ == "__main__":
    main()
