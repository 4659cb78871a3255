"""Issue 15: returns straight from the inbox. Emails (.eml, Outlook's .msg) and zip files unpacked, in memory,
to their workbook attachments, each named after where it came from; every limit a problem for that part alone."""

from __future__ import annotations

import io
import random
import struct
import warnings
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import olefile
import pytest
from oxmsg import Message

from corpus_mail import broken_storage
from mails import PNG, eml, zipped
from msgfile import Msg, MsgAttachment, write_msg
from plan_workbook.sources import mail
from plan_workbook.sources.mail import SEP, unpack
from plan_workbook.sources.source import MiB

SAMPLES = Path(__file__).parent.parent / "samples" / "returns"
REAL = Path(__file__).parent / "data" / "mail"
POLICE = (SAMPLES / "leicestershire-police.xlsx").read_bytes()
CITY = (SAMPLES / "leicester-city-council.xlsx").read_bytes()
WHEN = datetime(2022, 3, 30, 9, 0, tzinfo=UTC)


def found(name: str, data: bytes) -> tuple[list[tuple[str, int]], list[tuple[str, str]]]:
    """(attachment name, size) of each workbook, and (file, code) of each problem."""
    out = unpack(name, data)
    return [(a.name, len(a.data)) for a in out.attachments], [(p.file, p.code) for p in out.problems]


def test_an_email_gives_each_workbook_named_after_it_with_its_date_and_sender() -> None:
    data = eml("Q3 return", "Jo Smith <jo.smith@leics.police.uk>",
               [("Hate crime return.xlsx", POLICE), ("logo.png", PNG), ("City.xlsx", CITY)])
    out = unpack("police-q3.eml", data)
    assert [(a.name, a.data, a.received, a.sender) for a in out.attachments] == [
        (f"police-q3.eml{SEP}Hate crime return.xlsx", POLICE, WHEN, "jo.smith@leics.police.uk"),
        (f"police-q3.eml{SEP}City.xlsx", CITY, WHEN, "jo.smith@leics.police.uk")]
    assert [(p.file, p.code, p.severity) for p in out.problems] == [
        (f"police-q3.eml{SEP}logo.png", "attachment-skipped", "note")]


def test_forwarded_zipped_and_nested_returns_keep_the_whole_path() -> None:
    partner = eml("Our return", "ann@leicester.gov.uk", [("City.xlsx", CITY)], when=datetime(2022, 3, 1, tzinfo=UTC))
    forward = eml("Fwd: Our return", "colleague@example.org", forwards=[partner])
    archive = zipped({"returns/police.xlsx": POLICE, "returns/forwarded.eml": forward, "covering note.pdf": b"%PDF"})
    out = unpack("round.zip", archive)
    assert [(a.name, a.received, a.sender) for a in out.attachments] == [
        (f"round.zip{SEP}returns/police.xlsx", None, ""),  # a zip given on its own has no date or sender
        (f"round.zip{SEP}returns/forwarded.eml{SEP}Our return.eml{SEP}City.xlsx",
         datetime(2022, 3, 1, tzinfo=UTC), "ann@leicester.gov.uk")]  # the email that held the workbook
    assert [(p.file, p.code) for p in out.problems] == [(f"round.zip{SEP}covering note.pdf", "attachment-skipped")]
    assert out.containers == 3


def test_an_email_without_a_workbook_says_so_by_name() -> None:
    _, problems = found("thanks.eml", eml("Thanks", "a@b.org", [("letter.pdf", b"%PDF-1.7")]))
    assert problems == [(f"thanks.eml{SEP}letter.pdf", "attachment-skipped"), ("thanks.eml", "no-return-attached")]
    out = unpack("thanks.eml", eml("Thanks", "a@b.org", [("letter.pdf", b"%PDF-1.7")]))
    assert "letter.pdf" in out.problems[-1].message
    assert found("empty.zip", zipped({})) == ([], [("empty.zip", "no-return-attached")])


def test_real_outlook_messages_are_read() -> None:
    """Two messages Outlook wrote (tests/data/mail/SOURCE.md): a picture attached, and nothing attached."""
    out = unpack("outlook-message.msg", (REAL / "outlook-message.msg").read_bytes())
    assert out.emails == [("outlook-message.msg", datetime(2020, 10, 6, 9, 57, 46, 658000, tzinfo=UTC),
                           "bedfortest@tutanota.de")]
    assert [(p.file, p.code) for p in out.problems] == [
        (f"outlook-message.msg{SEP}serveimage.jpg", "attachment-skipped"),
        ("outlook-message.msg", "no-return-attached")]
    out = unpack("none.msg", (REAL / "outlook-no-attachments.msg").read_bytes())
    assert out.emails == [("none.msg", None, "peterpan@neverland.com")]
    assert [p.code for p in out.problems] == ["no-return-attached"]


