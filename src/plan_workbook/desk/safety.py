"""The desk's protections, in one ASGI layer around the whole page, so no route can forget one:

- only the Host it serves (127.0.0.1:PORT or localhost:PORT): a page on another site that points its own name
  at 127.0.0.1 (DNS rebinding) is refused;
- the secret token printed at start-up, on every request: given once in the address, it is swapped for a
  cookie (HttpOnly, SameSite=Strict, named for the port) and the address is shown again without it;
- a form may be posted only from the desk's own pages (Origin and Sec-Fetch-Site; the pages also carry a form
  token, checked where each form is read);
- a request body over the limit is cut off with a page saying so;
- strict headers on every answer (CSP default-src 'self', no framing, no sniffing, no referrer, no caching);
- whatever goes wrong, a plain error page, never a traceback, and the server goes on.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from dataclasses import dataclass
from html import escape
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, urlencode

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger("plan_workbook.desk")

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'{styles}; img-src 'self' data:; font-src 'none'; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
OTHER_HEADERS = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"),
                 (b"cache-control", b"no-store"), (b"x-frame-options", b"DENY"),
                 (b"cross-origin-opener-policy", b"same-origin"), (b"cross-origin-resource-policy", b"same-origin"),
                 (b"permissions-policy", b"camera=(), microphone=(), geolocation=()")]


def headers(styles: Sequence[str] = ()) -> list[tuple[bytes, bytes]]:
    """The headers of every answer. `styles`: the only inline style attributes allowed, by hash (the status
    badges the board's tables share, in the plan's colours); no other inline style, and no inline script."""
    hashes = "".join(f" 'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" for s in styles)
    return [(b"content-security-policy", CSP.format(styles=f" 'unsafe-hashes'{hashes}" if styles else "").encode()),
            *OTHER_HEADERS]


SAFE_METHODS = {"GET", "HEAD"}


class BodyTooLarge(Exception):
    pass


@dataclass(frozen=True)
class Secret:
    """The start-up token, and what is made from it: the cookie's name and the forms' token."""

    token: str
    port: int

    @property
    def cookie(self) -> str:
        return f"plan-desk-{self.port}"  # cookies are shared between ports: one desk's never opens another

    @property
    def form_token(self) -> str:
        return hmac.new(self.token.encode(), b"form", hashlib.sha256).hexdigest()

    def form_ok(self, given: object) -> bool:
        return isinstance(given, str) and hmac.compare_digest(given, self.form_token)

    def hosts(self) -> set[str]:
        return {f"127.0.0.1:{self.port}", f"localhost:{self.port}"}


class Guard:
    def __init__(self, app: App, secret: Secret, max_body: int, styles: Sequence[str] = ()) -> None:
        self.app, self.secret, self.max_body = app, secret, max_body
        self.headers = headers(styles)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http":  # no websockets
            return
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                ours = self.headers
                message["headers"] = [(k, v) for k, v in message.get("headers", [])
                                      if k.lower() not in {h for h, _ in ours}] + ours
            await send(message)

        try:
            refusal = self.refusal(scope)
            if refusal is not None:
                status, title, text = refusal
                await page(send_with_headers, status, title, text)
                return
            swapped = self.token_in_address(scope)
            if swapped is not None:
                await send_with_headers({"type": "http.response.start", "status": 303, "headers": swapped})
                await send_with_headers({"type": "http.response.body", "body": b""})
                return
            if declared_length(scope) > self.max_body:
                raise BodyTooLarge
            await self.app(scope, self.limited(receive), send_with_headers)
        except BodyTooLarge:
            if not started:
                await page(send_with_headers, 413, "Too much at once", f"The files sent at once came to more than "
                           f"{self.max_body // (1024 * 1024)} MB, so none of them were taken. Send fewer at a time.")
        except Exception as e:  # the last line of defence: a page, never a traceback, and the server goes on
            log.error("desk: %s while answering %s %s", type(e).__name__, scope.get("method"), scope.get("path"))
            if not started:
                await page(send_with_headers, 500, "Something went wrong", "The desk could not do that. Nothing "
                           "was changed by it; go back to the round and try again.")

    def refusal(self, scope: Scope) -> tuple[int, str, str] | None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        if headers.get("host", "") not in self.secret.hosts():
            return 421, "Wrong address", "The desk answers only at the address it printed when it started."
        if not self.has_token(scope, headers):
            return 403, "Open the desk from its address", ("Open the address the desk printed when it started "
                                                           "(it has a token in it), or start the desk again.")
        if scope["method"] not in SAFE_METHODS and not self.same_origin(headers):
            return 403, "Refused", "A form may be sent to the desk only from the desk's own page."
        return None

    def same_origin(self, headers: dict[str, str]) -> bool:
        """A form sent from the desk's own page. The browser says so in Sec-Fetch-Site, which no page can set;
        without it (an older browser), Origin must be the desk's. With no-referrer, browsers send Origin: null for
        a form, so that alone cannot tell."""
        site, origin = headers.get("sec-fetch-site"), headers.get("origin")
        if site is not None:
            return site == "same-origin" and (origin in (None, "null") or self.own(origin))
        return origin is not None and self.own(origin)

    def own(self, origin: str) -> bool:
        return origin.startswith("http://") and origin.removeprefix("http://") in self.secret.hosts()

    def has_token(self, scope: Scope, headers: dict[str, str]) -> bool:
        cookie: SimpleCookie = SimpleCookie()
        try:
            cookie.load(headers.get("cookie", ""))
        except Exception:  # a malformed cookie header is no token
            return self.query_token(scope) is not None
        morsel = cookie.get(self.secret.cookie)
        if morsel is not None and hmac.compare_digest(morsel.value.encode(), self.secret.token.encode()):
            return True
        return self.query_token(scope) is not None

    def query_token(self, scope: Scope) -> str | None:
        query: list[tuple[str, str]] = parse_qsl(scope.get("query_string", b"").decode("latin-1"))
        given = next((v for k, v in query if k == "token"), None)
        if given is not None and hmac.compare_digest(given.encode(), self.secret.token.encode()):
            return given
        return None

    def token_in_address(self, scope: Scope) -> list[tuple[bytes, bytes]] | None:
        """The headers that swap a token in the address for the cookie and show the address without it."""
        if self.query_token(scope) is None or scope["method"] not in SAFE_METHODS:
            return None
        rest = [(k, v) for k, v in parse_qsl(scope.get("query_string", b"").decode("latin-1")) if k != "token"]
        where = scope.get("path", "/") + (f"?{urlencode(rest)}" if rest else "")
        cookie = f"{self.secret.cookie}={self.secret.token}; Path=/; HttpOnly; SameSite=Strict"
        return [(b"location", where.encode("latin-1")), (b"set-cookie", cookie.encode("latin-1"))]

    def limited(self, receive: Receive) -> Receive:
        """The body as it comes, cut off past the limit (a body sent in chunks declares no length)."""
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_body:
                raise BodyTooLarge
            return message

        return counted


def declared_length(scope: Scope) -> int:
    value = dict(scope.get("headers", [])).get(b"content-length", b"0")
    try:
        return int(value)
    except ValueError:
        return 0


def plain_page(title: str, text: str) -> str:
    """A page of its own (no template, no stylesheet it could fail to find)."""
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)} - Plan desk</title>'
            f'</head><body><main><h1>{escape(title)}</h1><p>{escape(text)}</p><p><a href="/">Back to the round'
            "</a></p></main></body></html>")


async def page(send: Send, status: int, title: str, text: str) -> None:
    body = plain_page(title, text).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/html; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
