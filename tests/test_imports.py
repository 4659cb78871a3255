"""Importing pandas and pandera takes most of a second: only a command that checks returns may pay for it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import RA, MakeReturn, action
from plan_workbook.cli import main

HEAVY = ("pandas", "pandera")  # (numpy comes with openpyxl, which imports it when it is installed)


def imported(args: list[str], cwd: Path) -> set[str]:
    """The top-level packages a real run of the command line imported (from `python -X importtime`)."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "plan_workbook", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode in (0, 1), done.stderr[-3000:]
    names = {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    return {name.split(".")[0] for name in names}


def test_importtime_sees_pandas_when_a_command_validates(make_return: MakeReturn, tmp_path: Path) -> None:
    path = make_return(rows={RA: [action()]})
    assert set(HEAVY) <= imported(["validate", str(path)], tmp_path)  # the check below can see what it looks for


@pytest.mark.parametrize("args", [["--help"], ["merge", "--help"], ["validate", "--help"], ["partners"],
                                  ["build", "--out", "t.xlsx"], ["build", "--all-partners", "--out-dir", "each"]])
def test_commands_that_do_not_check_returns_never_import_pandas(args: list[str], tmp_path: Path) -> None:
    assert not imported(args, tmp_path) & set(HEAVY)


def test_chase_and_roll_forward_never_import_pandas(make_return: MakeReturn, tmp_path: Path) -> None:
    make_return("police", "Leicestershire Police", {RA: [action(status="Red", update=None)]})
    summary = tmp_path / "summary.xlsx"
    merged = CliRunner().invoke(main, ["merge", str(tmp_path / "returns"), "--out", str(summary),
                                       "--as-of", "2022-03-31"])
    assert merged.exit_code in (0, 1), merged.output
    assert summary.exists()
    for args in (["chase", str(summary), "--as-of", "2022-03-31"],
                 ["roll-forward", str(summary), "--out-dir", "next", "--round", "Q4"]):
        assert not imported(args, tmp_path) & set(HEAVY), args
    assert len(list((tmp_path / "next").glob("*.xlsx"))) > 1


def test_a_merge_writes_its_summary_without_openpyxl(make_return: MakeReturn, tmp_path: Path) -> None:
    """The summary is written by XlsxWriter: openpyxl (a tenth of a second to import) is for the template, the
    marked-up copies and reading a last round's summary, none of which a first merge with a store needs."""
    make_return("police", "Leicestershire Police", {RA: [action()]})
    args = ["merge", str(tmp_path / "returns"), "--out", "summary.xlsx", "--as-of", "2022-03-31",
            "--store", "rounds.sqlite", "--report", "board.html"]
    names = imported(args, tmp_path)
    assert (tmp_path / "summary.xlsx").exists()
    assert (tmp_path / "board.html").exists()
    assert "xlsxwriter" in names  # the check can see what it looks for
    assert "openpyxl" not in names


def test_the_email_readers_are_imported_only_for_emails(make_return: MakeReturn, tmp_path: Path) -> None:
    """Finding the returns in a folder of workbooks does not import the email and zip readers (olefile, the mail
    parser: a twentieth of a second before the first return can be handed out); a folder with an email does."""
    from mails import eml

    path = make_return(rows={RA: [action()]})
    assert "olefile" not in imported(["validate", str(path.parent)], tmp_path)
    (path.parent / "sent.eml").write_bytes(eml("Return", "a@leics.police.uk", [("police.xlsx", path.read_bytes())]))
    assert "olefile" in imported(["validate", str(path.parent)], tmp_path)
