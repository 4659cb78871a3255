"""The problem catalogue: every message is rendered from its code's template and the problem's parameters."""

from __future__ import annotations

import ast
import json
import pickle
from pathlib import Path
from typing import cast

import pytest

from plan_workbook.errors import UsageError
from plan_workbook.plan import Plan
from plan_workbook.problems import (
    CATALOGUE,
    CODES,
    MORE,
    OWN_FIELDS,
    PARAMS,
    Code,
    Problem,
    fields,
    render,
    table,
    template,
)
from plan_workbook.rules import RULE_CODES, schema
from plan_workbook.sources.source import Refused
from plan_workbook.store.problems import problem_dict, problem_from

ROOT = Path(__file__).parent.parent
# What builds a problem (Problem.of, a refusal, the readers' and checks' helpers), and the parameters a helper
# adds of its own (rounds/challenge.py names the action).
BUILDERS = {"of", "Refused", "Refuse", "_Stop", "problem", "flag", "note"}
ADDED_BY = {"flag": {"action"}}


def test_every_template_names_only_documented_fields_and_renders() -> None:
    for code, entry in CATALOGUE.items():
        assert entry.templates, code
        for variant, text in [*entry.templates.items(), *MORE.items()]:
            names = fields(text)
            assert names <= set(PARAMS) | OWN_FIELDS, (code, variant, names - set(PARAMS))
            values = {name: f"<{name}>" for name in names}
            rendered = text.format(**values)
            assert "{" not in rendered, (code, variant)
            assert "}" not in rendered, (code, variant)
            assert rendered.endswith((".", ")")), (code, variant)  # a sentence, not a fragment
    used = set().union(*(fields(t) for e in CATALOGUE.values() for t in e.templates.values()))
    assert set(PARAMS) <= used | set().union(*(fields(t) for t in MORE.values()))  # no stale documentation


def test_a_problem_renders_its_message_from_its_parameters() -> None:
    p = Problem.of("r.xlsx", "Raising Awareness", "G6", "status-normalised", "Status (RAG)", "green",
                   original="green", fixed="Green")
    assert p.message == "'green' in G6 was read as 'Green'. Choose it from the list next time."
    assert p.params == (("fixed", "Green"), ("original", "green"))
    assert p.as_dict() == {
        "file": "r.xlsx", "sheet": "Raising Awareness", "cell": "G6", "column": "Status (RAG)", "value": "green",
        "code": "status-normalised", "severity": "fixed", "message": p.message,
        "params": {"fixed": "Green", "original": "green"}}
    # numbers are kept as text; the same parameters in another order make the same problem
    q = Problem.of("r.xlsx", "S", "A5", "header-moved", expected=3, row=5)
    assert q == Problem.of("r.xlsx", "S", "A5", "header-moved", row="5", expected="3")
    assert q.message.startswith("The header row is row 5, not row 3 as in the template")
    # a partner's text is a value, never a template: braces in it are printed as typed
    typed = Problem.of("r.xlsx", "S", "G6", "status-normalised", original="{cell} {0} {", fixed="Green")
    assert typed.message.startswith("'{cell} {0} {' in G6 was read as 'Green'.")


def test_parameters_that_do_not_fit_the_template_fail_at_once() -> None:
    with pytest.raises(ValueError, match="takes"):
        Problem.of("f", "", "G6", "status-normalised", original="green")  # fixed= forgotten
    with pytest.raises(ValueError, match="takes"):
        Problem.of("f", "", "G6", "spaces-trimmed", extra="x")
    with pytest.raises(ValueError, match="no message"):
        Problem.of("f", "", "", "wrong-format", variant="xlsx")  # wrong-format has no such wording
    with pytest.raises(ValueError, match="no message"):
        Problem.of("f", "", "", "wrong-format")  # a code with several wordings needs its variant
    with pytest.raises(ValueError, match="unknown problem code"):
        Problem.of("f", "", "", "status-wrong")  # type: ignore[arg-type]  # and mypy says so first
    with pytest.raises(TypeError, match=r"Problem\.of"):
        Problem("f", "", "", "spaces-trimmed", "a message built at the call site")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="takes"):
        Refused("unreadable-file", variant="cannot-open")  # detail= forgotten


