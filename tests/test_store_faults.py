"""Issue 13: a merge killed while it records its round leaves every earlier round readable and complete, and two
merges at once both record their rounds (the second waits for the first's transaction), never a damaged store."""

from __future__ import annotations

import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from click.testing import CliRunner

from plan_workbook.cli import main

ROOT = Path(__file__).parent.parent
SAMPLES = ROOT / "samples" / "returns"
Q3, Q4 = "Q3 2021/22", "Q4 2021/22"

# A real merge whose recording is held up inside its transaction, after the round's row and its sources are written
# and before its actions: `kill` kills the process there; `wait` writes a marker file and waits for a release file
# beside it.
HELD = textwrap.dedent("""
    import os, signal, sys, time
    from pathlib import Path
    from plan_workbook.store import record

    how, marker = sys.argv[1], Path(sys.argv[2])
    real = record._sources

    def held(*args, **kwargs):
        real(*args, **kwargs)
        if how == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        marker.write_text("in the transaction")
        for _ in range(1200):
            if marker.with_suffix(".release").exists():
                break
            time.sleep(0.05)

    record._sources = held
    from plan_workbook.cli import main
    main(sys.argv[3:], prog_name="plan-workbook")
""")


def merge_args(returns: Path, out: Path, as_of: str, *more: str) -> list[str]:
    return ["merge", str(returns), "--out", str(out), "--as-of", as_of, "--jobs", "1", *more]


def held_merge(how: str, marker: Path, args: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", HELD, how, str(marker), *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


def dump(store: Path) -> dict[str, list[tuple[object, ...]]]:
    with sqlite3.connect(store) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {n: sorted(db.execute(f"SELECT * FROM {n}").fetchall(), key=repr) for n in names}


def test_a_merge_killed_while_it_records_leaves_the_earlier_rounds_whole(tmp_path: Path, round_store: Path) -> None:
    three = tmp_path / "three"
    three.mkdir()
    for f in sorted(SAMPLES.glob("*.xlsx"))[:3]:
        shutil.copyfile(f, three / f.name)
    runner = CliRunner()
    assert runner.invoke(main, merge_args(SAMPLES, tmp_path / "q3.xlsx", "2021-12-31")).exit_code == 1
    assert runner.invoke(main, merge_args(three, tmp_path / "q4.xlsx", "2022-03-31")).exit_code == 1
    before = dump(round_store)
    q4 = (tmp_path / "q4.xlsx").read_bytes()
    for as_of, args in (("2022-06-30", []), ("2022-03-31", ["--round", Q4])):  # a new round; Q4 run again
        done = held_merge("kill", tmp_path / "m", merge_args(SAMPLES, tmp_path / f"{as_of}.xlsx", as_of, *args))
        _, err = done.communicate(timeout=120)
        assert done.returncode == -signal.SIGKILL, err
        assert dump(round_store) == before  # nothing of the killed round, and Q4 as it was
    result = runner.invoke(main, ["history"])
    assert [line[:10] for line in result.output.splitlines()[1:]] == [Q3, Q4]
    result = runner.invoke(main, ["rebuild", "--round", Q4, "--out", str(tmp_path / "again.xlsx")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "again.xlsx").read_bytes() == q4
    result = runner.invoke(main, merge_args(SAMPLES, tmp_path / "q1.xlsx", "2022-06-30"))  # the store still works
    assert result.output.startswith(f"Round Q1 2022/23 recorded in {round_store} (compared with {Q4}).")


def test_two_merges_at_once_both_record_their_rounds(tmp_path: Path, round_store: Path) -> None:
    marker = tmp_path / "marker"
    first = held_merge("wait", marker, merge_args(SAMPLES, tmp_path / "q3.xlsx", "2021-12-31"))
    while not marker.exists():  # the first merge now holds the store's write lock until it is released
        assert first.poll() is None, first.communicate()
        time.sleep(0.05)
    second = subprocess.Popen([sys.executable, "-m", "plan_workbook",
                               *merge_args(SAMPLES, tmp_path / "q4.xlsx", "2022-03-31")],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    while not (tmp_path / "q4.xlsx").exists():  # its summary is written: next it records its round
        assert second.poll() is None, second.communicate()
        time.sleep(0.05)
    history = subprocess.run([sys.executable, "-m", "plan_workbook", "history"], capture_output=True, text=True,
                             check=False)
    assert history.stdout.splitlines() == [f"No rounds recorded in {round_store} yet."]  # reading is not held up
    time.sleep(1)
    assert second.poll() is None  # it waits for the first merge's transaction
    marker.with_suffix(".release").write_text("go on")
    out, err = second.communicate(timeout=120)
    _, first_err = first.communicate(timeout=120)
    assert (first.returncode, second.returncode) == (1, 1), (first_err, err)
    # the second looked for last round before the first had recorded its own
    assert out.startswith(f"Round {Q4} recorded in {round_store} (no earlier round to compare with).")
    with sqlite3.connect(round_store) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        counts = db.execute("SELECT r.name, r.previous, COUNT(*) FROM rounds r JOIN actions a ON a.round_id = r.id "
                            "GROUP BY r.id ORDER BY r.as_of").fetchall()
    assert counts == [(Q3, None, 16), (Q4, None, 16)]


def test_sigkill_at_random_moments_leaves_each_round_old_or_new(tmp_path: Path, round_store: Path) -> None:
    """Merges of Q4 alternating between six and three returns, killed at random moments: Q3 stays as it was, and Q4
    is always one whole round (its sources, actions and problems agreeing), never a mixture."""
    three = tmp_path / "three"
    three.mkdir()
    for f in sorted(SAMPLES.glob("*.xlsx"))[:3]:
        shutil.copyfile(f, three / f.name)
    assert CliRunner().invoke(main, merge_args(SAMPLES, tmp_path / "q3.xlsx", "2021-12-31")).exit_code == 1
    q3 = dump(round_store)
    span = {}
    for returns in (three, SAMPLES):
        start = time.monotonic()
        assert subprocess.run([sys.executable, "-m", "plan_workbook",
                               *merge_args(returns, tmp_path / "q4.xlsx", "2022-03-31")], check=False).returncode == 1
        span[returns] = time.monotonic() - start
    whole = {3: (8, 3), 6: (16, 6)}  # returns in the round -> (its actions, the files they are in)
    rng = random.Random(13)
    outcomes = []
    for i in range(10):
        returns = three if i % 2 == 0 else SAMPLES
        proc = subprocess.Popen([sys.executable, "-m", "plan_workbook",
                                 *merge_args(returns, tmp_path / "q4.xlsx", "2022-03-31")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.6, 1.2) * span[returns])  # weighted towards the end, where the round is recorded
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        now = dump(round_store)
        assert [r for r in now["rounds"] if r[1] == Q3] == [r for r in q3["rounds"] if r[1] == Q3]
        with sqlite3.connect(round_store) as db:
            (rid, actions), = db.execute("SELECT id, actions FROM rounds WHERE name = ?", (Q4,)).fetchall()
            sources = db.execute("SELECT COUNT(*) FROM sources WHERE round_id = ?", (rid,)).fetchone()[0]
            stored = db.execute("SELECT COUNT(*) FROM actions WHERE round_id = ?", (rid,)).fetchone()[0]
            files = db.execute("SELECT COUNT(DISTINCT file) FROM actions WHERE round_id = ?", (rid,)).fetchone()[0]
        assert (actions, stored, files) == (whole[sources][0], *whole[sources]), (i, sources)
        outcomes.append(sources)
    print("returns in Q4 after each kill:", outcomes)
