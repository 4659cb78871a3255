"""plan-workbook: run a multi-agency delivery plan through Excel.

The public API: load a plan, gather returns as sources (files and folders, or bytes from anywhere), and call the
service's functions; each returns data (a Result, the paths written, the messages) and raises a PlanWorkbookError
only when it cannot run. Everything else is inside the layers and may change.
"""

from typing import TYPE_CHECKING, Any

from .errors import OutputError, PlanError, PlanWorkbookError, UsageError
from .plan import Plan, load_plan
from .problems import Problem
from .service import (
    Checker,
    build_all_templates,
    build_template,
    chase,
    check,
    feedback,
    open_checker,
    roll_forward,
    run_round,
)
from .sources import Source, file_source, find_sources, from_bytes

if TYPE_CHECKING:
    from .merge import Result

__version__ = "0.1.0"

__all__ = [
    "Checker",
    "OutputError",
    "Plan",
    "PlanError",
    "PlanWorkbookError",
    "Problem",
    "Result",
    "Source",
    "UsageError",
    "__version__",
    "build_all_templates",
    "build_template",
    "chase",
    "check",
    "feedback",
    "file_source",
    "find_sources",
    "from_bytes",
    "load_plan",
    "open_checker",
    "roll_forward",
    "run_round",
]


def __getattr__(name: str) -> Any:
    """Result on first use: it comes with the rules (pandas), which the worker processes never import."""
    if name == "Result":
        from .merge import Result

        return Result
    raise AttributeError(f"module 'plan_workbook' has no attribute {name!r}")
