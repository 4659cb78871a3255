"""Issue 10: the summary and the board report are written as a set, and a killed run leaves nothing behind.

The outputs may only ever be both the old ones or both the new ones once settled (`outputs.settle`, which
every merge runs first), and no temporary file may outlive the run after the one that was killed.
"""

from __future__ import annotations

import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from plan_workbook.cli import main
from plan_workbook.outputs.atomic import settle

ROOT = Path(__file__).parent.parent
SAMPLES = ROOT / "samples" / "returns"
PLAN_FILE = ROOT / "schema" / "llr-hate-crime-2021-23.toml"


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".~pw-" in p.name)


# --- outputs that would overwrite an input or each other are refused


def test_out_may_be_neither_the_plan_nor_the_report(tmp_path: Path) -> None:
    plan = tmp_path / "plan.toml"
    shutil.copyfile(PLAN_FILE, plan)
    before = plan.read_bytes()
    for args, message in (
        (["--plan", str(plan), "--out", str(plan)], f"Error: --out {plan} is the plan file and would be overwritten"),
        (["--plan", str(plan), "--out", str(tmp_path / "s.xlsx"), "--report", str(plan)],
         f"Error: --report {plan} is the plan file and would be overwritten"),
        (["--out", str(tmp_path / "same"), "--report", str(tmp_path / "same")],
         f"Error: --out and --report are the same file ({tmp_path / 'same'})"),
        (["--out", str(tmp_path / "s.xlsx"), "--report", str(tmp_path / "." / "s.xlsx")],
         f"Error: --out and --report are the same file ({tmp_path / 's.xlsx'})"),
    ):
        result = CliRunner().invoke(main, ["merge", str(SAMPLES), *args])
        assert result.exit_code == 2, result.output
        assert result.output.startswith(message), result.output
        assert result.output.count("\n") == 1  # one line
    assert plan.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.toml"]


