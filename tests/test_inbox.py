"""Issue 15 through the real CLI: a folder of saved emails (.eml, Outlook's .msg) holding the sample returns
merges to exactly the sample files' actions, every provenance naming its email; returns LibreOffice saved as
.ods merge with nothing lost; validate and feedback take both; the plan's email domains are checked."""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from checks import assert_nothing_lost, table
from conftest import IR, RA, SC, MakeReturn, action
from faulty import open_or_abort
from mails import PNG, eml, zipped
from msgfile import Msg, MsgAttachment, write_msg
from plan_workbook import layout as L
from plan_workbook.cli import main
from plan_workbook.outputs.feedback import ODS_NOTE
from plan_workbook.plan import Plan, default_plan_path
from plan_workbook.sources import emails
from plan_workbook.sources.mail import SEP
from plan_workbook.sources.source import MiB

SAMPLES = Path(__file__).parent.parent / "samples" / "returns"


def sample(name: str) -> bytes:
    return (SAMPLES / f"{name}.xlsx").read_bytes()


def inbox(folder: Path) -> dict[str, str]:
    """The six sample returns as a coordinator's inbox saves them; {attachment as named: sample file}."""
    folder.mkdir()
    (folder / "police-q3.eml").write_bytes(eml(
        "Q3 return", "Jo Smith <jo.smith@leics.police.uk>",
        [("Hate crime return.xlsx", sample("leicestershire-police")), ("logo.png", PNG)]))
    (folder / "city-and-fire.msg").write_bytes(write_msg(Msg("Two returns", "returns@leicester.gov.uk", attachments=[
        MsgAttachment("City.xlsx", sample("leicester-city-council")),
        MsgAttachment("Fire.xlsx", sample("leicestershire-fire-and-rescue-service"))])))
    charnwood = eml("Charnwood return", "cbc@charnwood.gov.uk",
                    [("Charnwood.xlsx", sample("charnwood-borough-council"))])
    (folder / "fwd-charnwood.eml").write_bytes(eml("Fwd: Charnwood return", "colleague@example.org",
                                                   forwards=[charnwood]))
    (folder / "rutland.eml").write_bytes(eml("Rutland", "rcc@rutland.gov.uk", [
        ("returns.zip", zipped({"Rutland/rutland.xlsx": sample("rutland-county-council")}))]))
    victim_first = Msg("VF return", "vf@victimfirst.org.uk", attachments=[
        MsgAttachment("Victim First.xlsx", sample("victim-first"))])
    (folder / "fw-victim-first.msg").write_bytes(write_msg(Msg("FW: VF return", "colleague@example.org", attachments=[
        MsgAttachment("VF return", message=victim_first)])))
    (folder / "thanks.eml").write_bytes(eml("Thanks", "a@example.org", [("letter.pdf", b"%PDF-1.7\n%%EOF\n")]))
    (folder / "hostile.zip").write_bytes(zipped({"bomb.xlsx": b"\0" * (200 * MiB),
                                                 "../../evil.xlsx": sample("victim-first")}))
    f = str(folder)
    return {f"{f}/police-q3.eml{SEP}Hate crime return.xlsx": "leicestershire-police",
            f"{f}/city-and-fire.msg{SEP}City.xlsx": "leicester-city-council",
            f"{f}/city-and-fire.msg{SEP}Fire.xlsx": "leicestershire-fire-and-rescue-service",
            f"{f}/fwd-charnwood.eml{SEP}Charnwood return.eml{SEP}Charnwood.xlsx": "charnwood-borough-council",
            f"{f}/rutland.eml{SEP}returns.zip{SEP}Rutland/rutland.xlsx": "rutland-county-council",
            f"{f}/fw-victim-first.msg{SEP}VF return{SEP}Victim First.xlsx": "victim-first"}


def fingerprint(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def merged(paths: list[Path], out: Path) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(main, ["merge", *map(str, paths), "--out", str(out), "--format", "json",
                                       "--as-of", "2022-03-31"])
    assert "Traceback" not in result.output
    return result.exit_code, json.loads(result.output)


def without_source(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k != "Source file"} for r in rows]


