"""The number a patient holds is the service's on that day: the afternoon session of a poli
goes on from its morning, on every channel and on the display."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import time_machine
from flask import Flask

from booking.models import Channel
from booking.queue import call_next
from plumbing.db import Database
from tests.helpers import session_id, take, today


def test_the_afternoon_goes_on_from_the_morning_whatever_the_channel(
    demo: Database, now: datetime
) -> None:
    morning = session_id(demo, day=today(now))
    afternoon = session_id(demo, day=today(now), start=time(13))
    tomorrow = session_id(demo, day=today(now) + timedelta(days=1))
    given = [
        take(demo, morning, "+6281300000001", now, channel=Channel.USSD).display,
        take(demo, afternoon, "+6281300000002", now, channel=Channel.SMS).display,
        take(demo, afternoon, None, now, name="Bu Sari", channel=Channel.STAFF).display,
        take(demo, morning, "+6281300000004", now, channel=Channel.API).display,
        # Another day starts again from one: a number is unique per service per day.
        take(demo, tomorrow, "+6281300000001", now).display,
    ]
    assert given == ["A-001", "A-002", "A-003", "A-004", "A-001"]


def test_the_display_shows_one_sequence_for_a_service_with_two_sessions(
    app: Flask, demo: Database, now: datetime
) -> None:
    morning = session_id(demo, day=today(now))
    afternoon = session_id(demo, day=today(now), start=time(13))
    for n, sid in enumerate((morning, afternoon, morning, afternoon)):
        take(demo, sid, f"+628130000010{n}", now)
    demo.run(lambda s: call_next(s, afternoon, actor="nurse", channel="staff", now=now))
    with time_machine.travel(now, tick=False):
        board = app.test_client().get("/display/1001/now.json").json
    assert board is not None
    umum = next(line for line in board["services"] if line["service"] == "Poli Umum")
    assert umum["now_serving"] == "A-002"
    assert umum["next"] == ["A-001", "A-003", "A-004"]
