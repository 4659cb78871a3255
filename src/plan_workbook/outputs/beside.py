"""Work shared with a forked copy of this process, so two cores write the summary's long sheets at once, the
sheets of the actions alone are begun while the challenges and the trend are worked out (Early), and the round is
recorded beside the writing (Waiting).

Writing the summary's rows is the slowest part of a merge after reading (a microsecond or two a cell, millions of
cells), and by then the workers that read the returns have finished. Nothing is sent to the copy: fork gives it
this process's memory as it is, and each job writes its own file. Where fork is not safe (not Linux, or other
threads running, whose locks the copy would inherit held) everything is done here; if the copy fails in any way
(killed, out of memory, an error) its jobs are done again here, so the output never depends on it.
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from functools import partial

Job = tuple[int, Callable[[], None]]  # (weight, work): the work must be safe to run again from the start
ENABLED = True  # tests set False to compare with everything done in this process
MIN_WEIGHT = 200_000  # below this many cells a fork costs more than it saves
# Past this size of this process the copy's page copying costs what the second core saves, and memory doubles
# (measured with --jobs 2: 1,000 returns, 480 MiB at the fork: 16.6 s with the copy, 18.4 s without, peak 975 and
# 511 MiB; 3,000 returns, 1.3 GiB: 56.4 s with, 55.4 s without, peak 2,431 and 1,343 MiB). Since each text is held
# once, 3,000 returns are 713 MiB at the fork: 64.7 s with the copy, 71.7 s without, peak 1,438 and 952 MiB
# (resident sizes summed: the copy's shared pages count twice), on a busier machine; with the round recorded by a
# second copy as well (Waiting), 2,086 MiB. Since each action's values are a tuple, 3,000 returns are 466 MiB at
# the forks: with both copies, 1,360 MiB resident summed; without, 466. Hence 384 MiB: a round that large is
# written by this process alone, the time given for memory (1,000 returns, 225 MiB at the forks, still have both
# copies).
MAX_COPY = 384 * 2**20
MAX_EARLY = 256 * 2**20  # Early's copy lives beside the other two: 1,000 returns are about 200 MiB at its fork


def run_beside(jobs: Sequence[Job]) -> None:
    """Run every job once: the jobs are shared by weight between this process and a forked copy when that is
    worth it and safe, else all run here."""
    here, there = share(jobs)
    if not there or not can_fork():
        _run(jobs)
        return
    pid = _fork(partial(_run, there))
    try:
        _run(here)
    except BaseException:
        _stop(pid)
        raise
    _finish(pid, there)


class Early:
    """Jobs begun in a forked copy before this process needs them done: the summary's Actions and Overdue rows,
    written while this process works out the challenges and the trend, which they do not depend on."""

    def __init__(self, pid: int, jobs: Sequence[Job]) -> None:
        self.pid: int | None = pid
        self.jobs = jobs

    @classmethod
    def start(cls, jobs: Sequence[Job]) -> Early | None:
        """The jobs begun in a copy; None, without one, where a copy is not worth it or not safe. The copy lives
        on beside the two made later (the summary's, the round's), so it has a lower cap than theirs (MAX_EARLY;
        1,000 returns: about 200 MiB at this point; 3,000: 384 MiB, and no copy)."""
        if sum(w for w, _ in jobs) < MIN_WEIGHT or not can_fork(MAX_EARLY):
            return None
        return cls(_fork(partial(_run, jobs)), jobs)

    def finish(self) -> None:
        """Wait for the copy; if it did not finish its jobs, whatever happened to it, do them here."""
        if self.pid is not None:
            pid, self.pid = self.pid, None
            _finish(pid, self.jobs)

    def cancel(self) -> None:
        """Stop the copy, its work no longer wanted (the round stopped before the summary was written)."""
        if self.pid is not None:
            pid, self.pid = self.pid, None
            _stop(pid)


def _run(jobs: Sequence[Job]) -> None:
    for _, work in jobs:
        work()


def _finish(pid: int, jobs: Sequence[Job]) -> None:
    """Wait for the copy running `jobs`; whatever happened to it, if it did not finish them they are done here
    (an error in them is raised here)."""
    _, status = os.waitpid(pid, 0)
    if status != 0:
        _run(jobs)


def _stop(pid: int) -> None:
    """Stop a copy at once and reap it."""
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


def _fork(work: Callable[[], object]) -> int:
    """A forked copy that runs work() and leaves at once, with none of this process's clean-up (atexit, buffers):
    exit status 0 only if the work finished. Returns the copy's process id."""
    pid = os.fork()
    if pid == 0:
        code = 1
        with contextlib.suppress(BaseException):
            gc.disable()  # a collection would touch, and so copy, every object this process holds
            work()
            code = 0
        os._exit(code)
    return pid


