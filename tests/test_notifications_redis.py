"""Reminders survive Redis: they are derived from the database, not kept as future jobs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from redis import Redis

from antre import database_of as database
from antre import jobs
from antre.demo import seed
from tests.conftest import MONDAY_MORNING
from tests.fake_africastalking import FakeAfricasTalking
from tests.helpers import session_id, take, today
from tests.test_notifications import local
from tests.test_sending_rq import fake, rq_app  # noqa: F401 - fixtures used below

pytestmark = pytest.mark.redis


def test_redis_flushed_between_scan_and_send_still_sends_the_reminder_once(
    rq_app: Flask,  # noqa: F811 - the imported fixture
    fake: FakeAfricasTalking,  # noqa: F811
) -> None:
    db = database(rq_app)
    now = MONDAY_MORNING
    db.run(lambda s: seed(s, now))
    take(db, session_id(db, day=today(now) + timedelta(days=1)), "+6281234567890", now)
    send_queued(rq_app)  # the receipt
    assert len(fake.requests) == 1

    evening = local(0, "18:00", "Asia/Jakarta", now)
    jobs.sweep(rq_app, now=evening)  # the scan writes the reminder and enqueues its job
    Redis.from_url(rq_app.config["REDIS_URL"]).flushdb()  # ... and Redis loses the job
    send_queued(rq_app)
    assert len(fake.requests) == 1

    for minutes in (2, 3, 4):  # later sweeps find the reminder still waiting in the outbox
        jobs.sweep(rq_app, now=evening + timedelta(minutes=minutes))
        send_queued(rq_app)
    reminders = [r for r in fake.requests if "besok" in r.form["message"]]
    assert len(reminders) == 1 and len(fake.requests) == 2


def send_queued(app: Flask) -> None:
    """A burst worker that only sends: its own sweep would scan with the real clock, and on the
    real day after the test's Monday a reminder would be due that this test did not ask for."""
    jobs.run_worker(app, burst=True, sweep_every=0)
