"""Returns that arrive by email: saved emails (.eml, Outlook's .msg) and .zip files, unpacked to their
workbook attachments, in memory.

Every attachment becomes a return named after where it came from (`police-q3.eml > Hate crime return.xlsx`,
shown with a single right-pointing angle quote, SEP), with the Date and sender of the email that held it.
Nothing is ever written to disk. The limits below are as strict as the workbook guard's; a container that
breaks one is a problem for that container (or that part of it), and everything else in the file is still read.
"""

from __future__ import annotations

import contextlib
import email
import email.errors
import email.utils
import io
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import Message
from typing import Any

import olefile

from ..problems import Code, Problem, as_params, short
from ..reading.guard import MAX_RATIO as GUARD_RATIO
from ..reading.guard import MAX_UNPACKED_BYTES as GUARD_UNPACKED
from ..reading.guard import OLE
from ..text import PART
from .source import CONTAINERS, MAX_FILE_BYTES, MiB, Refused

MAX_MESSAGE_BYTES = MAX_FILE_BYTES  # an email, a .msg or a zip, as saved (mail servers stop at 25-35 MB)
MAX_ATTACHMENTS = 100  # files found in one container and all it holds (a round's returns in one zip: about 20)
MAX_DEPTH = 3  # containers around a workbook: a forward inside a forward inside a zip is the deepest real case
MAX_UNPACKED_BYTES = GUARD_UNPACKED  # everything taken out of one file given, decoded
MAX_MIME_LINES = 10_000  # lines starting '--' (MIME boundaries) in one email: mail programs write a few per part
MAX_RATIO = GUARD_RATIO  # as for a workbook's parts: a zip member over 1 MiB unpacking more is a bomb
SEP = PART  # between a container's name and a part's name: a character no path separator is

SPREADSHEETS = (".xlsx", ".xlsm", ".ods", ".xls", ".xlsb", ".csv", ".xltx", ".xltm")  # read (or named) as returns
MSG_MIME = ("application/vnd.ms-outlook", "application/x-msg")
ZIP_MIME = ("application/zip", "application/x-zip-compressed")
MAC_LITTER = "__MACOSX/"  # resource forks a Mac adds to a zip: never a return
# what the standard library raises for a header it cannot make sense of (policy.default parses them)
HEADER_ERRORS = (ValueError, IndexError, TypeError, AttributeError, email.errors.MessageError)


@dataclass(frozen=True)
class Attachment:
    """A workbook taken out of an email or zip: its name says where from; received and sender are those of
    the nearest email around it (None and "" for a workbook in a zip given on its own)."""

    name: str
    data: bytes
    received: datetime | None = None
    sender: str = ""


@dataclass
class Unpacked:
    attachments: list[Attachment] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # each names the container, or the part, it is about
    containers: int = 0  # emails and zips opened, the file given included
    emails: list[tuple[str, datetime | None, str]] = field(default_factory=list)  # (name, Date, sender) of each


class _Stop(Refused):
    """A limit for the whole file given: nothing more is taken out of it."""


@dataclass
class _Email:
    received: datetime | None
    sender: str


def unpack(name: str, data: bytes) -> Unpacked:
    """The workbook attachments of a saved email or zip file, `name` being how the file is shown. Never raises
    for bad content: each part that cannot be taken out is a problem, and the rest goes on."""
    out = _Unpacker(name)
    try:
        out.container(name, name, data, depth=1, mail=None)
    except _Stop as e:
        out.result.problems.append(Problem(name, "", "", *e.fatal))
    return out.result


