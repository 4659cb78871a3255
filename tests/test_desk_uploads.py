"""Uploads to the desk: every file of the hostile corpus, dropped one at a time, gives the command line's own
problems on the page and the desk goes on serving; too many files or too many bytes at once are refused whole."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from html import unescape
from pathlib import Path

import pytest
from markupsafe import escape

from corpus import make_corpus
from desk_run import Running, desk_thread, samples
from plan_workbook import service
from plan_workbook.desk.app import Limits, create_app
from plan_workbook.desk.safety import Guard, Secret
from plan_workbook.desk.shelf import Shelf
from plan_workbook.desk.work import Desk
from plan_workbook.plan import Plan
from plan_workbook.service import Checker
from plan_workbook.sources.source import MAX_FILE_BYTES


def app_for(plan: Plan, store: Path, limits: Limits | None = None, checker: Checker | None = None
            ) -> Callable[[Secret], Guard]:
    desk = Desk(plan, Shelf(plan, store), checker.check if checker else None)
    return lambda secret: create_app(desk, secret, limits or Limits())


@pytest.fixture(scope="module")
def desk(plan: Plan, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """A desk whose reading workers stay up, as `plan-workbook desk` runs it: every hostile file goes to them."""
    store = tmp_path_factory.mktemp("desk") / "rounds.sqlite"
    with service.open_checker(plan, 2) as checker, desk_thread(app_for(plan, store, checker=checker)) as running:
        running.enter()
        assert running.start_round().status == 303
        yield running


def test_the_hostile_corpus_one_by_one(desk: Running, plan: Plan, tmp_path: Path) -> None:
    cases = make_corpus(tmp_path, plan)
    dropped = 0
    for name in sorted(cases):
        path = tmp_path / name
        if path.is_symlink() or not path.is_file():  # a pipe or a link cannot be chosen in a browser
            continue
        answer = desk.upload([(name, path.read_bytes())])
        assert answer.status == 303, (name, answer.text[:500])
        page = desk.get("/")
        assert page.status == 200, name
        assert "Traceback" not in page.text
        # the command line given the same file finds the same problems, each shown on the page
        sources, notes = service.find_sources([path])
        cli = service.check(plan, sources, notes=notes)
        for p in [*cli.problems, *cli.notes]:
            assert str(escape(p.message)) in page.text, (name, p.code, p.message)
        for kept in re.findall(r'<input type="hidden" name="name" value="([^"]*)">', page.text):
            assert desk.post("/remove", {"form_token": desk.form_token, "name": unescape(kept)}).status == 303
        dropped += 1
    assert dropped >= 80
    assert desk.get("/").status == 200


def test_a_file_over_the_limit_is_refused_by_the_guard(desk: Running) -> None:
    big = b"PK\x03\x04" + b"\0" * (MAX_FILE_BYTES + 10)
    answer = desk.upload([("huge.xlsx", big)])
    assert answer.status == 303
    page = desk.get("/").text
    assert re.search(r'<span class="severity sev-error">Must be fixed</span></td>\s*<td>[^<]*MB', page)
    assert "huge.xlsx" in page
    assert desk.post("/remove", {"form_token": desk.form_token, "name": "huge.xlsx"}).status == 303


def test_too_many_files_or_bytes_at_once(plan: Plan, tmp_path: Path) -> None:
    with desk_thread(app_for(plan, tmp_path / "rounds.sqlite", Limits(files=3, body=2 * 1024 * 1024))) as desk:
        desk.enter()
        assert desk.start_round().status == 303
        four = samples()[:4]
        answer = desk.upload(four)
        assert answer.status == 413
        assert "At most 3 files can be dropped at once" in answer.text
        assert "No returns yet" in desk.get("/").text  # none of them was taken
        answer = desk.upload([("big.xlsx", b"x" * (3 * 1024 * 1024))])
        assert answer.status == 413
        assert "more than 2 MB" in answer.text
        assert "No returns yet" in desk.get("/").text
        assert desk.upload(four[:3]).status == 303  # and the desk goes on
        assert desk.get("/").text.count('<section class="return"') == 3
