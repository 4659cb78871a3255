"""Run per-file work in worker processes, so that nothing one file does can take the others down.

python-calamine is native (Rust) code: asked for a huge allocation it aborts the whole process, and a Rust
panic arrives as pyo3's PanicException, a BaseException. The guard stops every case we know of; this module
contains the ones we do not. Each worker is a long-lived process with a memory limit; the parent hands it
files two at a time (so it never waits for the parent) and gives each a time limit. A worker that crashes,
aborts, runs out of memory or overruns its time becomes a `Failure` for the file it was reading, and a
fresh worker takes the next one.

Processes start by forkserver where there is one (Linux, macOS): each worker forks from a small server
that has already imported what the work needs, so starting or replacing one costs milliseconds. On Windows
they are spawned. Memory: RLIMIT_DATA on Linux (private writable memory, so address space merely reserved
by libraries does not count), RLIMIT_AS on other POSIX systems, and on Windows a Job object limiting the
worker's committed memory. Time is watched by the parent on every platform.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

MiB = 1024 * 1024
MEMORY_LIMIT = 2048 * MiB  # on top of what a worker holds when it starts; a real return needs under 50 MiB
TIME_LIMIT = 120.0  # seconds for one file; a real return takes well under a second, the largest allowed a few
IN_HAND = 2  # items handed to a worker at once
START_LIMIT = 60.0  # seconds a new worker may take to start (imports), on top of its first item's limit
LOG_TAIL = 64 * 1024  # bytes of a dead worker's stderr looked at for its last words
_OOM_WORDS = ("memory allocation of", "MemoryError", "Cannot allocate memory", "out of memory")
_LOG_DIR_PREFIX = "plan-workbook-workers-"


@dataclass(frozen=True)
class Limits:
    memory: int = MEMORY_LIMIT  # bytes a worker may add to its footprint at start; 0 for no limit
    seconds: float = TIME_LIMIT  # wall time for one item


@dataclass(frozen=True)
class Failure:
    """Why one item gave no result: "crashed", "memory" or "timeout", and what was seen."""

    kind: str
    detail: str
    traceback: str = ""  # the worker's traceback, for a Python-level crash


def start_method() -> str:
    """forkserver where the platform has it (cheap, safe starts), else spawn (Windows)."""
    return "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


def warm_up(preload: Sequence[str]) -> None:
    """Start the forkserver now, so that it imports `preload` while this process does other work."""
    if start_method() == "forkserver":
        from multiprocessing import forkserver

        multiprocessing.get_context("forkserver").set_forkserver_preload(list(preload))
        forkserver.ensure_running()


class _Servers:
    """The pools of workers open in this process, and whether to end the servers once none is."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pools = 0
        self.end_when_idle = False

    def opened(self) -> None:
        with self.lock:
            self.pools += 1

    def closed(self) -> None:
        with self.lock:
            self.pools -= 1
            if not self.pools and self.end_when_idle:
                _end_servers()


_SERVERS = _Servers()


def end_servers_when_idle() -> None:
    """For a program that reads its returns once and goes on to other work (a merge writing its summary): when
    its last pool of workers closes, end the forkserver and its resource tracker, which otherwise stay until the
    program ends (about 37 MiB between them). A pool opened later starts them again. A long-running caller (the
    desk) keeps a pool open, so they stay for it."""
    _SERVERS.end_when_idle = True


def _end_servers() -> None:
    # multiprocessing's own _stop(), which its tests use (Python 3.8 on); the forkserver first, since it holds the
    # tracker's pipe open; where either is missing or not running, nothing happens
    from multiprocessing import forkserver, resource_tracker

    for server in (getattr(forkserver, "_forkserver", None), getattr(resource_tracker, "_resource_tracker", None)):
        stop = getattr(server, "_stop", None)
        if stop is not None:
            with contextlib.suppress(Exception):
                stop()


def run_isolated(func: Callable[[T], R], items: Sequence[T], jobs: int = 1, limits: Limits | None = None,
                 preload: Sequence[str] = (), method: str | None = None) -> Generator[R | Failure, None, None]:
    """func(item) for every item, in `jobs` worker processes, yielded in the order of `items`.

    `func` must be picklable (a module-level function, or a functools.partial of one): it is sent once
    to each worker. `preload` names modules the forkserver imports once for all workers."""
    if not items:
        return
    pool: _Pool[T, R] = _Pool(func, limits or Limits(), method or start_method(), preload)
    try:
        yield from pool.run(items, max(1, min(jobs, len(items))))
    finally:
        pool.close()