def _police_msg() -> Msg:
    forwarded = Msg("Fwd: City return", "ann@leicester.gov.uk", sent=datetime(2022, 3, 2, tzinfo=UTC),
                    attachments=[MsgAttachment("City.xlsx", CITY)])
    return Msg("Police return", "jo.smith@leics.police.uk", sender_name="Jo Smith", attachments=[
        MsgAttachment("Hate crime return.xlsx", POLICE), MsgAttachment("image001.png", PNG, "image/png"),
        MsgAttachment("City return", message=forwarded)])


def test_the_msg_fixtures_are_real_outlook_files() -> None:
    """Read by two readers written by others: olefile (the compound file) and python-oxmsg (the message)."""
    data = write_msg(_police_msg())
    ole = olefile.OleFileIO(data, raise_defects=olefile.DEFECT_INCORRECT)
    assert ole.exists("__substg1.0_0037001F")
    assert ole.exists("__attach_version1.0_#00000002/__substg1.0_3701000D/__attach_version1.0_#00000000")
    msg = Message.load(data)
    assert (msg.subject, msg.sent_date, msg.message_class) == ("Police return", WHEN, "IPM.Note")
    assert "jo.smith@leics.police.uk" in str(msg.sender)
    assert [(a.file_name, a.file_bytes) for a in msg.attachments[:2]] == [
        ("Hate crime return.xlsx", POLICE), ("image001.png", PNG)]


def test_a_msg_inside_a_msg() -> None:
    out = unpack("police.msg", write_msg(_police_msg()))
    assert [(a.name, a.received, a.sender, a.data) for a in out.attachments] == [
        (f"police.msg{SEP}Hate crime return.xlsx", WHEN, "jo.smith@leics.police.uk", POLICE),
        (f"police.msg{SEP}City return{SEP}City.xlsx", datetime(2022, 3, 2, tzinfo=UTC), "ann@leicester.gov.uk", CITY)]
    assert [(p.file, p.code) for p in out.problems] == [(f"police.msg{SEP}image001.png", "attachment-skipped")]


def test_a_msg_attached_to_an_eml_and_an_eml_in_a_zip() -> None:
    inner = write_msg(Msg("Police return", "jo@leics.police.uk", attachments=[MsgAttachment("r.xlsx", POLICE)]))
    outer = eml("Fwd", "x@example.org", [("Police return.msg", inner)])
    names, problems = found("batch.zip", zipped({"fwd.eml": outer}))
    assert names == [(f"batch.zip{SEP}fwd.eml{SEP}Police return.msg{SEP}r.xlsx", len(POLICE))]
    assert problems == []


def test_nesting_deeper_than_the_limit_is_refused_and_the_rest_is_read() -> None:
    assert mail.MAX_DEPTH == 3
    level4 = eml("level 4", "a@b.org", [("deep.xlsx", POLICE)])
    level3 = eml("level 3", "a@b.org", forwards=[level4])  # forwarded emails are named by their subject
    names, problems = found("top.zip", zipped({"level 2.eml": eml("level 2", "a@b.org", forwards=[level3]),
                                               "ok.xlsx": CITY}))
    assert names == [(f"top.zip{SEP}ok.xlsx", len(CITY))]
    # zip, email, email: three levels opened; the fourth is not
    assert problems == [(f"top.zip{SEP}level 2.eml{SEP}level 3.eml{SEP}level 4.eml", "too-large")]


def test_a_zip_bomb_and_too_much_unpacked_are_refused() -> None:
    bomb = zipped({"bomb.xlsx": b"\0" * (200 * MiB), "ok.xlsx": CITY})
    names, problems = found("bomb.zip", bomb)
    assert names == [(f"bomb.zip{SEP}ok.xlsx", len(CITY))]
    assert problems == [(f"bomb.zip{SEP}bomb.xlsx", "too-large")]
    # each file compresses within the ratio, but together they unpack past the limit for one file given
    member = random.Random(15).randbytes(40_000) + b"\0" * (3 * MiB - 40_000)
    many = zipped({f"r{i:02}.xlsx": member for i in range(40)})
    names, problems = found("many.zip", many)
    assert len(names) == mail.MAX_UNPACKED_BYTES // len(member)
    assert problems == [("many.zip", "too-large")]


def test_too_many_attachments_and_oversized_files() -> None:
    names, problems = found("many.zip", zipped({f"{i}.txt": b"x" for i in range(mail.MAX_ATTACHMENTS + 5)}))
    assert names == []
    assert problems[-1] == ("many.zip", "too-large")
    assert len(problems) == mail.MAX_ATTACHMENTS + 1  # each skipped file noted, then the limit
    assert found("huge.eml", b"From: a@b\r\n\r\n" + b"x" * mail.MAX_MESSAGE_BYTES) == ([], [("huge.eml", "too-large")])


