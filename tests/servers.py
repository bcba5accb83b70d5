"""The app behind real HTTP servers: werkzeug's threaded dev server in a thread, and gunicorn
as production runs it (`gunicorn wsgi:app`), in a process of its own."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"
# No control socket: gunicorn's default is one path per user, which servers run at once (other
# tests, a developer's own) would fight over. The access log goes where the error log goes.
GUNICORN_OPTIONS = ("--no-control-socket", "--access-logfile", "-")


@contextmanager
def dev_server(app: Flask) -> Iterator[int]:
    """werkzeug's threaded server (`antre serve`) on a free port, stopped afterwards."""
    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="dev-server", daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@contextmanager
def gunicorn(env: dict[str, str], log: Path) -> Iterator[int]:
    """`gunicorn wsgi:app`, one sync worker, its access and error logs (ours too) in `log`."""
    port = _free_port()
    with log.open("w") as out:
        server = subprocess.Popen(
            [str(GUNICORN), "-w", "1", "-b", f"127.0.0.1:{port}", *GUNICORN_OPTIONS, "wsgi:app"],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_listening(port, server)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=20)


def wait_for(log: Path, text: str, timeout: float = 10.0, count: int = 1) -> str:
    """The log's text once it holds `text` `count` times (a server writes a moment later)."""
    deadline = time.monotonic() + timeout
    while True:
        found = log.read_text()
        if found.count(text) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_listening(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("gunicorn did not start listening within 30 s")
