"""A client that stops sending its request body part-way (a Content-Length of 1000 and 10 bytes,
or a chunk cut short, then the socket closed or reset) is at fault: one WARNING line and a 400
if anyone is left to read it, never an ERROR traceback. Raw sockets against real servers."""

from __future__ import annotations

import logging
import shutil
import socket
import struct
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import time_machine
from flask import Flask
from sqlalchemy import func, select

from antre import create_app
from antre import database_of as database
from antre.demo import seed
from booking.models import Booking
from plumbing.db import Database
from tests.api_helpers import bearer, issue
from tests.conftest import MONDAY_MORNING
from tests.helpers import session_id, today
from tests.servers import dev_server, gunicorn, wait_for

KEY = "s3cret"
FORM = "application/x-www-form-urlencoded"
ABANDONED = "client abandoned its request body"
# Every kind of door that reads a body: the gateways' callbacks (forms, JSON), the API (JSON
# read by api/spec.py) and the console (a form, read first by the CSRF check).
PATHS = [
    ("/sms/incoming?key=" + KEY, FORM),
    ("/ussd?key=" + KEY, FORM),
    ("/sms/android/events?key=" + KEY, "application/json"),
    ("/api/bookings", "application/json"),
    ("/console/login", FORM),
]
HOW = ["half-closed", "closed", "reset"]  # shutdown(SHUT_WR) and read the answer; FIN; RST
FRAMING = ["content-length", "chunked"]


@dataclass(frozen=True)
class Served:
    port: int
    token: str
    db: Database


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("abandoned")
    shutil.copy(sqlite_template, folder / "antre.sqlite3")
    app: Flask = create_app(
        {
            "DATABASE_URL": f"sqlite:///{folder / 'antre.sqlite3'}",
            "SECRET_KEY": "test",
            "REDIS_URL": None,
            "CALLBACK_KEY": KEY,
        }
    )
    db = database(app)
    db.run(lambda session: seed(session, MONDAY_MORNING))
    token = issue(db, "simrs", MONDAY_MORNING, facility="1001")
    with dev_server(app) as port:
        yield Served(port, token, db)
    db.dispose()


def abandon(port: int, path: str, content_type: str, how: str, framing: str, token: str) -> bytes:
    """Send the head and 10 bytes of a longer body, then give up as `how` says; the answer."""
    head = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Type: {content_type}"]
    head.append("Transfer-Encoding: chunked" if framing == "chunked" else "Content-Length: 1000")
    if path.startswith("/api/"):
        head.append(f"Authorization: Bearer {token}")
    started = "3e8\r\n" if framing == "chunked" else ""  # a chunk of 1000 bytes, never finished
    with socket.create_connection(("127.0.0.1", port), timeout=5) as client:
        client.sendall(("\r\n".join(head) + "\r\n\r\n" + started + '{"a": 1, "').encode())
        time.sleep(0.05)  # the server is reading the body now
        if how == "reset":
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return b""
        if how == "closed":
            return b""
        client.shutdown(socket.SHUT_WR)
        return client.recv(100)


@pytest.mark.parametrize("framing", FRAMING)
@pytest.mark.parametrize("how", HOW)
def test_a_body_abandoned_part_way_is_one_warning_and_a_400_never_a_traceback(
    served: Served, caplog: pytest.LogCaptureFixture, how: str, framing: str
) -> None:
    caplog.set_level(logging.INFO)
    for path, content_type in PATHS:
        answer = abandon(served.port, path, content_type, how, framing, served.token)
        if how == "half-closed":
            assert answer.startswith(b"HTTP/1.1 400 "), (path, answer)
        where = path.split("?")[0]
        warnings = _wait_for_warning(caplog, where)
        assert len(warnings) == 1, (path, [r.getMessage() for r in caplog.records])
        assert warnings[0].name == "plumbing.bodies"
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert failures == [], [r.getMessage() for r in failures]
    request_lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert all('" 400 ' in line for line in request_lines), request_lines


def test_a_body_cut_short_that_still_parses_is_refused_not_booked(served: Served) -> None:
    body = f'{{"session_id": {session_id(served.db, day=today(MONDAY_MORNING))}, "name": "Ani"}}'
    head = [
        "POST /api/bookings HTTP/1.1",
        "Host: 127.0.0.1",
        "Content-Type: application/json",
        *(f"{name}: {value}" for name, value in bearer(served.token).items()),
        "Content-Length: 1000",  # more than the body: the rest never comes
    ]
    with (
        time_machine.travel(MONDAY_MORNING, tick=True),  # while the session takes bookings
        socket.create_connection(("127.0.0.1", served.port), timeout=5) as client,
    ):
        client.sendall(("\r\n".join(head) + "\r\n\r\n" + body).encode())
        client.shutdown(socket.SHUT_WR)
        answer = client.recv(100)
    assert answer.startswith(b"HTTP/1.1 400 "), answer
    with served.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Booking)) == 0


@pytest.mark.slow
def test_gunicorn_too_answers_an_abandoned_body_with_one_warning_and_no_traceback(
    tmp_path: Path, sqlite_template: Path
) -> None:
    shutil.copy(sqlite_template, tmp_path / "antre.sqlite3")
    log = tmp_path / "gunicorn.log"
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'antre.sqlite3'}", "ANTRE_CALLBACK_KEY": KEY}
    cases = [
        (path, kind, how, framing) for path, kind in PATHS[:2] for how in HOW for framing in FRAMING
    ]
    with gunicorn(env, log) as port:
        for number, (path, content_type, how, framing) in enumerate(cases, start=1):
            answer = abandon(port, path, content_type, how, framing, token="")
            if how == "half-closed":
                assert answer.startswith(b"HTTP/1.1 400 "), (path, framing, answer)
            written = wait_for(log, ABANDONED, count=number)
    assert written.count(ABANDONED) == len(cases), written
    assert "Traceback" not in written and "ERROR" not in written, written
    assert written.count('" 400 ') == len(cases), written


def _wait_for_warning(caplog: pytest.LogCaptureFixture, path: str) -> list[logging.LogRecord]:
    """This path's warnings, once its request line is written (bounded: 5 s)."""
    deadline = time.monotonic() + 5
    while True:
        done = any(r.name == "werkzeug" and f" {path}" in r.getMessage() for r in caplog.records)
        warnings = [
            r
            for r in caplog.records
            if r.levelno == logging.WARNING
            and ABANDONED in r.getMessage()
            and path in r.getMessage()
        ]
        if done or time.monotonic() > deadline:
            return warnings
        time.sleep(0.02)