def test_problems_and_refusals_cross_process_boundaries_intact() -> None:
    p = Problem.of("f", "S", "A1", "too-large", variant="file", limit_mb=50)
    assert pickle.loads(pickle.dumps(p)) == p
    typed = Problem.of("f", "S", "G7", "status-normalised", "Status (RAG)", " green", original="green", fixed="Green")
    assert pickle.loads(pickle.dumps(typed)) == typed  # every field in its place (Problem.__reduce__)
    r = Refused("unreadable-file", "No such file or directory", variant="cannot-open", detail="gone")
    back = pickle.loads(pickle.dumps(r))
    assert (back.code, back.params, back.reason, back.message) == (r.code, r.params, r.reason,
                                                                   "The file cannot be opened (gone).")
    assert Problem("f", "", "", *r.fatal).message == r.message


def test_every_problem_the_code_builds_names_a_wording_it_has() -> None:
    """Each call site that gives a literal code and keyword parameters (Problem.of, Refused, a reader's
    self.problem ...) gives exactly the fields of the template it names; sites with computed parameters are
    checked when they run (construction checks them), which the suite does."""
    checked = 0
    for path in sorted((ROOT / "src" / "plan_workbook").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            if name not in BUILDERS:
                continue
            codes = [a.value for a in node.args if isinstance(a, ast.Constant) and a.value in CODES]
            if len(codes) != 1:
                continue
            keywords = {k.arg: k.value for k in node.keywords}
            if None in keywords:  # **params: checked when it runs
                continue
            variant = keywords.get("variant")
            if variant is not None and not isinstance(variant, ast.Constant):
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            given = set(keywords) - {"variant", "column", "value", "reason"} | ADDED_BY.get(name, set())
            text = template(cast(Code, codes[0]), str(variant.value) if variant is not None else "")
            assert given == fields(text) - OWN_FIELDS, where
            checked += 1
    assert checked > 100  # most sites name their code and parameters where they are


def test_readme_table_is_generated_from_the_catalogue() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    start = lines.index(table().splitlines()[0])
    end = next(i for i in range(start, len(lines)) if not lines[i].startswith("|"))
    assert "\n".join(lines[start:end]) == table(), "run: python3 tasks.py readme"


def test_a_message_may_name_the_problems_own_cell_sheet_and_column() -> None:
    assert render("column-missing", (), column="Time Frame") == (
        "The column 'Time Frame' is missing from the header row. Restore it from the template.")
    p = Problem.of("f", "Front", "B4", "partner-missing", column="Partner organisation", variant="cell")
    assert p.message == ("The return does not say which partner sent it. Choose the organisation in the "
                         "'Partner organisation' cell B4 on the Front sheet.")


def test_every_pandera_check_is_named_by_its_problem_code(plan: Plan) -> None:
    s = schema(plan)
    names = [c.name for col in s.columns.values() for c in col.checks] + [c.name for c in s.checks]
    assert set(names) == set(RULE_CODES)
    # no unnamed built-in rule: an empty cell and a repeated action are the named checks' to report
    assert not any(col.unique for col in s.columns.values())
    assert all(s.columns[role].nullable for role in ("action", "status", "lead", "time_frame", "update"))


def test_a_stored_problem_is_made_again_from_its_parameters() -> None:
    p = Problem.of("r.xlsx", "S", "G6", "status-normalised", "Status (RAG)", "green", original="green", fixed="Green")
    stored = json.loads(json.dumps(problem_dict(p)))  # as the store writes and reads it
    assert problem_from(stored) == p
    old = {**stored, "params": {}}  # recorded before problems kept their parameters: a plain refusal, no traceback
    with pytest.raises(UsageError, match="merge that round again"):
        problem_from(old)
