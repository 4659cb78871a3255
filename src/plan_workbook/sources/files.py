"""Returns kept as files: found in the folders and files given, and read with the protections a file needs
(nothing that is not a regular file is opened, and never more than the byte limit is read)."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from .. import layout as L
from ..errors import UsageError
from ..problems import Problem
from ..text import display_name
from .source import CONTAINERS, MAX_FILE_BYTES, Refused, Source, is_container

EXTENSIONS = (".xlsx", ".xlsm", ".ods", *CONTAINERS)  # workbooks, and the emails and zips they come in
# Found in folders too, so a partner who saved in another format is told how to fix it.
OTHER_SPREADSHEETS = (".xls", ".xlsb", ".csv", ".xltx", ".xltm")
IGNORED = {"thumbs.db", "desktop.ini", ".ds_store"}


def file_source(path: Path) -> Source:
    """A return kept as a file: its bytes are read later, by the worker that reads it; received when last
    modified (None when that cannot be told)."""
    try:
        received: datetime | None = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except (OSError, ValueError, OverflowError):
        received = None
    return Source(display_name(path), str(path), received, path=path)


def find_sources(paths: list[Path], jobs: int = 1) -> tuple[list[Source], list[Problem]]:
    """The returns under the files and folders given, as sources, and the notes about what was skipped. Each
    email or zip becomes the workbooks in it (sources/emails.py), opened in `jobs` worker processes."""
    files, notes = find_workbooks(paths)
    containers = [p for p in files if is_container(p.name) and not_a_file(p) is None]
    opened = {}
    if containers:  # the email and zip readers (and what they import) only when there is one
        from .emails import email_sources

        opened = email_sources(containers, jobs)
    sources: list[Source] = []
    for p in files:
        found, skipped = opened.get(p, ([file_source(p)], []))
        sources += found
        notes += skipped
    return sources, notes


def find_workbooks(paths: Iterable[Path]) -> tuple[list[Path], list[Problem]]:
    """Files given, and spreadsheet files under folders given, sorted; Excel lock files and other
    files in folders are skipped with a note. A file named on the command line is always read.
    Whatever in a folder is neither a file nor a folder (a pipe, a socket, a device, a link that leads
    nowhere) and any sub-folder that cannot be listed are kept too, so the reader names each one in a
    problem; none of them is opened here."""
    paths = list(paths)
    found: list[Path] = []
    seen: set[str] = set()
    notes: list[Problem] = []
    for path in paths:
        if path.is_dir():
            candidates = []
            files, odd = _walk(path, notes)
            for p in sorted([*files, *odd]):
                if p in odd or p.suffix.lower() in EXTENSIONS + OTHER_SPREADSHEETS:
                    candidates.append(p)
                elif p.suffix.lower() in (".html", ".htm") and _is_own_report(p):
                    notes.append(Problem.of(display_name(p), "", "", "own-output-skipped", variant="report"))
                elif not p.name.startswith(".") and p.name.lower() not in IGNORED:
                    notes.append(Problem.of(display_name(p), "", "", "file-skipped"))
        elif path.exists() or path.is_symlink():
            candidates = [path]
        else:
            raise UsageError(f"{display_name(path)} does not exist")
        for p in candidates:
            if p.name.startswith("~$"):
                notes.append(Problem.of(display_name(p), "", "", "lock-file-skipped"))
                continue
            real = os.path.realpath(p)  # the same path given twice is read once; never raises on loops
            if real not in seen:
                seen.add(real)
                found.append(p)
    if not found:
        raise UsageError("no returned workbooks (.xlsx, .xlsm or .ods, or the emails and zips they came in: .eml, "
                         ".msg, .zip) were found in "
                         + ", ".join(display_name(p) for p in paths))
    return found, notes


def _is_own_report(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            return L.OWN_REPORT_MARK in f.read(2048)
    except OSError:
        return False


def _walk(folder: Path, notes: list[Problem]) -> tuple[list[Path], list[Path]]:
    """(regular files, other entries) under a folder, without following links to folders (they could
    lead round in a loop) and without opening anything but folders."""
    files: list[Path] = []
    odd: list[Path] = []
    try:
        with os.scandir(folder) as listing:
            entries = list(listing)
    except OSError:
        return files, [folder]  # cannot be listed: the reader reports it with the reason
    for entry in entries:
        path = Path(entry.path)
        try:
            if entry.is_dir(follow_symlinks=False):
                sub_files, sub_odd = _walk(path, notes)
                files += sub_files
                odd += sub_odd
                continue
            mode = os.stat(path).st_mode if entry.is_symlink() else entry.stat(follow_symlinks=False).st_mode
        except OSError:  # a link that leads nowhere, or round in a loop
            odd.append(path)
            continue
        if stat.S_ISREG(mode):
            files.append(path)
        elif stat.S_ISDIR(mode):
            notes.append(Problem.of(display_name(path), "", "", "file-skipped", variant="folder-link"))
        else:
            odd.append(path)
    return files, odd


def read_bytes(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """At most `limit` + 1 bytes of a regular file (the guard refuses more than the limit); never opens a FIFO,
    device or socket. Raises Refused with the problem to report."""
    try:
        kind = _not_regular(os.stat(path).st_mode)
        if kind:
            raise Refused("not-a-file", name=path.name, kind=kind)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
        with os.fdopen(fd, "rb") as f:
            opened = os.fstat(fd)
            kind = _not_regular(opened.st_mode)  # replaced between the two looks
            if kind:
                raise Refused("not-a-file", variant="replaced", name=path.name, kind=kind)
            # sized to the file: read(limit + 1) would allocate all limit + 1 bytes first, for every return
            size = opened.st_size
            data = f.read(min(size, limit) + 1)
            if size < len(data) <= limit:  # it grew since the look: read on, still to limit + 1 at most
                data += f.read(limit + 1 - len(data))
            return data
    except OSError as e:
        reason = e.strerror or type(e).__name__
        raise Refused("unreadable-file", reason, variant="cannot-open", detail=e.strerror or e) from None


def _not_regular(mode: int) -> str:
    for test, kind in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a pipe (FIFO)"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device")):
        if test(mode):
            return kind
    return "" if stat.S_ISREG(mode) else "not a regular file"


_KINDS = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISCHR, "a device (character special file)"), (stat.S_ISBLK, "a device (block special file)"))


def not_a_file(path: Path) -> Refused | None:
    """Why anything that is not a regular file is not read, found without opening it; None for a file. Decided
    before any worker is given it, so nothing that could block is handed on."""
    try:
        mode = os.stat(path).st_mode
    except OSError as e:
        if e.errno == errno.ELOOP:
            return Refused("unreadable-file", variant="link-loop")
        return Refused("unreadable-file", variant="link-broken", detail=e.strerror or e)
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        try:
            with os.scandir(path):
                pass
        except OSError as e:
            return Refused("unreadable-file", variant="folder-unsearchable", detail=e.strerror or e)
        return None  # listed after all: the reader says it is not a workbook
    kind = next((name for test, name in _KINDS if test(mode)), "a special file")
    return Refused("not-a-file", variant="found", kind=kind)
