"""The desk over real HTTP, started as the coordinator starts it (`plan-workbook desk --no-browser`): what the
page shows is what the command line finds, every download opens, and the protections refuse what they should."""

from __future__ import annotations

import hashlib
import io
import re
import socket
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from markupsafe import escape  # as the page's templates escape
from openpyxl import load_workbook

from desk_run import Running, desk_command, samples
from plan_workbook import service
from plan_workbook.plan import Plan
from plan_workbook.sources import Source, from_bytes


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    with desk_command("--store", str(tmp_path_factory.mktemp("desk") / "rounds.sqlite")) as running:
        running.enter()
        yield running


@pytest.fixture(scope="module")
def checked(desk: Running) -> str:
    """The six sample returns dropped into a first round: the page that follows."""
    assert desk.get("/").text.count("Start a round") >= 1
    assert desk.start_round().status == 303
    answer = desk.upload(samples())
    assert answer.status == 303, answer.text
    assert answer.headers["location"] == "/?done=added&n=6#problems"
    page = desk.get("/?done=added&n=6")
    assert page.status == 200
    assert "6 file(s) added and checked." in page.text
    assert "Nonsense" not in desk.get("/?done=Nonsense").text  # the address cannot put words on the page
    return page.text


def uploaded() -> list[Source]:
    """The samples as the desk has them: named bytes."""
    return [from_bytes(name, data) for name, data in samples()]


