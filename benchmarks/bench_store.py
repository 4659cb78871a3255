"""Benchmark: what the round store adds to a merge, and how long reading a long history takes.

    .venv/bin/python benchmarks/bench_store.py                 # 17 returns, 5 runs each way, interleaved
    .venv/bin/python benchmarks/bench_store.py --n 17 --repeat 9
    .venv/bin/python benchmarks/bench_store.py --steps --n 300 --repeat 3   # only the steps, in process

  merge     plan-workbook merge DIR --out s.xlsx --no-store, then the same recording its round in a store, runs
            interleaved (no-store, store, no-store, ...) so a busy machine slows both alike; each in its own process
  record    record_round alone, in process, for the same returns
  steps     in process, CPU time of each step a merge takes for the store once the returns are checked (last round's
            rows, compare, challenges, the earlier rounds, this round's snapshot and the trend, record_round), for a
            first round in a new store and for a second round (the same returns less a sixth, a quarter later)
  history   a store of 8 rounds x 17 partners x 100 actions (rows written straight into the real schema), read
            back as snapshots (what the trend reads), as the history list, and as the export tables
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import TypeVar

from bench_merge import make_returns  # the benchmark's realistic returns: 120 actions each

from plan_workbook.merge import Result
from plan_workbook.plan import ROLES, Plan, load_plan
from plan_workbook.service import check
from plan_workbook.sources import file_source
from plan_workbook.store import (
    Store,
    open_store,
    previous_round,
    previous_rows,
    record_round,
    rounds,
    snapshots,
    tables,
)

T = TypeVar("T")


def merge_times(folder: Path, store: Path, repeat: int) -> tuple[list[float], list[float]]:
    plain, stored = [], []
    for i in range(repeat):
        for extra, times in ((["--no-store"], plain), (["--store", str(store)], stored)):
            cmd = [sys.executable, "-m", "plan_workbook", "merge", str(folder), "--out", str(folder.parent / "s.xlsx"),
                   "--as-of", "2022-03-31", "--jobs", "1", *extra]
            start = time.perf_counter()
            subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
            times.append(time.perf_counter() - start)
        print(f"  run {i + 1}: no store {plain[-1]:.2f} s, store {stored[-1]:.2f} s", flush=True)
    return plain, stored


def long_history(plan: Plan, path: Path, n_rounds: int, n_partners: int, n_actions: int) -> None:
    """A store holding `n_rounds` rounds, written row by row into the real tables as a merge would fill them."""
    with open_store(path, plan) as store, store.transaction() as db:
        partners = (plan.returning_partners * 2)[:n_partners]
        for r in range(n_rounds):
            as_of = date(2021, 6, 30) + timedelta(days=91 * r)
            rid = db.execute("INSERT INTO rounds (name, as_of, recorded, plan_version, returns_expected, "
                             "returns_received, actions, errors, warnings) VALUES (?,?,?,?,?,?,?,?,?)",
                             (f"Round {r + 1}", as_of.isoformat(), f"{as_of.isoformat()}T12:00:00+00:00", "1",
                              n_partners, n_partners, n_partners * n_actions, 0, 0)).lastrowid
            db.executemany("INSERT INTO partners VALUES (?,?,?,?,?,?,?)",
                           [(rid, i, p, "received", 0, 1, None) for i, p in enumerate(partners)])
            rows = []
            for i, p in enumerate(partners):
                for k in range(n_actions):
                    values = [f"{role} text of action {k} of {p}, which runs to a sentence or two as a partner "
                              "would write it" for role in ROLES]
                    values[ROLES.index("status")] = ("Red", "Amber", "Green")[(k + r) % 3]
                    rows.append((rid, i * n_actions + k, p, plan.priorities[k % len(plan.priorities)].title,
                                 *values, as_of.isoformat(), f"{p}.xlsx", "Raising Awareness", f"D{k + 6}",
                                 f"'Raising Awareness'!B{k + 6}", "new", "unchanged"))
            db.executemany(f"INSERT INTO actions VALUES ({','.join('?' * len(rows[0]))})", rows)


def steps(plan: Plan, result: Result, folder: Path, repeat: int) -> dict[str, list[float]]:
    """CPU seconds of each step, as service.run_round takes them, `repeat` times: keys "1 step" (a first round in a
    new store) and "2 step" (a second round: the returns less a sixth, a quarter later)."""
    from plan_workbook.rounds.challenge import add_challenges
    from plan_workbook.rounds.compare import compare
    from plan_workbook.rounds.snapshot import snapshot
    from plan_workbook.rounds.trend import trend

    took: dict[str, list[float]] = {}

    def timed(label: str, work: Callable[[], T]) -> T:
        start = time.process_time()
        out = work()
        took.setdefault(label, []).append(time.process_time() - start)
        return out

    def one(store: Store, result: Result, name: str, as_of: date, tag: str) -> None:
        result.problems = list(problems)  # as checked, before this round's challenge flags
        last_name = previous_round(store, name, as_of)
        last = timed(f"{tag} last round's rows", lambda: previous_rows(store, plan, last_name)) if last_name else None
        changes = timed(f"{tag} compare", lambda: compare(result, last)) if last else None
        timed(f"{tag} challenges", lambda: add_challenges(result, as_of, last))
        result.__dict__.pop("figures", None)
        assert result.figures  # worked out by the summary before the round is recorded
        earlier = timed(f"{tag} earlier rounds", lambda: [s for s in snapshots(store) if s.as_of < as_of])
        now = timed(f"{tag} snapshot and trend", lambda: snapshot(result, name, as_of, changes or ()))
        timed(f"{tag} snapshot and trend", lambda: trend(plan, [*earlier, now]))
        timed(f"{tag} record_round", lambda: record_round(
            store, result, name, as_of, previous=last_name, previous_rows=last, changes=changes or (),
            outputs={"summary": [folder / "summary.xlsx"]}, earlier=earlier, snap=now))

    (folder / "summary.xlsx").write_bytes(b"a summary")
    problems = list(result.problems)
    fewer = replace(result, sources=dict(list(result.sources.items())[:len(result.sources) * 5 // 6]))
    fewer.returns = [r for r in result.returns if r.file in fewer.sources]
    fewer.actions = [a for a in result.actions if a.row.file in fewer.sources]
    for i in range(repeat):
        with open_store(folder / f"first-{i}.sqlite", plan) as store:
            one(store, result, "Q3 2021/22", date(2021, 12, 31), "1")
        with open_store(folder / f"second-{i}.sqlite", plan) as store:
            one(store, result, "Q3 2021/22", date(2021, 12, 31), "-")
            one(store, fewer, "Q4 2021/22", date(2022, 3, 31), "2")
    for label in [k for k in took if k.startswith("1 snapshot") or k.startswith("2 snapshot")]:
        took[label] = [a + b for a, b in zip(took[label][::2], took[label][1::2], strict=True)]
    return took


def best_of(repeat: int, work: object) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=17, help="returns in the merge (default 17)")
    ap.add_argument("--repeat", type=int, default=5, help="runs per measurement; the median is shown")
    ap.add_argument("--steps", action="store_true", help="only the steps a merge takes for the store, in process")
    args = ap.parse_args()
    plan = load_plan()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "returns"
        make_returns(plan, args.n, folder)
        if args.steps:
            result = check(plan, [file_source(p) for p in sorted(folder.glob("*.xlsx"))], jobs=2)
            took = steps(plan, result, Path(tmp), args.repeat)
            print(f"steps of a merge for the store, in process, {args.n} returns ({len(result.actions):,} actions): "
                  f"CPU ms per return, median of {args.repeat}")
            print("| step | first round | second round |\n|---|---:|---:|")
            names = list(dict.fromkeys(k[2:] for k in took if k[0] == "2"))  # in the order a merge takes them
            per = {k: statistics.median(v) * 1000 / args.n for k, v in took.items()}
            for name in names:
                print(f"| {name} | " + " | ".join(f"{per[f'{r} {name}']:.2f}" if f"{r} {name}" in per else ""
                                                  for r in "12") + " |")
            wanted = ("challenges", "snapshot and trend", "record_round")
            print("| challenges + snapshot and trend + record_round | "
                  + " | ".join(f"{sum(per[f'{r} {n}'] for n in wanted):.2f}" for r in "12") + " |")
            return
        print(f"merge of {args.n} returns (120 actions each), {args.repeat} runs each way, interleaved:")
        plain, stored = merge_times(folder, Path(tmp) / "rounds.sqlite", args.repeat)
        a, b = statistics.median(plain), statistics.median(stored)
        size = (Path(tmp) / "rounds.sqlite").stat().st_size
        print(f"merge: no store {a:.2f} s, with the store {b:.2f} s (median): ratio {b / a:.3f}, "
              f"{(b - a) * 1000:+.0f} ms; store file {size / 1e6:.1f} MB")
        result = check(plan, [file_source(p) for p in sorted(folder.glob("*.xlsx"))], jobs=1)
        with open_store(Path(tmp) / "alone.sqlite", plan) as store:
            alone = best_of(args.repeat, lambda: record_round(store, result, "Q4 2021/22", date(2022, 3, 31)))
        print(f"recording the round alone (in process, the same round replaced each time): {alone * 1000:.0f} ms")
        path = Path(tmp) / "history.sqlite"
        long_history(plan, path, 8, 17, 100)
        with open_store(path, plan, create=False) as store:
            took = {"snapshots": best_of(args.repeat, lambda: snapshots(store)),
                    "history list": best_of(args.repeat, lambda: rounds(store)),
                    "export tables": best_of(args.repeat, lambda: tables(store))}
            count = sum(len(s.actions) for s in snapshots(store))
        cmd = [sys.executable, "-m", "plan_workbook", "history", "--store", str(path)]
        took["`history` command"] = best_of(args.repeat, lambda: subprocess.run(cmd, capture_output=True, check=True))
        print(f"history of 8 rounds x 17 partners x 100 actions ({count} actions, "
              f"{path.stat().st_size / 1e6:.1f} MB): "
              + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in took.items()) + " (median)")


if __name__ == "__main__":
    main()
