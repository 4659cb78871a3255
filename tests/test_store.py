"""Issue 13, the round store: every merge records its round; a round run again replaces only itself; a store of
another plan is refused; old stores are migrated; --previous comes from the store; history, export and rebuild."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import python_calamine
from click.testing import CliRunner

from conftest import RA, MakeReturn, action
from plan_workbook import service
from plan_workbook.cli import main
from plan_workbook.plan import Plan
from plan_workbook.rounds.challenge import add_challenges
from plan_workbook.rounds.snapshot import snapshot
from plan_workbook.sources import file_source, from_bytes
from plan_workbook.store import (
    VERSION,
    default_round_name,
    open_store,
    risky_place,
    round_sources,
    rounds,
    snapshots,
    tables,
)
from plan_workbook.store.schema import migrate

ROOT = Path(__file__).parent.parent
SAMPLES = ROOT / "samples" / "returns"
PLAN_FILE = ROOT / "schema" / "llr-hate-crime-2021-23.toml"
Q3, Q4 = "Q3 2021/22", "Q4 2021/22"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def folder(tmp_path: Path, name: str, count: int = 6) -> Path:
    """A round's folder with the first `count` sample returns."""
    out = tmp_path / name
    out.mkdir()
    for f in sorted(SAMPLES.glob("*.xlsx"))[:count]:
        shutil.copyfile(f, out / f.name)
    return out


