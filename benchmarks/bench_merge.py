"""Benchmark: merge and validate N returns, against the pandas baseline and the calamine floor.

    .venv/bin/python benchmarks/bench_merge.py            # N = 1,000 returns, 3 runs each, median
    .venv/bin/python benchmarks/bench_merge.py --n 100 --jobs 1 --repeat 5
    .venv/bin/python benchmarks/bench_merge.py --before ../old-checkout/src   # and that checkout, taking turns

The N returns are made from the real template: three priority sheets with 40 filled actions each, text of
realistic length, and a few problems in every return (a lower-case status, an unknown lead, a Red action with
no update). Each measurement runs in its own process, so wall time includes start-up and imports. Peak memory
counts every process of the run (the command, the forkserver and its workers) and nothing of the benchmark's
own. The tasks are interleaved in each repeat, so a change of load on a shared machine hits them alike, and a
second table gives merge and validate at several numbers of returns. Wall times (and so the ratios) come from
runs with nothing of the benchmark's running beside them; memory and CPU from a second run of each, watched by a
sampler that reads /proc every 20 ms, which on two cores costs a task using both (validate, merge) about 5% of
its wall time and a one-process task (the floor) about 2%: both walls are shown.

  merge     plan-workbook merge DIR --out summary.xlsx      (read, validate, write the summary)
  validate  plan-workbook validate DIR --format json        (read and validate only)
  baseline  pandas.read_excel(engine="openpyxl") of every priority sheet, pandas.concat, DataFrame.to_excel
  floor     python-calamine reading every cell value of the same sheets, and nothing else
"""

from __future__ import annotations

import argparse
import contextlib
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

WARM = """
import statistics, sys, time
from pathlib import Path
from plan_workbook.plan import load_plan
from plan_workbook.service import open_checker
from plan_workbook.sources.source import from_bytes
if __name__ == "__main__":
    data = Path(sys.argv[1]).read_bytes()
    start = time.perf_counter()
    with open_checker(load_plan()) as checker:
        checker.check([from_bytes("dropped.xlsx", data)])
        first = time.perf_counter() - start
        times = []
        for _ in range(int(sys.argv[2])):
            t = time.perf_counter()
            checker.check([from_bytes("dropped.xlsx", data)])
            times.append(time.perf_counter() - t)
    print(f"{first:.2f} {statistics.median(times) * 1000:.1f}")
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


def _tree(root: int) -> dict[int, float]:
    """`root` and every process descended from it (the forkserver and the workers it forks), each with the CPU
    seconds it has used so far."""
    parents: dict[int, list[int]] = {}
    cpu: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2:].split()
            parents.setdefault(int(fields[1]), []).append(int(entry))
            cpu[int(entry)] = (int(fields[11]) + int(fields[12])) / tick  # utime + stime
    found, todo = {}, [root]
    while todo:
        pid = todo.pop()
        found[pid] = cpu.get(pid, 0.0)
        todo.extend(parents.get(pid, []))
    return found


def _kib(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of one process in KiB; zeros once it has gone."""
    rss = hwm = 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
    except OSError:
        pass
    return rss, hwm


def _pss_kib(pid: int) -> int:
    """A process's proportional set size in KiB: its own pages, and its share of pages it shares with others (a
    forked copy's pages are counted once between the two, where resident sizes count them in both); 0 once gone."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def timed(cmd: list[str]) -> float:
    """Wall seconds of one run, with nothing of the benchmark's running meanwhile: the sampler of `measure` reads
    /proc every 20 ms, and on a machine with two cores that CPU is taken from a task that uses both (validate),
    not from one that uses one (the floor)."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=err, check=False)
        wall = time.perf_counter() - start
        if done.returncode not in (0, 1):
            err.seek(0)
            sys.exit(f"{' '.join(cmd)} failed ({done.returncode}): {err.read().decode()[-2000:]}")
    return wall


