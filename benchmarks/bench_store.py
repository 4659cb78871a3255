"""Benchmark: what the round store adds to a merge, and how long reading a long history takes.

    .venv/bin/python benchmarks/bench_store.py                 # 17 returns, 5 runs each way, interleaved
    .venv/bin/python benchmarks/bench_store.py --n 17 --repeat 9

  merge     plan-workbook merge DIR --out s.xlsx --no-store, then the same recording its round in a store, runs
            interleaved (no-store, store, no-store, ...) so a busy machine slows both alike; each in its own process
  record    record_round alone, in process, for the same returns
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
from datetime import date, timedelta
from pathlib import Path

from bench_merge import make_returns  # the benchmark's realistic returns: 120 actions each

from plan_workbook.plan import ROLES, Plan, load_plan
from plan_workbook.service import check
from plan_workbook.sources import file_source
from plan_workbook.store import open_store, record_round, rounds, snapshots, tables


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
    args = ap.parse_args()
    plan = load_plan()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "returns"
        make_returns(plan, args.n, folder)
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
