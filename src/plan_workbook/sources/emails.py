"""Returns sent by email or zip, as sources: each saved email (.eml, .msg) or zip given, or found in a folder, is
unpacked by mail.py, in memory, into one in-memory source per workbook in it, named after where it came from and
carrying its email's Date and sender. A part that could not be taken out, and an email that held no workbook, is a
source holding its problem; the attachments skipped are notes.

The unpacking runs in the same worker processes as the reading, with the same memory and time limits: the
standard library's email parser and the compound-file reader are handed hostile bytes."""

from __future__ import annotations

import contextlib
from pathlib import Path

from ..problems import Problem
from ..reading.isolate import Failure, Limits, run_isolated
from ..text import display_name
from . import mail
from .files import read_bytes
from .source import Refused, Source

Opened = tuple[list[Source], list[Problem]]  # the sources in one email or zip, and its notes


def email_sources(paths: list[Path], jobs: int = 1, limits: Limits | None = None) -> dict[Path, Opened]:
    """Each email or zip opened in a worker; one that crashes or overruns it is one source holding its problem."""
    limits = limits or Limits()
    out: dict[Path, Opened] = {}
    opening = run_isolated(open_container, paths, max(1, jobs), limits)
    with contextlib.closing(opening):
        for path, outcome in zip(paths, opening, strict=True):
            out[path] = failed_container(path, outcome) if isinstance(outcome, Failure) else outcome
    return out


def open_container(path: Path) -> Opened:
    """The sources in one email or zip file, and the notes about what in it was skipped."""
    name = display_name(path)
    try:
        data = read_bytes(path)
    except Refused:
        return [Source(name, str(path), path=path)], []  # the reader names why, as for any file
    found = mail.unpack(name, data)
    sources = [Source(a.name, str(path), a.received, data=a.data, via=path, sender=a.sender)
               for a in found.attachments]
    failed: dict[str, list[Problem]] = {}
    for p in found.problems:
        if p.severity != "note":
            failed.setdefault(p.file, []).append(p)
    sources += [Source(where, str(path), via=path, problems=tuple(problems)) for where, problems in failed.items()]
    return sources, [p for p in found.problems if p.severity == "note"]


def failed_container(path: Path, failure: Failure) -> Opened:
    name = display_name(path)
    if failure.kind == "memory":
        problem = Problem.of(name, "", "", "too-large", variant="container-memory")
    elif failure.kind == "timeout":
        problem = Problem.of(name, "", "", "unreadable-file", variant="container-timeout", took=failure.detail)
    else:
        problem = Problem.of(name, "", "", "unreadable-file", variant="container-failed", detail=failure.detail)
    return [Source(name, str(path), via=path, problems=(problem,))], []
