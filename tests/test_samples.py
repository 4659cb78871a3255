"""The shipped samples are what samples/make_samples.py makes today, and they show what they claim."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from openpyxl import load_workbook

from plan_workbook.cli import main

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def content(path: Path) -> dict[str, Any]:
    """What matters in a workbook: values, validations, protection, formats and names (not zip bytes)."""
    wb = load_workbook(path)
    out: dict[str, Any] = {"names": {n: d.attr_text for n, d in wb.defined_names.items()},
                           "structure": bool(wb.security and wb.security.lockStructure)}
    for ws in wb.worksheets:
        out[ws.title] = {
            "state": ws.sheet_state,
            "protected": ws.protection.sheet,
            "values": [[c.value for c in row] for row in ws.iter_rows()],
            "unlocked": [c.coordinate for row in ws.iter_rows() for c in row if not c.protection.locked],
            "validations": sorted((str(v.sqref), v.formula1, v.errorStyle) for v in ws.data_validations.dataValidation),
            "formats": sorted((str(cf.sqref), r.type, str(r.formula)) for cf in ws.conditional_formatting
                              for r in cf.rules),
        }
    return out


def test_samples_are_not_stale(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("make_samples", SAMPLES / "make_samples.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    from plan_workbook.plan import load_plan

    made = module.make(tmp_path, load_plan())
    assert len(made) == 8
    for fresh in made:
        shipped = SAMPLES / fresh.relative_to(tmp_path)
        assert shipped.exists(), f"{shipped} is missing: run python samples/make_samples.py"
        assert content(fresh) == content(shipped), f"{shipped} is stale: run python samples/make_samples.py"
    shipped_returns = sorted(p.name for p in (SAMPLES / "returns").glob("*.xlsx"))
    assert shipped_returns == sorted(p.name for p in made if p.parent.name == "returns")


def test_samples_show_the_deliberate_mistakes_at_their_cells(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["merge", str(SAMPLES / "returns"), "--out", str(tmp_path / "s.xlsx"),
                                       "--as-of", "2022-03-31", "--format", "json"])
    assert result.exit_code == 1
    data = json.loads(result.output)
    found = {(Path(p["file"]).name, p["sheet"], p["cell"], p["code"]) for p in data["problems"]}
    assert {
        ("leicestershire-police.xlsx", "Raising Awareness", "G6", "status-normalised"),
        ("victim-first.xlsx", "Improving our Response", "E8", "lead-unknown"),
        ("leicester-city-council.xlsx", "Strengthening Communities", "H8", "update-missing"),
        ("charnwood-borough-council.xlsx", "Raising Awareness", "D11", "action-missing"),
        ("rutland-county-council.xlsx", "Strengthening Communities", "F6", "time-frame-unparsed"),
    } <= found
    assert data["summary"]["returns_received"] == 6
    rows = list(load_workbook(tmp_path / "s.xlsx")["Actions"].iter_rows(values_only=True))
    kind = rows[0].index("Row kind")
    assert {r[kind] for r in rows[1:]} == {"adopted example", "adapted example", "new"}
