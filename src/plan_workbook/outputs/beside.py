"""Work shared with a forked copy of this process, so two cores write the summary's long sheets at once.

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

Job = tuple[int, Callable[[], None]]  # (weight, work): the work must be safe to run again from the start
ENABLED = True  # tests set False to compare with everything done in this process
MIN_WEIGHT = 200_000  # below this many cells a fork costs more than it saves
# Past this size of this process the copy's page copying costs what the second core saves, and memory doubles
# (measured with --jobs 2: 1,000 returns, 480 MiB at the fork: 16.6 s with the copy, 18.4 s without, peak 975 and
# 511 MiB; 3,000 returns, 1.3 GiB: 56.4 s with, 55.4 s without, peak 2,431 and 1,343 MiB). Since each text is held
# once, 3,000 returns are 713 MiB at the fork: 64.7 s with the copy, 71.7 s without, peak 1,438 and 952 MiB
# (resident sizes summed: the copy's shared pages count twice), on a busier machine.
MAX_COPY = 768 * 2**20


def run_beside(jobs: Sequence[Job]) -> None:
    """Run every job once: the jobs are shared by weight between this process and a forked copy when that is
    worth it and safe, else all run here."""
    here, there = share(jobs)
    if not there or not can_fork():
        for _, work in jobs:
            work()
        return
    pid = os.fork()
    if pid == 0:  # the copy: its jobs, then out at once, with none of this process's clean-up (atexit, buffers)
        code = 1
        with contextlib.suppress(BaseException):
            gc.disable()  # a collection would touch, and so copy, every object this process holds
            for _, work in there:
                work()
            code = 0
        os._exit(code)
    try:
        for _, work in here:
            work()
    except BaseException:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        raise
    _, status = os.waitpid(pid, 0)
    if status != 0:  # whatever happened to the copy, its share is done here (an error in it is raised here)
        for _, work in there:
            work()


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


def can_fork() -> bool:
    return (ENABLED and sys.platform == "linux" and hasattr(os, "fork") and threading.active_count() == 1
            and room_for_copy())


def room_for_copy() -> bool:
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
    return resident <= MAX_COPY and free > 2 * resident