def share(jobs: Sequence[Job]) -> tuple[list[Job], list[Job]]:
    """The jobs split in two of about equal weight, heaviest first: (here, there); nothing there when the
    whole is too light to be worth a fork."""
    if sum(w for w, _ in jobs) < MIN_WEIGHT:
        return list(jobs), []
    sides: tuple[list[Job], list[Job]] = ([], [])
    weights = [0, 0]
    for job in sorted(jobs, key=lambda j: -j[0]):
        side = 0 if weights[0] <= weights[1] else 1
        sides[side].append(job)
        weights[side] += job[0]
    return sides


def can_fork(limit: int | None = None) -> bool:
    return (ENABLED and sys.platform == "linux" and hasattr(os, "fork") and threading.active_count() == 1
            and room_for_copy(limit))


def room_for_copy(limit: int | None = None) -> bool:
    """Whether a whole second copy of this process is worth making and fits: the copy shares this one's pages
    until it touches them, and reading every row touches most of them. A large process, or a tight machine, writes
    in one process (rather than risk the out-of-memory killer choosing this one)."""
    try:
        with open("/proc/meminfo") as f:
            free = next(int(line.split()[1]) for line in f if line.startswith("MemAvailable:")) * 1024
        with open("/proc/self/statm") as f:
            resident = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, StopIteration):
        return False
    return resident <= (MAX_COPY if limit is None else limit) and free > 2 * resident


class Waiting:
    """Work begun in a forked copy of this process that waits, before its last step, for this process to say go:
    the round store's rows go in while the summary is written, and are committed only once it is. The copy
    learns the answer from a pipe: go, or an end without it (this process gave up, or died), and then undoes its
    work. Nothing of the copy's work may be needed in this process but its exit status."""

    def __init__(self, pid: int, pipe: int) -> None:
        self.pid, self.pipe = pid, pipe

    @classmethod
    def start(cls, work: Callable[[Callable[[], bool]], None]) -> Waiting | None:
        """Fork a copy that runs work(go), where go() blocks until this process says go (True) or will not (False);
        None, without a copy, where fork is not safe or not worth it (the caller does the work itself)."""
        if not can_fork():
            return None
        read, write = os.pipe()

        def in_copy() -> None:
            os.close(write)
            work(partial(_told_go, read))

        pid = _fork(in_copy)
        os.close(read)
        return cls(pid, write)

    def go(self) -> bool:
        """Say go and wait for the copy to finish: whether it did its work in full."""
        with contextlib.suppress(OSError):
            os.write(self.pipe, b"go")
        return self._end() == 0

    def give_up(self) -> None:
        """Tell the copy not to finish, and wait for it to undo its work."""
        self._end()

    def _end(self) -> int:
        os.close(self.pipe)
        _, status = os.waitpid(self.pid, 0)
        return status


def _told_go(pipe: int) -> bool:
    said = b""
    while chunk := os.read(pipe, 16):
        said += chunk
    os.close(pipe)
    return said == b"go"
