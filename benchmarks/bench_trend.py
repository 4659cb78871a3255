"""Benchmark: the trend, the action histories, the stuck list and timeliness for R rounds of P partners with A
actions each (rounds/trend.py), from snapshots made here as the round store gives them; and the size of, and time
to pack, the earlier rounds the store keeps with the last round (store/earlier.py).

    .venv/bin/python benchmarks/bench_trend.py            # 8 rounds x 17 partners x 100 actions, 5 runs, median
    .venv/bin/python benchmarks/bench_trend.py --rounds 8 --partners 17 --actions 100 --repeat 5
    .venv/bin/python benchmarks/bench_trend.py --merge 3  # also: a real 8th-round merge, with the store and without

Each round every action's status moves (a third better, a sixth worse, the rest the same), a share of the actions
is reworded slightly (--reworded, default 10%: matched as nearly the same text, difflib's slow path), a share is
dropped and replaced by a new one (--new, default 5%: compared with every history left), and a partner in five
sends nothing.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from plan_workbook.plan import ROLES, Plan, load_plan
from plan_workbook.rounds.snapshot import ActionRecord, PartnerRecord, Snapshot
from plan_workbook.rounds.trend import trend
from plan_workbook.store.earlier import pack

WORDS = ("partners", "community", "reporting", "awareness", "victims", "schools", "events", "training", "officers",
         "campaign", "review", "support", "venues", "leaflets", "social", "media", "monthly", "quarterly")


def snapshots(rounds: int, partners: int, actions: int, reworded: float = 0.10, new: float = 0.05,
              seed: int = 13) -> list[Snapshot]:
    plan = load_plan()
    rng = random.Random(seed)
    titles = [p.title for p in plan.priorities]
    statuses = plan.status_names
    names = [f"Partner {i + 1}" for i in range(partners)]
    texts = {(p, i): " ".join(rng.choice(WORDS) for _ in range(10)) + f" {p} {i}" for p in names
             for i in range(actions)}
    status = {k: rng.choice(statuses) for k in texts}
    out = []
    for r in range(rounds):
        as_of = date(2021 + (r + 1) // 4, (r + 1) % 4 * 3 or 12, 28)
        sent = [p for p in names if rng.random() >= 0.2]
        records = []
        for p, i in list(texts):
            if p not in sent:
                continue
            roll = rng.random()
            if roll < new:
                texts[p, i] = " ".join(rng.choice(WORDS) for _ in range(10)) + f" new {r} {p} {i}"
            elif roll < new + reworded:
                texts[p, i] += "."
            move = rng.random()
            rank = statuses.index(status[p, i])
            rank = min(rank + 1, len(statuses) - 1) if move < 1 / 3 else max(rank - 1, 0) if move < 0.5 else rank
            status[p, i] = statuses[rank]
            values = dict.fromkeys(ROLES, "")
            values.update(action=texts[p, i], status=status[p, i], update=rng.choice(WORDS))
            records.append(ActionRecord(p, titles[i % len(titles)], values, date(2022, 3, 31), f"{p}.xlsx",
                                        "Sheet", f"D{i + 8}", ""))
        people = tuple(PartnerRecord(p, "received" if p in sent else "missing", 0, 0, None) for p in names)
        out.append(Snapshot(f"Round {r + 1}", as_of, people, tuple(records)))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--partners", type=int, default=17)
    ap.add_argument("--actions", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--reworded", type=float, default=0.10, help="share of actions reworded each round")
    ap.add_argument("--merge", type=int, default=0, metavar="RUNS",
                    help="also time RUNS merges of 17 returns as the 8th round of a store holding 7 rounds of 17 "
                         "partners x 100 actions (bench_store's), against the same merge with --no-store")
    ap.add_argument("--new", type=float, default=0.05, help="share of actions replaced by a new one each round")
    args = ap.parse_args()
    plan = load_plan()
    snaps = snapshots(args.rounds, args.partners, args.actions, args.reworded, args.new)
    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        t = trend(plan, snaps)
        times.append(time.perf_counter() - start)
    n = sum(len(s.actions) for s in snaps)
    start = time.perf_counter()
    kept = pack(snaps[:-1])  # what the store keeps with the last round: the earlier rounds its trend used
    packed = time.perf_counter() - start
    churn = f"{args.reworded:.0%} reworded and {args.new:.0%} new each round"
    print(f"trend of {args.rounds} rounds x {args.partners} partners x {args.actions} actions ({n:,} action "
          f"records, {churn}): {statistics.median(times) * 1000:.0f} ms median of {args.repeat} "
          f"(min {min(times) * 1000:.0f} ms); {len(t.histories):,} histories, {len(t.stuck):,} stuck")
    print(f"the earlier {args.rounds - 1} rounds kept with the last: {len(kept) / 1024:,.0f} KiB compressed, "
          f"{packed * 1000:.0f} ms")
    if args.merge:
        eighth_round(plan, args.merge)


def eighth_round(plan: Plan, runs: int) -> None:
    """Each merge in its own process, interleaved (no store, store, ...) so a busy machine slows both alike."""
    from bench_merge import make_returns
    from bench_store import long_history

    with tempfile.TemporaryDirectory() as tmp:
        folder, store = Path(tmp) / "returns", Path(tmp) / "rounds.sqlite"
        make_returns(plan, 17, folder)
        long_history(plan, store, 7, 17, 100)
        times: dict[str, list[float]] = {"no store": [], "store": []}
        for _ in range(runs):
            for kind, extra in (("no store", ["--no-store"]), ("store", ["--store", str(store)])):
                start = time.perf_counter()
                subprocess.run([sys.executable, "-m", "plan_workbook", "merge", str(folder), "--out",
                                str(Path(tmp) / "s.xlsx"), "--as-of", "2023-03-31", "--jobs", "1", *extra],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
                times[kind].append(time.perf_counter() - start)
        a, b = (statistics.median(times[k]) for k in ("no store", "store"))
        print(f"8th-round merge of 17 returns: no store {a:.2f} s, with a store of 7 rounds (trend, Trend sheets, "
              f"recording) {b:.2f} s, median of {runs}: ratio {b / a:.2f}, {(b - a) * 1000:+.0f} ms")


if __name__ == "__main__":
    main()
