"""What the desk does for the coordinator, through the service only: keep the current round's returns, check
them, and make every output on demand in a temporary folder that is deleted at once (the bytes are handed to the
page; nothing else is left on disk)."""

from __future__ import annotations

import io
import re
import tempfile
import threading
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .. import service
from ..errors import UsageError
from ..merge import Result
from ..plan import Plan
from ..problems import Problem
from ..sources import Source, from_bytes
from ..text import one_line
from .containers import is_container, unpack_uploads
from .shelf import RoundInfo, Shelf

Check = Callable[[Sequence[Source]], Result]
MAX_ROUND_NAME = 60


@dataclass(frozen=True)
class Outputs:
    summary: bytes
    board: bytes


class Desk:
    """One plan's rounds. Every change and every output goes through one lock: the page may be opened twice,
    and a round is checked by worker processes that should not be started twice at once."""

    def __init__(self, plan: Plan, shelf: Shelf, check: Check | None = None) -> None:
        self.plan, self.shelf = plan, shelf
        self.check: Check = check or (lambda sources: service.check(plan, sources))
        self.lock = threading.RLock()
        self._result: tuple[str, Result] | None = None  # the current round's, until it changes
        self._outputs: dict[str, Outputs] = {}  # by round name, until it changes
        self._templates: dict[str, bytes] = {}  # the plan's templates do not change while the desk runs
        self._notes: dict[str, list[Problem]] = {}  # by round: what the emails and zips dropped held besides returns

    @property
    def current(self) -> RoundInfo | None:
        rounds = self.shelf.rounds()
        return rounds[-1] if rounds else None

    @property
    def previous(self) -> RoundInfo | None:
        rounds = self.shelf.rounds()
        return rounds[-2] if len(rounds) > 1 else None

    def start_round(self, name: str, as_of: date) -> RoundInfo:
        name = " ".join(one_line(name).split())
        if not name:
            raise UsageError("Give the round a name, such as Q4 2021/22.")
        if len(name) > MAX_ROUND_NAME:
            raise UsageError(f"A round's name may be at most {MAX_ROUND_NAME} characters.")
        with self.lock:
            if any(r.name == name for r in self.shelf.rounds()):
                raise UsageError(f"There is already a round called {name}; give the new round another name.")
            info = RoundInfo(name, as_of)
            self.shelf.keep(info, [])
            return info

    def sources(self) -> list[Source]:
        current = self.current
        return self.shelf.sources(current.name) if current else []

    def drop(self, files: Sequence[tuple[str, bytes]]) -> list[str]:
        """Add returns to the current round (one of the same name replaces the earlier), the workbooks in an
        email or zip as returns of their own; returns their names."""
        with self.lock:
            current = self._need_round()
            kept = {s.name: s for s in self.shelf.sources(current.name)}
            dropped = [from_bytes(upload_name(raw), data, origin=f"upload:{upload_name(raw)}") for raw, data in files]
            containers = [s for s in dropped if is_container(s.name)]
            opened = dict(zip([c.name for c in containers], unpack_uploads(containers), strict=True))
            names = []
            for source in dropped:
                found, notes = opened.get(source.name, ([source], []))
                self._notes.setdefault(current.name, []).extend(notes)
                for one in found:
                    kept.pop(one.name, None)  # a corrected copy sent again goes last, as the newest
                    kept[one.name] = one
                    names.append(one.name)
            self.shelf.keep(current, list(kept.values()))
            self._changed(current)
            return names

    def remove(self, name: str) -> None:
        with self.lock:
            current = self._need_round()
            self.shelf.keep(current, [s for s in self.shelf.sources(current.name) if s.name != name])
            self._changed(current)

    def result(self) -> Result:
        """The current round checked (cached until a return is added or removed)."""
        with self.lock:
            current = self._need_round()
            if self._result is None or self._result[0] != current.name:
                result = self.check(self.shelf.sources(current.name))
                result.notes = [*self._notes.get(current.name, []), *result.notes]
                self._result = (current.name, result)
            return self._result[1]

    def outputs(self, info: RoundInfo | None = None) -> Outputs:
        """A round's summary workbook and board page (the current round by default), compared with the round
        before it."""
        with self.lock:
            info = info or self._need_round()
            if info.name not in self._outputs:
                rounds = [r.name for r in self.shelf.rounds()]
                before = self.shelf.rounds()[rounds.index(info.name) - 1] if rounds.index(info.name) else None
                previous = self.outputs(before).summary if before else None
                with tempfile.TemporaryDirectory(prefix="plan-desk-") as tmp:
                    folder = Path(tmp)
                    last = None
                    if previous is not None:
                        last = folder / "previous.xlsx"
                        last.write_bytes(previous)
                    out, board = folder / "summary.xlsx", folder / "board.html"
                    service.run_round(self.plan, self.shelf.sources(info.name), out, info.as_of, last, [board])
                    self._outputs[info.name] = Outputs(out.read_bytes(), board.read_bytes())
            return self._outputs[info.name]

    def feedback_zip(self) -> bytes:
        with self.lock, tempfile.TemporaryDirectory(prefix="plan-desk-") as tmp:
            written, _ = service.feedback(self.result(), Path(tmp))
            return zipped(written)

    def templates_zip(self) -> bytes:
        with self.lock, tempfile.TemporaryDirectory(prefix="plan-desk-") as tmp:
            if "all" not in self._templates:
                self._templates["all"] = zipped(service.build_all_templates(self.plan, Path(tmp)))
            return self._templates["all"]

    def blank_template(self) -> bytes:
        with self.lock, tempfile.TemporaryDirectory(prefix="plan-desk-") as tmp:
            if "blank" not in self._templates:
                out = Path(tmp) / "template.xlsx"
                service.build_template(self.plan, out)
                self._templates["blank"] = out.read_bytes()
            return self._templates["blank"]

    def rolled_zip(self) -> bytes:
        """The current round's workbooks for every partner, pre-filled from the round before's summary."""
        with self.lock, tempfile.TemporaryDirectory(prefix="plan-desk-") as tmp:
            current, previous = self._need_round(), self.previous
            if previous is None:
                raise UsageError("This is the first round: send the blank or personalised templates instead.")
            summary = Path(tmp) / "summary.xlsx"
            summary.write_bytes(self.outputs(previous).summary)
            return zipped(service.roll_forward(self.plan, summary, Path(tmp) / "next", current.name))

    def chase(self) -> list[tuple[str, str]]:
        with self.lock, tempfile.TemporaryDirectory(prefix="plan-desk-") as tmp:
            info = self._need_round()
            summary = Path(tmp) / "summary.xlsx"
            summary.write_bytes(self.outputs().summary)
            return service.chase(self.plan, summary, info.as_of)

    def _need_round(self) -> RoundInfo:
        current = self.current
        if current is None:
            raise UsageError("Start a round first.")
        return current

    def _changed(self, info: RoundInfo) -> None:
        self._result = None
        self._outputs.pop(info.name, None)


def upload_name(raw: str) -> str:
    """The name a dropped file is shown by: its own name without any folder, one line, never empty."""
    name = one_line(re.split(r"[/\\]", raw or "")[-1]).strip()
    return name[:200] or "upload"


def zipped(paths: Sequence[Path]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted(paths):
            z.write(path, path.name)
    return buffer.getvalue()


def safe_file_name(text: str) -> str:
    """A round's name as part of a download's file name."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "round"
