"""BPJS hears of each number, call and cancellation, in order, once: against a look-alike."""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from antre import bpjs as wiring
from antre import create_app
from antre.demo import seed
from booking.clinic_sessions import cancel_session
from booking.commands import CancelBooking, TakeNumber
from booking.models import Booking, BpjsCall, Channel, ClinicSession, Service
from booking.queue import call_next, check_in, mark_no_show, mark_served
from booking.taking import cancel_booking, take_number
from plumbing.db import Database
from plumbing.db import database_of as database
from tests import fake_bpjs
from tests.bpjs_helpers import CARD, delivered, statuses
from tests.gateway_app import wait_for
from tests.helpers import session_id, today

# The look-alike, the app configured for it and the mapped session `sid`.
pytest_plugins = ("tests.bpjs_fixtures",)
STAFF = {"actor": "staff:1", "channel": "staff"}


def take(db: Database, sid: int, now: datetime, *, card: str | None = CARD, **more) -> Booking:
    command = TakeNumber(
        session_id=sid,
        phone="+6281234567890",
        channel=more.pop("channel", Channel.USSD),
        name=more.pop("name", ""),
        bpjs_number=card,
        **more,
    )
    return db.run(lambda s: take_number(s, command, now))


def test_a_number_taken_with_a_card_is_one_antrean_add_with_its_fields(
    bpjs_app: Flask, fake: fake_bpjs.FakeBpjs, sid: int, now: datetime
) -> None:
    booking = take(database(bpjs_app), sid, now)
    [(path, body)] = delivered(bpjs_app, fake, 1)
    assert path == "antrean/add"
    assert body == {
        "nomorkartu": CARD,
        "nik": "",
        "nohp": "081234567890",
        "kodepoli": "001",
        "namapoli": body["namapoli"],
        "norm": "",
        "tanggalperiksa": today(now).isoformat(),
        "kodedokter": 123,
        "namadokter": "dr. Śri Wahyuni",
        "jampraktek": body["jampraktek"],
        "nomorantrean": booking.display,
        "angkaantrean": booking.number,
        "keterangan": body["keterangan"],
    }
    assert body["namapoli"] and len(body["jampraktek"]) == 11
    assert statuses(database(bpjs_app)) == [("antrean/add", "sent")]


def test_no_card_or_a_mobile_jkn_booking_makes_no_call(
    bpjs_app: Flask, fake: fake_bpjs.FakeBpjs, sid: int, now: datetime
) -> None:
    take(database(bpjs_app), sid, now, card=None)
    take(
        database(bpjs_app),
        sid,
        now,
        card="0009999999999",
        name="Adik",
        channel=Channel.API,
        actor="jkn:mjkn",
    )
    assert delivered(bpjs_app, fake, 1) == []
    assert statuses(database(bpjs_app)) == []


def test_called_then_served_is_panggil_hadir_once_and_no_show_is_tidak_hadir(
    bpjs_app: Flask, fake: fake_bpjs.FakeBpjs, sid: int, now: datetime
) -> None:
    db = database(bpjs_app)
    first = take(db, sid, now)
    second = take(db, sid, now, card="0001234567891", name="Adik")
    later = now + timedelta(minutes=5)
    db.run(lambda s: check_in(s, first.id, now=later, **STAFF))
    db.run(lambda s: call_next(s, sid, now=later, **STAFF))
    db.run(lambda s: mark_served(s, first.id, now=later, **STAFF))
    db.run(lambda s: call_next(s, sid, now=later, **STAFF))
    db.run(lambda s: mark_no_show(s, second.id, now=later, **STAFF))
    calls = delivered(bpjs_app, fake, 4)
    assert [path for path, _ in calls].count("antrean/add") == 2
    panggil = [
        (body["nomorkartu"], body["status"], body["waktu"])
        for path, body in calls
        if path == "antrean/panggil"
    ]
    waktu = int(later.timestamp() * 1000)
    assert sorted(panggil) == [(CARD, 1, waktu), ("0001234567891", 2, waktu)]


def test_called_next_then_served_without_a_check_in_is_one_panggil_hadir_at_the_serving(
    bpjs_app: Flask, fake: fake_bpjs.FakeBpjs, sid: int, now: datetime
) -> None:
    db = database(bpjs_app)
    booking = take(db, sid, now)
    called, served = now + timedelta(minutes=3), now + timedelta(minutes=9)
    db.run(lambda s: call_next(s, sid, now=called, **STAFF))
    db.run(lambda s: mark_served(s, booking.id, now=served, **STAFF))
    calls = delivered(bpjs_app, fake, 2)
    assert [path for path, _ in calls] == ["antrean/add", "antrean/panggil"]
    assert (calls[1][1]["status"], calls[1][1]["waktu"]) == (1, int(served.timestamp() * 1000))


def test_bpjs_hanging_leaves_the_call_waiting_within_the_timeout_and_it_goes_once_after(
    bpjs_app: Flask, fake: fake_bpjs.FakeBpjs, sid: int, now: datetime
) -> None:
    db = database(bpjs_app)
    fake.hang_seconds, fake.down = 5.0, True  # a gateway that holds the call, then drops it
    started = time.monotonic()
    take(db, sid, now)
    deadline = time.monotonic() + 10
    while True:
        with db.transaction() as s:
            call = s.scalars(select(BpjsCall)).one()
            if call.status == "pending" and call.attempts == 1:
                break
        assert time.monotonic() < deadline, (call.status, call.attempts)
        time.sleep(0.05)
    assert time.monotonic() - started < 4  # the client's deadline, not BPJS's hang
    assert "Timeout" in (call.message or "") and fake.calls == []
    fake.hang_seconds, fake.down = 0.0, False
    assert wiring.sweep(bpjs_app) == 1
    assert [path for path, _ in delivered(bpjs_app, fake, 1)] == ["antrean/add"]
    assert statuses(db) == [("antrean/add", "sent")]


