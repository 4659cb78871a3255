"""The command line: parse, call the library, render, choose the exit code.

Exit codes: 0 no errors (warnings allowed), 1 problems found, 2 cannot run.
pandas and pandera are imported only by the commands that need them, so --help stays quick.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import json
import os
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from . import __version__, service
from .debug import DEBUG
from .errors import PlanWorkbookError, UsageError
from .text import json_text, one_line

if TYPE_CHECKING:
    from .merge import Prefer, Result
    from .plan import Plan
    from .sources import Source
    from .store import Format

YOUNG_OBJECTS = 50_000  # see run()
PLAN_HELP = "Plan file (TOML). Default: the embedded LLR Hate Crime Delivery Plan 2021-23."
jobs_option = click.option("--jobs", type=click.IntRange(min=0), default=0,
                           help="Processes reading returns at once. Default 0: one per core when there are many.")
store_option = click.option("--store", type=click.Path(path_type=Path, dir_okay=False), envvar="PLAN_WORKBOOK_STORE",
                            default=Path("rounds.sqlite"), show_default=True,
                            help="The round store (one file per plan). Default: rounds.sqlite in the current folder, "
                            "or the file the environment variable PLAN_WORKBOOK_STORE names.")
prefer_option = click.option("--prefer", type=click.Choice(["newest"]),
                             help="When a partner sent more than one return, use only the newest (by the time "
                             "saved inside the workbook; for one sent by email, the email's Date). Default: include "
                             "all and warn.")


class Group(click.Group):
    """Maps the tool's own errors to one plain line and exit code 2, in one place."""

    def invoke(self, ctx: click.Context) -> Any:
        token = DEBUG.set(bool(ctx.params.get("debug")))  # passed down as a setting, reset when the command ends
        try:
            return super().invoke(ctx)
        except PlanWorkbookError as e:
            if DEBUG.get():
                raise
            click.echo(f"Error: {e}", err=True)
            ctx.exit(2)
        finally:
            DEBUG.reset(token)


