"""The app served over real HTTP on 127.0.0.1, for gateways that call it back (the Android
phone's webhooks, Kannel's smsbox), and a wait for what they do in the background."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

T = TypeVar("T")


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    """The app's base URL while it is served; `PUBLIC_URL` is set to it."""
    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_URL"] = url
    thread = threading.Thread(target=server.serve_forever, name="gateway-app", daemon=True)
    thread.start()
    try:
        yield url
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def wait_for(found: Callable[[], T | None], timeout: float = 10.0, what: str = "it") -> T:
    """`found()` once it is truthy; fails the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = found()
        if value:
            return value
        assert time.monotonic() < deadline, f"waited {timeout:g} s for {what}"
        time.sleep(0.05)
