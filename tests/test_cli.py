"""The command line: help, exit codes, text and JSON output."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import RA, MakeReturn, action
from plan_workbook import __version__
from plan_workbook.cli import _json, main
from plan_workbook.problems import FIELDS
from plan_workbook.text import json_text


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


PROGRAM = """
import atexit, sys, threading, time
from plan_workbook.cli import run
atexit.register(lambda: print("exit handler ran", flush=True))
if sys.argv[1] == "thread":
    threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
sys.argv = ["plan-workbook", *sys.argv[2:]]
run()
"""


@pytest.mark.parametrize("thread", ["thread", "alone"])
def test_the_program_ends_with_the_commands_code_after_every_exit_handler(tmp_path: Path, thread: str) -> None:
    """run() ends the process without the interpreter's clean-up (os._exit) only after the exit handlers and with
    the command's own exit code; with another thread running it ends the usual way."""
    def program(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", PROGRAM, thread, *args], capture_output=True, text=True,
                              check=False, timeout=120)

    done = program("partners")
    assert (done.returncode, done.stdout.endswith("exit handler ran\n")) == (0, True), done.stderr
    assert "Leicestershire Police" in done.stdout
    done = program("validate", str(tmp_path / "missing.xlsx"))
    assert (done.returncode, "does not exist" in done.stderr, done.stdout) == (2, True, "exit handler ran\n")


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


def test_validate_text_table_lines_up(make_return: MakeReturn) -> None:
    short = make_return("a", rows={RA: [action(None), action("x", status="green")]})
    long = make_return("a-return-with-a-much-longer-name", rows={RA: [action(None)]})
    code, out = run("validate", str(short), str(long))
    assert code == 1
    header, *rows = out.split("\n\n")[0].splitlines()
    starts = [header.index(word) for word in ("sheet", "cell", "severity", "message")]
    assert len(rows) >= 3
    for line in rows:
        file, sheet, cell, severity = (line[a:b].rstrip() for a, b in zip([0, *starts], starts, strict=False))
        assert Path(file).name in {short.name, long.name}
        assert sheet in {RA, ""}  # "": about the whole file
        assert re.fullmatch("([A-Z]+[0-9]+)?", cell)
        assert severity in {"error", "warning", "fixed"}
        assert line[starts[-1]:]  # the message, after a gap
        assert not line[starts[-1] - 1].strip()
    assert {Path(line.split()[0]).name for line in rows} == {short.name, long.name}


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


# Any JSON value (texts with lone surrogates too), and what default=str turns into text (a date, a path), in dicts,
# lists and tuples
_SCALARS = (st.none() | st.booleans() | st.integers() | st.floats() | st.text(st.characters(exclude_categories=()))
            | st.dates() | st.builds(Path, st.text(max_size=5)))
_VALUES = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner)
                       | st.dictionaries(st.text(max_size=4) | st.integers() | st.none(), inner, max_size=4),
                       max_leaves=30)


@settings(max_examples=400, deadline=None)
@given(_VALUES)
def test_the_json_output_is_the_standard_librarys(value: object) -> None:
    """Issue 18: the --format json text is written by text.json_text, character for character json.dumps's."""
    assert json_text(value) == json.dumps(value, indent=2, ensure_ascii=False, default=str)


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
    code, out = run("merge", str(path), "--out", str(tmp_path / "nope" / "s.xlsx"), "--store",
                    str(tmp_path / "rounds.sqlite"))
    assert (code, "does not exist" in out) == (2, True)
    assert not (tmp_path / "rounds.sqlite").exists()  # refused before the store is made or a return read
    for option, name in (("--store", "rounds.sqlite"), ("--report", "board.html")):
        code, out = run("merge", str(path), "--out", str(tmp_path / "s.xlsx"), option, str(tmp_path / "nope" / name))
        assert (code, f"the folder {tmp_path / 'nope'} does not exist" in out) == (2, True), out
    assert not (tmp_path / "s.xlsx").exists()
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


def test_terminal_driving_characters_are_escaped_in_text_and_json(make_return: MakeReturn) -> None:
    """C1 controls (U+009B is a terminal's CSI), bidi overrides and line separators typed by a partner are
    made visible in the text output and written as \\u escapes in the JSON, which still reads back exactly."""
    typed = "Nobody\x9b31m Ltd\u202e\u2028x"
    path = make_return(rows={RA: [action(lead=typed)]})
    code, out = run("validate", "--format", "json", str(path))
    assert code == 0
    assert not any(ch in out for ch in "\x9b\u202e\u2028")
    assert "\\u009b" in out
    assert typed in {p["value"] for p in json.loads(out)["problems"]}
    code, out = run("validate", str(path))
    assert not any(ch in out for ch in "\x9b\u202e\u2028")
    assert "\\x9b31m" in out
    # text all ASCII, whose only control JSON leaves as it is: DEL
    assert _json({"lead": "Police\x7f\x1b[31m"}) == '{\n  "lead": "Police\\u007f\\u001b[31m"\n}'