def test_a_folder_of_emails_merges_to_the_same_actions_as_the_sample_files(tmp_path: Path) -> None:
    folder = tmp_path / "inbox"
    names = inbox(folder)
    before = fingerprint(folder)
    code, data = merged([folder], tmp_path / "mail.xlsx")
    expected_code, expected = merged([SAMPLES], tmp_path / "files.xlsx")
    assert fingerprint(folder) == before  # the emails untouched, and nothing written beside them
    assert code == expected_code == 1

    got, want = table(tmp_path / "mail.xlsx", "Actions"), table(tmp_path / "files.xlsx", "Actions")
    assert len(got) == len(want) == 16
    # the same actions, each named after the email it came in, in the same order of partners
    by_sample = {str(SAMPLES / f"{stem}.xlsx"): name for name, stem in names.items()}
    assert sorted(without_source(got), key=repr) == sorted(without_source(want), key=repr)
    assert Counter(r["Source file"] for r in got) == Counter(by_sample[r["Source file"]] for r in want)

    # the same problems for each return, each naming its email; plus the emails' own
    def problems(d: dict[str, Any], rename: dict[str, str]) -> Counter[tuple[str, ...]]:
        return Counter((rename.get(p["file"], p["file"]), p["sheet"], p["cell"], p["code"], p["value"])
                       for p in d["problems"])

    mine = problems(data, {})
    theirs = problems(expected, by_sample)
    assert mine - theirs == Counter({
        (f"{folder}/police-q3.eml{SEP}logo.png", "", "", "attachment-skipped", ""): 1,
        (f"{folder}/thanks.eml{SEP}letter.pdf", "", "", "attachment-skipped", ""): 1,
        (f"{folder}/thanks.eml", "", "", "no-return-attached", ""): 1,
        (f"{folder}/hostile.zip{SEP}bomb.xlsx", "", "", "too-large", ""): 1,
        (f"{folder}/hostile.zip{SEP}../../evil.xlsx", "", "", "unsafe-file", "../../evil.xlsx"): 1})
    assert not theirs - mine

    files = {f["file"]: f for f in data["files"]}
    assert {n: (files[n]["partner"], files[n]["actions"]) for n in names} == {
        by_sample[f["file"]]: (f["partner"], f["actions"]) for f in expected["files"]}
    assert (files[f"{folder}/police-q3.eml{SEP}Hate crime return.xlsx"]["sender"],
            files[f"{folder}/police-q3.eml{SEP}Hate crime return.xlsx"]["received"]) == (
        "jo.smith@leics.police.uk", "2022-03-30T09:00:00+00:00")
    victim = files[f"{folder}/fw-victim-first.msg{SEP}VF return{SEP}Victim First.xlsx"]
    assert victim["sender"] == "vf@victimfirst.org.uk"  # the email that held the workbook
    assert files[f"{folder}/thanks.eml"]["state"] == "empty"
    assert files[f"{folder}/hostile.zip{SEP}bomb.xlsx"]["state"] == "unreadable"
    returns = {r["File"]: r for r in table(tmp_path / "mail.xlsx", "Returns") if r["File"]}
    assert set(names) <= set(returns)
    police = returns[f"{folder}/police-q3.eml{SEP}Hate crime return.xlsx"]
    assert (police["Received"], police["From"]) == ("2022-03-30T09:00:00+00:00", "jo.smith@leics.police.uk")
    chase = CliRunner().invoke(main, ["chase", str(tmp_path / "mail.xlsx"), "--as-of", "2022-03-31"])
    assert f"Thank you for your return (city-and-fire.msg{SEP}City.xlsx)." in chase.output


