"""Reminders survive Redis: they are derived from the database, not kept as future jobs."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from flask import Flask
from redis import Redis

from antre import database, jobs
from antre.demo import seed
from tests.conftest import MONDAY_MORNING
from tests.fake_africastalking import FakeAfricasTalking
from tests.helpers import session_id, take, today
from tests.test_notifications import local
from tests.test_sending_rq import fake, rq_app, work  # noqa: F401 - fixtures used below

pytestmark = pytest.mark.redis


def test_redis_flushed_between_scan_and_send_still_sends_the_reminder_once(
    rq_app: Flask,  # noqa: F811 - the imported fixture
    fake: FakeAfricasTalking,  # noqa: F811
) -> None:
    # The worker sweeps at start with the real clock: hold it at the test's Monday morning, or
    # on the real Tuesday the morning reminder for "tomorrow" would be due and go out too.
    with time_machine.travel(MONDAY_MORNING, tick=True):
        _scan_flush_and_sweep(rq_app, fake)


def _scan_flush_and_sweep(rq_app: Flask, fake: FakeAfricasTalking) -> None:  # noqa: F811
    db = database(rq_app)
    now = MONDAY_MORNING
    db.run(lambda s: seed(s, now))
    take(db, session_id(db, day=today(now) + timedelta(days=1)), "+6281234567890", now)
    work(rq_app)  # the receipt
    assert len(fake.requests) == 1

    evening = local(0, "18:00", "Asia/Jakarta", now)
    jobs.sweep(rq_app, now=evening)  # the scan writes the reminder and enqueues its job
    Redis.from_url(rq_app.config["REDIS_URL"]).flushdb()  # ... and Redis loses the job
    work(rq_app)
    assert len(fake.requests) == 1

    for minutes in (2, 3, 4):  # later sweeps find the reminder still waiting in the outbox
        jobs.sweep(rq_app, now=evening + timedelta(minutes=minutes))
        work(rq_app)
    reminders = [r for r in fake.requests if "besok" in r.form["message"]]
    assert len(reminders) == 1 and len(fake.requests) == 2