def measure(cmd: list[str]) -> tuple[float, float, float, float, float]:
    """Wall seconds of one run; its memory over all its processes: the largest sum of resident sizes seen at
    any moment (sampled every 20 ms), and the sum of each process's own peak (an upper bound: the peaks need not
    coincide); the CPU seconds of all its processes (as last sampled), which the machine's load changes
    less than wall time; and the largest sum of proportional set sizes (sampled every 100 ms: reading them walks
    each process's pages), the memory the run really takes where processes share pages. Its own processes only:
    the benchmark's are never counted."""
    start = time.perf_counter()
    err = tempfile.TemporaryFile()  # noqa: SIM115 - a file, not a pipe: a chatty run never blocks on it
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
    peak_sum, pss_sum, own_peaks, cpu = 0, 0, dict[int, int](), dict[int, float]()
    samples = 0
    with contextlib.suppress(FileNotFoundError):  # no /proc (not Linux): wall time only
        while proc.poll() is None:
            tree = _tree(proc.pid)
            sizes = {pid: _kib(pid) for pid in tree}
            peak_sum = max(peak_sum, sum(rss for rss, _ in sizes.values()))
            if samples % 5 == 0:
                pss_sum = max(pss_sum, sum(_pss_kib(pid) for pid in tree))
            samples += 1
            for pid, (_, hwm) in sizes.items():
                own_peaks[pid] = max(own_peaks.get(pid, 0), hwm)
                cpu[pid] = max(cpu.get(pid, 0.0), tree[pid])
            time.sleep(0.02)
    proc.wait()
    wall = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        err.seek(0)
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}): {err.read().decode()[-2000:]}")
    err.close()
    return wall, peak_sum / 1024, sum(own_peaks.values()) / 1024, sum(cpu.values()), pss_sum / 1024