def test_an_email_of_countless_parts_is_refused_before_it_is_parsed() -> None:
    """500,000 empty parts in 17 MB: the standard library's parser would take minutes over them."""
    parts = b"--b\r\nContent-Type: text/plain\r\n\r\nx\r\n" * 500_000
    data = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n" + parts + b"--b--"
    assert found("parts.eml", data) == ([], [("parts.eml", "too-large")])
    assert "500,001 part boundaries" in unpack("parts.eml", data).problems[0].message


def test_path_traversal_and_encrypted_members_are_named_and_never_read() -> None:
    data = zipped({"../../../etc/cron.d/evil.xlsx": POLICE, "/abs/evil.xlsx": POLICE, "C:\\evil.xlsx": POLICE,
                   "good.xlsx": CITY})
    names, problems = found("returns.zip", data)
    assert names == [(f"returns.zip{SEP}good.xlsx", len(CITY))]
    assert sorted(problems) == sorted([(f"returns.zip{SEP}../../../etc/cron.d/evil.xlsx", "unsafe-file"),
                                       (f"returns.zip{SEP}/abs/evil.xlsx", "unsafe-file"),
                                       (f"returns.zip{SEP}C:\\evil.xlsx", "unsafe-file")])
    names, problems = found("locked.zip", encrypted_member_zip())
    assert problems == [(f"locked.zip{SEP}locked.xlsx", "encrypted")]


def encrypted_member_zip() -> bytes:
    """A zip whose one member says it is encrypted (flag bit 0), as a password-protected zip's members do."""
    data = bytearray(zipped({"locked.xlsx": POLICE}))
    for signature, at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # local header, central directory
        i = data.find(signature)
        data[i + at] |= 1
    return bytes(data)


def test_a_msg_with_broken_storage_is_one_problem_and_the_rest_goes_on() -> None:
    good = write_msg(_police_msg())
    names, problems = found("batch.zip", zipped({"broken.msg": broken_storage(good), "ok.xlsx": CITY}))
    assert names == [(f"batch.zip{SEP}ok.xlsx", len(CITY))]
    assert problems == [(f"batch.zip{SEP}broken.msg", "unreadable-file")]
    assert found("short.msg", good[:1500]) == ([], [("short.msg", "unreadable-file")])


def test_a_stream_claiming_more_than_its_file_holds_is_refused() -> None:
    data = bytearray(write_msg(_police_msg()))
    name = "__substg1.0_37010102".encode("utf-16-le")
    at = data.find(name)  # the first attachment's data stream entry in the directory
    assert at > 0
    struct.pack_into("<I", data, at + 120, 0x7FFFFFFF)  # its stream size
    assert found("claims.msg", bytes(data)) == ([], [("claims.msg", "unreadable-file")])


@pytest.mark.parametrize(("name", "data", "code"), [
    ("junk.eml", b"\x00\x01\x02 not an email", "wrong-format"),
    ("junk.msg", b"Just some text", "wrong-format"),
    ("cut.zip", zipped({"a.xlsx": POLICE})[:300], "unreadable-file"),
])
def test_containers_that_are_not_what_they_say(name: str, data: bytes, code: str) -> None:
    assert found(name, data) == ([], [(name, code)])


def test_names_are_shown_on_one_line() -> None:
    """A file name can hold a line break (RFC 2231 encoding); it must not start a line of its own anywhere."""
    good = eml("x", "a@b.org", [("PLACEHOLDER.xlsx", POLICE)])
    data = good.replace(b'filename="PLACEHOLDER.xlsx"', b"filename*=utf-8''evil%0ATo%3A%20everyone.xlsx")
    (attachment,) = unpack("m.eml", data).attachments
    assert attachment.name == f"m.eml{SEP}evil\\nTo: everyone.xlsx"
    assert attachment.data == POLICE


def test_two_files_of_one_name_get_names_of_their_own() -> None:
    """Every return's name must be unique (a merge refuses two of one name): a zip may hold two files of one
    name, an email two attachments of one name."""
    assert [a.name for a in unpack("twice.zip", _duplicate_zip()).attachments] == [
        f"twice.zip{SEP}r.xlsx", f"twice.zip{SEP}r.xlsx (2)"]
    both = eml("Two", "a@b.org", [("r.xlsx", POLICE), ("r.xlsx", CITY)])
    assert [(a.name, a.data) for a in unpack("m.eml", both).attachments] == [
        (f"m.eml{SEP}r.xlsx", POLICE), (f"m.eml{SEP}r.xlsx (2)", CITY)]


def _duplicate_zip() -> bytes:
    out = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(out, "w") as z:
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns of the duplicate it is asked to write
        z.writestr("r.xlsx", POLICE)
        z.writestr("r.xlsx", CITY)
    return out.getvalue()
