"""Hostile corpus cases for the file system and the process: special files, odd names, faults.

None of these may be opened in a way that blocks: a named pipe waits for a writer for ever, and /dev/zero
never ends. Each must come back as one problem naming it, while the rest of the folder is merged.
"""

from __future__ import annotations

import os
from pathlib import Path

from corpus import Add
from plan_workbook.plan import Plan
from plan_workbook.text import display_name


def source_cases(folder: Path, plan: Plan, add: Add) -> None:
    """Write this module's cases into `folder`, each registered with add(name, *expected codes)."""
    if hasattr(os, "mkfifo"):  # POSIX only, like the attacks they stand for
        os.mkfifo(add("named-pipe.xlsx", "not-a-file"))
        os.symlink("/dev/zero", add("link-to-dev-zero.xlsx", "not-a-file"))
    os.symlink("link-loop.xlsx", add("link-loop.xlsx", "unreadable-file"))  # a link to itself
    # A name that is not UTF-8 (Latin-1 "é", as an old mail client or zip tool may write it): reported under a
    # name any output can hold, while the real name is used to read it.
    raw = os.fsencode(folder) + b"/r\xe9sum\xe9-notes.xlsx"
    shown = display_name(Path(os.fsdecode(raw)))
    assert shown.endswith("r\\xe9sum\\xe9-notes.xlsx"), shown
    add(Path(shown).name, "wrong-format")
    with open(raw, "wb") as f:
        f.write(b"Our update: all actions on track.\n")
