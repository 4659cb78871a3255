"""The layout is the architecture: imports point one way, and nothing below the service parses a command line or
reads the environment (settings are passed in, so a web page or another program can call the same code)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).parent.parent / "src" / "plan_workbook"

# Lower layers first; a module may import from its own layer or any layer below it, never above.
LAYERS: list[set[str]] = [
    {"errors", "debug", "heap", "text", "layout", "problems", "plan"},
    {"sources", "reading", "rules", "personal"},
    {"merge"},
    {"rounds", "outputs", "fill", "store"},
    {"service"},
    {"cli", "__main__", "__init__", "desk"},
]
BELOW_SERVICE = set().union(*LAYERS[:4])
MODULES = {p.stem for p in PACKAGE.glob("*.py")} | {p.name for p in PACKAGE.iterdir() if p.is_dir()}


def unit(module: str) -> str:
    """The layer unit of a dotted name inside the package: its subpackage or top-level module."""
    return module.split(".", maxsplit=1)[0]


def level(module: str) -> int:
    return next(i for i, layer in enumerate(LAYERS) if unit(module) in layer)


def modules() -> dict[str, ast.Module]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        out[name] = ast.parse(path.read_text(encoding="utf-8"))
    return out


def imports(name: str, tree: ast.Module) -> list[str]:
    """Every module a module imports: inside the package as its dotted name there, outside it as `:name`."""
    here = name.split(".")[:-1]  # the package a module is in (for an __init__, the package itself)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - (node.level - 1)]
                target = [*base, *(node.module.split(".") if node.module else [])]
                if not target:  # from . import layout, or a name the package itself defines (__version__)
                    found += [a.name if a.name in MODULES else "__init__" for a in node.names]
                else:
                    found.append(".".join(target))
            else:
                found.append(":" + (node.module or ""))
        elif isinstance(node, ast.Import):
            found += [":" + alias.name for alias in node.names]
    return found


def test_every_module_has_a_layer() -> None:
    assert [name for name in modules() if unit(name) not in set().union(*LAYERS)] == []


def test_imports_point_down_the_layers() -> None:
    upward = []
    for name, tree in modules().items():
        for target in imports(name, tree):
            if not target.startswith(":") and level(target) > level(name):
                upward.append((name, target))
    assert upward == []


def test_nothing_below_the_service_imports_click_or_reads_the_environment() -> None:
    found = []
    for name, tree in modules().items():
        if unit(name) not in BELOW_SERVICE:
            continue
        found += [(name, t) for t in imports(name, tree) if t.split(".")[0] == ":click"]
        found += [(name, "os.environ") for node in ast.walk(tree)
                  if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "putenv")]
    assert found == []


def test_the_layer_check_sees_an_upward_import() -> None:
    tree = ast.parse("from ..service import run_round\nfrom . import guard\nimport click\n")
    assert imports("reading.reader", tree) == ["service", "reading", ":click"]
    assert level("service") > level("reading.reader")