class Workers(Generic[T, R]):
    """Worker processes kept between runs, for a long-running caller: `map` answers as `run_isolated` does,
    but the workers (and what they imported) stay for the next call until `close`."""

    def __init__(self, func: Callable[[T], R], jobs: int = 1, limits: Limits | None = None,
                 preload: Sequence[str] = (), method: str | None = None) -> None:
        self.jobs = max(1, jobs)
        self.pool: _Pool[T, R] = _Pool(func, limits or Limits(), method or start_method(), preload)

    def map(self, items: Sequence[T]) -> Generator[R | Failure, None, None]:
        """func(item) for every item, in the order of `items`."""
        if not items:
            return
        finished = False
        try:
            yield from self.pool.run(items, min(self.jobs, len(items)))
            finished = True
        finally:
            if not finished:  # stopped early: a worker still holding items would answer the next call with them
                for w in [w for w in self.pool.workers if w.tasks]:
                    self.pool._retire(w, now=True)

    def close(self) -> None:
        self.pool.close()


class _Worker:
    def __init__(self, ctx: Any, func: Callable[..., Any], limits: Limits, log: Path) -> None:
        self.conn, child = ctx.Pipe()
        self.log = log
        self.proc = ctx.Process(target=_serve, args=(child, func, limits.memory, str(log)), daemon=True)
        self.proc.start()
        child.close()  # so the parent sees end-of-file when the worker dies
        self.tasks: deque[int] = deque()  # handed over, oldest (the one being worked on) first
        self.deadline = 0.0  # for the oldest
        self.ready = False  # it says so once started, so its start-up time is not counted against an item

    def give(self, index: int, item: Any, seconds: float) -> bool:
        """Hand over one item; False if the worker has died while idle (the item is not its fault)."""
        try:
            self.conn.send(item)
        except OSError:
            return False
        if not self.tasks:
            self.deadline = time.monotonic() + seconds + (0 if self.ready else START_LIMIT)
        self.tasks.append(index)
        return True

    def stop(self, now: bool = False) -> None:
        with contextlib.suppress(OSError):
            self.conn.close()  # an idle worker reads end-of-file and exits
        self.proc.join(0 if now else 2)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()

    def last_words(self) -> str:
        try:
            with self.log.open("rb") as f:
                f.seek(max(0, self.log.stat().st_size - LOG_TAIL))
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def death(self) -> Failure:
        """What became of the item this worker died holding."""
        self.proc.join(5)
        words = self.last_words()
        lines = [line.strip() for line in words.splitlines() if line.strip()]
        first = next((line for line in lines if any(w in line for w in _OOM_WORDS)), "")
        if first:
            return Failure("memory", first)
        code = self.proc.exitcode
        how = f"exit code {code}"
        if code is not None and code < 0:
            with contextlib.suppress(ValueError):
                how = f"stopped by signal {signal.Signals(-code).name}"
        said = next((line for line in lines if "panicked" in line), "")  # a Rust panic that was not caught
        return Failure("crashed", how + (f": {said}" if said else ""))


