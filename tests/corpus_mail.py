"""Hostile corpus cases for returns sent in by email or zip (mail.py) and as OpenDocument spreadsheets (ods.py).

Each container names its problem at itself, or at the part it is about (`case.zip > bomb.xlsx`, with the
single right-pointing angle quote of mail.SEP); expected codes are listed under the container's own file name.
"""

from __future__ import annotations

import io
import struct
import warnings
import zipfile
from pathlib import Path

from corpus import IR, RA, Add, _good
from mails import PNG, eml, zipped
from msgfile import Msg, MsgAttachment, write_msg
from odsfile import content, from_xlsx, ods, table
from plan_workbook.plan import Plan
from plan_workbook.sources import mail
from plan_workbook.sources.source import MiB

# Read in full: the workbook each holds is written, as sent, to sources(folder)/<case>.xlsx (outside the corpus
# folder, so it is not a return), for the nothing-lost check.
GOOD = ("mail-forwarded-return.eml", "mail-msg-in-msg.msg", "ods-saved-by-a-partner.ods")


def sources(folder: Path) -> Path:
    return folder.parent / f"{folder.name}-mail-sources"


def _return(folder: Path, plan: Plan, name: str, partner: str) -> bytes:
    path = _good(folder, plan, name, partner)
    data = path.read_bytes()
    path.unlink()
    return data


def broken_storage(data: bytes) -> bytes:
    """A .msg whose FAT (the compound file's sector map) chains every sector to itself."""
    out = bytearray(data)
    for n in range(struct.unpack_from("<I", out, 0x2C)[0]):  # each FAT sector, as the header lists them
        start = 512 * (struct.unpack_from("<I", out, 0x4C + 4 * n)[0] + 1)
        for i in range(0, 512, 4):
            struct.pack_into("<I", out, start + i, n * 128 + i // 4)
    return bytes(out)


def mail_cases(folder: Path, plan: Plan, add: Add) -> None:
    """Write this module's cases into `folder`, each registered with add(name, *expected codes)."""
    melton = _return(folder, plan, "_melton.xlsx", "Melton Borough Council")
    blaby = _return(folder, plan, "_blaby.xlsx", "Blaby District Council")
    kept = sources(folder)
    kept.mkdir(exist_ok=True)
    (kept / "mail-forwarded-return.xlsx").write_bytes(melton)
    (kept / "mail-msg-in-msg.xlsx").write_bytes(blaby)

    # --- read in full
    partner = eml("Our return", "returns@melton.gov.uk", [("Melton return.xlsx", melton), ("logo.png", PNG)])
    add("mail-forwarded-return.eml", "attachment-skipped").write_bytes(
        eml("Fwd: Our return", "colleague@example.org", forwards=[partner]))
    inner = Msg("Blaby return", "returns@blaby.gov.uk", attachments=[MsgAttachment("Blaby return.xlsx", blaby)])
    add("mail-msg-in-msg.msg").write_bytes(write_msg(Msg("FW: Blaby return", "colleague@example.org", attachments=[
        MsgAttachment("Blaby return", message=inner)])))

    # --- limits
    add("mail-zip-bomb.zip", "too-large").write_bytes(zipped({"bomb.xlsx": b"\0" * (200 * MiB)}))
    deep = eml("level 4", "a@example.org", [("deep.xlsx", melton)])
    for level in (3, 2):
        deep = eml(f"level {level}", "a@example.org", forwards=[deep])
    add("mail-nested-too-deep.zip", "too-large").write_bytes(zipped({"level 2.eml": deep}))
    add("mail-too-many-attachments.zip", "too-large", "attachment-skipped").write_bytes(
        zipped({f"note {i}.txt": b"x" for i in range(mail.MAX_ATTACHMENTS + 1)}))
    bomb_in_zip = zipped({"inner.zip": zipped({"bomb.xlsx": b"\0" * (200 * MiB)})})
    add("mail-zip-bomb-inside-zip.zip", "too-large").write_bytes(bomb_in_zip)

    # --- crafted names and damaged storage
    add("mail-path-traversal.zip", "unsafe-file").write_bytes(
        zipped({"../../../../tmp/evil.xlsx": melton, "/etc/evil.xlsx": melton}))
    good_msg = write_msg(Msg("Return", "a@example.org", attachments=[MsgAttachment("r.xlsx", melton)]))
    add("mail-broken-storage.msg", "unreadable-file").write_bytes(broken_storage(good_msg))
    claims = bytearray(good_msg)
    at = claims.find("__substg1.0_37010102".encode("utf-16-le"))
    struct.pack_into("<I", claims, at + 120, 0x7FFFFFFF)
    add("mail-stream-claims-2-GB.msg", "unreadable-file").write_bytes(bytes(claims))
    locked = bytearray(zipped({"locked.xlsx": melton}))
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        locked[locked.find(signature) + offset] |= 1
    add("mail-encrypted-member.zip", "encrypted").write_bytes(bytes(locked))
    twice = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(twice, "w") as z:
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns of the duplicate name it is asked to write
        z.writestr("return.xlsx", melton)
        z.writestr("return.xlsx", blaby)
    add("mail-two-files-one-name.zip").write_bytes(twice.getvalue())  # each read, under a name of its own
    add("mail-not-an-email.eml", "wrong-format").write_bytes(b"\x00\x01binary pretending to be an email")
    add("mail-no-workbook.eml", "no-return-attached", "attachment-skipped").write_bytes(
        eml("Thanks", "a@example.org", [("letter.pdf", b"%PDF-1.7\n%%EOF\n")]))

    # --- OpenDocument
    source = _good(folder, plan, "_ods-source.xlsx", "Harborough District Council")
    add("ods-saved-by-a-partner.ods").write_bytes(from_xlsx(source))
    source.replace(kept / "ods-saved-by-a-partner.xlsx")
    source = _good(folder, plan, "_ods-repeats.xlsx", "Harborough District Council")
    everywhere = ('<table:table-row table:number-rows-repeated="1048000"><table:table-cell '
                  'table:number-columns-repeated="16384" office:value-type="string"><text:p>x</text:p>'
                  "</table:table-cell></table:table-row>")
    add("ods-repeated-million-rows.ods", "too-large").write_bytes(from_xlsx(source, {IR: everywhere}))
    far = '<table:table-row table:number-rows-repeated="999999"><table:table-cell/></table:table-row>' \
          '<table:table-row><table:table-cell office:value-type="string"><text:p>stray</text:p>' \
          "</table:table-cell></table:table-row>"
    add("ods-stray-cell-far-down.ods", "too-large").write_bytes(from_xlsx(source, {RA: far}))
    source.unlink()
    add("ods-zip-bomb.ods", "too-large").write_bytes(
        ods(content(table("S", "<table:table-row>" + " " * (150 * MiB) + "</table:table-row>"))))
    add("ods-xml-bomb.ods", "unsafe-file").write_bytes(ods(
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>' + content("")[38:]))
