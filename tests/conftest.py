"""Shared fixtures: the default plan, returns built inline from small literals, and LibreOffice."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from plan_workbook.fill import write_filled
from plan_workbook.plan import Plan, load_plan

RA, IR, SC = "Raising Awareness", "Improving our Response", "Strengthening Communities"


@pytest.fixture(scope="session", autouse=True)
def session_round_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The round store of merges run by session and module fixtures, before any test's own (below)."""
    path = tmp_path_factory.mktemp("store") / "rounds.sqlite"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PLAN_WORKBOOK_STORE", str(path))
        yield path


@pytest.fixture(autouse=True)
def round_store(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's own round store (merge records every round), so no test writes rounds.sqlite into the repository
    and no two tests share rounds; subprocesses inherit it."""
    path = tmp_path_factory.mktemp("store") / "rounds.sqlite"
    monkeypatch.setenv("PLAN_WORKBOOK_STORE", str(path))
    return path


@pytest.fixture(scope="session")
def plan() -> Plan:
    return load_plan()


def action(text: str | None = "Run a hate crime awareness stall", **values: Any) -> dict[str, Any]:
    """A complete, valid new row; override any role by keyword."""
    row = {"theme": "Promote definitions of hate incident and hate crime", "aim": "Increase reporting",
           "objective": "Local campaign", "action": text, "lead": "Leicestershire Police",
           "time_frame": "Oct 21", "status": "Green", "update": "Done"}
    row.update(values)
    return {k: v for k, v in row.items() if v is not None}


MakeReturn = Callable[..., Path]


@pytest.fixture
def make_return(tmp_path: Path, plan: Plan) -> MakeReturn:
    """make_return("name", partner, {sheet: [rows]}, example_edits={...}) -> path of a real filled template."""

    def make(name: str = "return", partner: str | None = "Leicestershire Police",
             rows: dict[str, list[dict[str, Any]]] | None = None, **kwargs: Any) -> Path:
        folder = tmp_path / "returns"
        folder.mkdir(exist_ok=True)
        return write_filled(folder / f"{name}.xlsx", kwargs.pop("plan", plan), partner, rows, **kwargs)

    return make


def _soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


@pytest.fixture(scope="session")
def soffice() -> str:
    found = _soffice()
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice (soffice) is missing in CI; .ci/run should have installed it")
        pytest.skip("LibreOffice (soffice) is not installed; `apt-get install libreoffice-calc-nogui` to run this")
    return found


@pytest.fixture
def convert(soffice: str, tmp_path: Path) -> Callable[[Path, str], Path]:
    """Run LibreOffice headless: convert(path, "pdf") or convert(path, "xlsx") re-saves it."""
    profile = tmp_path / "lo-profile"

    def run(path: Path, to: str) -> Path:
        out = tmp_path / f"lo-{to}"
        out.mkdir(exist_ok=True)
        filt = {"xlsx": "xlsx:Calc MS Excel 2007 XML", "pdf": "pdf"}[to]
        done = subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless",
                               "--convert-to", filt, "--outdir", str(out), str(path)],
                              capture_output=True, text=True, timeout=180, check=False)
        result = out / f"{path.stem}.{to}"
        assert done.returncode == 0, done.stderr
        assert result.exists(), f"LibreOffice wrote nothing: {done.stdout} {done.stderr}"
        return result

    return run