def words(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_page_shows_what_the_command_line_finds(checked: str, plan: Plan) -> None:
    result = service.check(plan, uploaded())
    assert result.problems
    for p in result.problems:  # every problem, with its sheet, cell and message
        row = re.search(rf"<th scope=\"row\">{re.escape(escape(p.sheet or 'Whole file'))}</th><td>"
                        rf"{re.escape(escape(p.cell))}</td>.*?<td>{re.escape(escape(p.message))}</td>", checked, re.S)
        assert row, p
    shown = words(checked)
    f = result.figures
    assert f"Returns received {f.returns_received} of {f.returns_expected}" in shown
    assert f"Actions {f.actions}" in shown
    assert f"Errors to fix {f.errors}" in shown
    errors = {p: sum(f["errors"] for f in result.file_rows() if f["partner"] == p) for p in result.partner_states}
    for partner, state in result.partner_states.items():  # a word for each partner's state, never colour alone
        cell = re.search(rf"<th scope=\"row\">{re.escape(escape(partner))}</th>\s*<td><span class=\"state "
                         r"state-(\w+)\">([^<]+)</span>", checked)
        assert cell, partner
        assert cell.group(1) == ("fix" if state == "received" and errors[partner] else state)
        assert cell.group(2).strip()
    assert "Problems to fix" in shown
    assert "Missing" in shown
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in checked  # the status-by-priority chart


def test_downloads_open_and_match_the_command_line(desk: Running, checked: str, plan: Plan, tmp_path: Path) -> None:
    summary = desk.get("/summary.xlsx")
    assert summary.status == 200
    assert summary.headers["content-disposition"] == 'attachment; filename="summary-Q4-2021-22.xlsx"'
    (tmp_path / "summary.xlsx").write_bytes(summary.body)
    book = load_workbook(tmp_path / "summary.xlsx")
    assert "Returns" in book.sheetnames
    mine = tmp_path / "cli.xlsx"
    result = service.run_round(plan, uploaded(), mine, date(2022, 3, 31))
    theirs = load_workbook(mine)
    assert [[c.value for c in r] for r in book["Returns"].iter_rows()] == \
        [[c.value for c in r] for r in theirs["Returns"].iter_rows()]

    feedback = zipfile.ZipFile(io.BytesIO(desk.get("/feedback.zip").body))
    assert len(feedback.namelist()) == sum(1 for f in result.file_rows() if f["errors"] or f["warnings"])
    for name in feedback.namelist():
        assert load_workbook(io.BytesIO(feedback.read(name))).sheetnames

    board = desk.get("/board.html")
    assert board.headers["content-type"].startswith("text/html")
    assert board.headers["content-disposition"].startswith("attachment;")
    assert plan.title in board.text

    blank = desk.get("/template.xlsx")
    assert load_workbook(io.BytesIO(blank.body)).sheetnames[0]
    personal = zipfile.ZipFile(io.BytesIO(desk.get("/templates.zip").body))
    assert len(personal.namelist()) == len(plan.returning_partners)

    chase = desk.get("/chase").text
    expected = service.chase(plan, mine, date(2022, 3, 31))
    assert expected
    for partner, text in expected:
        assert escape(text) in chase
        assert f"Message to {escape(partner)}" in chase
    assert chase.count('href="mailto:?subject=') == len(expected)


def test_the_next_round_and_its_workbooks(desk: Running, checked: str, plan: Plan, tmp_path: Path) -> None:
    assert desk.get("/workbooks.zip").status == 400  # the first round has nothing to roll forward
    assert desk.start_round("Q4 2021/22", "2022-06-30").status == 400  # a name already used
    assert desk.start_round("", "2022-06-30").status == 303  # named as merge names it
    page = desk.get("/").text
    assert "<h1>Q1 2022/23</h1>" in page
    assert "No returns yet" in page
    rolled = zipfile.ZipFile(io.BytesIO(desk.get("/workbooks.zip").body))
    service.run_round(plan, uploaded(), tmp_path / "summary.xlsx", date(2022, 3, 31))
    cli = service.roll_forward(plan, tmp_path / "summary.xlsx", tmp_path / "next", "Q1 2022/23")
    assert sorted(rolled.namelist()) == sorted(p.name for p in cli)
    for path in cli:  # the same workbooks, pre-filled with the same actions
        mine = load_workbook(io.BytesIO(rolled.read(path.name)))
        theirs = load_workbook(path)
        assert [[c.value for c in r] for ws in mine for r in ws.iter_rows()] == \
            [[c.value for c in r] for ws in theirs for r in ws.iter_rows()]
    assert desk.upload(samples()[:3]).status == 303
    page = desk.get("/rounds").text
    assert '<h2 id="trend">Trend across rounds</h2>' in page  # the board page's section, from the store
    assert "2 rounds, oldest first." in page
    assert '<h3 id="stuck">Stuck actions</h3>' in page
    assert '<h3 id="timeliness">Partner timeliness</h3>' in page
    rounds = words(page)
    assert "Q4 2021/22 31 March 2022 6 of 17" in rounds
    assert "Q1 2022/23 30 June 2022 3 of 17" in rounds


def test_every_answer_carries_the_strict_headers(desk: Running) -> None:
    for path in ("/", "/chase", "/rounds", "/static/desk.css", "/nowhere"):
        h = desk.get(path).headers
        assert h["content-security-policy"].startswith("default-src 'self'")
        assert "frame-ancestors 'none'" in h["content-security-policy"]
        assert "script-src 'self';" in h["content-security-policy"]
        assert "unsafe-inline" not in h["content-security-policy"]
        assert h["x-content-type-options"] == "nosniff"
        assert h["referrer-policy"] == "no-referrer"
        assert h["cache-control"] == "no-store"


def test_another_host_is_refused(desk: Running) -> None:
    for host in ("evil.example", f"evil.example:{desk.port}", "127.0.0.1", f"127.0.0.2:{desk.port}"):
        answer = desk.get("/", host=host)
        assert answer.status == 421, host
        assert "Q1" not in answer.text
        assert "Partner" not in answer.text
    assert desk.get("/", host=f"localhost:{desk.port}").status == 200


def test_no_token_no_page(desk: Running) -> None:
    for path in ("/", "/summary.xlsx", "/static/desk.css", "/chase"):
        answer = desk.get(path, cookie=False)
        assert answer.status == 403, path
        assert b"Partner" not in answer.body
    assert desk.get("/?token=wrong", cookie=False).status == 403
    assert desk.request("GET", "/", headers={"Cookie": f"plan-desk-{desk.port}=wrong"}, cookie=False).status == 403
    swap = desk.get(f"/rounds?token={desk.token}", cookie=False)
    assert swap.status == 303
    assert swap.headers["location"] == "/rounds"  # the token leaves the address bar
    assert "HttpOnly" in swap.headers["set-cookie"]
    assert "SameSite=Strict" in swap.headers["set-cookie"]


def test_a_cross_site_form_is_refused(desk: Running) -> None:
    before = desk.get("/rounds").text
    form = {"form_token": desk.form_token, "name": "Forged", "as_of": "2022-01-01"}
    assert desk.post("/start", form, headers={"Origin": "http://evil.example"}).status == 403
    assert desk.post("/start", form, headers={"Sec-Fetch-Site": "cross-site"}).status == 403
    assert desk.post("/start", form, headers={"Sec-Fetch-Site": "same-site"}).status == 403
    assert desk.post("/start", form, headers={"Sec-Fetch-Site": "", "Origin": ""}).status == 403  # says nothing
    assert desk.post("/start", form, headers={"Sec-Fetch-Site": "", "Origin": "null"}).status == 403
    assert desk.post("/start", {**form, "form_token": "guess"}).status == 403
    assert desk.post("/start", {"name": "Forged", "as_of": "2022-01-01"}).status == 403
    assert desk.post("/upload", {"form_token": "guess"}, samples()[:1]).status == 403
    assert desk.get("/rounds").text == before


def test_it_listens_on_loopback_only(desk: Running) -> None:
    listening = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        if state == "0A" and int(local.split(":")[1], 16) == desk.port:  # 0A: LISTEN
            listening.add(local.split(":")[0])
    assert listening == {"0100007F"}  # 127.0.0.1
    assert not any(int(line.split()[1].split(":")[-1], 16) == desk.port
                   for line in Path("/proc/net/tcp6").read_text().splitlines()[1:] if line.split()[3] == "0A")
    for address in outside_addresses():
        with pytest.raises(ConnectionRefusedError), socket.create_connection((address, desk.port), timeout=5):
            pass


def outside_addresses() -> list[str]:
    found = set()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the outgoing interface
            found.add(s.getsockname()[0])
        except OSError:
            pass
    return sorted(a for a in found if not a.startswith("127."))


def test_errors_are_a_page_not_a_traceback(desk: Running) -> None:
    for path in ("/nowhere", "/static/../../etc/passwd"):
        answer = desk.get(path)
        assert answer.status == 404
        assert "Traceback" not in answer.text
    bad = desk.post("/start", {"form_token": desk.form_token, "name": "X", "as_of": "not a date"})
    assert bad.status == 400
    assert escape("Give the round's date as a date") in bad.text
    assert desk.get("/").status == 200


def test_without_the_extra_the_command_says_what_to_install(tmp_path: Path) -> None:
    block = tmp_path / "sitecustomize.py"  # the desk's packages made impossible to import, as when not installed
    block.write_text("import sys\nclass Block:\n    def find_spec(self, name, path=None, target=None):\n"
                     "        if name.split('.')[0] in {'starlette', 'uvicorn', 'jinja2'}:\n"
                     "            raise ModuleNotFoundError(name=name.split('.')[0])\n"
                     "sys.meta_path.insert(0, Block())\n")
    done = subprocess.run([sys.executable, "-m", "plan_workbook", "desk", "--no-browser"], capture_output=True,
                          text=True, timeout=120, env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
                          check=False)
    assert done.returncode == 2
    assert done.stderr.strip() == "Error: the desk needs a few more packages: pip install 'plan-workbook[desk]'"


def test_the_returns_are_kept_only_in_the_store(tmp_path: Path, plan: Plan) -> None:
    """Nothing but the store is left on disk: no upload spooled, no output left in the temporary folder; and a
    desk started again on the same store (here, a second one) has the round and its returns."""
    home, temp = tmp_path / "home", tmp_path / "temp"
    home.mkdir()
    temp.mkdir()
    with desk_command(cwd=home, env={"TMPDIR": str(temp), "PLAN_WORKBOOK_STORE": ""}) as desk:
        desk.enter()
        assert desk.start_round().status == 303
        assert desk.upload(samples()).status == 303
        for path in ("/", "/board.html", "/feedback.zip", "/templates.zip", "/chase"):
            assert desk.get(path).status == 200, path
        given = hashlib.sha256(desk.get("/summary.xlsx").body).hexdigest()
        assert sorted(p.name for p in home.iterdir() if not p.name.endswith(("-wal", "-shm"))) == ["rounds.sqlite"]
        # only the reading workers' forkserver socket and their error logs (what a crashing reader printed), while
        # the desk runs
        left = [p for p in temp.rglob("*") if not p.is_socket() and not p.name.startswith("pymp-")
                and not p.name.startswith("plan-workbook-workers-")
                and not (p.parent.name.startswith("plan-workbook-workers-") and p.suffix == ".log")]
        assert left == []
        recorded = service.history(plan, home / "rounds.sqlite")
        assert [r.name for r in recorded] == ["Q4 2021/22"]
        assert recorded[0].outputs["summary/summary.xlsx"] == given  # the summary given, by its SHA-256, so
        rebuilt = service.rebuild(plan, home / "rounds.sqlite", "Q4 2021/22", tmp_path / "again.xlsx")
        assert rebuilt.identical  # `plan-workbook rebuild` can prove a copy is the one the desk gave
        with desk_command("--store", str(home / "rounds.sqlite")) as again:
            again.enter()
            page = again.get("/").text
            assert "<h1>Q4 2021/22</h1>" in page
            assert page.count('<section class="return"') == 6
        assert service.history(plan, home / "rounds.sqlite") == recorded  # read back, not recorded again
    assert not [p for p in temp.iterdir() if p.name.startswith("plan-workbook-workers-")]  # the logs went too


def test_the_readme_shows_what_the_desk_prints(desk: Running) -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    shown = re.search(r"\$ plan-workbook desk\n(.*?)```", readme, re.DOTALL)
    assert shown
    expected = shown.group(1).replace("41093", str(desk.port)).replace("3kqZ…", desk.token)
    assert desk.printed == expected