def test_validate_and_feedback_take_emails(tmp_path: Path) -> None:
    folder = tmp_path / "inbox"
    inbox(folder)
    result = CliRunner().invoke(main, ["validate", str(folder / "police-q3.eml"), str(folder / "city-and-fire.msg")])
    assert result.exit_code == 0, result.output
    assert f"police-q3.eml{SEP}Hate crime return.xlsx" in result.output
    assert "3 return(s) checked, 9 actions" in result.output
    out = tmp_path / "feedback"
    result = CliRunner().invoke(main, ["feedback", str(folder), "--out-dir", str(out)])
    written = sorted(p.name for p in out.iterdir())
    assert "city-and-fire - City - feedback.xlsx" in written
    assert "fwd-charnwood - Charnwood - feedback.xlsx" in written
    wb = load_workbook(out / "city-and-fire - City - feedback.xlsx")
    assert wb.sheetnames[0] == L.FEEDBACK_SHEET
    assert wb[L.FEEDBACK_SHEET]["B5"].value == "H8"  # the City return's Red action with no Update


def test_newest_is_the_email_received_last(plan: Plan, make_return: MakeReturn, tmp_path: Path) -> None:
    older = make_return("march", "Charnwood Borough Council", {RA: [action("March stall")]})
    newer = make_return("april", "Charnwood Borough Council", {RA: [action("April stall")]})
    folder = tmp_path / "mail"
    folder.mkdir()
    # the newer return was saved earlier than the older one, but its email came later: the email decides
    (folder / "a.eml").write_bytes(eml("April", "c@charnwood.gov.uk", [("r.xlsx", newer.read_bytes())],
                                       when=datetime(2022, 4, 2, tzinfo=UTC)))
    (folder / "b.eml").write_bytes(eml("March", "c@charnwood.gov.uk", [("r.xlsx", older.read_bytes())],
                                       when=datetime(2022, 3, 2, tzinfo=UTC)))
    _, data = merged([folder], tmp_path / "s.xlsx")
    plain = CliRunner().invoke(main, ["validate", str(folder), "--format", "json", "--prefer", "newest"])
    states = {f["file"].rsplit("/", 1)[-1]: f["state"] for f in json.loads(plain.output)["files"]}
    assert states == {f"a.eml{SEP}r.xlsx": "received", f"b.eml{SEP}r.xlsx": "superseded"}
    assert [p["code"] for p in data["problems"]] == ["duplicate-return", "duplicate-return"]


def test_a_return_from_another_email_domain_is_a_warning_naming_both(make_return: MakeReturn,
                                                                      tmp_path: Path) -> None:
    text = default_plan_path().read_text(encoding="utf-8").replace(
        'aliases = ["Police", "Leics Police", "LP"]', 'aliases = ["Police", "Leics Police", "LP"]\n'
        'domains = ["leics.police.uk"]')
    plan_file = tmp_path / "plan.toml"
    plan_file.write_text(text, encoding="utf-8")
    data = make_return("police", "Leicestershire Police", {RA: [action()]}).read_bytes()
    folder = tmp_path / "mail"
    folder.mkdir()
    (folder / "home.eml").write_bytes(eml("Return", "Jo <jo.smith@gmail.com>", [("r.xlsx", data)]))
    (folder / "work.eml").write_bytes(eml("Return", "jo.smith@leics.police.uk", [("r.xlsx", data)]))
    (folder / "sub.eml").write_bytes(eml("Return", "jo@mail.leics.police.uk", [("r.xlsx", data)]))
    result = CliRunner().invoke(main, ["validate", str(folder), "--plan", str(plan_file), "--format", "json"])
    flagged = [(Path(p["file"]).name, p["value"], p["message"]) for p in json.loads(result.output)["problems"]
               if p["code"] == "sender-unexpected"]
    assert flagged == [(f"home.eml{SEP}r.xlsx", "jo.smith@gmail.com",
                        "This return was sent from jo.smith@gmail.com, but the plan lists leics.police.uk for "
                        "Leicestershire Police. Check that it really comes from them.")]
    bad = text.replace('domains = ["leics.police.uk"]', 'domains = ["jo@leics.police.uk"]')
    plan_file.write_text(bad, encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(folder), "--plan", str(plan_file)])
    assert result.exit_code == 2
    assert "domains" in result.output


