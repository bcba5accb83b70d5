"""The waiting-room display follows the queue."""

from __future__ import annotations

from datetime import datetime

import time_machine
from flask import Flask

from booking.clinic_sessions import cancel_session
from booking.models import Priority
from booking.queue import call_next, mark_priority, skip
from console.display import _sound
from plumbing.db import Database
from tests.helpers import session_id, take, today


def test_the_display_shows_who_is_served_and_who_is_next(
    app: Flask, demo: Database, now: datetime
) -> None:
    sid = session_id(demo, service="GIGI", day=today(now))
    for i in range(6):
        take(demo, sid, f"+62812345678{i:02d}", now)
    client = app.test_client()
    with time_machine.travel(now, tick=False):
        before = client.get("/display/1001/now.json").json
        demo.run(lambda s: call_next(s, sid, actor="nurse", channel="staff", now=now))
        after = client.get("/display/1001/now.json").json
        page = client.get("/display/1001")
    assert before is not None and after is not None
    gigi_before = next(line for line in before["services"] if line["service"] == "Poli Gigi")
    gigi_after = next(line for line in after["services"] if line["service"] == "Poli Gigi")
    assert gigi_before == {
        "service": "Poli Gigi",
        "now_serving": None,
        "room": None,
        "next": ["B-001", "B-002", "B-003", "B-004"],
        "notice": None,
        "call": None,
    }
    assert gigi_after == {
        "service": "Poli Gigi",
        "now_serving": "B-001",
        "room": None,
        "next": ["B-002", "B-003", "B-004", "B-005"],
        "notice": None,
        "call": {
            "key": gigi_after["call"]["key"],
            "text": "Nomor antrean B satu, silakan ke Poli Gigi",
            "audio": [
                f"/display/voice/{name}.wav"
                for name in ("nomor-antrean", "huruf-b", "satu", "silakan-ke", "poli", "gigi")
            ],
        },
    }
    assert isinstance(gigi_after["call"]["key"], int)
    assert page.status_code == 200
    assert b"Sekarang dilayani" in page.data and b"B-001" in page.data


def test_a_session_cancelled_for_the_day_is_announced_on_the_display(
    app: Flask, demo: Database, now: datetime
) -> None:
    sid = session_id(demo, service="GIGI", day=today(now))
    take(demo, sid, "+6281234567800", now)
    demo.run(
        lambda s: cancel_session(
            s, sid, reason="Dokter sakit", actor="nurse", channel="staff", now=now
        )
    )
    with time_machine.travel(now, tick=False):
        board = app.test_client().get("/display/1001/now.json").json
        page = app.test_client().get("/display/1001")
    assert board is not None
    gigi = next(line for line in board["services"] if line["service"] == "Poli Gigi")
    assert gigi == {
        "service": "Poli Gigi",
        "now_serving": None,
        "room": None,
        "next": [],
        "notice": "Hari ini dibatalkan: Dokter sakit",
        "call": None,
    }
    umum = next(line for line in board["services"] if line["service"] == "Poli Umum")
    assert umum["notice"] is None  # the other services go on
    assert b"Hari ini dibatalkan: Dokter sakit" in page.data


def test_an_unknown_facility_has_no_display(app: Flask) -> None:
    assert app.test_client().get("/display/9999").status_code == 404
    assert app.test_client().get("/display/" + "x" * 500).status_code == 404


def test_the_sound_files_are_served_and_nothing_else(app: Flask) -> None:
    client = app.test_client()
    sound = client.get("/display/voice/nomor-antrean.wav")
    assert sound.status_code == 200 and sound.mimetype == "audio/wav"
    assert sound.data.startswith(b"RIFF")
    held = _sound.cache_info().currsize
    for name in ("jiwa-raga", "..", "huruf-aa", "NOMOR-ANTREAN", "nomor-antrean.wav"):
        assert client.get(f"/display/voice/{name}.wav").status_code == 404
    assert _sound.cache_info().currsize == held  # a name that is no file is kept nowhere


def test_the_display_lists_the_next_numbers_in_the_order_the_desk_calls_them(
    app: Flask, demo: Database, now: datetime
) -> None:
    """A priority patient (here under the facility's default rule, "first") comes next on the
    waiting-room screen as on the console, and a skipped number after everyone else."""
    sid = session_id(demo, service="GIGI", day=today(now))
    bookings = [take(demo, sid, f"+62812345678{i:02d}", now) for i in range(6)]
    staff = {"actor": "nurse", "channel": "staff", "now": now}
    demo.run(lambda s: call_next(s, sid, **staff))
    demo.run(lambda s: skip(s, bookings[0].id, **staff))
    demo.run(lambda s: mark_priority(s, bookings[4].id, Priority.ELDERLY, **staff))
    with time_machine.travel(now, tick=False):
        shown = app.test_client().get("/display/1001/now.json").json
    assert shown is not None
    gigi = next(line for line in shown["services"] if line["service"] == "Poli Gigi")
    assert gigi["next"] == ["B-005", "B-002", "B-003", "B-004"]
    demo.run(lambda s: call_next(s, sid, **staff))
    with time_machine.travel(now, tick=False):
        shown = app.test_client().get("/display/1001/now.json").json
    assert shown is not None
    gigi = next(line for line in shown["services"] if line["service"] == "Poli Gigi")
    assert (gigi["now_serving"], gigi["next"]) == ("B-005", ["B-002", "B-003", "B-004", "B-006"])