def test_an_unwritable_report_is_found_before_the_summary_is_replaced(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "summary.xlsx"
    out.write_bytes(b"last round's summary")
    (tmp_path / "report.html").mkdir()  # a folder where the report should go
    for report in (tmp_path / "report.html", tmp_path / "missing" / "report.html"):
        result = CliRunner().invoke(main, ["merge", str(SAMPLES), "--out", str(out), "--report", str(report)])
        assert result.exit_code == 2, result.output
        assert result.output.startswith(f"Error: cannot write {report}")
        assert out.read_bytes() == b"last round's summary"

    from plan_workbook.errors import OutputError
    from plan_workbook.outputs import report as report_module

    def full(*args: object) -> None:
        raise OutputError("cannot write report.html: No space left on device")

    monkeypatch.setattr(report_module, "write_report", full)  # fails after the summary was staged
    result = CliRunner().invoke(main, ["merge", str(SAMPLES), "--out", str(out), "--report",
                                       str(tmp_path / "board.html")])
    assert result.exit_code == 2, result.output
    assert out.read_bytes() == b"last round's summary"
    assert leftovers(tmp_path) == []


# --- a kill at each step of writing the set


WRITE_SET = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    from plan_workbook.outputs import atomic as outputs
    from plan_workbook.outputs.atomic import write_atomic

    folder, text, kill_at = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    real, calls = os.replace, [0]

    def replace(src, dst):  # the kill comes just before rename number kill_at, or after the last one
        calls[0] += 1
        if calls[0] == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        real(src, dst)

    os.replace = replace
    outputs.write_set({folder / "summary.xlsx": lambda p: write_atomic(p, ("summary " + text).encode()),
                       folder / "report.html": lambda p: write_atomic(p, ("report " + text).encode())})
    os.kill(os.getpid(), signal.SIGKILL)  # before the journal is removed
""")


def test_a_kill_at_each_step_leaves_both_old_or_both_new(tmp_path: Path) -> None:
    out, report = tmp_path / "summary.xlsx", tmp_path / "report.html"
    seen = []
    for kill_at in range(1, 7):  # 2 staged files, the journal, 2 renames into place; then one past the last
        out.write_bytes(b"summary old")
        report.write_bytes(b"report old")
        done = subprocess.run([sys.executable, "-c", WRITE_SET, str(tmp_path), "new", str(kill_at)], check=False,
                              capture_output=True, text=True)
        assert done.returncode == -signal.SIGKILL, done.stderr
        settle([out, report])
        pair = (out.read_bytes(), report.read_bytes())
        assert pair in ((b"summary old", b"report old"), (b"summary new", b"report new")), (kill_at, pair)
        assert leftovers(tmp_path) == [], kill_at
        seen.append(pair[0].split()[1].decode())
    # before the journal is complete the set is the old one; from then on the next run completes it
    assert seen == ["old", "old", "old", "new", "new", "new"]


def test_a_set_that_cannot_be_completed_yet_is_completed_later(tmp_path: Path) -> None:
    out, report = tmp_path / "summary.xlsx", tmp_path / "report.html"
    out.write_bytes(b"summary old")
    report.write_bytes(b"report old")
    done = subprocess.run([sys.executable, "-c", WRITE_SET, str(tmp_path), "new", "5"], check=False)  # between
    assert done.returncode == -signal.SIGKILL
    assert (out.read_bytes(), report.read_bytes()) == (b"summary new", b"report old")  # what a reader could see
    report.unlink()
    report.mkdir()  # as a report open in another program on Windows: it cannot be replaced now
    settle([out, report])
    assert [name.rsplit(".", 1)[-1] for name in leftovers(tmp_path)] == ["journal", "new"]  # kept for later
    report.rmdir()
    settle([out, report])
    assert (out.read_bytes(), report.read_bytes()) == (b"summary new", b"report new")
    assert leftovers(tmp_path) == []


# --- SIGKILL at random moments of a real merge


def run_merge(folder: Path, out: Path, report: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "plan_workbook", "merge", str(folder), "--out", str(out),
                             "--report", str(report), "--as-of", "2022-03-31", "--jobs", "1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_sigkill_at_random_moments_of_a_merge(tmp_path: Path) -> None:
    inputs = {"a": tmp_path / "a", "b": tmp_path / "b"}
    shutil.copytree(SAMPLES, inputs["a"])
    inputs["b"].mkdir()
    for f in sorted(SAMPLES.glob("*.xlsx"))[:3]:  # another round: half the returns
        shutil.copyfile(f, inputs["b"] / f.name)
    folder = tmp_path / "outputs"
    folder.mkdir()
    out, report = folder / "summary.xlsx", folder / "report.html"
    expected: dict[str, tuple[bytes, bytes]] = {}
    took = []
    for name in ("a", "b", "a"):  # merge is deterministic: the same inputs give the same bytes
        start = time.monotonic()
        assert run_merge(inputs[name], out, report).wait() == 1  # the samples hold one error
        took.append(time.monotonic() - start)
        pair = (out.read_bytes(), report.read_bytes())
        assert expected.setdefault(name, pair) == pair
    assert expected["a"] != expected["b"]
    span = max(took)
    rng = random.Random(10)
    now = "a"
    outcomes = []
    for _ in range(30):
        new = "b" if now == "a" else "a"
        proc = run_merge(inputs[new], out, report)
        time.sleep(rng.uniform(0.3, 1.1) * span)  # weighted towards the end, where the outputs are written
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        settle([out, report])  # what the next run does first
        pair = (out.read_bytes(), report.read_bytes())
        assert pair in (expected[now], expected[new])
        now = new if pair == expected[new] else now
        outcomes.append(now)
        assert leftovers(folder) == []
    assert run_merge(inputs["a"], out, report).wait() == 1
    assert (out.read_bytes(), report.read_bytes()) == expected["a"]
    assert sorted(p.name for p in folder.iterdir()) == ["report.html", "summary.xlsx"]
    print("outcomes:", "".join(outcomes))