class _Unpacker:
    def __init__(self, top: str) -> None:
        self.top = top
        self.result = Unpacked()
        self.files = 0
        self.unpacked = 0
        self.names: set[str] = set()

    def inside(self, where: str, name: str) -> str:
        """The name shown for a file in a container: unique, as every return's name must be (a zip may hold
        two files of one name, an email two attachments)."""
        shown = base = f"{where}{SEP}{_printable(name)}"
        n = 1
        while shown in self.names:
            n += 1
            shown = f"{base} ({n})"
        self.names.add(shown)
        return shown

    def problem(self, where: str, code: Code, value: str = "", **params: object) -> None:
        self.result.problems.append(Problem(where, "", "", code, as_params(params), value=value))

    def take(self, size: int) -> None:
        """Counts a part against the limits for the whole file given."""
        self.files += 1
        self.unpacked += size
        if self.files > MAX_ATTACHMENTS:
            raise _Stop("too-large", variant="attachments", limit=MAX_ATTACHMENTS)
        if self.unpacked > MAX_UNPACKED_BYTES:
            raise _Stop("too-large", variant="container-unpacked", limit_mb=MAX_UNPACKED_BYTES // MiB)

    def container(self, where: str, name: str, data: bytes, depth: int, mail: _Email | None) -> None:
        """Open one email or zip (`where` is its full name, `name` its own file name)."""
        if depth > MAX_DEPTH:
            self.problem(where, "too-large", variant="nested", depth=depth, limit=MAX_DEPTH)
            return
        if len(data) > MAX_MESSAGE_BYTES:
            self.problem(where, "too-large", variant="container", limit_mb=MAX_MESSAGE_BYTES // MiB)
            return
        self.result.containers += 1
        kind = _kind(name, data)
        if kind == "zip":
            self.zip(where, data, depth, mail)
        elif kind == "msg":
            self.msg(where, data, depth)
        elif kind == "eml":
            self.eml(where, data, depth)
        else:
            self.problem(where, "wrong-format", variant="container", kind=_article(name))

    def part(self, where: str, name: str, data: bytes, depth: int, mail: _Email | None, mime: str = "") -> None:
        """One file found in a container: a workbook to read, a container to open, or something skipped."""
        lower = name.lower()
        if lower.endswith(SPREADSHEETS):
            self.result.attachments.append(Attachment(where, data, *(
                (mail.received, mail.sender) if mail else (None, ""))))
        elif lower.endswith(CONTAINERS) or mime in (*MSG_MIME, *ZIP_MIME):
            self.container(where, name, data, depth + 1, mail)
        else:
            self.problem(where, "attachment-skipped")

    # --- zip files
    def zip(self, where: str, data: bytes, depth: int, mail: _Email | None) -> None:
        try:
            zf = zipfile.ZipFile(io.BytesIO(data))
            infos = zf.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError) as e:
            self.problem(where, "unreadable-file", variant="zip-damaged", detail=short(str(e)))
            return
        with zf:
            before = len(self.result.attachments)
            for info in infos:
                if info.is_dir() or info.filename.startswith(MAC_LITTER):
                    continue
                inner = self.inside(where, info.filename)
                if _unsafe_name(info.filename):
                    self.problem(inner, "unsafe-file", value=info.filename, variant="zip-path")
                    continue
                if info.flag_bits & 0x1:
                    self.problem(inner, "encrypted", variant="zip-member")
                    continue
                if info.file_size > MiB and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                    times = info.file_size // max(info.compress_size, 1)
                    self.problem(inner, "too-large", variant="zip-ratio", times=f"{times:,}", limit=MAX_RATIO)
                    continue
                self.take(info.file_size)
                try:
                    member = zf.read(info)  # stops at the declared size, counted above
                except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, OSError, NotImplementedError,
                        RuntimeError) as e:  # RuntimeError, NotImplementedError: zipfile's unknown compression
                    self.problem(inner, "unreadable-file", variant="zip-member-damaged", detail=short(str(e)))
                    continue
                self.part(inner, info.filename.rsplit("/", 1)[-1], member, depth, mail)
            if len(self.result.attachments) == before and not infos:
                self.problem(where, "no-return-attached", variant="empty-zip")

    # --- emails saved as .eml (MIME)
    def eml(self, where: str, data: bytes, depth: int) -> None:
        boundaries = data.count(b"\n--")
        if boundaries > MAX_MIME_LINES:  # counted first: the standard library takes minutes over 500,000 parts
            self.problem(where, "too-large", variant="email-parts", count=f"{boundaries:,}",
                         limit=f"{MAX_MIME_LINES:,}")
            return
        try:
            msg = email.message_from_bytes(data, policy=policy.default)
        except (RecursionError, email.errors.MessageError, ValueError, IndexError, TypeError) as e:
            self.problem(where, "unreadable-file", variant="email-unreadable", error=type(e).__name__)
            return
        self.message(where, msg, depth)

    def message(self, where: str, msg: Message, depth: int) -> None:
        mail = _Email(_date(msg), _sender(msg))
        self.result.emails.append((where, mail.received, mail.sender))
        before = (len(self.result.attachments), len(self.result.problems))
        try:
            self.mime(where, msg, depth, mail, level=0)
        except RecursionError:
            self.problem(where, "too-large", variant="email-depth")
        self.no_workbook(where, before)

    def mime(self, where: str, part: Message, depth: int, mail: _Email, level: int) -> None:
        if level > 20:  # multiparts inside multiparts: mail programs write 3 or 4
            raise RecursionError
        ctype = part.get_content_type()
        if ctype == "message/rfc822":  # an email forwarded as an attachment
            inner = part.get_payload(0) if part.is_multipart() else None
            if not isinstance(inner, Message):
                return
            name = _filename(part) or f"{_subject(inner) or 'forwarded email'}.eml"
            shown = self.inside(where, name)
            if depth + 1 > MAX_DEPTH:
                self.container(shown, name, b"", depth + 1, mail)
                return
            self.take(0)
            self.result.containers += 1
            self.message(shown, inner, depth + 1)
            return
        if part.is_multipart():
            for sub in part.iter_parts():  # type: ignore[attr-defined]  # EmailMessage under policy.default
                self.mime(where, sub, depth, mail, level + 1)
            return
        name = _filename(part)
        if not name:
            if part.get_content_disposition() != "attachment" and part.get_content_maintype() in ("text",):
                return  # the email's own text
            name = f"unnamed attachment ({ctype})"
        shown = self.inside(where, name)
        try:
            payload = part.get_payload(decode=True)
        except (ValueError, TypeError, AssertionError) as e:
            self.problem(shown, "unreadable-file", variant="attachment-damaged", error=type(e).__name__)
            return
        data = payload if isinstance(payload, bytes) else b""
        self.take(len(data))
        self.part(shown, name, data, depth, mail, ctype)

    def no_workbook(self, where: str, before: tuple[int, int]) -> None:
        """An email with nothing to read says so by name: never silently dropped."""
        if len(self.result.attachments) > before[0]:
            return
        skipped = [p.file.rsplit(SEP, 1)[-1] for p in self.result.problems[before[1]:]
                   if p.code == "attachment-skipped"]
        listed = {"variant": "listed", "attached": ", ".join(short(s, 60) for s in skipped[:10])} if skipped else {}
        if not any(p.severity == "error" for p in self.result.problems[before[1]:]):
            self.problem(where, "no-return-attached", **listed)

    # --- Outlook's .msg (a compound file holding MAPI properties)
    def msg(self, where: str, data: bytes, depth: int) -> None:
        try:
            ole = olefile.OleFileIO(data, raise_defects=olefile.DEFECT_INCORRECT)
        except (OSError, ValueError, IndexError, KeyError, struct.error, RecursionError, OverflowError,
                MemoryError, EOFError) as e:
            self.problem(where, "unreadable-file", variant="msg-damaged", detail=short(str(e) or type(e).__name__))
            return
        try:
            self.msg_storage(where, _Msg(ole, len(data)), [], depth, top=True)
        except (OSError, ValueError, IndexError, KeyError, struct.error, RecursionError, OverflowError,
                EOFError) as e:
            self.problem(where, "unreadable-file", variant="msg-part-damaged",
                         detail=short(str(e) or type(e).__name__))
        finally:
            ole.close()

    def msg_storage(self, where: str, m: _Msg, at: list[str], depth: int, top: bool) -> None:
        props = m.properties(at, 32 if top else 24)
        mail = _Email(_filetime(props.get(0x0039) or props.get(0x0E06)), _msg_sender(m, at))
        self.result.emails.append((where, mail.received, mail.sender))
        before = (len(self.result.attachments), len(self.result.problems))
        for storage in m.children(at, "__attach_version1.0_#"):
            here = [*at, storage]
            attach = m.properties(here, 8)
            name = m.text(here, 0x3707) or m.text(here, 0x3704) or m.text(here, 0x3001)
            message = [*here, "__substg1.0_3701000D"]
            embedded = attach.get(0x3705) == 5 and m.exists(message)  # attach method 5: an email in the email
            if not name:
                name = f"{m.text(message, 0x0037) or 'forwarded email'}.msg" if embedded else "unnamed attachment"
            inner = self.inside(where, name)
            if embedded:
                if depth + 1 > MAX_DEPTH:
                    self.container(inner, name, b"", depth + 1, mail)
                    continue
                self.take(0)
                self.result.containers += 1
                self.msg_storage(inner, m, message, depth + 1, top=False)
                continue
            size = m.size([*here, "__substg1.0_37010102"])
            if size is None:
                self.problem(inner, "attachment-skipped", variant="not-a-file")
                continue
            self.take(size)
            self.part(inner, name, m.stream([*here, "__substg1.0_37010102"]), depth, mail,
                      (m.text(here, 0x370E) or "").lower())
        self.no_workbook(where, before)


