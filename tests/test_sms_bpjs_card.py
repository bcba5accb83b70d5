"""A BPJS card number given by SMS ("ANTRE UMUM BESOK KARTU 0001234567890"): the booking
carries it, BPJS hears of it once (one antrean/add call row), and no reply shows more of the
card than its last four digits. A number that is not 13 digits takes no number at all."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime

import pytest
import time_machine
from flask import Flask
from sqlalchemy import select

from antre import create_app, jobs
from antre.demo import seed
from booking.models import Booking, BpjsCall, ClinicSession, Person, Service
from plumbing.db import Database
from plumbing.db import database_of as database
from tests import fake_bpjs
from tests.helpers import session_id, today
from tests.test_sms_incoming import Inbox

CARD = "0001234567890"


@pytest.fixture
def fake() -> Iterator[fake_bpjs.FakeBpjs]:
    with fake_bpjs.running() as found:
        yield found


@pytest.fixture
def clock(now: datetime) -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(now, tick=False) as traveller:
        yield traveller


@pytest.fixture
def inbox(
    database_url: str,
    tmp_path,
    fake: fake_bpjs.FakeBpjs,
    now: datetime,
    clock: time_machine.Coordinates,
) -> Iterator[Inbox]:
    """The endpoint of an app with BPJS configured; today's Poli Umum mapped to BPJS codes."""
    app: Flask = create_app(
        {
            "DATABASE_URL": database_url,
            "TESTING": True,
            "SECRET_KEY": "test",
            "REDIS_URL": None,
            **fake_bpjs.settings(fake),
        }
    )
    app.instance_path = str(tmp_path / "instance")
    db = database(app)
    db.run(lambda s: seed(s, now))
    for day in (today(now), today(now).fromordinal(today(now).toordinal() + 1)):
        found = session_id(db, day=day)
        with db.transaction() as s:
            session = s.get_one(ClinicSession, found)
            session.bpjs_doctor_code, session.doctor_name = "123", "dr. Sri Wahyuni"
            s.get_one(Service, session.service_id).bpjs_poli_code = "001"
    yield Inbox(app, db)
    jobs.runner(app).drain()
    jobs.runner(app).stop()
    db.dispose()


def sent(fake: fake_bpjs.FakeBpjs, count: int) -> list[tuple[str, dict]]:
    """The calls BPJS received, once `count` have come (the embedded sender is a thread, and
    the test must not end while it still writes)."""
    deadline = time.monotonic() + 10
    while len(fake.calls) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)  # and no more after them
    return list(fake.calls)


def calls(db: Database) -> list[str]:
    with db.transaction() as s:
        return [call.path for call in s.scalars(select(BpjsCall).order_by(BpjsCall.id))]


def cards(db: Database) -> list[str | None]:
    with db.transaction() as s:
        rows = s.scalars(select(Person.bpjs_number).join(Booking, Booking.person_id == Person.id))
        return list(rows)


@pytest.mark.parametrize(
    "text",
    [
        f"ANTRE UMUM HARI INI KARTU {CARD} 1001",
        f"antre umum hari ini bpjs {CARD} 1001",
        "antre umum 1001 no kartu 0001 2345 6789 0 hari ini",
    ],
)
def test_a_booking_by_sms_with_a_card_carries_it_and_writes_one_bpjs_add_call(
    inbox: Inbox, fake: fake_bpjs.FakeBpjs, text: str
) -> None:
    reply = inbox.send(text) or ""
    assert cards(inbox.db) == [CARD]
    [(path, body)] = sent(fake, 1)
    assert (path, body["nomorkartu"]) == ("antrean/add", CARD)
    assert calls(inbox.db) == ["antrean/add"]
    assert reply.startswith("Puskesmas Cipocok Jaya: nomor A-001, Poli Umum, Sen 23/11")
    assert "kartu BPJS *7890" in reply and "0001234567890" not in reply.replace(" ", "")


def test_a_card_given_before_the_day_question_is_kept_until_the_answer_books(
    inbox: Inbox, fake: fake_bpjs.FakeBpjs
) -> None:
    question = inbox.send(f"ANTRE UMUM KAPAN KARTU {CARD} 1001") or ""
    assert "Balas 1 hari ini, 2 besok" in question and CARD not in question
    assert calls(inbox.db) == []
    reply = inbox.send("2") or ""
    assert cards(inbox.db) == [CARD]
    assert [path for path, _body in sent(fake, 1)] == ["antrean/add"]
    assert calls(inbox.db) == ["antrean/add"]
    assert "Sel 24/11" in reply and "*7890" in reply


def test_a_card_for_someone_named_shows_the_name_and_the_last_digits(
    inbox: Inbox, fake: fake_bpjs.FakeBpjs
) -> None:
    reply = inbox.send(f"ANTRE UMUM HARI INI 1001 UNTUK Siti KARTU {CARD}") or ""
    assert reply.startswith("Siti: A-001, Poli Umum, Sen 23/11, Puskesmas Cipocok Jaya, BPJS *7890")
    assert cards(inbox.db) == [CARD]
    assert len(sent(fake, 1)) == 1


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("ANTRE UMUM BESOK KARTU 12345 1001", 5),
        ("antre umum besok bpjs 000123456789 1001", 12),
        ("antre umum besok no kartu 00012345678901 1001", 14),
    ],
)
def test_a_card_number_that_is_not_13_digits_gets_one_clear_reply_and_no_booking(
    inbox: Inbox, text: str, digits: int
) -> None:
    reply = inbox.send(text)
    assert reply == (
        f"Nomor kartu BPJS harus 13 angka; yang Anda kirim {digits} angka. Belum ada antrean "
        "diambil. Kirim mis. ANTRE UMUM BESOK KARTU 0001234567890"
    )
    assert cards(inbox.db) == [] and calls(inbox.db) == []
