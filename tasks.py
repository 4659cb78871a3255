"""The project's two set-up commands, needing nothing but Python 3.11:

    python3 tasks.py demo   # build the blank template and merge the sample returns into a summary
    python3 tasks.py test   # lint, type-check and run the whole test suite

Each creates .venv and installs the project into it the first time.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")


def run(*args: str | Path) -> None:
    done = subprocess.run([str(a) for a in args], cwd=ROOT, check=False)
    if done.returncode:
        sys.exit(done.returncode)


def setup() -> None:
    stamp = VENV / ".installed"
    if stamp.exists() and stamp.stat().st_mtime >= (ROOT / "pyproject.toml").stat().st_mtime:
        return
    if not VENV.exists():
        venv.create(VENV, with_pip=True)
    run(BIN / "python", "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(BIN / "python", "-m", "pip", "install", "--quiet", "-e", ".[dev]")
    stamp.touch()


def demo() -> None:
    (ROOT / "out").mkdir(exist_ok=True)
    tool = str(BIN / "plan-workbook")
    print("$ plan-workbook build --out out/template.xlsx", flush=True)
    run(tool, "build", "--out", "out/template.xlsx")
    # merge exits 1 because the samples hold deliberate mistakes: showing them is the point
    print("\n$ plan-workbook merge samples/returns --out out/summary.xlsx --as-of 2022-03-31", flush=True)
    subprocess.run([tool, "merge", "samples/returns", "--out", "out/summary.xlsx", "--as-of", "2022-03-31"],
                   cwd=ROOT, check=False)


def test() -> None:
    run(BIN / "ruff", "check", "src", "tests", "samples", "benchmarks", "tasks.py")
    run(BIN / "mypy")
    run(BIN / "pytest", *sys.argv[2:])


if __name__ == "__main__":
    jobs = {"demo": demo, "test": test}
    if len(sys.argv) < 2 or sys.argv[1] not in jobs:
        sys.exit(__doc__)
    setup()
    jobs[sys.argv[1]]()
