"""Benchmark: merge and validate N returns, against the pandas baseline and the calamine floor.

    .venv/bin/python benchmarks/bench_merge.py            # N = 1,000 returns, 3 runs each, median
    .venv/bin/python benchmarks/bench_merge.py --n 100 --jobs 1 --repeat 5

The N returns are made from the real template: three priority sheets with 40 filled actions each, text of
realistic length, and a few problems in every return (a lower-case status, an unknown lead, a Red action with
no update). Each measurement runs in its own process, so wall time includes start-up and imports, and peak
memory is that process's maximum resident set size (from wait4).

  merge     plan-workbook merge DIR --out summary.xlsx      (read, validate, write the summary)
  validate  plan-workbook validate DIR --format json        (read and validate only)
  baseline  pandas.read_excel(engine="openpyxl") of every priority sheet, pandas.concat, DataFrame.to_excel
  floor     python-calamine reading every cell value of the same sheets, and nothing else
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

from plan_workbook.fill import fill_template
from plan_workbook.outputs.xlsx import save
from plan_workbook.plan import Plan, load_plan

ACTIONS_PER_SHEET = 40
TOKEN = "QQNNNNQQ"  # replaced by the return's number in every text cell, so no two returns are the same bytes
WORDS = ("partners", "community", "reporting", "awareness", "victims", "schools", "events", "training", "officers",
         "campaign", "review", "support", "venues", "leaflets", "social", "media", "monthly", "quarterly",
         "district", "council", "police", "survey")

BASELINE = """
import sys, pandas as pd
from pathlib import Path
files, sheets, out = sorted(Path(sys.argv[1]).glob("*.xlsx")), sys.argv[2].split("|"), sys.argv[3]
frames = []
for f in files:
    for name, df in pd.read_excel(f, sheet_name=sheets, engine="openpyxl", header=2).items():
        frames.append(df.assign(file=f.name, sheet=name))
pd.concat(frames, ignore_index=True).to_excel(out, engine="openpyxl", index=False)
"""

FLOOR = """
import sys, python_calamine
from pathlib import Path
files, sheets = sorted(Path(sys.argv[1]).glob("*.xlsx")), sys.argv[2].split("|")
cells = 0
for f in files:
    wb = python_calamine.CalamineWorkbook.from_path(str(f))
    for name in sheets:
        cells += sum(len(r) for r in wb.get_sheet_by_name(name).to_python())
    wb.close()
"""


def sentence(i: int, n: int) -> str:
    return " ".join(WORDS[(i * 7 + k * 3) % len(WORDS)] for k in range(n))


def base_return(plan: Plan, folder: Path) -> Path:
    """One filled return with TOKEN in its text; numbered copies are made from its bytes."""
    rows = {}
    for s, priority in enumerate(plan.priorities):
        theme = priority.themes[0]
        sheet_rows = []
        for i in range(ACTIONS_PER_SHEET):
            status = ("Green", "Amber", "Red")[i % 3]
            row = {"theme": theme, "aim": f"Aim {TOKEN}: " + sentence(i + s, 6),
                   "objective": "Objective: " + sentence(i + 2 * s, 10),
                   "action": f"Action {TOKEN}-{s}-{i}: " + sentence(i, 14), "lead": "Leicestershire Police",
                   "time_frame": ("Oct 21", "Q3 2021/22", "Mar 22", "Ongoing", "2022/23")[i % 5], "status": status,
                   "update": f"Update {TOKEN}: " + sentence(i * 3 + s, 40)}
            if i == 3:
                row["status"] = "green"  # a problem: status-normalised
            if i == 7:
                row["lead"] = "Victim Support"  # a problem: lead-unknown
            if i == 11:
                row.pop("update")  # a problem: update-missing (row 11 is Red)
            sheet_rows.append(row)
        rows[priority.sheet] = sheet_rows
    wb = fill_template(plan, None, rows, front_partner=TOKEN, personalise=False)
    path = folder / "base.xlsx"
    save(wb, path)
    return path


def make_returns(plan: Plan, n: int, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(base_return(plan, folder.parent)) as z:
        parts = [(i, z.read(i.filename)) for i in z.infolist()]
    partners = plan.returning_partners
    paths = []
    for k in range(n):
        number = f"{k:05d}".encode()
        path = folder / f"return-{k:05d}.xlsx"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
            for info, data in parts:
                named = data
                if info.filename == "xl/worksheets/sheet1.xml":  # the Front sheet: the partner's name
                    named = data.replace(TOKEN.encode(), escape(partners[k % len(partners)]).encode())
                out.writestr(info, named.replace(TOKEN.encode(), number))
        paths.append(path)
    return paths


def measure(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident MiB of one process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode not in (0, 1):
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}): {err[-2000:]}")
    return wall, usage.ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1000, help="number of returns (default 1000)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes for plan-workbook")
    ap.add_argument("--repeat", type=int, default=3, help="runs per measurement; the median is shown")
    ap.add_argument("--skip-baseline", action="store_true", help="leave out the slow pandas baseline")
    args = ap.parse_args()
    plan = load_plan()
    tool = [sys.executable, "-m", "plan_workbook"]
    sheets = "|".join(p.sheet for p in plan.priorities)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "returns"
        t0 = time.perf_counter()
        files = make_returns(plan, args.n, folder)
        size = sum(f.stat().st_size for f in files) / len(files) / 1024
        print(f"{args.n} returns made in {time.perf_counter() - t0:.1f} s ({size:.0f} kB each, "
              f"{len(plan.priorities) * ACTIONS_PER_SHEET} actions each); jobs={args.jobs}; "
              f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores")
        tasks = {
            "merge": [*tool, "merge", str(folder), "--out", f"{tmp}/summary.xlsx", "--as-of", "2022-03-31",
                      "--jobs", str(args.jobs)],
            "validate": [*tool, "validate", str(folder), "--format", "json", "--jobs", str(args.jobs)],
            "baseline": [sys.executable, "-c", BASELINE, str(folder), sheets, f"{tmp}/baseline.xlsx"],
            "floor": [sys.executable, "-c", FLOOR, str(folder), sheets],
            "--help": [*tool, "--help"],
            "validate 1 return": [*tool, "validate", str(files[0])],
        }
        if args.skip_baseline:
            del tasks["baseline"]
        results: dict[str, tuple[float, float]] = {}
        for name, cmd in tasks.items():
            runs = [measure(cmd) for _ in range(args.repeat)]
            results[name] = (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs))
    print(f"\n| task | wall (s, median of {args.repeat}) | ms per return | peak memory (MiB) |")
    print("|---|---:|---:|---:|")
    for name, (wall, mib) in results.items():
        per = f"{wall / args.n * 1000:.1f}" if not re.match(r"--help|validate 1", name) else ""
        print(f"| {name} | {wall:.2f} | {per} | {mib:.0f} |")
    print()
    floor = results["floor"][0]
    if "baseline" in results:
        print(f"baseline / merge = {results['baseline'][0] / results['merge'][0]:.1f}x  (target >= 5x)")
    print(f"validate / floor = {results['validate'][0] / floor:.1f}x  (target <= 3x)")
    print(f"merge / floor    = {results['merge'][0] / floor:.1f}x")


if __name__ == "__main__":
    main()