class _Msg:
    """The parts of a .msg this tool uses (MS-OXMSG): property streams and their substorages."""

    def __init__(self, ole: Any, file_size: int) -> None:
        self.ole, self.file_size = ole, file_size
        self.storages: list[list[str]] = ole.listdir(streams=False, storages=True)

    def exists(self, path: list[str]) -> bool:
        return bool(self.ole.exists("/".join(path)))

    def children(self, at: list[str], prefix: str) -> list[str]:
        """Names of the storages directly under `at` whose names start with `prefix`."""
        return sorted(p[-1] for p in self.storages if len(p) == len(at) + 1 and p[:-1] == at
                      and p[-1].startswith(prefix))

    def size(self, path: list[str]) -> int | None:
        joined = "/".join(path)
        if not self.ole.exists(joined) or self.ole.get_type(joined) != olefile.STGTY_STREAM:
            return None
        size = int(self.ole.get_size(joined))
        if size > self.file_size:  # a stream cannot hold more than the file it is in: a crafted size
            raise ValueError(f"a stream claims {size:,} bytes in a file of {self.file_size:,}")
        return size

    def stream(self, path: list[str]) -> bytes:
        if self.size(path) is None:
            return b""
        data: bytes = self.ole.openstream("/".join(path)).read()
        return data

    def properties(self, at: list[str], header: int) -> dict[int, int]:
        """Fixed-size properties (PT_LONG, PT_SYSTIME) by property id."""
        raw = self.stream([*at, "__properties_version1.0"])[header:]
        out: dict[int, int] = {}
        for i in range(0, len(raw) - 15, 16):
            tag, _, value = struct.unpack_from("<IIQ", raw, i)
            if tag & 0xFFFF == 0x0003:
                out[tag >> 16] = value & 0xFFFFFFFF
            elif tag & 0xFFFF == 0x0040:
                out[tag >> 16] = value
        return out

    def text(self, at: list[str], pid: int) -> str:
        unicode = self.stream([*at, f"__substg1.0_{pid:04X}001F"])
        if unicode:
            return unicode.decode("utf-16-le", "replace").rstrip("\x00")
        return self.stream([*at, f"__substg1.0_{pid:04X}001E"]).decode("cp1252", "replace").rstrip("\x00")


