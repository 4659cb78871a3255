"""The desk's pages and downloads (Starlette), each a few lines over Desk; Guard (safety.py) wraps them all."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartParser
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..errors import PlanWorkbookError
from ..sources.source import MAX_FILE_BYTES
from .safety import BodyTooLarge, Guard, Secret, plain_page
from .views import SEVERITY_WORDS, badge_styles, chase_view, round_view, status_css
from .work import Desk, safe_file_name

MiB = 1024 * 1024
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Limits:
    files: int = 100  # files in one drop
    body: int = 256 * MiB  # bytes in one request
    file: int = MAX_FILE_BYTES  # one file: what is over it is refused by the guard, as for the command line
    round_files: int = 500  # returns kept in one round


def create_app(desk: Desk, secret: Secret, limits: Limits = Limits()) -> Guard:
    env = Environment(loader=PackageLoader("plan_workbook.desk"), autoescape=select_autoescape(default=True),
                      undefined=StrictUndefined)
    env.globals.update(plan=desk.plan, form_token=secret.form_token, severity_words=SEVERITY_WORDS)
    # uploads stay in memory (never spooled to a temporary file): a request is at most limits.body anyway
    MultiPartParser.spool_max_size = limits.body

    def render(name: str, status: int = 200, **context: Any) -> HTMLResponse:
        context = {"current": desk.current, "message": None, "page": name.removesuffix(".html"), **context}
        return HTMLResponse(env.get_template(name).render(**context), status_code=status)

    async def form(request: Request) -> dict[str, Any]:
        """A posted form's fields, refused without the desk's form token."""
        data = await request.form(max_files=0, max_fields=10)
        if not secret.form_ok(data.get("form_token")):
            raise HTTPException(403, "This form is out of date or not from the desk; reload the page and try again.")
        return dict(data)

    def done(request: Request) -> str | None:
        """What was just done, said by the page itself: the address names it by a word, never in its own text."""
        n, current = request.query_params.get("n", ""), desk.current
        said = {"started": f"Started {current.name}." if current else None, "removed": "Removed.",
                "added": f"{n} file(s) added and checked." if n.isdigit() else None, "none": "No files were chosen."}
        return said.get(request.query_params.get("done", ""))

    async def home(request: Request) -> Response:
        if desk.current is None:
            return render("start.html", today=date.today().isoformat(), message=done(request))
        result = await run_in_threadpool(desk.result)
        return render("round.html", **round_view(result), previous=desk.previous, message=done(request),
                      today=date.today().isoformat())

    async def start(request: Request) -> Response:
        fields = await form(request)
        try:
            as_of = date.fromisoformat(str(fields.get("as_of", "")))
        except ValueError:
            return render("start.html", 400, today=date.today().isoformat(),
                          message="Give the round's date as a date, such as 2022-03-31.")
        try:
            await run_in_threadpool(desk.start_round, str(fields.get("name", "")), as_of)
        except PlanWorkbookError as e:
            return render("start.html", 400, today=date.today().isoformat(), message=str(e))
        return RedirectResponse("/?done=started", 303)

    async def upload(request: Request) -> Response:
        try:
            data = await request.form(max_files=limits.files, max_fields=10)
        except HTTPException as e:
            too_many = "files" in str(e.detail).lower()
            return render("message.html", 413 if too_many else 400, title="Nothing was taken",
                          text=f"At most {limits.files} files can be dropped at once; none of these were taken. "
                          "Drop them in smaller groups." if too_many else "The files could not be taken; try again.")
        try:
            if not secret.form_ok(data.get("form_token")):
                raise HTTPException(403, "This form is out of date or not from the desk; reload the page and try "
                                    "again.")
            files = [f for f in data.getlist("returns") if isinstance(f, UploadFile) and f.filename]
            if not files:
                return RedirectResponse("/?done=none", 303)
            if len(desk.sources()) + len(files) > limits.round_files:
                return render("message.html", 413, title="Nothing was taken",
                              text=f"A round keeps at most {limits.round_files} returns; none of these were taken.")
            dropped = [(f.filename or "", await f.read(limits.file + 1)) for f in files]
        finally:
            await data.close()
        names = await run_in_threadpool(desk.drop, dropped)
        await run_in_threadpool(desk.result)
        return RedirectResponse(f"/?done=added&n={len(names)}#problems", 303)

    async def remove(request: Request) -> Response:
        fields = await form(request)
        await run_in_threadpool(desk.remove, str(fields.get("name", "")))
        return RedirectResponse("/?done=removed", 303)

    def download(data: bytes, name: str, kind: str) -> Response:
        return Response(data, media_type=kind, headers={"content-disposition": f'attachment; filename="{name}"'})

    def round_part() -> str:
        return safe_file_name(desk.current.name if desk.current else "")

    async def summary(_: Request) -> Response:
        made = await run_in_threadpool(desk.outputs)
        return download(made.summary, f"summary-{round_part()}.xlsx", XLSX)

    async def board(_: Request) -> Response:
        made = await run_in_threadpool(desk.outputs)
        return download(made.board, f"board-{round_part()}.html", "text/html; charset=utf-8")

    async def feedback(_: Request) -> Response:
        return download(await run_in_threadpool(desk.feedback_zip), f"feedback-{round_part()}.zip",
                        "application/zip")

    async def template(_: Request) -> Response:
        return download(await run_in_threadpool(desk.blank_template), "template.xlsx", XLSX)

    async def templates(_: Request) -> Response:
        return download(await run_in_threadpool(desk.templates_zip), "templates.zip", "application/zip")

    async def rolled(_: Request) -> Response:
        return download(await run_in_threadpool(desk.rolled_zip), f"workbooks-{round_part()}.zip",
                        "application/zip")

    async def chase(_: Request) -> Response:
        found = await run_in_threadpool(desk.chase)
        return render("chase.html", messages=chase_view(desk.plan, found))

    async def rounds(_: Request) -> Response:
        return render("rounds.html", rounds=desk.shelf.rounds(), trend=await run_in_threadpool(desk.shelf.trend_html))

    async def statuses(_: Request) -> Response:
        return Response(status_css(desk.plan), media_type="text/css")

    async def failed(request: Request, exc: Exception) -> Response:
        if isinstance(exc, BodyTooLarge):
            return HTMLResponse(plain_page("Too much at once", f"The files sent at once came to more than "
                                           f"{limits.body // MiB} MB, so none of them were taken. Send fewer at a "
                                           "time."), 413)
        if isinstance(exc, PlanWorkbookError):
            return HTMLResponse(plain_page("That could not be done", str(exc)), 400)
        if isinstance(exc, HTTPException):
            return HTMLResponse(plain_page("That could not be done" if exc.status_code != 404 else "Not found",
                                           exc.detail if exc.status_code != 404 else "There is no such page."),
                                exc.status_code)
        return HTMLResponse(plain_page("Something went wrong", "The desk could not do that. Nothing was changed "
                                       "by it; go back to the round and try again."), 500)

    routes = [
        Route("/", home), Route("/start", start, methods=["POST"]), Route("/upload", upload, methods=["POST"]),
        Route("/remove", remove, methods=["POST"]), Route("/summary.xlsx", summary), Route("/board.html", board),
        Route("/feedback.zip", feedback), Route("/template.xlsx", template), Route("/templates.zip", templates),
        Route("/workbooks.zip", rolled), Route("/chase", chase), Route("/rounds", rounds),
        Route("/status.css", statuses),
        Mount("/static", StaticFiles(packages=[("plan_workbook.desk", "static")]), name="static"),
    ]
    app = Starlette(routes=routes, exception_handlers={Exception: failed, HTTPException: failed})
    return Guard(app, secret, limits.body, badge_styles(desk.plan))