@pytest.mark.libreoffice
def test_a_template_libreoffice_saved_as_ods_merges_with_nothing_lost(soffice: str, make_return: MakeReturn,
                                                                      plan: Plan, tmp_path: Path) -> None:
    rows = {RA: [action("Stall", status="green", lead="Police & VF"), action("  Leaflets  ", status="Amber",
                                                                             update="Printing\nsecond line")],
            IR: [action("Review", time_frame="Spring 2022", status="Purple")],
            SC: [action("=1+2", update="+44 116 000 0000", time_frame="Q3 2021/22")]}
    xlsx = make_return("harborough", "Harborough District Council", rows)
    done = subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless",
                           "--convert-to", "ods", "--outdir", str(tmp_path / "ods"), str(xlsx)],
                          capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr
    ods_file = tmp_path / "ods" / "harborough.ods"
    _, from_ods = merged([ods_file], tmp_path / "ods.xlsx")
    _, from_xlsx = merged([xlsx], tmp_path / "xlsx.xlsx")
    assert len(table(tmp_path / "ods.xlsx", "Actions")) == 4
    assert without_source(table(tmp_path / "ods.xlsx", "Actions")) == without_source(
        table(tmp_path / "xlsx.xlsx", "Actions"))
    assert [{k: v for k, v in p.items() if k != "file"} for p in from_ods["problems"]] == [
        {k: v for k, v in p.items() if k != "file"} for p in from_xlsx["problems"]]
    assert {p["code"] for p in from_ods["problems"]} >= {"status-invalid", "time-frame-unparsed", "status-normalised"}
    assert assert_nothing_lost(plan, tmp_path / "xlsx.xlsx", [xlsx]) >= 20  # so the .ods lost nothing either

    out = tmp_path / "feedback"
    result = CliRunner().invoke(main, ["feedback", str(ods_file), "--out-dir", str(out)])
    assert result.exit_code == 0, result.output
    copy = load_workbook(out / "harborough - feedback.xlsx")
    assert copy[L.FEEDBACK_SHEET]["A3"].value == ODS_NOTE
    cells = {(p["sheet"], p["code"]): p["cell"] for p in from_ods["problems"]}
    assert copy[IR][cells[IR, "status-invalid"]].value == "Purple"
    formula_like = next(c for row in copy[SC].iter_rows() for c in row if c.value == "=1+2")
    assert formula_like.data_type == "s"  # text, never a formula
    again = CliRunner().invoke(main, ["validate", str(out / "harborough - feedback.xlsx"), "--format", "json"])
    assert {p["code"] for p in json.loads(again.output)["problems"]} >= {"status-invalid"}


def test_an_email_that_crashes_its_worker_is_one_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Emails and zips are opened in the workers too: the standard library's email parser and the compound-file
    reader are handed hostile bytes, so whatever they do costs that one file."""
    folder = tmp_path / "mail"
    folder.mkdir()
    (folder / "crash.eml").write_bytes(eml("x", "a@example.org", [("r.xlsx", sample("victim-first"))]))
    (folder / "good.eml").write_bytes(eml("x", "a@example.org", [("r.xlsx", sample("leicestershire-police"))]))
    monkeypatch.setattr(emails, "open_container", open_or_abort)  # sent to the workers by name, like the real one
    code, data = merged([folder], tmp_path / "s.xlsx")
    assert code == 1
    crashed = [p for p in data["problems"] if p["file"].endswith("crash.eml")]
    assert [p["code"] for p in crashed] == ["unreadable-file"]
    assert "stopped by signal SIGABRT" in crashed[0]["message"]
    assert [(Path(f["file"]).name, f["state"]) for f in data["files"]] == [
        ("crash.eml", "unreadable"), (f"good.eml{SEP}r.xlsx", "received")]