def _msg_sender(m: _Msg, at: list[str]) -> str:
    for pid in (0x5D01, 0x0C1F, 0x0065, 0x5D02):  # SMTP address first: Exchange keeps an X.500 name in 0C1F
        found = m.text(at, pid)
        if "@" in found:
            return found.strip()
    headers = m.text(at, 0x007D)  # the transport headers, as received
    if headers:
        with contextlib.suppress(*HEADER_ERRORS):
            return _sender(email.message_from_string(headers, policy=policy.default))
    return ""


def _filetime(value: int | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime(1601, 1, 1, tzinfo=UTC) + timedelta(microseconds=value // 10)
    except OverflowError:
        return None


def _kind(name: str, data: bytes) -> str:
    """What a container really is, by content; the name only decides between an email and nothing."""
    if data.startswith(b"PK"):
        return "zip"
    if data.startswith(OLE):
        return "msg"
    head = data[:4096].lstrip()
    if name.lower().endswith(".eml") or b":" in head.split(b"\n", 1)[0]:
        return "eml" if head[:1].isalpha() or head.startswith(b"\xef\xbb\xbf") else ""
    return ""


def _article(name: str) -> str:
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return {"eml": "a saved email (.eml)", "msg": "an Outlook message (.msg)", "zip": "a zip file"}.get(
        ext, "a container")


def _unsafe_name(name: str) -> bool:
    parts = name.replace("\\", "/").split("/")
    return (name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":") or ".." in parts
            or "\x00" in name)


def _printable(name: str) -> str:
    """A part's name as shown: one line (a crafted name cannot start a line of its own)."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in name)[:255] or "(no name)"


def _filename(part: Message) -> str:
    with contextlib.suppress(*HEADER_ERRORS):
        return str(part.get_filename() or "")
    return ""


def _subject(msg: Message) -> str:
    with contextlib.suppress(*HEADER_ERRORS):
        return " ".join(str(msg.get("Subject", "") or "").split())[:100]
    return ""


def _date(msg: Message) -> datetime | None:
    with contextlib.suppress(*HEADER_ERRORS):
        raw = msg.get("Date")
        if raw is None:
            return None
        when = getattr(raw, "datetime", None) or email.utils.parsedate_to_datetime(str(raw))
        return when if isinstance(when, datetime) else None
    return None


def _sender(msg: Message) -> str:
    with contextlib.suppress(*HEADER_ERRORS):
        raw = msg.get("From")
        if raw is None:
            return ""
        addresses = getattr(raw, "addresses", None)
        if addresses:
            return str(addresses[0].addr_spec)
        return email.utils.parseaddr(str(raw))[1]
    return ""