def test_an_undecodable_file_name_never_crashes_an_output(make_return: MakeReturn, tmp_path: Path) -> None:
    """A file name that is not UTF-8 (lone surrogates after os.fsdecode) goes through every command."""
    good = make_return("police", rows={RA: [action(status="Red", update=None)]})
    name = os.fsdecode(b"caf\xe9.xlsx")
    good.rename(good.parent / name)
    folder = str(good.parent)
    out = tmp_path / "s.xlsx"
    for args in (["merge", folder, "--out", str(out), "--report", str(tmp_path / "r.html")],
                 ["merge", folder, "--out", str(out), "--format", "json"], ["validate", folder],
                 ["chase", str(out)], ["feedback", folder, "--out-dir", str(tmp_path / "fb")]):
        code, text = run(*args)
        assert code in (0, 1), (args, text)
        # the undecodable byte is shown as its escape (in JSON with its backslash escaped in turn)
        assert "caf\\xe9" in text or "caf\\\\xe9" in text or args[0] == "chase", args
    assert (tmp_path / "fb" / os.fsdecode(b"caf\xe9 - feedback.xlsx")).exists()


def test_out_dir_folders_are_made_when_missing(make_return: MakeReturn, tmp_path: Path) -> None:
    path = make_return(rows={RA: [action(status="Red", update=None)]})
    code, out = run("build", "--all-partners", "--out-dir", str(tmp_path / "new" / "templates"))
    assert code == 0, out
    assert len(list((tmp_path / "new" / "templates").glob("*.xlsx"))) == 17
    code, out = run("feedback", str(path), "--out-dir", str(tmp_path / "new" / "feedback"))
    assert (code, len(list((tmp_path / "new" / "feedback").glob("*.xlsx")))) == (0, 1), out
    summary = tmp_path / "s.xlsx"
    run("merge", str(path), "--out", str(summary))
    code, out = run("roll-forward", str(summary), "--out-dir", str(tmp_path / "new" / "rolled"))
    assert (code, len(list((tmp_path / "new" / "rolled").glob("*.xlsx")))) == (0, 17), out
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    code, out = run("feedback", str(path), "--out-dir", str(blocked))
    assert (code, out.startswith("Error: cannot write to")) == (2, True)


def test_readme_walk_through_runs_as_shown(tmp_path: Path) -> None:
    """Every `$ plan-workbook ...` line of the README's walk-through runs from a fresh folder after the demo's set-up
    (the project's samples, an out/ folder), with plan-workbook called by its path in .venv as the README says,
    and prints what the README shows (up to a '...' where the README cuts it short)."""
    root = Path(__file__).parent.parent
    shutil.copytree(root / "samples", tmp_path / "samples")
    (tmp_path / "out").mkdir()
    tool = Path(sys.executable).parent / "plan-workbook"
    readme = (root / "README.md").read_text(encoding="utf-8")
    walk = readme[readme.index("## Walk-through"):readme.index("## From Python")]
    blocks = re.findall(r"^\$ (plan-workbook [^\n]*)\n(.*?)(?=^\$ |^```)", walk, re.MULTILINE | re.DOTALL)
    assert len(blocks) >= 7
    for command, output in blocks:
        args = shlex.split(command.split("  #")[0])[1:]
        done = subprocess.run([str(tool), *args], cwd=tmp_path, capture_output=True, text=True, check=False,
                              env={k: v for k, v in os.environ.items()
                                   if k not in ("VIRTUAL_ENV", "PLAN_WORKBOOK_STORE")})  # as in a new shell
        assert done.returncode in (0, 1), (command, done.stderr)
        shown = output.rstrip()
        if not shown or '"..."' in shown:  # nothing shown, or JSON condensed by hand
            continue
        head, cut, _ = shown.partition("\n...")
        assert done.stdout.startswith(head) if cut else done.stdout.rstrip() == head, command


def test_only_the_program_keeps_its_result_to_the_end(make_return: MakeReturn) -> None:
    """run() ends the process without freeing the round (the interpreter's clean-up, object by object, is for
    nothing then); a caller that invokes the commands itself, as CliRunner does, frees it as usual."""
    from plan_workbook import cli

    path = make_return(rows={RA: [action()]})
    assert run("validate", str(path))[0] == 0
    assert "kept" not in cli._ENDING
    done = subprocess.run([sys.executable, "-m", "plan_workbook", "validate", "--format", "json", str(path)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["summary"]["actions"] == 1  # the whole output, then the end
