"""The coordinator's desk: the whole round in a local web page (`plan-workbook desk`).

It serves on 127.0.0.1 only, at an address with a secret token made at start-up; see safety.py for its
protections. The pages call the service only (work.py), like the command line.
"""

from __future__ import annotations

import secrets
import signal
import socket
import sys
import threading
import webbrowser
from collections.abc import Callable
from pathlib import Path

from .. import service
from ..plan import Plan

WARM_WORKERS = 2  # reading workers kept for the desk: a round's returns are read two at a time

__all__ = ["listen", "load_web_stack", "serve"]


def load_web_stack() -> None:
    """Import the web packages (the [desk] extra) now, so a missing one is named before anything starts."""
    import uvicorn  # noqa: F401

    from . import app  # noqa: F401  (Starlette, Jinja2, python-multipart)


def listen(port: int = 0) -> socket.socket:
    """A socket on the loopback address only (port 0: any free one)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(128)  # from now on a browser opening the printed address waits, never finds it refused
    return sock


def serve(plan: Plan, store: Path, port: int = 0, open_browser: bool = True,
          echo: Callable[[str], object] = print) -> None:
    """Serve the desk for the rounds in `store` until Ctrl+C, printing its address (with the token) and opening it
    in the browser. The web stack is imported only here: the reading workers import desk.containers."""
    import uvicorn

    from .app import create_app
    from .safety import Guard, Secret
    from .shelf import Shelf
    from .work import Desk

    shelf = Shelf(plan, store)  # a store that cannot be used is refused before anything listens
    # the reading workers stay up between drops, so a return dropped is checked without starting them again
    with service.open_checker(plan, WARM_WORKERS) as checker:
        sock = listen(port)
        secret = Secret(secrets.token_urlsafe(32), sock.getsockname()[1])
        app: Guard = create_app(Desk(plan, shelf, checker.check), secret)
        url = f"http://127.0.0.1:{secret.port}/?token={secret.token}"
        echo(f"The desk for {plan.title} is at\n  {url}\nKeep this address to yourself. Press Ctrl+C to stop.")
        if open_browser:
            threading.Timer(0.5, webbrowser.open, [url]).start()
        if threading.current_thread() is threading.main_thread():  # uvicorn hands the signal back when it stops:
            signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # then end as Ctrl+C does, workers cleaned up
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", server_header=False,
                                date_header=False)
        uvicorn.Server(config).run(sockets=[sock])