class _Pool(Generic[T, R]):
    def __init__(self, func: Callable[[T], R], limits: Limits, method: str, preload: Sequence[str]) -> None:
        self.ctx = multiprocessing.get_context(method)
        if method == "forkserver" and preload:
            self.ctx.set_forkserver_preload(list(preload))  # only takes effect before the server starts
        self.func, self.limits = func, limits
        _remove_stale_logs()
        self.logs = Path(tempfile.mkdtemp(prefix=f"{_LOG_DIR_PREFIX}{os.getpid()}-"))
        self.started = 0
        self.idle_deaths = 0
        self.workers: list[_Worker] = []
        self.open = True
        _SERVERS.opened()

    def _start(self) -> _Worker:
        self.started += 1
        worker = _Worker(self.ctx, self.func, self.limits, self.logs / f"worker-{self.started}.log")
        self.workers.append(worker)
        return worker

    def _retire(self, worker: _Worker, now: bool = False) -> None:
        self.workers.remove(worker)
        worker.stop(now)
        worker.log.unlink(missing_ok=True)

    def run(self, items: Sequence[T], jobs: int) -> Iterator[R | Failure]:
        todo = deque(range(len(items)))
        done: dict[int, R | Failure] = {}
        given = 0
        while given < len(items):
            while todo and len(self.workers) < jobs:
                self._start()
            for w in list(self.workers):
                # two in hand, so a worker starts its next file while this process unpacks its last answer
                while todo and len(w.tasks) < IN_HAND:
                    if w.give(todo[0], items[todo[0]], self.limits.seconds):
                        todo.popleft()
                        continue
                    todo.extendleft(reversed(w.tasks))  # died while idle: not those items' fault
                    self._retire(w, now=True)
                    self.idle_deaths += 1
                    if self.idle_deaths > jobs + 3:
                        raise RuntimeError("the worker processes that read returns die before they start")
                    break
            busy = [w for w in self.workers if w.tasks]
            if not busy:
                continue
            soonest = min(w.deadline for w in busy)
            ready = set(wait([w.conn for w in busy] + [w.proc.sentinel for w in busy],
                             timeout=max(0.0, soonest - time.monotonic())))
            for w in busy:
                if w.conn in ready or w.proc.sentinel in ready:
                    answer = self._collect(w)
                    if answer is None:
                        continue
                    outcome, alive = answer
                elif time.monotonic() >= w.deadline:
                    outcome, alive = Failure("timeout", f"more than {self.limits.seconds:g} seconds"), False
                    w.proc.kill()
                else:
                    continue
                done[w.tasks.popleft()] = outcome
                w.deadline = time.monotonic() + self.limits.seconds
                if not alive:
                    todo.extendleft(reversed(w.tasks))  # handed over but not started: they go to another
                    w.tasks.clear()
                    self._retire(w, now=True)
            while given in done:  # in order, as soon as the next one is in
                yield done.pop(given)
                given += 1

    def _collect(self, w: _Worker) -> tuple[R | Failure, bool] | None:
        """The worker's answer about its oldest item, or its death, and whether it can go on; None if it
        only said it has started."""
        try:
            if w.conn.poll():
                kind, payload, trace = w.conn.recv()
                if kind == "ready":
                    w.ready, w.deadline = True, time.monotonic() + self.limits.seconds
                    return None
                if kind == "ok":
                    return payload, True
                return Failure(kind, payload, trace), False  # the worker exits after a failure
        except (EOFError, OSError):
            pass  # died while answering
        return w.death(), False

    def close(self) -> None:
        for w in list(self.workers):
            self._retire(w, now=bool(w.tasks))
        shutil.rmtree(self.logs, ignore_errors=True)
        if self.open:
            self.open = False
            _SERVERS.closed()


def _serve(conn: Connection, func: Callable[[Any], Any], memory: int, log: str) -> None:
    """A worker: take items until the parent closes the pipe; stop after any failure."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it stops the workers
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(fd, 2)  # native code's last words (Rust's "memory allocation of ... failed") go where the parent looks
    os.close(fd)
    if memory:
        limit_memory(memory)
    gc.freeze()  # what the worker started with (the imported modules) is never garbage: the collector skips it
    try:
        conn.send(("ready", "", ""))
    except OSError:
        return
    while True:
        try:
            item = conn.recv()
        except (EOFError, OSError):
            return
        try:
            answer: tuple[str, Any, str] = ("ok", func(item), "")
        except MemoryError:
            answer = ("memory", "MemoryError", "")
        except BaseException as e:  # a Rust panic is a BaseException; one file's, so reported, not raised
            answer = ("crashed", f"{type(e).__name__}: {e}", traceback.format_exc())
        try:
            conn.send(answer)
        except Exception as e:  # an answer that cannot be sent back (pickling) is that file's failure too
            with contextlib.suppress(Exception):
                conn.send(("crashed", f"the result could not be sent back ({type(e).__name__}: {e})", ""))
            return
        if answer[0] != "ok":
            return  # after a panic or a MemoryError the worker is not trusted with another file


def limit_memory(extra: int) -> str:
    """Cap this process at its current footprint plus `extra` bytes; returns how (for tests and docs)."""
    if sys.platform == "win32":
        return _job_limit(extra + 512 * MiB)  # a Job object counts all committed memory, so add the start-up
    import resource

    kind = resource.RLIMIT_DATA if sys.platform.startswith("linux") else resource.RLIMIT_AS
    now = _footprint("VmData" if kind == resource.RLIMIT_DATA else "VmSize")
    _, hard = resource.getrlimit(kind)
    want = now + extra
    if hard != resource.RLIM_INFINITY:
        want = min(want, hard)
    resource.setrlimit(kind, (want, hard))
    return "RLIMIT_DATA" if kind == resource.RLIMIT_DATA else "RLIMIT_AS"


def _footprint(field: str) -> int:
    """Bytes of this process's data (or address space) now; from /proc where there is one."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource  # elsewhere the peak resident size is the best cheap estimate

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


