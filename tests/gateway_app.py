"""The app served over real HTTP on 127.0.0.1, for gateways that call it back (the Android
phone's webhooks, Kannel's smsbox), a wait for what they do in the background, and what the
gateway tests count."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from flask import Flask
from sqlalchemy import func, select
from werkzeug.serving import BaseWSGIServer, make_server

from booking.models import Outbox
from plumbing.db import database_of as database

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


def count(app: Flask, model: type[Any]) -> int:
    """How many rows of `model` the app's database holds."""
    with database(app).transaction() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def replies(app: Flask) -> list[Outbox]:
    """The replies in the outbox, oldest first."""
    with database(app).transaction() as s:
        return list(s.scalars(select(Outbox).where(Outbox.kind == "reply").order_by(Outbox.id)))
