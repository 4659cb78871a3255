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
from ..sources.source import is_container
from ..text import one_line
from .containers import unpack_uploads
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
        """`check` reads and validates a round's returns (default: service.check)."""
        self.plan, self.shelf = plan, shelf
        self.check: Check = check or (lambda sources: service.check(plan, sources))
        self.lock = threading.RLock()
        self._result: tuple[str, Result] | None = None  # the current round's, until it changes
        self._outputs: dict[str, Outputs] = {}  # by round name, until it changes
        self._templates: dict[str, bytes] = {}  # the plan's templates do not change while the desk runs
        self._notes: dict[str, list[Problem]] = {}  # by round: what the emails and zips dropped held besides returns

    def rounds(self) -> list[RoundInfo]:
        return [RoundInfo(r.name, r.as_of) for r in self.shelf.rounds()]

    @property
    def current(self) -> RoundInfo | None:
        rounds = self.rounds()
        return rounds[-1] if rounds else None

    @property
    def previous(self) -> RoundInfo | None:
        rounds = self.rounds()
        return rounds[-2] if len(rounds) > 1 else None

    def start_round(self, name: str, as_of: date) -> RoundInfo:
        name = " ".join(one_line(name).split()) or service.round_name_for(self.plan, as_of)  # as merge names it
        if len(name) > MAX_ROUND_NAME:
            raise UsageError(f"A round's name may be at most {MAX_ROUND_NAME} characters.")
        with self.lock:
            if any(r.name == name for r in self.rounds()):
                raise UsageError(f"There is already a round called {name}; give the new round another name.")
            current = self.current
            if current is not None and as_of <= current.as_of:
                raise UsageError(f"The next round's date must be after {current.name}'s "
                                 f"({current.as_of.strftime('%d %B %Y')}).")
            info = RoundInfo(name, as_of)
            self._check_and_keep(info, [])
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
            self._check_and_keep(current, list(kept.values()))
            return names

    def remove(self, name: str) -> None:
        with self.lock:
            current = self._need_round()
            self._check_and_keep(current, [s for s in self.shelf.sources(current.name) if s.name != name])

    def result(self) -> Result:
        """The current round checked (kept until a return is added or removed)."""
        with self.lock:
            current = self._need_round()
            if self._result is None or self._result[0] != current.name:  # the desk started again: as recorded
                self._check_and_keep(current, self.shelf.sources(current.name), record=False)
            assert self._result is not None
            return self._result[1]

    def _check_and_keep(self, info: RoundInfo, sources: list[Source], record: bool = True) -> None:
        result = self.check(sources)
        result.notes = [*self._notes.get(info.name, []), *result.notes]
        self.shelf.keep(info, result, record)
        self._result = (info.name, result)
        self._outputs.pop(info.name, None)

    def outputs(self, info: RoundInfo | None = None) -> Outputs:
        """A round's summary workbook and board page (the current round by default), compared with the round
        before it."""
        with self.lock:
            info = info or self._need_round()
            if info.name not in self._outputs:
                with tempfile.TemporaryDirectory(prefix="plan-desk-") as tmp:
                    out, board = Path(tmp) / "summary.xlsx", Path(tmp) / "board.html"
                    self.shelf.write(info, out, board)
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
