"""The project's two set-up commands, needing nothing but Python 3.11:

    python3 tasks.py demo   # build the blank template and merge the sample returns into a summary
    python3 tasks.py test   # lint, type-check and run the whole test suite
    python3 tasks.py readme # write the README's table of problem codes from the catalogue

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


def readme() -> None:
    """Replace the README's table of problem codes (from its header row to the first line that is not a table
    row) with the one generated from the catalogue; tests/test_api.py fails until this is run."""
    table = subprocess.run([str(BIN / "python"), "-c", "from plan_workbook.problems import table; print(table())"],
                           cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip().splitlines()
    path = ROOT / "README.md"
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| code | severity |"))
    end = next(i for i in range(start, len(lines) + 1) if i == len(lines) or not lines[i].startswith("|"))
    path.write_text("\n".join([*lines[:start], *table, *lines[end:]]) + "\n", encoding="utf-8")


if __name__ == "__main__":
    jobs = {"demo": demo, "test": test, "readme": readme}
    if len(sys.argv) < 2 or sys.argv[1] not in jobs:
        sys.exit(__doc__)
    setup()
    jobs[sys.argv[1]]()