if sys.platform == "win32":
    import ctypes
    from ctypes import wintypes

    class _Basic(ctypes.Structure):
        _fields_ = [("PerProcessUserTimeLimit", ctypes.c_int64), ("PerJobUserTimeLimit", ctypes.c_int64),
                    ("LimitFlags", wintypes.DWORD), ("MinimumWorkingSetSize", ctypes.c_size_t),
                    ("MaximumWorkingSetSize", ctypes.c_size_t), ("ActiveProcessLimit", wintypes.DWORD),
                    ("Affinity", ctypes.c_size_t), ("PriorityClass", wintypes.DWORD),
                    ("SchedulingClass", wintypes.DWORD)]

    class _Extended(ctypes.Structure):
        _fields_ = [("BasicLimitInformation", _Basic), ("IoInfo", ctypes.c_ulonglong * 6),
                    ("ProcessMemoryLimit", ctypes.c_size_t), ("JobMemoryLimit", ctypes.c_size_t),
                    ("PeakProcessMemoryUsed", ctypes.c_size_t), ("PeakJobMemoryUsed", ctypes.c_size_t)]

    def _job_limit(total: int) -> str:
        """Put this process in a new Job object that caps its committed memory (Windows 8 and later
        allow a process to be in nested jobs). Without it the worker still contains a crash."""
        k32 = ctypes.WinDLL("kernel32", use_last_error=True)
        k32.CreateJobObjectW.restype = wintypes.HANDLE
        k32.GetCurrentProcess.restype = wintypes.HANDLE
        k32.SetInformationJobObject.argtypes = [wintypes.HANDLE, ctypes.c_int, ctypes.c_void_p, wintypes.DWORD]
        k32.AssignProcessToJobObject.argtypes = [wintypes.HANDLE, wintypes.HANDLE]
        job = k32.CreateJobObjectW(None, None)
        info = _Extended()
        info.BasicLimitInformation.LimitFlags = 0x100  # JOB_OBJECT_LIMIT_PROCESS_MEMORY
        info.ProcessMemoryLimit = total
        extended = 9  # JobObjectExtendedLimitInformation
        if not job or not k32.SetInformationJobObject(job, extended, ctypes.byref(info), ctypes.sizeof(info)) \
                or not k32.AssignProcessToJobObject(job, k32.GetCurrentProcess()):
            return f"none (Windows error {ctypes.get_last_error()})"
        return "Job object"


def process_alive(pid: int) -> bool:
    """Whether a process with this id runs on this machine. Never signals it (on Windows os.kill
    would terminate it)."""
    if pid <= 0:
        return False
    if sys.platform == "win32":
        k32 = ctypes.WinDLL("kernel32", use_last_error=True)
        k32.OpenProcess.restype = wintypes.HANDLE
        k32.OpenProcess.argtypes = [wintypes.DWORD, wintypes.BOOL, wintypes.DWORD]
        k32.GetExitCodeProcess.argtypes = [wintypes.HANDLE, ctypes.POINTER(wintypes.DWORD)]
        k32.CloseHandle.argtypes = [wintypes.HANDLE]
        handle = k32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return ctypes.get_last_error() == 5  # access denied: it exists
        code = wintypes.DWORD()
        k32.GetExitCodeProcess(handle, ctypes.byref(code))
        k32.CloseHandle(handle)
        return code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def _remove_stale_logs() -> None:
    """Worker logs of runs that were killed before they could remove them."""
    root = Path(tempfile.gettempdir())
    stale: list[str] = []
    with contextlib.suppress(OSError), os.scandir(root) as listing:
        stale = [entry.path for entry in listing if entry.name.startswith(_LOG_DIR_PREFIX)
                 and entry.is_dir(follow_symlinks=False) and _dead(entry.name[len(_LOG_DIR_PREFIX):])]
    for path in stale:
        shutil.rmtree(path, ignore_errors=True)


def _dead(tag: str) -> bool:
    """Whether the process whose id starts `tag` ("1234-...") is gone."""
    pid = tag.split("-", 1)[0]
    return pid.isdigit() and int(pid) != os.getpid() and not process_alive(int(pid))
