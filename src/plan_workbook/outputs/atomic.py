"""Write several outputs as a set: after any kill, once settled, all are old or all are new.

`write_set` writes every output completely to a staging file beside its target (so an output that cannot
be written is found before anything is replaced), then records the planned renames in a small journal,
then renames the staged files into place back to back, then removes the journal. `settle` (run first by
the next run) rolls forward a journal whose writer died, so a set interrupted half-way through its renames
is completed, and removes temporary files left by runs that died.

Every temporary file carries this machine's tag and the writer's process id (`.NAME.~pw-TAG-PID-RANDOM.EXT`),
so a run removes only files whose writer is gone: never those of a run still going, here or on another
machine sharing the folder (another machine's files are left until they are a day old).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import socket
import time
import zlib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import IO

from ..errors import OutputError
from ..reading.isolate import process_alive

HOST = f"{zlib.crc32(socket.gethostname().encode()):08x}"
_OURS = re.compile(r"\.~pw-([0-9a-f]{8})-([0-9]+)-[0-9a-z]+\.(tmp|new|journal)$")
OTHER_HOST_STALE = 24 * 3600  # seconds after which another machine's leftovers are taken to be abandoned


def temp_name(target: Path, kind: str = "tmp") -> Path:
    """A temporary file beside `target`, recognisable as ours and as this process's."""
    return target.parent / f".{target.name}.~pw-{HOST}-{os.getpid()}-{secrets.token_hex(4)}.{kind}"


def is_stale(path: Path) -> bool:
    """One of our temporary files whose writer is gone."""
    m = _OURS.search(path.name)
    if m is None:
        return False
    host, pid = m.group(1), int(m.group(2))
    if host == HOST:
        return pid != os.getpid() and not process_alive(pid)
    try:
        return time.time() - path.lstat().st_mtime > OTHER_HOST_STALE
    except OSError:
        return False


def settle(targets: Iterable[Path]) -> None:
    """Finish what killed runs left in the folders of `targets`: roll their journals forward, then remove
    their temporary files. Safe to run at any time, by any number of runs."""
    for folder in sorted({Path(t).absolute().parent for t in targets}):
        try:
            with os.scandir(folder) as listing:
                ours = sorted(Path(e.path) for e in listing if _OURS.search(e.name))
        except OSError:
            continue  # a folder that cannot be listed is reported when the output is written
        journals = [p for p in ours if p.name.endswith(".journal")]
        for path in journals:
            if is_stale(path):
                _roll_forward(path)
        waiting = any(j.exists() for j in journals)  # its staged files are still needed
        for path in ours:
            leftover = path.suffix == ".tmp" or (path.suffix == ".new" and not waiting)
            if leftover and path.exists() and is_stale(path):
                path.unlink(missing_ok=True)


def write_set(writers: Mapping[Path, Callable[[Path], object]]) -> None:
    """Write each target by calling its writer with a staging path beside it, then put them all in place.

    A writer must write the whole file at the path it is given (atomically, as write_atomic does)."""
    targets = [Path(t) for t in writers]
    for t in targets:
        _check_replaceable(t)
    settle(targets)
    staged: dict[Path, Path] = {}
    try:
        for target, write in writers.items():
            stage = temp_name(Path(target), "new")
            staged[Path(target)] = stage
            write(stage)
        if len(staged) == 1:
            ((target, stage),) = staged.items()
            _replace(stage, target)
            _sync_folder(target.parent)
            return
        journals = _write_journals(staged)
    except BaseException:
        for stage in staged.values():
            stage.unlink(missing_ok=True)
        raise
    _rename_all(staged, journals)


def _write_journals(staged: dict[Path, Path]) -> list[Path]:
    """One journal in each target's folder, so the next run into any of them finds it; each is complete
    before it has its name. Older journals naming these targets are dropped: this set supersedes them."""
    folders = sorted({t.parent for t in staged})
    journals = [temp_name(folder / "outputs", "journal") for folder in folders]
    moves = [[str(s.absolute()), str(t.absolute())] for t, s in staged.items()]
    body = json.dumps({"moves": moves, "journals": [str(j.absolute()) for j in journals]}).encode()
    for folder in folders:
        _drop_older_journals(folder, set(staged))
    for journal in journals:
        tmp = temp_name(journal.parent / "outputs")
        try:
            _write_file(tmp, body)
            _replace(tmp, journal)
        finally:
            tmp.unlink(missing_ok=True)
        _sync_folder(journal.parent)
    return journals


