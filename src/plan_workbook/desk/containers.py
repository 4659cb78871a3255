"""Emails (.eml, .msg) and zips dropped on the desk, unpacked as the command line unpacks them (sources/mail.py),
from the bytes uploaded, in a worker process with the reader's memory and time limits: hostile bytes."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path

from ..problems import Problem
from ..reading.isolate import Failure, Limits, run_isolated
from ..sources import Source, mail
from ..sources.emails import Opened, failed_container  # failed_container: the command line's own problem


def open_upload(source: Source) -> Opened:
    """The workbooks in one uploaded email or zip, and the notes about what in it was skipped."""
    found = mail.unpack(source.name, source.read())
    via = Path(source.name)
    sources = [Source(a.name, source.origin, a.received, data=a.data, via=via, sender=a.sender)
               for a in found.attachments]
    failed: dict[str, list[Problem]] = {}
    for p in found.problems:
        if p.severity != "note":
            failed.setdefault(p.file, []).append(p)
    sources += [Source(where, source.origin, via=via, problems=tuple(problems)) for where, problems in failed.items()]
    return sources, [p for p in found.problems if p.severity == "note"]


def unpack_uploads(containers: Sequence[Source]) -> list[Opened]:
    out = []
    opening = run_isolated(open_upload, list(containers), 1, Limits())
    with contextlib.closing(opening):
        for source, outcome in zip(containers, opening, strict=True):
            out.append(failed_container(Path(source.name), outcome) if isinstance(outcome, Failure) else outcome)
    return out
