"""Emails and zip files for tests, made the way mail programs make them (the standard library's own MIME
writer for .eml, tests/msgfile.py for Outlook's .msg, zipfile for .zip)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 200  # a signature logo, as far as any reader cares


def eml(subject: str, sender: str, attachments: Sequence[tuple[str, bytes]] = (),
        when: datetime = datetime(2022, 3, 30, 9, 0, tzinfo=UTC), forwards: Sequence[bytes] = (),
        body: str = "Please find our return attached.") -> bytes:
    """A saved email (.eml): a text body, attachments by name (type from the name), emails forwarded as
    attachments (message/rfc822)."""
    msg = EmailMessage(policy=policy.default)
    msg["From"] = sender
    msg["To"] = "coordinator@example.org"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when)
    msg.set_content(body)
    for name, data in attachments:
        kind = {"xlsx": XLSX, "png": "image/png", "pdf": "application/pdf", "zip": "application/zip",
                "ods": "application/vnd.oasis.opendocument.spreadsheet"}.get(name.rsplit(".", 1)[-1],
                                                                           "application/octet-stream")
        main, sub = kind.split("/")
        msg.add_attachment(data, maintype=main, subtype=sub, filename=name)
    for forwarded in forwards:
        msg.add_attachment(message_from_bytes(forwarded, policy=policy.default))  # message/rfc822, as
        # "Forward as attachment" sends it
    return msg.as_bytes()


def zipped(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return out.getvalue()
