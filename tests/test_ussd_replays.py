"""Africa's Talking request sequences replayed against production-shaped apps.

Two app instances (two `create_app()`, as two gunicorn workers or two machines) sharing one
database and one real Redis answer alternate steps of a session; Redis going away in the middle
of a session does not stop the booking; a returning phone books in five requests.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

import pytest
from flask import Flask
from redis import Redis
from sqlalchemy import func, select

from antre import create_app
from antre import database_of as database
from antre.demo import seed
from booking.models import Booking, Facility, Outbox, Phone
from plumbing.db import Database
from ussd.phone import Handset, Send, through_app

PHONE = "+6281234567890"


def make_app(database_url: str, redis_url: str | None, tmp_path: Path) -> Flask:
    app = create_app(
        {"DATABASE_URL": database_url, "TESTING": True, "SECRET_KEY": "t", "REDIS_URL": redis_url}
    )
    app.instance_path = str(tmp_path / "instance")
    return app


@pytest.fixture
def two_apps(database_url: str, redis_url: str, tmp_path: Path) -> Iterator[tuple[Flask, Flask]]:
    first, second = (
        make_app(database_url, redis_url, tmp_path),
        make_app(database_url, redis_url, tmp_path),
    )
    yield first, second
    database(first).dispose()
    database(second).dispose()


def seeded(app: Flask, now: datetime, *, returning: bool = True) -> Database:
    db = database(app)
    db.run(lambda s: seed(s, now))
    if returning:
        with db.transaction() as s:
            facility = s.scalars(select(Facility).where(Facility.code == "1001")).one()
            s.add(Phone(number=PHONE, language="id", facility_id=facility.id))
    return db


def count_of(db: Database, model: type[Booking] | type[Outbox]) -> int:
    with db.transaction() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def alternating(first: Flask, second: Flask) -> Send:
    """Each request to the other instance, as a load balancer may send them."""
    sends = [through_app(first), through_app(second)]
    turn = [0]

    def send(form: dict[str, str]) -> tuple[int, str]:
        answer = sends[turn[0] % 2](form)
        turn[0] += 1
        return answer

    return send


def test_two_app_instances_answer_alternate_steps_of_one_session(
    two_apps: tuple[Flask, Flask], redis_url: str, now: datetime, clock: None
) -> None:
    first, second = two_apps
    db = seeded(first, now, returning=False)
    phone = Handset(alternating(first, second), PHONE)
    assert phone.dial("*123*1001#").startswith("CON Puskesmas Cipocok Jaya\n")  # first
    assert phone.press("1").startswith("CON Pilih layanan:")  # second
    assert phone.press("2").startswith("CON Poli Gigi: kapan?")  # first
    assert phone.press("99").startswith("CON Tidak ada halaman lagi.\n")  # second
    assert phone.press("2").startswith("CON Poli Gigi, Sel 24/11 08:00-12:00.")  # first
    booked = phone.press("1")  # second
    assert booked.startswith("END Nomor Anda: B-001\nPoli Gigi, Sel 24/11 08:00")
    assert phone.again() == booked  # the retry reaches the first instance: same answer
    assert count_of(db, Booking) == 1 and count_of(db, Outbox) == 1
    # What the instances share is in Redis, not in either of them.
    shared = Redis.from_url(redis_url)
    assert shared.exists(f"ussd:session:{phone.session_id}") == 1
    shared.close()


def test_a_redial_continues_on_another_instance(
    two_apps: tuple[Flask, Flask], now: datetime, clock: None
) -> None:
    first, second = two_apps
    seeded(first, now)
    phone = Handset(through_app(first), PHONE)
    phone.dial()
    phone.press("1")
    phone.press("1")
    confirm = phone.press("1")
    phone.send = through_app(second)  # cut off; the redial lands on the other instance
    assert phone.dial() == confirm.replace("CON ", "CON Lanjut dari yang tadi.\n", 1)
    assert phone.press("1").startswith("END Nomor Anda: A-001")


class Cable:
    """A TCP connection to Redis that can be cut: Redis unreachable, for real, mid-session."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                near, _ = self.listener.accept()
                if not self._admit(near):
                    continue
                far = socket.create_connection(self.upstream)
            except OSError:
                return
            self.sockets += [near, far]
            threading.Thread(target=self._pump, args=(near, far), daemon=True).start()
            threading.Thread(target=self._reply, args=(far, near), daemon=True).start()

    def _admit(self, near: socket.socket) -> bool:
        """Whether to join a new connection to Redis (a subclass may refuse it)."""
        return True

    def _reply(self, source: socket.socket, sink: socket.socket) -> None:
        """Redis's answers on their way back (a subclass may hold them)."""
        self._pump(source, sink)

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass

    def cut(self) -> None:
        for end in [self.listener, *self.sockets]:
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
            end.close()


