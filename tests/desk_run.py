"""The desk for tests: started for real (the `plan-workbook desk` command in a subprocess, or the app on a
loopback socket in a thread), and spoken to over HTTP with the standard library, so every header is the test's."""

from __future__ import annotations

import http.client
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import uvicorn

from plan_workbook.desk import listen
from plan_workbook.desk.safety import Guard, Secret

SAMPLES = Path(__file__).parent.parent / "samples" / "returns"


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


@dataclass
class Running:
    port: int
    token: str
    cookies: dict[str, str] = field(default_factory=dict)
    printed: str = ""  # what `plan-workbook desk` printed on starting

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def address(self) -> str:
        """The address the desk prints, with its token."""
        return f"http://{self.host}/?token={self.token}"

    @property
    def form_token(self) -> str:
        return Secret(self.token, self.port).form_token

    def enter(self) -> None:
        """Open the printed address, as the browser would, and keep the cookie it sets."""
        answer = self.request("GET", f"/?token={self.token}", cookie=False)
        assert answer.status == 303, answer.status
        name, _, rest = answer.headers["set-cookie"].partition("=")
        self.cookies[name] = rest.split(";")[0]

    def request(self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None,
                cookie: bool = True, host: str | None = None) -> Answer:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
        sent = {k: v for k, v in {"Host": host or self.host, **(headers or {})}.items() if v}  # "": not sent
        if cookie and self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            conn.request(method, path, body=body or None, headers=sent)
            r = conn.getresponse()
            return Answer(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
        finally:
            conn.close()

    def get(self, path: str, **kw: object) -> Answer:
        return self.request("GET", path, **kw)  # type: ignore[arg-type]

    def post(self, path: str, fields: dict[str, str], files: list[tuple[str, bytes]] = (),  # type: ignore[assignment]
             headers: dict[str, str] | None = None, field_name: str = "returns") -> Answer:
        body, kind = multipart(fields, files, field_name)
        return self.request("POST", path, body, {"Content-Type": kind, "Origin": f"http://{self.host}",
                                                 "Sec-Fetch-Site": "same-origin", **(headers or {})})

    def start_round(self, name: str = "Q4 2021/22", as_of: str = "2022-03-31") -> Answer:
        return self.post("/start", {"form_token": self.form_token, "name": name, "as_of": as_of})

    def upload(self, files: list[tuple[str, bytes]]) -> Answer:
        return self.post("/upload", {"form_token": self.form_token}, files)


def multipart(fields: dict[str, str], files: list[tuple[str, bytes]], field_name: str) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items()]
    parts += [f'--{boundary}\r\nContent-Disposition: form-data; name="{field_name}"; filename="{name}"\r\n'
              f"Content-Type: application/octet-stream\r\n\r\n".encode() + data + b"\r\n" for name, data in files]
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


@contextmanager
def desk_command(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> Iterator[Running]:
    """`plan-workbook desk --no-browser` as a coordinator starts it; the address read from what it prints."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    proc = subprocess.Popen([sys.executable, "-m", "plan_workbook", "desk", "--no-browser", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=cwd)
    try:
        assert proc.stdout is not None
        printed, found = "", None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            printed += line
            found = re.search(r"http://127\.0\.0\.1:(\d+)/\?token=(\S+)", line)
            if found:
                break
        assert found, f"the desk printed no address: {printed}{proc.stderr.read() if proc.stderr else ''}"
        printed += proc.stdout.readline()
        yield Running(int(found.group(1)), found.group(2), printed=printed)
    finally:
        proc.terminate()
        proc.communicate(timeout=60)


@contextmanager
def desk_thread(app_for: object) -> Iterator[Running]:
    """An app made for its port (app_for(secret) -> Guard) served on a loopback socket in this process."""
    sock = listen(0)
    secret = Secret(uuid.uuid4().hex, sock.getsockname()[1])
    app: Guard = app_for(secret)  # type: ignore[operator]
    server = uvicorn.Server(uvicorn.Config(app, log_level="error", access_log=False, lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    try:
        yield Running(secret.port, secret.token)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


def samples() -> list[tuple[str, bytes]]:
    return [(p.name, p.read_bytes()) for p in sorted(SAMPLES.glob("*.xlsx"))]