@click.group(cls=Group)
@click.version_option(__version__, prog_name="plan-workbook")
@click.option("--debug", is_flag=True, help="Show a traceback when the tool cannot run.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Build the delivery plan template, then check and merge the returned workbooks.

    Example: plan-workbook build --out template.xlsx
    """
    ctx.obj = {"debug": debug}  # DEBUG is set from it in Group.invoke, for the reader and its workers


def run() -> None:
    """The command line as a program (the plan-workbook script, python -m plan_workbook): main(), then, once every
    exit handler has run and the output is flushed, an end without the interpreter's own clean-up, which frees
    every object of a large round one by one (half a second at 1,000 returns) only for the process to end. With
    any other thread still running it ends the usual way."""
    from .reading.isolate import end_servers_when_idle

    end_servers_when_idle()  # this process reads its returns once (the desk keeps its workers: they stay for it)
    _ENDING["kept"] = []
    # The young generation collected every 50,000 new objects, not 700: a round makes millions and keeps nearly
    # all of them, so the collector's passes over them found next to nothing (60 ms of a 1,000-return check).
    gc.set_threshold(YOUNG_OBJECTS, *gc.get_threshold()[1:])
    try:
        main()
    except SystemExit as e:
        code = e.code
    else:  # click's main() always ends in SystemExit
        code = 0
    if threading.active_count() > 1 or not (code is None or isinstance(code, int)):
        sys.exit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a reader that has gone (a closed pipe): nothing more to say
            stream.flush()
    os._exit(code or 0)


_ENDING: dict[str, list[object]] = {}  # run() adds "kept": see _keep


def _keep(obj: object) -> None:
    """A round's result kept to the end of the program, which run() ends without freeing it (freed on the way out
    of its command, it took 25 ms of a 1,000-return check, for nothing). Only under run(): a caller that invokes
    the commands itself (CliRunner, another program) frees it as usual."""
    if "kept" in _ENDING:
        _ENDING["kept"].append(obj)


def _plan(path: Path | None) -> Plan:
    from .plan import load_plan

    return load_plan(path)


@main.command()
@click.option("--plan", "plan_path", type=click.Path(path_type=Path), help=PLAN_HELP)
@click.option("--out", type=click.Path(path_type=Path), default=Path("template.xlsx"), show_default=True,
              help="Where to write the template.")
@click.option("--partner", help="Personalise the template for this partner (name or alias).")
@click.option("--all-partners", is_flag=True, help="Write one personalised template per partner into --out-dir.")
@click.option("--out-dir", type=click.Path(path_type=Path), help="Folder for --all-partners.")
@click.option("--password", envvar="PLAN_WORKBOOK_PASSWORD", help="Protection password (or set "
              "PLAN_WORKBOOK_PASSWORD). Only its hash is stored. Default: protected with no password.")
def build(plan_path: Path | None, out: Path, partner: str | None, all_partners: bool, out_dir: Path | None,
          password: str | None) -> None:
    """Write the blank, locked template that partners fill in.

    Example: plan-workbook build --partner Police --out police.xlsx
    """
    plan = _plan(plan_path)
    if all_partners:
        if out_dir is None:
            raise UsageError("--all-partners needs --out-dir FOLDER")
        paths = service.build_all_templates(plan, out_dir, password)
        click.echo(f"Wrote {len(paths)} personalised templates to {out_dir}")
        return
    name = service.build_template(plan, out, partner, password)
    who = f" for {name}" if name else ""
    click.echo(f"Wrote the {plan.title} template{who} to {out}")


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--plan", "plan_path", type=click.Path(path_type=Path), help=PLAN_HELP)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@prefer_option
@jobs_option
def validate(files: tuple[Path, ...], plan_path: Path | None, fmt: str, prefer: Prefer | None, jobs: int) -> None:
    """Check returned workbooks (.xlsx, .ods), or the emails (.eml, .msg) and zips they came in, and list every
    problem. Nothing is written.

    Example: plan-workbook validate returns/police.xlsx
    """
    service.start_readers()
    plan = _plan(plan_path)
    sources, notes = service.find_sources(list(files))
    with _progress(sources) as step:
        result = service.check(plan, sources, prefer, jobs, step, notes)
    _render(result, fmt, None)
    _keep(result)
    sys.exit(1 if result.errors else 0)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), required=True, help="The summary workbook to write.")
@click.option("--plan", "plan_path", type=click.Path(path_type=Path), help=PLAN_HELP)
@click.option("--as-of", type=click.DateTime(["%Y-%m-%d"]), help="Date for the Overdue sheet. Default: today.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@prefer_option
@jobs_option
@click.option("--previous", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              help="Last round's summary: adds a Changes sheet and the direction of travel per priority.")
@click.option("--report", "reports", type=click.Path(path_type=Path), multiple=True,
              help="Also write the board's one-page report: HTML (self-contained, printable), or PDF when the name "
              "ends in .pdf (printed by Chromium). Give it twice for both.")
@click.option("--redact", is_flag=True, help="Replace the personal data found in partners' text (emails, phone "
              "numbers, names ...) in the board report. The summary keeps the text as typed.")
@store_option
@click.option("--round", "round_name", help="The round's name in the store. Default: the plan's quarter holding the "
              "as-of date (\"Q4 2021/22\" for 2022-03-31). A round of that name already there is replaced.")
@click.option("--no-store", is_flag=True, help="Do not record this round (a trial run); --previous is then not "
              "taken from the store.")
def merge(paths: tuple[Path, ...], out: Path, plan_path: Path | None, as_of: Any, fmt: str,
          prefer: Prefer | None, jobs: int, previous: Path | None, reports: tuple[Path, ...], redact: bool,
          store: Path, round_name: str | None, no_store: bool) -> None:
    """Check returned workbooks, or the emails and zips they came in (files or folders), write the combined
    summary, and record the round in the round store.

    Example: plan-workbook merge samples/returns --out summary.xlsx --report board.pdf --redact
    """
    kept = None if no_store else store
    service.check_outputs(out, reports, previous, plan_path, kept)  # before anything is read
    service.start_readers()
    plan = _plan(plan_path)
    day = as_of.date() if as_of else date.today()
    name = round_name or service.round_name_for(plan, day)
    if kept is not None and (warning := service.store_warning(kept)):
        click.echo(f"Warning: {warning}", err=True)
    sources, notes = service.find_sources(list(paths))
    with _progress(sources) as step:
        result = service.run_round(plan, sources, out, day, previous, reports, prefer, jobs, step, notes, plan_path,
                                   redact, kept, name)
    if kept is not None and fmt == "text":  # first: the last line is the verdict
        last = service.find_round(plan, kept, name).previous
        compared = (f"compared with {last}" if last else f"compared with {previous}" if previous
                    else "no earlier round to compare with")
        click.echo(f"Round {_printable(name)} recorded in {_printable(str(kept))} ({compared}).")
    _render(result, fmt, out)
    _keep(result)
    sys.exit(1 if result.errors else 0)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out-dir", type=click.Path(path_type=Path), required=True, help="Folder for the feedback workbooks.")
@click.option("--plan", "plan_path", type=click.Path(path_type=Path), help=PLAN_HELP)
def feedback(paths: tuple[Path, ...], out_dir: Path, plan_path: Path | None) -> None:
    """Write, for each return with errors or warnings, a copy with every problem cell highlighted and
    commented, and a first sheet listing the problems. The partners' files are not changed.

    Example: plan-workbook feedback samples/returns --out-dir out/feedback
    """
    from .text import display_name

    plan = _plan(plan_path)
    sources, notes = service.find_sources(list(paths))
    with _progress(sources) as step:
        result = service.check(plan, sources, progress=step, notes=notes)
    written, failed = service.feedback(result, out_dir)
    click.echo(f"Wrote {len(written)} feedback workbook(s) to {_printable(str(out_dir))}")
    for path in written:
        click.echo(f"  {_printable(display_name(Path(path.name)))}")
    for p in failed:  # one return that cannot be copied does not stop the others
        click.echo(f"  {_printable(p.file)}: {_printable(p.message)}")
    sys.exit(1 if failed else 0)


@main.command("roll-forward")
@click.argument("summary", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--out-dir", type=click.Path(path_type=Path), required=True, help="Folder for the workbooks.")
@click.option("--round", "round_name", default="Next round", show_default=True,
              help="The reporting round's name, shown on the Front sheet and kept in the workbook.")
@click.option("--plan", "plan_path", type=click.Path(path_type=Path), help=PLAN_HELP)
def roll_forward(summary: Path, out_dir: Path, round_name: str, plan_path: Path | None) -> None:
    """Write next round's workbook for every partner, pre-filled with their actions from a summary.

    Example: plan-workbook roll-forward out/summary.xlsx --out-dir out/q4 --round "Q4 2021/22"
    """
    paths = service.roll_forward(_plan(plan_path), summary, out_dir, round_name)
    click.echo(f"Wrote {len(paths)} workbooks for {round_name} to {out_dir}")


@main.command()
@click.argument("summary", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--plan", "plan_path", type=click.Path(path_type=Path), help=PLAN_HELP)
@click.option("--as-of", type=click.DateTime(["%Y-%m-%d"]),
              help="The day the messages are sent, to tell whether the plan's return date has passed. Default: today.")
def chase(summary: Path, plan_path: Path | None, as_of: Any) -> None:
    """Print a short ready-to-send message for each partner who still owes something.

    Example: plan-workbook chase out/summary.xlsx
    """
    found = service.chase(_plan(plan_path), summary, as_of.date() if as_of else None)
    click.echo("\n\n----------\n\n".join(_printable_lines(text) for _, text in found))
    if not found:
        click.echo("Nothing is outstanding: every partner has sent a return with no errors or warnings.")


@main.command()
@store_option
@click.option("--plan", "plan_path", type=click.Path(path_type=Path), help=PLAN_HELP)
@click.option("--export", "export_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Write the whole history into this folder: one table per entity (rounds, sources, partners, "
              "actions, problems).")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True,
              help="The tables' format for --export.")
def history(store: Path, plan_path: Path | None, export_dir: Path | None, fmt: Format) -> None:
    """List the rounds recorded in the round store, or export the whole history as tables.

    Example: plan-workbook history --export out/history --format csv
    """
    plan = _plan(plan_path)
    if export_dir is not None:
        paths = service.export_history(plan, store, export_dir, fmt)
        click.echo(f"Wrote {len(paths)} tables to {_printable(str(export_dir))}: "
                   + ", ".join(p.name for p in paths))
        return
    found = service.history(plan, store)
    if not found:
        click.echo(f"No rounds recorded in {_printable(str(store))} yet.")
        return
    rows = [[r.name, r.as_of.isoformat(), r.recorded.strftime("%Y-%m-%d %H:%M"),
             f"{r.returns_received}/{r.returns_expected}", str(r.actions), str(r.errors)] for r in found]
    head = ["round", "as of", "recorded (UTC)", "returns", "actions", "errors"]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
    for line in [head, *rows]:
        click.echo(_printable("  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)).rstrip()))


@main.command()
@click.option("--round", "round_name", required=True, help="The round to rebuild, as `history` lists it.")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="Where to write the rebuilt summary.")
@store_option
@click.option("--plan", "plan_path", type=click.Path(path_type=Path), help=PLAN_HELP)
@jobs_option
def rebuild(round_name: str, out: Path, store: Path, plan_path: Path | None, jobs: int) -> None:
    """Write a round's summary again from the returns kept in the round store, and check that it is byte-identical
    to the one the merge wrote (exit 1 when it is not).

    Example: plan-workbook rebuild --round "Q4 2021/22" --out q4-again.xlsx
    """
    done = service.rebuild(_plan(plan_path), store, round_name, out, jobs, plan_path)
    where = f"Rebuilt {_printable(round_name)} into {_printable(str(out))}"
    if done.identical:
        click.echo(f"{where}: byte-identical to the summary the merge wrote (SHA-256 {done.sha256}).")
        return
    recorded = done.recorded or "none recorded"
    click.echo(f"Error: {where}, but it is not the summary the merge wrote (SHA-256 {done.sha256}, recorded "
               f"{recorded}): the plan file or plan-workbook itself has changed since.", err=True)
    sys.exit(1)


@main.command()
@click.option("--plan", "plan_path", type=click.Path(path_type=Path), help=PLAN_HELP)
def partners(plan_path: Path | None) -> None:
    """List the plan's partners and the aliases a Lead may use.

    Example: plan-workbook partners
    """
    plan = _plan(plan_path)
    for p in plan.partners:
        aliases = f"  (also: {', '.join(p.aliases)})" if p.aliases else ""
        tag = "" if p.returns else "  [lead only, sends no return]"
        click.echo(f"{p.name}{aliases}{tag}")


@main.command()
@click.option("--plan", "plan_path", type=click.Path(path_type=Path), help=PLAN_HELP)
@click.option("--port", type=click.IntRange(0, 65535), default=0, help="Port on 127.0.0.1. Default: a free one.")
@click.option("--no-browser", is_flag=True, help="Print the address only; do not open it in the browser.")
@store_option
def desk(plan_path: Path | None, port: int, no_browser: bool, store: Path) -> None:
    """Open the coordinator's desk: the round in a web page on this computer only (drop the returns, read the
    problems, download the summary, board page, feedback and templates, chase, start the next round).

    Example: plan-workbook desk
    """
    from .desk import load_web_stack, serve

    try:
        load_web_stack()
    except ModuleNotFoundError as e:
        if e.name not in {"starlette", "jinja2", "uvicorn", "multipart", "python_multipart"}:
            raise
        raise UsageError("the desk needs a few more packages: pip install 'plan-workbook[desk]'") from None
    if warning := service.store_warning(store):
        click.echo(f"Warning: {warning}", err=True)
    serve(_plan(plan_path), store, port, not no_browser, echo=click.echo)


@contextlib.contextmanager
def _progress(sources: list[Source]) -> Iterator[Callable[[Source], None]]:
    """A progress bar on the terminal while several returns are read; nothing otherwise."""
    show = len(sources) > 1 and sys.stderr.isatty()
    with click.progressbar(length=len(sources), label="Reading returns", file=sys.stderr, hidden=not show) as bar:
        yield lambda _: bar.update(1)


def _printable(text: str) -> str:
    """Partner text shown on a terminal: control characters (which could drive the terminal) made visible."""
    return one_line(text)


def _json(data: Any) -> str:
    """JSON with every character that could drive a terminal (C1 controls, bidi overrides, line separators,
    lone surrogates) written as a \\u escape, as the text output makes them visible; still valid JSON."""
    text = json_text(data)  # json.dumps(data, indent=2, ensure_ascii=False, default=str), quicker
    # almost always: one quick test instead of one a character. Text all ASCII (known without looking) can hold
    # no such character but DEL: JSON escapes the other controls, and the line breaks are its own
    if (text.isascii() and "\x7f" not in text) or text.replace("\n", "").isprintable():
        return text
    return "".join(ch if ch.isprintable() or ch == "\n" else json.dumps(ch)[1:-1] for ch in text)


def _printable_lines(text: str) -> str:
    return "\n".join(_printable(line) for line in text.split("\n"))


def _render(result: Result, fmt: str, out: Path | None) -> None:
    if fmt == "json":
        click.echo(_json(result.as_dict()))
        return
    problems = [*result.notes, *result.problems]
    if problems:
        cols = ("file", "sheet", "cell", "severity")
        # each column's width from its distinct values; the rows are made a thousand at a time, as they are
        # written (a large round's, all at once, were tens of megabytes)
        widths = [max(len(c), *(len(_printable(v)) for v in {getattr(p, c) for p in problems})) for c in cols]
        click.echo("  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True)) + "  message")
        for start in range(0, len(problems), 1000):  # a write per thousand problems: not one each, nor all at once
            click.echo("\n".join(["  ".join(_printable(v).ljust(w) for v, w in zip(
                (p.file, p.sheet, p.cell, p.severity), widths, strict=True)) + "  " + _printable(p.message)
                for p in problems[start:start + 1000]]))
        click.echo()  # a blank line before the verdict
    s = result.summary()
    verdict = (f"{len(result.returns)} return(s) checked, {s['actions']} actions: "
               f"{s['errors']} error(s), {s['warnings']} warning(s), {s['fixed']} fixed "
               "automatically.")
    if out is not None:
        verdict += f" Summary written to {_printable(str(out))}."
    verdict += " Fix the errors and check again." if s["errors"] else ""
    click.echo(verdict)