C = TypeVar("C", bound=Cable)


def redis_through(kind: type[C], redis_url: str) -> tuple[C, str]:
    """A cable of `kind` in front of the test Redis, and the URL that reaches Redis through it."""
    where = urlsplit(redis_url)
    cable = kind((where.hostname or "127.0.0.1", where.port or 6379))
    return cable, f"redis://127.0.0.1:{cable.port}{where.path}"


def test_redis_unreachable_mid_session_still_books(
    database_url: str,
    redis_url: str,
    tmp_path: Path,
    now: datetime,
    clock: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    cable, through = redis_through(Cable, redis_url)
    app = make_app(database_url, through, tmp_path)
    try:
        db = seeded(app, now)
        phone = Handset(through_app(app), PHONE)
        phone.dial()
        phone.press("1")
        assert Redis.from_url(redis_url).exists(f"ussd:session:{phone.session_id}") == 1
        cable.cut()
        assert phone.press("1").startswith("CON Poli Umum: kapan?")
        assert phone.press("1").startswith("CON Poli Umum, Sen 23/11 08:00-12:00.")
        booked = phone.press("1")
        assert booked.startswith("END Nomor Anda: A-001\nPoli Umum, Sen 23/11 08:00")
        assert phone.again() == booked
        assert count_of(db, Booking) == 1 and count_of(db, Outbox) == 1
        assert "USSD store: Redis failed" in caplog.text  # it really was gone
    finally:
        cable.cut()
        database(app).dispose()


@pytest.mark.parametrize("language", ["id", "en"])
def test_a_returning_phone_reaches_a_number_in_five_requests_counting_the_first(
    app: Flask, now: datetime, clock: None, language: str
) -> None:
    db = seeded(app, now)
    with db.transaction() as s:
        s.get_one(Phone, PHONE).language = language
    requests: list[dict[str, str]] = []
    send = through_app(app)

    def counted(form: dict[str, str]) -> tuple[int, str]:
        requests.append(form)
        return send(form)

    phone = Handset(counted, PHONE)
    phone.dial()  # main menu
    phone.press("1")  # service
    phone.press("1")  # day and time
    phone.press("1")  # for whom
    screen = phone.press("1")  # the number
    assert len(requests) == 5
    assert [form["text"] for form in requests] == ["", "1", "1*1", "1*1*1", "1*1*1*1"]
    assert phone.finished and ("A-001" in screen)
    assert count_of(db, Booking) == 1


def test_only_requests_that_change_nothing_skip_waiting_for_the_disk(
    app: Flask, database_url: str, now: datetime, clock: None
) -> None:
    from sqlalchemy import event

    seeded(app, now)
    said: list[str] = []
    event.listen(
        database(app).engine,
        "before_cursor_execute",
        lambda conn, cursor, statement, *rest: said.append(statement),
    )
    relaxed = "SET LOCAL synchronous_commit TO OFF"
    phone = Handset(through_app(app), PHONE)
    postgres = database_url.startswith("postgresql")
    steps = [phone.dial, lambda: phone.press("1"), lambda: phone.press("1")]
    steps.append(lambda: phone.press("1"))
    for step in steps:  # main menu, services, times, confirm: drop-off records only
        said.clear()
        assert step().startswith("CON ")
        assert (relaxed in said) == postgres
    said.clear()
    assert phone.press("1").startswith("END Nomor Anda: A-001")  # a booking: durable
    assert relaxed not in said
    said.clear()
    phone.dial("*123*2201#")  # a remembered facility: durable
    assert relaxed not in said
