"""An SMS in, a booking in the database, the reply out through the real SDK to the local fake
Africa's Talking: embedded (in-process sender) and production-shaped (RQ on the real Redis)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
import time_machine
from flask import Flask
from sqlalchemy import select

from antre import database_of as database
from antre import jobs
from antre.demo import seed
from booking.models import Booking, Channel, Outbox, OutboxStatus
from tests import fake_africastalking as fake_at
from tests.fake_africastalking import FakeAfricasTalking
from tests.test_sending import make_app

PHONE = "+6281234567890"
FORM = {
    "from": PHONE,
    "to": "21345",
    "text": "antre gigi 1001",
    "date": "2026-11-23 07:30:00",
    "id": "ATXid_e2e",
    "linkId": "",
    "networkCode": "51010",
}


@pytest.fixture
def fake() -> Iterator[FakeAfricasTalking]:
    with fake_at.running(hang_seconds=1.0) as server:
        yield server


@pytest.fixture
def on_monday(now: datetime) -> Iterator[None]:
    with time_machine.travel(now, tick=True):
        yield


def seeded(app: Flask, now: datetime) -> Flask:
    database(app).run(lambda s: seed(s, now))
    return app


def the_booking_and_its_reply(app: Flask) -> tuple[Booking, Outbox]:
    with database(app).transaction() as s:
        booking = s.scalars(select(Booking)).one()
        reply = s.scalars(select(Outbox).where(Outbox.kind == "reply")).one()
        return booking, reply


def test_an_sms_books_and_the_reply_reaches_the_gateway_in_the_embedded_default(
    database_url: str, tmp_path: Path, fake: FakeAfricasTalking, now: datetime, on_monday: None
) -> None:
    app = seeded(make_app(database_url, tmp_path, **fake_at.settings(fake)), now)
    try:
        assert app.test_client().post("/sms/incoming", data=FORM).status_code == 200
        assert jobs.runner(app).drain()
        booking, reply = the_booking_and_its_reply(app)
    finally:
        jobs.runner(app).stop()
        database(app).dispose()
    assert (booking.display, booking.channel, booking.booked_by) == ("B-001", Channel.SMS, PHONE)
    assert reply.status is OutboxStatus.SENT and reply.gateway_id
    [request] = fake.sent_to(PHONE)
    assert request.form["message"] == reply.body and "B-001" in reply.body
    assert request.form["from"] == "ANTRE"


@pytest.mark.redis
def test_an_sms_books_and_an_rq_worker_sends_the_reply(
    database_url: str,
    redis_url: str,
    tmp_path: Path,
    fake: FakeAfricasTalking,
    now: datetime,
    on_monday: None,
) -> None:
    settings = fake_at.settings(fake, REDIS_URL=redis_url)
    app = seeded(make_app(database_url, tmp_path, **settings), now)
    try:
        assert app.test_client().post("/sms/incoming", data=FORM).status_code == 200
        assert fake.requests == []  # the request only wrote the outbox and queued a job
        jobs.run_worker(app, burst=True)
        booking, reply = the_booking_and_its_reply(app)
    finally:
        database(app).dispose()
    assert booking.display == "B-001"
    assert reply.status is OutboxStatus.SENT
    assert [r.form["message"] for r in fake.sent_to(PHONE)] == [reply.body]
