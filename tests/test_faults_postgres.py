"""PostgreSQL crash-stopped (`pg_ctl stop -m immediate`) and started again, on a throwaway
cluster of the test's own: honest /healthz, clear answers during the outage, and afterwards no
booking lost or twice and every SMS receipt sent once."""

from __future__ import annotations

import itertools
import re
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as clock
from pathlib import Path

import pytest
import requests
import time_machine
from flask import Flask
from sqlalchemy import func, select, update
from sqlalchemy.exc import OperationalError

from antre import database_of as database
from antre import jobs, migrate
from antre.demo import seed
from booking import models
from booking.clock import utcnow
from booking.models import Booking, Outbox, OutboxStatus
from plumbing.db import Database
from sms import sending
from tests import fake_africastalking as fake_at
from tests.conftest import service_missing
from tests.fake_africastalking import FakeAfricasTalking, Request
from tests.faults import ThrowawayPostgres, ThrowawayRedis, start_server, start_worker, stop
from tests.gateway_app import wait_for
from tests.test_sending import make_app, outbox, write_sms

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

PHONES = ["+6281234567890", "+6285712345678"]


def sms(phone: str, message_id: str) -> dict[str, str]:
    return {"from": phone, "to": "21345", "text": "antre gigi 1001", "id": message_id}


@pytest.fixture
def postgres() -> Iterator[ThrowawayPostgres]:
    if (missing := ThrowawayPostgres.missing()) is not None:
        service_missing("initdb", RuntimeError(missing))
    server = ThrowawayPostgres().start()
    yield server
    server.remove()


@pytest.fixture
def fake() -> Iterator[FakeAfricasTalking]:
    with fake_at.running(hang_seconds=1.0) as server:
        yield server


def test_a_crashed_postgres_gets_clear_answers_and_loses_nothing(
    postgres: ThrowawayPostgres, tmp_path: Path, fake: FakeAfricasTalking, now: datetime
) -> None:
    migrate.upgrade(postgres.url)
    app = make_app(postgres.url, tmp_path, **fake_at.settings(fake))
    client = app.test_client()
    with time_machine.travel(now, tick=True):
        database(app).run(lambda s: seed(s, now))
        try:
            assert client.post("/sms/incoming", data=sms(PHONES[0], "ATX-1")).status_code == 200
            assert jobs.runner(app).drain()
            postgres.crash()
            health = client.get("/healthz")
            assert health.status_code == 503 and health.json is not None
            assert health.json["status"] == "down" and health.json["database"].startswith("down")
            refused = client.post("/sms/incoming", data=sms(PHONES[1], "ATX-2"))
            assert (refused.status_code, refused.headers["Retry-After"]) == (503, "30")
            form = {"sessionId": "s-1", "phoneNumber": PHONES[1], "serviceCode": "*123#"}
            ussd = client.post("/ussd", data=form | {"text": ""})
            assert ussd.status_code == 200
            screen = ussd.get_data(as_text=True)
            assert screen.startswith("END ") and "lagi" in screen and len(screen) <= 160
            postgres.start()
            # The gateway calls again with the same SMS; and once more, as a lost answer would.
            for _ in range(2):
                again = client.post("/sms/incoming", data=sms(PHONES[1], "ATX-2"))
                assert again.status_code == 200
            assert client.get("/healthz").status_code == 200
            assert jobs.runner(app).drain()
            # A pooled connection used within the second before the crash fails once (see
            # plumbing.db); the row stays pending and the worker's minute sweep sends it.
            jobs.sweep(app, utcnow() + timedelta(minutes=5))
            assert jobs.runner(app).drain()
            with database(app).transaction() as s:
                booked = sorted(b.booked_by for b in s.scalars(select(Booking)))
                taken = sum(c.places_taken for c in s.scalars(select(models.ClinicSession)))
        finally:
            jobs.runner(app).stop()
            database(app).dispose()
    assert booked == sorted(PHONES)  # none lost, none twice
    assert taken == 2
    assert [len(fake.sent_to(phone)) for phone in PHONES] == [1, 1]  # each receipt once


def test_postgres_gone_between_the_send_and_the_record_keeps_the_outcome_once_it_is_back(
    postgres: ThrowawayPostgres,
    tmp_path: Path,
    fake: FakeAfricasTalking,
    caplog: pytest.LogCaptureFixture,
) -> None:
    migrate.upgrade(postgres.url)
    quiet = Database(postgres.url)  # writes the row; nobody listens for it
    outbox_id = write_sms(quiet)
    app = make_app(postgres.url, tmp_path, **fake_at.settings(fake))
    restarts: list[threading.Thread] = []
    given: list[str] = []

    def crash_and_come_back_soon(_request: Request, message_id: str) -> None:
        # The gateway has the SMS; the database goes, and is back a second later.
        given.append(message_id)
        postgres.crash()
        restart = threading.Timer(1.0, postgres.start)
        restart.start()
        restarts.append(restart)

    fake.before_answer = crash_and_come_back_soon
    try:
        report = sending.send_one(database(app), jobs.switchboard(app), outbox_id)
        row = outbox(quiet, outbox_id)
    finally:
        for restart in restarts:
            restart.join()
        database(app).dispose()
        quiet.dispose()
    assert report.step is sending.Step.SENT
    assert (row.status, row.attempts, row.cost) == (OutboxStatus.SENT, 1, "IDR 300.0000")
    assert [row.gateway_id] == given  # kept for its delivery report
    assert len(fake.requests) == 1
    assert "outcomes not recorded" in caplog.text


