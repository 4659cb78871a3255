"""Benchmark: the worker's reading path per stage (guard, calamine, reader, fixes), CPU ms a return. `calamine` is
python-calamine alone reading the priority sheets (what reading cost before the guard read a sheet of texts itself).

    .venv/bin/python benchmarks/bench_reading.py                        # 100 benchmark returns, this checkout
    .venv/bin/python benchmarks/bench_reading.py --before OLD/src --repeat 5
    .venv/bin/python benchmarks/bench_reading.py --dump facts.pickle     # what reading gives, to compare later
    .venv/bin/python benchmarks/bench_reading.py --compare facts.pickle

With --before (the src folder of another checkout, e.g. from `git archive <commit> src schema | tar -x -C OLD`),
each repeat runs both in fresh processes, one after the other, so a busy machine slows both alike. --dump and
--compare keep and check, return by return, the guard's facts (in order) and what read_and_fix gives (the Return,
its actions and the fixes' problems): a change for speed must leave both alone.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

STAGES = ("guard", "calamine", "read_return", "fixes", "read_and_fix")


def stages(folder: Path, n: int) -> dict[str, float]:
    """CPU ms a return of each stage over the first n returns of a folder, in this process."""
    import python_calamine

    from plan_workbook import layout as L
    from plan_workbook.plan import load_plan
    from plan_workbook.reading import guard
    from plan_workbook.reading.fixes import fix_rows, read_and_fix
    from plan_workbook.reading.reader import read_return
    from plan_workbook.sources.files import file_source

    plan = load_plan()
    files = sorted(folder.glob("*.xlsx"))[:n]
    datas = [f.read_bytes() for f in files]
    sources = [file_source(f) for f in files]
    returns = [read_return(plan, s) for s in sources]

    def calamine(data: bytes) -> None:
        wb = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        for p in plan.priorities:
            wb.get_sheet_by_name(p.sheet).to_python()
        wb.close()

    tasks: dict[str, Callable[[int], object]] = {
        "guard": lambda i: guard.scan_bytes(files[i].name, datas[i], L.UNREAD_SHEETS),
        "calamine": lambda i: calamine(datas[i]),
        "read_return": lambda i: read_return(plan, sources[i]),
        "fixes": lambda i: fix_rows(plan, returns[i].partner or "", returns[i].rows),
        "read_and_fix": lambda i: read_and_fix(plan, sources[i]),
    }
    out = {}
    for name, task in tasks.items():
        task(0)
        start = time.process_time()
        for i in range(len(files)):
            task(i)
        out[name] = (time.process_time() - start) / len(files) * 1000
    return out


def facts(folder: Path) -> list[tuple[str, Any, Any]]:
    """Per return: its name, the guard's facts (each dict in order) and what read_and_fix gives."""
    from plan_workbook import layout as L
    from plan_workbook.plan import load_plan
    from plan_workbook.reading import guard
    from plan_workbook.reading.fixes import read_and_fix
    from plan_workbook.sources.files import file_source

    plan = load_plan()
    out = []
    for path in sorted(folder.glob("*.xlsx")):
        if path.is_symlink() or not path.is_file() or path.stat().st_size > 30 << 20:
            continue  # the corpus's links, pipes and over-large files are tests of the sources, not of reading
        scan = guard.scan_bytes(path.name, path.read_bytes(), L.UNREAD_SHEETS)
        sheets = [(name, [(k, list(v.items()) if isinstance(v, dict) else v) for k, v in vars(f).items()
                          if k not in guard.VALUE_FIELDS])  # the values: in read_and_fix's Return
                  for name, f in scan.sheets.items()]
        out.append((path.name, (scan.fatal, scan.kind, scan.saved, scan.sheet_list, scan.digest, sheets),
                    read_and_fix(plan, file_source(path))))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--returns", type=Path, help="a folder of returns (default: 100 benchmark returns)")
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--before", type=Path, help="the src folder of the checkout to compare with")
    parser.add_argument("--dump", type=Path)
    parser.add_argument("--compare", type=Path)
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)  # a single run, as JSON
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.returns or _benchmark_returns(Path(tmp), args.n)
        if args.one:
            print(json.dumps(stages(folder, args.n)))
        elif args.dump or args.compare:
            _same(folder, args.dump, args.compare)
        else:
            _timed(folder, args.n, args.repeat, args.before)


def _benchmark_returns(tmp: Path, n: int) -> Path:
    sys.path.insert(0, str(Path(__file__).parent))
    from bench_merge import make_returns

    from plan_workbook.plan import load_plan
    make_returns(load_plan(), n, tmp / "returns")
    return tmp / "returns"


def _timed(folder: Path, n: int, repeat: int, before: Path | None) -> None:
    here = str(Path(__file__).resolve().parent.parent / "src")
    trees = {"before": str(before.resolve()), "after": here} if before else {"this checkout": here}
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
    for _ in range(repeat):
        for name, src in trees.items():
            env = dict(os.environ, PYTHONPATH=src)
            done = subprocess.run([sys.executable, __file__, "--one", "--returns", str(folder), "--n", str(n)],
                                  env=env, capture_output=True, text=True, check=True)
            runs[name].append(json.loads(done.stdout))
    print(f"CPU ms a return, median of {repeat} ({n} returns from {folder})")
    print(f"{'stage':14s}" + "".join(f"{name:>15s}" for name in trees))
    for stage in STAGES:
        print(f"{stage:14s}" + "".join(f"{statistics.median(r[stage] for r in runs[name]):15.2f}" for name in trees))


def _same(folder: Path, dump: Path | None, compare: Path | None) -> None:
    now = facts(folder)
    if dump:
        dump.write_bytes(pickle.dumps(now))
        print(f"{len(now)} returns kept in {dump}")
    if compare:
        kept = pickle.loads(compare.read_bytes())  # a file this script wrote
        differ = [a[0] for a, b in zip(kept, now, strict=True) if a != b]
        rows = sum(len(r[2][0].rows) for r in now)
        problems = sum(len(r[2][0].problems) + len(r[2][2]) for r in now)
        print(f"{len(now)} returns ({rows:,} rows, {problems:,} problems): {len(now) - len(differ)} the same, "
              f"{len(differ)} differ {differ[:10]}")


if __name__ == "__main__":
    main()