def subset(folder: Path, files: list[Path], n: int) -> Path:
    """A folder of the first `n` returns, as hard links (no copies)."""
    sub = folder.parent / f"returns-{n}"
    sub.mkdir()
    for f in files[:n]:
        os.link(f, sub / f.name)
    return sub


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1000, help="number of returns (default 1000)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes for plan-workbook")
    ap.add_argument("--repeat", type=int, default=3, help="runs per measurement; the median is shown")
    ap.add_argument("--skip-baseline", action="store_true", help="leave out the slow pandas baseline")
    ap.add_argument("--before", type=Path, metavar="OLD/src",
                    help="also time merge and validate of another checkout's src, taking turns with this one")
    ap.add_argument("--scale", default="100,300,1000,3000",
                    help="numbers of returns for the memory table of merge and validate ('' for none)")
    args = ap.parse_args()
    scale = sorted({int(x) for x in args.scale.split(",") if x.strip()})
    plan = load_plan()
    tool = [sys.executable, "-m", "plan_workbook"]
    sheets = "|".join(p.sheet for p in plan.priorities)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "returns"
        t0 = time.perf_counter()
        files = make_returns(plan, max([args.n, *scale]), folder)
        size = sum(f.stat().st_size for f in files) / len(files) / 1024
        print(f"{len(files)} returns made in {time.perf_counter() - t0:.1f} s ({size:.0f} kB each, "
              f"{len(plan.priorities) * ACTIONS_PER_SHEET} actions each); jobs={args.jobs}; "
              f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores, "
              f"{platform.machine()}, {_memory_gib()} GiB")
        main_set = folder if len(files) == args.n else subset(folder, files, args.n)

        store = Path(tmp) / "rounds.sqlite"  # emptied before every run: each merge records a first round

        def merge(d: Path) -> list[str]:
            return [*tool, "merge", str(d), "--out", f"{tmp}/summary.xlsx", "--as-of", "2022-03-31",
                    "--jobs", str(args.jobs), "--store", str(store)]

        def validate(d: Path) -> list[str]:
            return [*tool, "validate", str(d), "--format", "json", "--jobs", str(args.jobs)]

        tasks = {
            "merge": merge(main_set),
            "validate": validate(main_set),
            "baseline": [sys.executable, "-c", BASELINE, str(main_set), sheets, f"{tmp}/baseline.xlsx"],
            "floor": [sys.executable, "-c", FLOOR, str(main_set), sheets],
            "--help": [*tool, "--help"],
            "validate 1 return": [*tool, "validate", str(files[0])],
        }
        if args.skip_baseline:
            del tasks["baseline"]
        if args.before:  # the same command, with the other checkout's package first on the path
            old = ["env", f"PYTHONPATH={args.before.resolve()}"]
            tasks["merge (before)"] = [*old, *merge(main_set)]
            tasks["validate (before)"] = [*old, *validate(main_set)]
        runs: dict[str, list[tuple[float, float, float, float, float]]] = {name: [] for name in tasks}
        walls: dict[str, list[float]] = {name: [] for name in tasks}
        for _ in range(args.repeat):  # interleaved: a change of load on the machine hits every task alike
            for name, cmd in tasks.items():
                store.unlink(missing_ok=True)
                walls[name].append(timed(cmd))  # the wall time: a run on its own
                store.unlink(missing_ok=True)
                runs[name].append(measure(cmd))  # memory and CPU: a run watched by the sampler
        results = {name: tuple(statistics.median(r[i] for r in rs) for i in range(5)) for name, rs in runs.items()}
        wall_of = {name: statistics.median(w) for name, w in walls.items()}
        print(f"\n| task | wall (s, median of {args.repeat}) | ms per return | wall, sampled (s) "
              "| CPU, all processes (s) | peak memory, all processes (MiB) | sum of each process's peak (MiB) "
              "| peak PSS, all processes (MiB) |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for name, (sampled, mib, peaks, cpu, pss) in results.items():
            wall = wall_of[name]
            per = f"{wall / args.n * 1000:.1f}" if not re.match(r"--help|validate 1", name) else ""
            print(f"| {name} | {wall:.2f} | {per} | {sampled:.2f} | {cpu:.1f} | {mib:.0f} | {peaks:.0f} | {pss:.0f} |")
        print()
        floor = wall_of["floor"]
        if "baseline" in results:
            print(f"baseline / merge = {ratio(wall_of['baseline'], wall_of['merge'])}  (target >= 5x; "
                  f"sampled: {ratio(results['baseline'][0], results['merge'][0])}; "
                  f"CPU seconds: {ratio(results['baseline'][3], results['merge'][3])})")
        print(f"validate / floor = {ratio(wall_of['validate'], floor)}  (target <= 3x; "
              f"sampled: {ratio(results['validate'][0], results['floor'][0])}; "
              f"CPU seconds: {ratio(results['validate'][3], results['floor'][3])})")
        print(f"merge / floor    = {ratio(wall_of['merge'], floor)}")
        if args.before:
            for task in ("merge", "validate"):
                print(f"{task} before / now = {ratio(wall_of[task + ' (before)'], wall_of[task])}  (CPU seconds: "
                      f"{ratio(results[task + ' (before)'][3], results[task][3])})")
        warm = subprocess.run([sys.executable, "-c", WARM, str(files[0]), "20"], capture_output=True, text=True,
                              check=True).stdout.split()
        print(f"warm re-check of one return (service.open_checker, the desk): {warm[1]} ms, median of 20 "
              f"(the first check, with start-up and imports: {warm[0]} s)")
        if scale:
            print("\n| returns | merge (s, sampled) | merge peak, all processes (MiB) | merge peak PSS (MiB) "
                  "| validate (s, sampled) | validate peak, all processes (MiB) | validate peak PSS (MiB) |")
            print("|---:|---:|---:|---:|---:|---:|---:|")
            for n in scale:
                if n == args.n:  # measured above
                    m, v = results["merge"], results["validate"]
                else:
                    d = folder if n == len(files) else subset(folder, files, n)
                    store.unlink(missing_ok=True)
                    m, v = measure(merge(d)), measure(validate(d))  # once each: memory hardly varies between runs
                print(f"| {n:,} | {m[0]:.2f} | {m[1]:.0f} | {m[4]:.0f} | {v[0]:.2f} | {v[1]:.0f} | {v[4]:.0f} |",
                      flush=True)


def ratio(a: float, b: float) -> str:
    """a / b as "2.5x"; "-" where b is too small to divide by (a tiny run's CPU seconds can read 0.0)."""
    return f"{a / b:.1f}x" if b > 0 else "-"


def _memory_gib() -> str:
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        return "?"
    return f"{kib / 1024 / 1024:.0f}"


if __name__ == "__main__":
    main()