def test_postgres_gone_longer_than_the_record_waits_leaves_the_row_in_doubt_not_sent_twice(
    postgres: ThrowawayPostgres,
    tmp_path: Path,
    fake: FakeAfricasTalking,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(sending, "RECORD_PAUSES", (0.2, 0.2))  # the same path, sooner
    migrate.upgrade(postgres.url)
    quiet = Database(postgres.url)
    outbox_id = write_sms(quiet)
    app = make_app(postgres.url, tmp_path, **fake_at.settings(fake))
    fake.before_answer = lambda _request, _message_id: postgres.crash()
    try:
        with pytest.raises(OperationalError):
            sending.send_one(database(app), jobs.switchboard(app), outbox_id)
        postgres.start()
        quiet.dispose()  # its pooled connection died with the server
        claimed = outbox(quiet, outbox_id)
        later = utcnow() + jobs.policy(app).lease + timedelta(seconds=1)
        assert sending.send_one(database(app), jobs.switchboard(app), outbox_id).step is (
            sending.Step.SKIPPED  # claimed by a sender that lost its outcome: never again
        )
        sending.fail_in_doubt(database(app), later, jobs.policy(app))
        row = outbox(quiet, outbox_id)
    finally:
        database(app).dispose()
        quiet.dispose()
    assert (claimed.status, claimed.gateway_id) == (OutboxStatus.PENDING, None)
    assert claimed.gateway is not None  # claimed, its outcome never recorded
    assert caplog.text.count("outcomes not recorded") == 2  # tried three times, then gave up
    assert row.status is OutboxStatus.FAILED and (row.error or "").startswith("in doubt")
    assert len(fake.requests) == 1


# --- under load, with `antre serve` and `antre worker` as their own processes ----------------

PATH = "1001*1*1*1*1"  # the facility, take a number, Poli Umum, the first time offered, for me
GIVEN = re.compile(r"^END (?:Nomor Anda: |Anda sudah punya nomor )([A-Z]-\d{3})")
BUSY = "sibuk"


@dataclass
class Load:
    """USSD bookings from several threads, each phone dialling until it is given a number."""

    url: str
    given: dict[str, tuple[str, float]] = field(default_factory=dict)  # phone: number, when
    busy: int = 0
    stop: threading.Event = field(default_factory=threading.Event)
    _phones: Iterator[int] = field(default_factory=itertools.count)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def book(self) -> None:
        with requests.Session() as http:
            while not self.stop.is_set():
                with self._lock:
                    phone = f"+62812{next(self._phones):07d}"
                while not self.stop.is_set():
                    form = {"sessionId": uuid.uuid4().hex, "phoneNumber": phone}
                    form |= {"serviceCode": "*123#", "text": PATH}
                    screen = http.post(f"{self.url}/ussd", data=form, timeout=15).text
                    assert len(screen) <= 160, screen
                    if given := GIVEN.match(screen):
                        with self._lock:
                            self.given[phone] = (given[1], time.monotonic())
                        break
                    assert screen.startswith("END ") and BUSY in screen, screen
                    with self._lock:
                        self.busy += 1
                    time.sleep(0.2)  # the patient dials again
                time.sleep(0.05)

    def given_since(self, moment: float) -> int:
        with self._lock:
            return sum(when > moment for _, when in self.given.values())


@dataclass
class HealthWatch:
    """/healthz asked every 0.1 s: when each question went and came back, and the answer."""

    url: str
    answers: list[tuple[float, float, int]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def watch(self) -> None:
        with requests.Session() as http:
            while not self.stop.wait(0.1):
                asked = time.monotonic()
                code = http.get(f"{self.url}/healthz", timeout=15).status_code
                self.answers.append((asked, time.monotonic(), code))

    def within(self, start: float, end: float) -> list[int]:
        return [code for asked, answered, code in self.answers if start < asked < answered < end]


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[ThrowawayRedis]:
    if (missing := ThrowawayRedis.missing()) is not None:
        service_missing("redis-server", RuntimeError(missing))
    server = ThrowawayRedis(tmp_path / "redis").start()
    yield server
    server.kill()


def make_bookable(url: str) -> None:
    """The demo at the wall clock, every session open for booking until midnight and roomy:
    the server and the worker are processes of their own, beyond time_machine's reach."""
    migrate.upgrade(url)
    db = Database(url)
    db.run(lambda s: seed(s, utcnow()))
    with db.transaction() as s:
        s.execute(update(models.Facility).values(cutoff_minutes=0))
        s.execute(update(models.ClinicSession).values(capacity=10_000, end_time=clock(23, 59)))
    db.dispose()


def test_postgres_crashed_under_ussd_load_and_mid_send_loses_nothing_and_sends_once(
    postgres: ThrowawayPostgres, redis_server: ThrowawayRedis, tmp_path: Path
) -> None:
    make_bookable(postgres.url)
    downtimes: list[tuple[float, float]] = []
    crashed = threading.Event()
    with fake_at.running() as fake:
        every = {
            "DATABASE_URL": postgres.url,
            "REDIS_URL": redis_server.url,
            "SECRET_KEY": "test",
            **fake_at.settings(fake, AT_TIMEOUT_SECONDS=1.0, SMS_RETRY_INTERVALS="1,1,1"),
        }

        def crash_mid_send(_request: Request, _message_id: str) -> None:
            # The gateway has taken this SMS; the worker will not be able to record it.
            if len(fake.requests) >= 5 and not crashed.is_set():
                crashed.set()
                postgres.crash()
                downtimes.append((time.monotonic(), 0.0))

        fake.before_answer = crash_mid_send
        server, url = start_server(every, tmp_path)
        worker = start_worker(every, tmp_path, "--sweep-every", "1")
        load, health = Load(url), HealthWatch(url)
        threads = [threading.Thread(target=load.book) for _ in range(4)]
        threads.append(threading.Thread(target=health.watch))
        app = make_app(postgres.url, tmp_path, **every)
        try:
            for thread in threads:
                thread.start()
            wait_for(crashed.is_set, timeout=20, what="the worker's fifth send")
            time.sleep(2)
            restarted = time.monotonic()
            downtimes[-1] = (downtimes[-1][0], restarted)
            postgres.start()
            back_again(load, fake, restarted)
            postgres.crash()  # now mid-load only, whatever the worker does
            crashed_at = time.monotonic()
            time.sleep(2)
            downtimes.append((crashed_at, time.monotonic()))
            postgres.start()
            back_again(load, fake, downtimes[-1][1])
        finally:
            load.stop.set()
            health.stop.set()
            for thread in threads:
                thread.join(timeout=20)
        try:
            # The sweep a minute and more from now, as the worker's own will be: the SMS a
            # crash left unsent are handed over, those the crash caught mid-send are in doubt.
            assert worker.poll() is None, "the worker process died with PostgreSQL"
            later = utcnow() + jobs.policy(app).lease + sending.PENDING_GRACE
            jobs.sweep(app, later)
            wait_for(lambda: not open_rows(app), timeout=20, what="every SMS sent or given up")
            with database(app).transaction() as s:
                bookings = [(b.booked_by, b.display) for b in s.scalars(select(Booking))]
                taken = sum(c.places_taken for c in s.scalars(select(models.ClinicSession)))
                receipts = {
                    booked_by: (row.status, row.error or "")
                    for row, booked_by in s.execute(
                        select(Outbox, Booking.booked_by).join(
                            Booking, Booking.id == Outbox.booking_id
                        )
                    )
                }
            final = requests.get(f"{url}/healthz", timeout=15)
        finally:
            stop(worker)
            stop(server)
            database(app).dispose()
    phones = [phone for phone, _ in bookings]
    assert len(phones) == len(set(phones)), "a booking twice"
    assert {phone: number for phone, (number, _) in load.given.items()}.items() <= set(bookings)
    assert taken == len(bookings)
    assert load.busy > 0 and len(load.given) >= 10  # the load met the outages
    assert set(receipts) == set(phones)  # every booking has its receipt
    # The SMS the first crash caught mid-send is recorded once PostgreSQL is back if that is
    # within the record's waits (sending.RECORD_PAUSES), else in doubt: either way sent once
    # at most. (Each outcome on its own: the two tests before this section.)
    for phone, (status, error) in receipts.items():
        got = len(fake.sent_to(phone))
        if status is OutboxStatus.SENT:
            assert got == 1, (phone, got)
        else:
            assert status is OutboxStatus.FAILED and error.startswith("in doubt"), (phone, error)
            assert got <= 1, (phone, got)
    for start, end in downtimes:
        assert set(health.within(start + 0.5, end)) == {503}, health.within(start, end)
    assert final.status_code == 200 and final.json()["database"] == "ok"


def back_again(load: Load, fake: FakeAfricasTalking, since: float) -> None:
    """Bookings given again after a restart, and their receipts sent by the worker."""
    wait_for(lambda: load.given_since(since) >= 5, timeout=20, what="bookings after the restart")
    wall = time.time() - (time.monotonic() - since)
    wait_for(
        lambda: sum(r.received_at > wall for r in fake.requests) >= 3,
        timeout=20,
        what="the worker sending after the restart",
    )


def open_rows(app: Flask) -> int:
    with database(app).transaction() as s:
        pending = select(func.count()).where(
            Outbox.status.in_((OutboxStatus.PENDING, OutboxStatus.QUEUED))
        )
        return int(s.scalar(pending) or 0)