def test_a_patients_cancel_and_a_cancelled_session_are_batal_with_alasan(
    bpjs_app: Flask, fake: fake_bpjs.FakeBpjs, sid: int, now: datetime
) -> None:
    db = database(bpjs_app)
    mine = take(db, sid, now)
    take(db, sid, now, card="0001234567891", name="Adik")
    take(db, sid, now, card="0001234567892", name="Kakak")
    command = CancelBooking(booking_id=mine.id, channel=Channel.USSD, actor="+6281234567890")
    db.run(lambda s: cancel_booking(s, command, now))
    db.run(lambda s: cancel_session(s, sid, reason="Dokter sakit", now=now, **STAFF))
    calls = delivered(bpjs_app, fake, 6)
    batal = sorted((b["nomorkartu"], b["alasan"]) for p, b in calls if p == "antrean/batal")
    assert batal == [
        (CARD, "Dibatalkan oleh pasien"),
        ("0001234567891", "Dokter sakit"),
        ("0001234567892", "Dokter sakit"),
    ]
    for card in (CARD, "0001234567891"):
        assert [p for p, b in calls if b["nomorkartu"] == card] == ["antrean/add", "antrean/batal"]


def test_bpjs_down_then_back_gets_every_call_afterwards_in_order_none_twice(
    bpjs_app: Flask, fake: fake_bpjs.FakeBpjs, sid: int, now: datetime
) -> None:
    db = database(bpjs_app)
    fake.down = True
    first = take(db, sid, now)
    db.run(lambda s: check_in(s, first.id, now=now, **STAFF))
    command = CancelBooking(booking_id=first.id, channel=Channel.USSD, actor="+6281234567890")
    db.run(lambda s: cancel_booking(s, command, now))
    # Each of the three commits started a sender thread; all must have tried and given up
    # before BPJS comes back, or a late one sends while the sweep looks (and finds nothing).
    wait_for(
        lambda: not any(thread.name == "bpjs" for thread in threading.enumerate()),
        what="the BPJS sender threads to give up",
    )
    assert statuses(db) == [
        ("antrean/add", "pending"),
        ("antrean/panggil", "pending"),
        ("antrean/batal", "pending"),
    ]
    assert fake.calls == []
    fake.down = False
    assert wiring.sweep(bpjs_app) == 1
    wiring.send_all(bpjs_app, [first.id])  # a second sender at once: neither sends twice
    calls = delivered(bpjs_app, fake, 3)
    assert [path for path, _ in calls] == ["antrean/add", "antrean/panggil", "antrean/batal"]
    assert statuses(db) == [
        ("antrean/add", "sent"),
        ("antrean/panggil", "sent"),
        ("antrean/batal", "sent"),
    ]
    assert wiring.sweep(bpjs_app) == 0


def test_a_refusal_is_final_with_bpjs_message(
    bpjs_app: Flask, fake: fake_bpjs.FakeBpjs, sid: int, now: datetime
) -> None:
    fake.refused_cards[CARD] = "data pasien tidak ditemukan"
    take(database(bpjs_app), sid, now)
    deadline = time.monotonic() + 10
    while statuses(database(bpjs_app)) != [("antrean/add", "refused")]:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    with database(bpjs_app).transaction() as s:
        call = s.scalars(select(BpjsCall)).one()
        assert (call.code, call.message, call.attempts) == (201, "data pasien tidak ditemukan", 1)
    assert wiring.sweep(bpjs_app) == 0


def test_no_log_line_holds_the_secret_or_a_full_card_number(
    bpjs_app: Flask,
    fake: fake_bpjs.FakeBpjs,
    sid: int,
    now: datetime,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.refused_cards[CARD] = f"kartu {CARD} tidak aktif"
    take(database(bpjs_app), sid, now)
    take(database(bpjs_app), sid, now, card="0001234567891", name="Adik")
    delivered(bpjs_app, fake, 1)
    fake.down = True
    take(database(bpjs_app), sid, now, card="0001234567892", name="Kakak")
    time.sleep(0.5)
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "BPJS POST antrean/add" in text
    for secret in (fake_bpjs.SECRET, fake_bpjs.USER_KEY, CARD, "0001234567891", "0001234567892"):
        assert secret not in text


@pytest.mark.redis
def test_with_redis_the_worker_sends_the_calls_queued_at_commit(
    database_url: str, redis_url: str, tmp_path, fake: fake_bpjs.FakeBpjs, now: datetime
) -> None:
    from antre import jobs

    app = create_app(
        {
            "DATABASE_URL": database_url,
            "TESTING": True,
            "SECRET_KEY": "test",
            "REDIS_URL": redis_url,
            **fake_bpjs.settings(fake),
        }
    )
    app.instance_path = str(tmp_path / "instance")
    db = database(app)
    try:
        db.run(lambda s: seed(s, now))
        sid = session_id(db, day=today(now))
        with db.transaction() as s:
            session = s.get_one(ClinicSession, sid)
            s.get_one(Service, session.service_id).bpjs_poli_code = "001"
        booking = take(db, sid, now)
        db.run(lambda s: check_in(s, booking.id, now=now, **STAFF))
        assert fake.calls == []  # queued, not sent from the request
        jobs.run_worker(app, burst=True)
        assert fake.paths() == ["antrean/add", "antrean/panggil"]
        assert statuses(db) == [("antrean/add", "sent"), ("antrean/panggil", "sent")]
    finally:
        db.dispose()