def dump(store: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every table of the store, row by row (for 'nothing else changed')."""
    with sqlite3.connect(store) as db:
        names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {n: sorted(db.execute(f"SELECT * FROM {n}").fetchall(), key=repr) for n in names}


def test_the_default_round_is_the_plans_quarter(plan: Plan) -> None:
    assert plan.period_start == date(2021, 4, 1)  # the LLR plan runs in financial years, April to March
    named = {d: default_round_name(plan, d) for d in (date(2021, 4, 1), date(2021, 6, 30), date(2021, 7, 1),
                                                       date(2021, 12, 31), date(2022, 1, 1), date(2022, 3, 31))}
    assert named == {date(2021, 4, 1): "Q1 2021/22", date(2021, 6, 30): "Q1 2021/22", date(2021, 7, 1): "Q2 2021/22",
                     date(2021, 12, 31): Q3, date(2022, 1, 1): Q4, date(2022, 3, 31): Q4}
    calendar = replace(plan, period_start=date(2022, 1, 1))
    assert [default_round_name(calendar, date(2022, m, 1)) for m in (1, 4, 12)] == ["Q1 2022", "Q2 2022", "Q4 2022"]


def test_a_merge_records_everything_in_its_round(tmp_path: Path, plan: Plan, round_store: Path) -> None:
    code, out = run("merge", str(SAMPLES), "--out", str(tmp_path / "s.xlsx"), "--as-of", "2022-03-31")
    assert code == 1, out  # the samples hold one error
    assert out.startswith(f"Round {Q4} recorded in {round_store} (no earlier round to compare with).\n")
    expected = service.check(plan, [file_source(p) for p in sorted(SAMPLES.glob("*.xlsx"))], jobs=1)
    add_challenges(expected, date(2022, 3, 31))
    with open_store(round_store, plan, create=False) as store:
        assert snapshots(store) == [snapshot(expected, Q4, date(2022, 3, 31))]
        (r,) = rounds(store)
        assert (r.name, r.as_of, r.returns_received, r.returns_expected, r.actions, r.errors, r.warnings) == (
            Q4, date(2022, 3, 31), 6, 17, 16, 1, 3)
        assert r.outputs == {"summary/s.xlsx": hashlib.sha256((tmp_path / "s.xlsx").read_bytes()).hexdigest()}
        sources = round_sources(store, Q4)
        files = sorted(SAMPLES.glob("*.xlsx"))
        assert [(s.name, s.read()) for s in sources] == [(str(p), p.read_bytes()) for p in files]
        t = tables(store)
    assert [(p["file"], p["sheet"], p["cell"], p["code"], p["params"]) for p in t["problems"].rows] == [
        (p.file, p.sheet, p.cell, p.code, json.dumps(dict(p.params))) for p in expected.problems]
    assert {s["sha256"] for s in t["sources"].rows} == {hashlib.sha256(p.read_bytes()).hexdigest()
                                                   for p in SAMPLES.glob("*.xlsx")}
    assert [(a["partner"], a["cell"], a["row_kind"]) for a in t["actions"].rows] == [
        (a.partner, a.row.cell("action"), a.row.kind) for a in expected.actions]


def test_the_same_round_again_replaces_it_and_nothing_else(tmp_path: Path, round_store: Path) -> None:
    six, three = folder(tmp_path, "six"), folder(tmp_path, "three", 3)
    run("merge", str(six), "--out", str(tmp_path / "q3.xlsx"), "--as-of", "2021-12-31")
    run("merge", str(six), "--out", str(tmp_path / "q4.xlsx"), "--as-of", "2022-03-31")
    before = dump(round_store)
    code, out = run("merge", str(three), "--out", str(tmp_path / "q3b.xlsx"), "--as-of", "2021-12-15",
                    "--round", Q3)
    assert (code, out.startswith(f"Round {Q3} recorded")) == (1, True), out
    after = dump(round_store)
    q4_id = next(r[0] for r in before["rounds"] if r[1] == Q4)
    for table in ("sources", "partners", "actions", "problems", "outputs"):
        assert [r for r in after[table] if r[0] == q4_id] == [r for r in before[table] if r[0] == q4_id], table
    with sqlite3.connect(round_store) as db:
        counts = db.execute("SELECT r.name, r.as_of, COUNT(*) FROM sources s JOIN rounds r ON r.id = s.round_id "
                            "GROUP BY r.name ORDER BY r.name").fetchall()
        assert counts == [(Q3, "2021-12-15", 3), (Q4, "2022-03-31", 6)]
        # each return's bytes are kept once, however many rounds hold them, and none is kept for no round
        assert db.execute("SELECT COUNT(*) FROM blobs").fetchone()[0] == 6


def test_a_store_of_another_plan_is_refused(tmp_path: Path, round_store: Path) -> None:
    run("merge", str(SAMPLES), "--out", str(tmp_path / "s.xlsx"), "--as-of", "2022-03-31")
    other = tmp_path / "other.toml"
    other.write_text(PLAN_FILE.read_text(encoding="utf-8").replace('id = "llr-hate-crime-2021-23"',
                                                                   'id = "another-plan"'), encoding="utf-8")
    before = dump(round_store)
    code, out = run("merge", str(SAMPLES), "--plan", str(other), "--out", str(tmp_path / "o.xlsx"))
    assert code == 2
    assert out == (f"Error: the round store {round_store} holds the rounds of the plan 'llr-hate-crime-2021-23', "
                   "not 'another-plan'; keep one store per plan: give this plan its own with --store FILE\n")
    assert not (tmp_path / "o.xlsx").exists()
    assert dump(round_store) == before
    code, out = run("merge", str(SAMPLES), "--plan", str(other), "--out", str(tmp_path / "o.xlsx"),
                    "--store", str(tmp_path / "other.sqlite"))
    today = default_round_name(service.load_plan(other), date.today())  # no --as-of: today's quarter
    assert (code, out.splitlines()[0]) == (1, f"Round {today} recorded in {tmp_path / 'other.sqlite'} "
                                              "(no earlier round to compare with).")


def test_a_file_that_is_not_a_store_and_a_store_that_is_an_input_are_refused(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database, just long enough to have a header that is not SQLite's" * 3)
    code, out = run("merge", str(SAMPLES), "--out", str(tmp_path / "s.xlsx"), "--store", str(notes))
    assert (code, out) == (2, f"Error: {notes} is not a round store (it is not an SQLite database); give --store "
                              "another file\n")
    assert notes.read_text().startswith("not a database")
    code, out = run("merge", str(SAMPLES), "--out", str(tmp_path / "s.xlsx"), "--store", str(tmp_path / "s.xlsx"))
    assert (code, out.startswith(f"Error: --store {tmp_path / 's.xlsx'} is also an output")) == (2, True)
    code, out = run("history", "--store", str(tmp_path / "none.sqlite"))
    assert (code, out) == (2, f"Error: there is no round store at {tmp_path / 'none.sqlite'}: merge records one, or "
                              "give --store FILE\n")
    assert not (tmp_path / "none.sqlite").exists()


def test_a_store_of_the_first_version_is_migrated(tmp_path: Path, plan: Plan) -> None:
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path, isolation_level=None)
    migrate(db, str(path), upto=1)
    db.execute("INSERT INTO meta VALUES ('plan_id', ?)", (plan.id,))
    db.execute("INSERT INTO rounds VALUES (1, ?, '2021-12-31', '2022-01-05T10:00:00+00:00', '1', NULL, NULL, NULL, "
               "17, 1, 0, 1, 0)", (Q3,))
    db.execute("INSERT INTO problems VALUES (1, 0, 0, 'a.xlsx', '', '', '', '', 'not-a-template', 'error', 'Not one')")
    db.close()
    with open_store(path, plan) as store:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == VERSION == 4
        indexes = {r[0] for r in store.conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert "actions_by_partner" not in indexes  # made by step 2, dropped by step 4
        assert [(r.name, r.returns_received, r.errors) for r in rounds(store)] == [(Q3, 1, 1)]
        assert [(p["code"], p["params"]) for p in tables(store)["problems"].rows] == [("not-a-template", "{}")]
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {VERSION + 1}")
    db.close()
    code, out = run("history", "--store", str(path))
    assert (code, out) == (2, f"Error: the store {path} was made by a newer plan-workbook (schema version 5; this one "
                              "knows up to 4); upgrade plan-workbook to use it\n")


def sheet_values(path: Path) -> dict[str, list[list[Any]]]:
    wb = python_calamine.CalamineWorkbook.from_path(str(path))
    try:
        return {name: wb.get_sheet_by_name(name).to_python() for name in wb.sheet_names}
    finally:
        wb.close()


def test_previous_comes_from_the_store(tmp_path: Path) -> None:
    """A merge compares with the round before it in the store exactly as with that round's summary file."""
    six, three = folder(tmp_path, "six"), folder(tmp_path, "three", 3)
    run("merge", str(six), "--out", str(tmp_path / "q3.xlsx"), "--as-of", "2021-12-31")
    code, out = run("merge", str(three), "--out", str(tmp_path / "q4.xlsx"), "--as-of", "2022-03-31")
    assert out.startswith(f"Round {Q4} recorded in ")
    assert out.splitlines()[0].endswith(f"(compared with {Q3}).")
    code, out = run("merge", str(three), "--out", str(tmp_path / "q4-file.xlsx"), "--as-of", "2022-03-31",
                    "--previous", str(tmp_path / "q3.xlsx"), "--no-store")
    assert (code, "recorded" in out) == (1, False)
    # the same workbook but for the sheets across rounds, which only a merge with the store writes
    across = {"Trend", "Stuck", "Timeliness", "Action history"}
    stored = {k: v for k, v in sheet_values(tmp_path / "q4.xlsx").items() if k not in across}
    assert (stored, set(sheet_values(tmp_path / "q4.xlsx")) & across) == (
        sheet_values(tmp_path / "q4-file.xlsx"), across)
    run("merge", str(three), "--out", str(tmp_path / "q4-none.xlsx"), "--as-of", "2022-03-31", "--no-store")
    assert (tmp_path / "q4-none.xlsx").read_bytes() != (tmp_path / "q4.xlsx").read_bytes()  # no Changes sheet
    _code, out = run("history")
    assert [line.split("  ")[0] for line in out.splitlines()] == ["round", Q3, Q4]  # --no-store recorded nothing


def test_history_lists_and_exports_the_rounds(tmp_path: Path) -> None:
    six, three = folder(tmp_path, "six"), folder(tmp_path, "three", 3)
    run("merge", str(six), "--out", str(tmp_path / "q3.xlsx"), "--as-of", "2021-12-31")
    run("merge", str(three), "--out", str(tmp_path / "q4.xlsx"), "--as-of", "2022-03-31")
    code, out = run("history")
    lines = out.splitlines()
    assert code == 0
    assert lines[0].split() == ["round", "as", "of", "recorded", "(UTC)", "returns", "actions", "errors"]
    assert [(line[:10], line.split()[2], *line.split()[-3:]) for line in lines[1:]] == [
        (Q3, "2021-12-31", "6/17", "16", "1"), (Q4, "2022-03-31", "3/17", "8", "1")]
    code, out = run("history", "--export", str(tmp_path / "csv"))
    assert (code, out) == (0, f"Wrote 10 tables to {tmp_path / 'csv'}: rounds.csv, sources.csv, partners.csv, "
                              "actions.csv, problems.csv, trend_status.csv, trend_direction.csv, action_history.csv, "
                              "stuck.csv, timeliness.csv\n")

    def read(name: str) -> list[dict[str, str]]:
        with (tmp_path / "csv" / name).open(encoding="utf-8-sig", newline="") as f:
            return list(csv.DictReader(f))

    assert [(r["round"], r["as_of"], r["actions"]) for r in read("rounds.csv")] == [(Q3, "2021-12-31", "16"),
                                                                                    (Q4, "2022-03-31", "8")]
    assert [r["round"] for r in read("actions.csv")] == [Q3] * 16 + [Q4] * 8
    sources = read("sources.csv")
    assert list(sources[0]) == ["round", "n", "file", "sha256", "received", "via", "sender", "partner", "state"]
    assert len(sources) == 9
    partners = read("partners.csv")
    assert len(partners) == 34
    assert {p["state"] for p in partners[17:]} == {"received", "missing"}
    code, out = run("history", "--export", str(tmp_path / "json"), "--format", "json")
    problems = json.loads((tmp_path / "json" / "problems.json").read_text(encoding="utf-8"))
    assert problems[0]["params"] == {"fixed": "Charnwood Borough Council", "original": "Charnwood"}
    assert {p["round"] for p in problems} == {Q3, Q4}
    assert len(json.loads((tmp_path / "json" / "actions.json").read_text(encoding="utf-8"))) == 24
    assert "data" not in json.dumps(json.loads((tmp_path / "json" / "sources.json").read_text(encoding="utf-8"))[0])


def test_rebuild_is_byte_identical_and_a_mismatch_is_an_error(tmp_path: Path, round_store: Path) -> None:
    six, three = folder(tmp_path, "six"), folder(tmp_path, "three", 3)
    run("merge", str(six), "--out", str(tmp_path / "q3.xlsx"), "--as-of", "2021-12-31")
    run("merge", str(three), "--out", str(tmp_path / "q4.xlsx"), "--as-of", "2022-03-31", "--report",
        str(tmp_path / "q4.html"))
    run("merge", str(three), "--out", str(tmp_path / "q3b.xlsx"), "--as-of", "2021-12-31")  # Q3 replaced since
    shutil.rmtree(six)
    shutil.rmtree(three)  # the returns are gone: the store's copies are what is rebuilt from
    written = hashlib.sha256((tmp_path / "q4.xlsx").read_bytes()).hexdigest()
    code, out = run("rebuild", "--round", Q4, "--out", str(tmp_path / "again.xlsx"))
    assert (code, out) == (0, f"Rebuilt {Q4} into {tmp_path / 'again.xlsx'}: byte-identical to the summary the merge "
                              f"wrote (SHA-256 {written}).\n")
    assert (tmp_path / "again.xlsx").read_bytes() == (tmp_path / "q4.xlsx").read_bytes()
    with sqlite3.connect(round_store) as db:
        db.execute("UPDATE outputs SET sha256 = 'abc' WHERE kind = 'summary'")
    code, out = run("rebuild", "--round", Q4, "--out", str(tmp_path / "again.xlsx"))
    assert (code, out) == (1, f"Error: Rebuilt {Q4} into {tmp_path / 'again.xlsx'}, but it is not the summary the "
                              f"merge wrote (SHA-256 {written}, recorded abc): the plan file or plan-workbook itself "
                              "has changed since.\n")
    code, out = run("rebuild", "--round", "Q9", "--out", str(tmp_path / "x.xlsx"))
    assert (code, out) == (2, f"Error: the round store {round_store} has no round 'Q9' (its rounds: {Q3}, {Q4})\n")


def test_rebuild_never_writes_over_a_return_of_the_round(tmp_path: Path, round_store: Path) -> None:
    six = folder(tmp_path, "six")
    run("merge", str(six), "--out", str(tmp_path / "q3.xlsx"), "--as-of", "2021-12-31")
    victim = sorted(six.glob("*.xlsx"))[0]
    before = victim.read_bytes()
    code, out = run("rebuild", "--round", Q3, "--out", str(victim))
    assert (code, out) == (2, f"Error: --out {victim} is one of the returns of {Q3}; choose another file\n")
    assert victim.read_bytes() == before


def test_a_page_can_run_a_round_again_with_more_returns(tmp_path: Path, plan: Plan, round_store: Path,
                                                         make_return: MakeReturn) -> None:
    """What the desk page does on every drop: the round's returns back from the store as sources, one more added,
    and the round recorded again in their place."""
    files = sorted(SAMPLES.glob("*.xlsx"))[:2]
    first = [from_bytes(p.name, p.read_bytes()) for p in files]
    service.run_round(plan, first, tmp_path / "s.xlsx", date(2022, 3, 31), store=round_store)
    with open_store(round_store, plan) as store:
        kept = round_sources(store, Q4)
    assert [(s.name, s.read()) for s in kept] == [(s.name, s.read()) for s in first]
    dropped = make_return("police", "Leicestershire Police", {RA: [action()]})
    more = [*kept, from_bytes("police.xlsx", dropped.read_bytes())]
    result = service.run_round(plan, more, tmp_path / "s.xlsx", date(2022, 3, 31), store=round_store)
    with open_store(round_store, plan) as store:
        assert [s.name for s in round_sources(store, Q4)] == [p.name for p in files] + ["police.xlsx"]
        assert [r.name for r in rounds(store)] == [Q4]
        assert snapshots(store)[0].actions == snapshot(result, Q4, date(2022, 3, 31)).actions


MOUNTS = """sysfs /sys sysfs rw 0 0
/dev/sda1 / ext4 rw 0 0
server:/export /mnt/plans nfs4 rw 0 0
//nas/share /mnt/nas cifs rw 0 0
/dev/sdb1 /mnt/plans/local ext4 rw 0 0
"""


@pytest.mark.parametrize(("path", "why"), [
    ("/home/me/rounds.sqlite", None),
    ("/mnt/plans/rounds.sqlite", "it is on a network file system (nfs4)"),
    ("/mnt/nas/x/rounds.sqlite", "it is on a network file system (cifs)"),
    ("/mnt/plans/local/rounds.sqlite", None),  # the longest mount point that holds it
    ("/home/me/OneDrive - Leicester City/rounds.sqlite", "it is in a synced folder (OneDrive - Leicester City)"),
    ("/home/me/Dropbox/plan/rounds.sqlite", "it is in a synced folder (Dropbox)"),
    ("/Users/me/Library/Mobile Documents/com~apple~CloudDocs/r.sqlite", "it is in a synced folder (Mobile Documents)"),
    ("\\\\server\\share\\rounds.sqlite", "it is on a network share (a UNC path)"),
])
def test_a_store_on_a_network_or_synced_folder_is_risky(path: str, why: str | None) -> None:
    assert risky_place(Path(path), MOUNTS) == why


def test_merge_warns_of_a_store_in_a_synced_folder(tmp_path: Path) -> None:
    store = tmp_path / "Dropbox" / "rounds.sqlite"
    store.parent.mkdir()
    _code, out = run("merge", str(SAMPLES), "--out", str(tmp_path / "s.xlsx"), "--store", str(store))
    assert out.startswith(f"Warning: the round store {store} may be damaged where it is: it is in a synced folder "
                          "(Dropbox). Keep it on a local disk, and copy it to the shared place when no merge is "
                          "running.\n")
    assert store.exists()


def test_readme_round_store_lines_run_as_shown(tmp_path: Path) -> None:
    """The README's round store example, run in a fresh folder as a new shell would (the store in that folder),
    prints what the README shows, but for the time each round was recorded and the SHA-256."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    part = readme[readme.index("## Round store"):]
    block = part[part.index("```\n") + 4:part.index("\n```", part.index("```\n"))]
    shutil.copytree(ROOT / "samples", tmp_path / "samples")
    (tmp_path / "out").mkdir()
    folder(tmp_path, "q3", 4)
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PLAN_WORKBOOK_STORE")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"

    def same(text: str) -> str:
        return re.sub(r"[0-9a-f]{64}", "<sha>", re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d", "<time>", text))

    commands = re.findall(r"^\$ (plan-workbook [^\n]*)\n((?:(?!\$ )[^\n]*\n?)*)", block, re.MULTILINE)
    assert len(commands) == 5
    for command, shown in commands:
        done = subprocess.run(command, shell=True, cwd=tmp_path, env=env, capture_output=True, text=True, check=False)
        assert done.returncode in (0, 1), (command, done.stderr)
        head, cut, _ = shown.rstrip().partition("\n...")
        got = same(done.stdout)
        assert got.startswith(same(head)) if cut else got.rstrip() == same(head), command
    assert (tmp_path / "rounds.sqlite").exists()


def test_rebuild_of_a_round_of_emails_zips_and_oddities_is_byte_identical(tmp_path: Path,
                                                                            make_return: MakeReturn) -> None:
    """Returns by email (their Date and sender shown), in a zip, an email with no workbook, the same file twice, a
    file that is skipped, last round's summary in the folder and --prefer newest: all come back from the store."""
    from mails import eml, zipped

    police, city = SAMPLES / "leicestershire-police.xlsx", SAMPLES / "leicester-city-council.xlsx"
    returns = folder(tmp_path, "returns", 3)
    (returns / "police.eml").write_bytes(eml("Q4 return", "Ann <ann@leics.police.uk>",
                                             [("police-q4.xlsx", police.read_bytes())]))
    (returns / "no-attachment.eml").write_bytes(eml("Our return", "bob@example.org"))
    (returns / "city.zip").write_bytes(zipped({"city.xlsx": city.read_bytes()}))
    shutil.copyfile(city, returns / "city copy.xlsx")
    (returns / "notes.txt").write_text("see the returns")
    assert make_return("police-again", rows={RA: [action()]}).parent == returns  # another Police return
    code, out = run("merge", str(returns), "--out", str(returns / "summary.xlsx"), "--as-of", "2022-03-31")
    code, out = run("merge", str(returns), "--out", str(tmp_path / "q4.xlsx"), "--as-of", "2022-03-31",
                    "--prefer", "newest")
    assert code == 1, out
    code, out = run("merge", str(returns), "--out", str(tmp_path / "trial.xlsx"), "--as-of", "2022-03-31",
                    "--prefer", "newest", "--no-store", "--format", "json")
    codes = {p["code"] for p in json.loads(out)["problems"]}
    assert codes >= {"own-output-skipped", "no-return-attached", "same-file", "return-superseded", "file-skipped"}
    shutil.rmtree(returns)
    code, out = run("rebuild", "--round", Q4, "--out", str(tmp_path / "again.xlsx"))
    assert code == 0, out
    assert (tmp_path / "again.xlsx").read_bytes() == (tmp_path / "q4.xlsx").read_bytes()


def test_a_return_changed_during_the_merge_is_not_recorded(tmp_path: Path, round_store: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The store keeps the bytes that were merged, or nothing: a return saved again while it was being merged
    stops the round being recorded (the partner's new file is not what the summary shows)."""
    returns = folder(tmp_path, "returns", 2)
    real = service.check

    def check_then_save_again(*args: object, **kwargs: object) -> object:
        result = real(*args, **kwargs)  # type: ignore[arg-type]
        shutil.copyfile(SAMPLES / "victim-first.xlsx", returns / "leicester-city-council.xlsx")
        return result

    monkeypatch.setattr(service, "check", check_then_save_again)
    code, out = run("merge", str(returns), "--out", str(tmp_path / "s.xlsx"), "--as-of", "2022-03-31")
    assert (code, out) == (2, f"Error: {returns / 'leicester-city-council.xlsx'} changed while the round was being "
                              "merged, so the round was not recorded; run merge again\n")
    assert run("history")[1] == f"No rounds recorded in {round_store} yet.\n"