def _rename_all(staged: dict[Path, Path], journals: list[Path]) -> None:
    """The renames, back to back. If the first cannot be done nothing has changed, so the set is given up;
    after that the journal stays, and the next run completes the set."""
    for i, (target, stage) in enumerate(staged.items()):
        try:
            _replace(stage, target)
        except OutputError:
            if i == 0:
                for j in journals:
                    j.unlink(missing_ok=True)
                for s in staged.values():
                    s.unlink(missing_ok=True)
                raise
            raise OutputError(f"cannot write {target}; the other outputs were written, and the next run "
                              "completes the set (close the file if it is open elsewhere)") from None
    for folder in {t.parent for t in staged}:
        _sync_folder(folder)
    for j in journals:
        j.unlink(missing_ok=True)


def _roll_forward(journal: Path) -> None:
    try:
        plan = json.loads(journal.read_bytes())
        moves = [(Path(s), Path(t)) for s, t in plan["moves"]]
        others = [Path(j) for j in plan["journals"]]
    except (OSError, ValueError, KeyError, TypeError):
        journal.unlink(missing_ok=True)  # not one we can use: complete journals only ever get the name
        return
    for stage, target in moves:
        if stage.exists():  # gone: already renamed
            try:
                _replace(stage, target)
            except OutputError:
                return  # e.g. the file is open in Excel on Windows: the journal stays, and a later run retries
    for j in [journal, *others]:
        j.unlink(missing_ok=True)


def _drop_older_journals(folder: Path, targets: set[Path]) -> None:
    """Journals (of runs still going, or of other machines) that would later put older files over ours."""
    absolute = {str(t.absolute()) for t in targets}
    try:
        with os.scandir(folder) as listing:
            journals = [Path(e.path) for e in listing if e.name.endswith(".journal") and _OURS.search(e.name)]
    except OSError:
        return
    for j in journals:
        try:
            moves = json.loads(j.read_bytes())["moves"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if any(t in absolute for _, t in moves):
            j.unlink(missing_ok=True)


def _check_replaceable(target: Path) -> None:
    """What would stop a rename into place, found before anything is written."""
    if not target.parent.is_dir():
        raise OutputError(f"cannot write {target}: the folder {target.parent} does not exist")
    if target.is_dir():
        raise OutputError(f"cannot write {target}: it is a folder")
    if os.name == "nt" and target.exists():  # Windows cannot replace a file that is read-only or open in Excel
        try:
            with open(target, "r+b"):
                pass
        except OSError as e:
            raise OutputError(f"cannot write {target}: {e.strerror or e} (is it open in another program?)") from None


def _write_file(path: Path, data: bytes) -> None:
    with open(path, "xb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _replace(source: Path, target: Path) -> None:
    try:
        os.replace(source, target)
    except OSError as e:
        raise OutputError(f"cannot write {target}: {e.strerror or e}") from None


def _sync_folder(folder: Path) -> None:
    """Make the renames in a folder durable (POSIX; Windows has no handle for a folder to sync)."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_atomic(path: Path, data: bytes | Callable[[IO[bytes]], None]) -> None:
    """Write `data` (bytes, or a function that writes them to a file) through a temporary file beside `path`,
    then rename: a reader, or a kill at any moment, finds the old file or the new one. The temporary file's name
    marks it as ours, so the next write into the folder removes it if this process dies before it can."""
    path = Path(path)
    if not path.parent.is_dir():
        raise OutputError(f"cannot write {path}: the folder {path.parent} does not exist")
    settle([path])
    tmp = temp_name(path)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    except OSError as e:
        raise OutputError(f"cannot write {path}: {e.strerror or e}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            if isinstance(data, bytes):
                f.write(data)
            else:
                data(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException as e:
        tmp.unlink(missing_ok=True)
        if isinstance(e, OSError):
            raise OutputError(f"cannot write {path}: {e.strerror or e}") from None
        raise
