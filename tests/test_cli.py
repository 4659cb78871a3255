"""The command line: help, exit codes, text and JSON output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from conftest import RA, MakeReturn, action
from plan_workbook import __version__
from plan_workbook.cli import main
from plan_workbook.problems import FIELDS


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    assert "Traceback" not in result.output
    return result.exit_code, result.output


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_command_has_help_with_an_example(command: str) -> None:
    cmd = main.commands[command]
    assert isinstance(cmd, click.Command)
    code, out = run(command, "--help")
    assert code == 0
    assert "Example: plan-workbook " + command in out


def test_version_and_module_entry_point() -> None:
    assert run("--version") == (0, f"plan-workbook, version {__version__}\n")
    done = subprocess.run([sys.executable, "-m", "plan_workbook", "--help"], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0
    assert "merge" in done.stdout


def test_validate_exit_codes_and_text(make_return: MakeReturn) -> None:
    clean = make_return("clean", rows={RA: [action()]})
    assert run("validate", str(clean)) == (0, "1 return(s) checked, 1 actions: 0 error(s), 0 warning(s), "
                                              "0 fixed automatically.\n")
    bad = make_return("bad", rows={RA: [action(None)]})
    code, out = run("validate", str(bad))
    assert code == 1
    header, row = out.splitlines()[:2]
    assert header.split() == ["file", "sheet", "cell", "severity", "message"]
    assert "D10" in row
    assert "error" in row
    assert out.rstrip().endswith("Fix the errors and check again.")


def test_validate_json(make_return: MakeReturn) -> None:
    bad = make_return("bad", rows={RA: [action("x", status="green")]})
    code, out = run("validate", "--format", "json", str(bad))
    data = json.loads(out)
    assert code == 0  # a fix only
    assert set(data) == {"files", "partners", "problems", "summary"}
    assert [tuple(p) for p in data["problems"]] == [FIELDS]
    p = data["problems"][0]
    assert (p["sheet"], p["cell"], p["code"], p["severity"], p["value"]) == (RA, "G10", "status-normalised",
                                                                          "fixed", "green")
    assert data["files"][0]["partner"] == "Leicestershire Police"
    assert data["summary"]["status"] == {"Red": 0, "Amber": 0, "Green": 1, "No status": 0}


def test_merge_folder_writes_summary_and_skips_lock_files(make_return: MakeReturn, tmp_path: Path) -> None:
    path = make_return(rows={RA: [action()]})
    (path.parent / "~$return.xlsx").write_bytes(b"lock")
    out = tmp_path / "summary.xlsx"
    code, text = run("merge", str(path.parent), "--out", str(out), "--as-of", "2022-01-01")
    assert code == 0
    assert out.exists()
    assert "lock-file-skipped" not in text  # notes are shown as severity "note"
    assert "~$return.xlsx" in text
    assert text.rstrip().endswith(f"Summary written to {out}.")


def test_merge_cannot_run_cases_exit_2(make_return: MakeReturn, tmp_path: Path) -> None:
    path = make_return(rows={RA: [action()]})
    before = path.read_bytes()
    code, out = run("merge", str(path), "--out", str(path))
    assert code == 2
    assert "is one of the returns" in out
    assert path.read_bytes() == before
    code, out = run("merge", str(path), "--out", str(tmp_path / "nope" / "s.xlsx"))
    assert (code, "does not exist" in out) == (2, True)
    empty = tmp_path / "empty"
    empty.mkdir()
    code, out = run("merge", str(empty), "--out", str(tmp_path / "s.xlsx"))
    assert (code, "no returned workbooks" in out) == (2, True)
    code, out = run("validate", str(tmp_path / "missing.xlsx"))
    assert (code, "does not exist" in out) == (2, True)


def test_partners_lists_aliases() -> None:
    code, out = run("partners")
    assert code == 0
    assert "Leicestershire Police  (also: Police, Leics Police, LP)" in out
    assert "Working Group  (also: Working Group to scope out, WG)  [lead only, sends no return]" in out
