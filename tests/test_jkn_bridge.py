"""The Mobile JKN-shaped bridge: the real field names, the envelope, the messages, the tokens.

Runs on SQLite and PostgreSQL (the `app` fixture), over real HTTP through Flask's client, with
the clock held at the demo's Monday morning (07:30 in Serang).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select, text
from werkzeug.test import TestResponse

from antre import create_app
from antre import database_of as database
from antre.schema import metadata
from api import jkn_tokens
from booking.models import Booking, BookingStatus, Channel, Facility, Outbox, Person, Service
from booking.queue import call_next, mark_served
from console.models import Role, StaffUser
from plumbing.db import Database
from tests.helpers import session_id, today

CARD = "0001234567890"
OTHER_CARD = "0009876543210"
NIK = "3212345678987654"
PHONE = "081234567890"
PASSWORD = "s3cret-pass-1001"


@dataclass
class Bridge:
    """A facility system talking to the bridge as one staff user."""

    client: FlaskClient
    db: Database
    now: datetime
    headers: dict[str, str]

    @property
    def day(self) -> str:
        return today(self.now).isoformat()

    @property
    def tomorrow(self) -> str:
        return (today(self.now) + timedelta(days=1)).isoformat()

    def body(self, **changes: Any) -> dict[str, Any]:
        fields = {
            "nomorkartu": CARD,
            "nik": NIK,
            "nohp": PHONE,
            "kodepoli": "UMUM",
            "kodedokter": "12345",
            "tanggalperiksa": self.day,
            "jampraktek": "08:00-12:00",
            "keluhan": "demam sejak kemarin",
            "norm": "RM-000123",
        }
        fields.update(changes)
        return fields

    def take(self, **changes: Any) -> TestResponse:
        return self.client.post("/antrean", json=self.body(**changes), headers=self.headers)

    def status(self, poli: str = "UMUM", day: str | None = None) -> TestResponse:
        return self.client.get(f"/antrean/status/{poli}/{day or self.day}", headers=self.headers)

    def remaining(self, card: str = CARD, poli: str = "UMUM", day: str | None = None) -> Any:
        path = f"/antrean/sisapeserta/{card}/{poli}/{day or self.day}"
        return self.client.get(path, headers=self.headers)

    def cancel(self, card: str = CARD, poli: str = "UMUM", day: str | None = None) -> TestResponse:
        body = {
            "nomorkartu": card,
            "kodepoli": poli,
            "tanggalperiksa": day or self.day,
            "keterangan": "peserta berhalangan",
        }
        return self.client.put("/antrean/batal", json=body, headers=self.headers)


def add_staff(
    db: Database,
    now: datetime,
    username: str,
    *,
    facility: str | None = "1001",
    role: Role = Role.STAFF,
    password: str = PASSWORD,
    active: bool = True,
) -> int:
    def create(session: Any) -> int:
        facility_id = None
        if facility is not None:
            facility_id = session.scalars(
                select(Facility.id).where(Facility.code == facility)
            ).one()
        user = StaffUser(
            username=username, role=role, facility_id=facility_id, active=active, created_at=now
        )
        user.set_password(password)
        session.add(user)
        session.flush()
        return int(user.id)

    return db.run(create)


def token_for(client: FlaskClient, username: str, password: str = PASSWORD) -> str:
    answer = client.get("/auth", headers={"x-username": username, "x-password": password})
    assert answer.status_code == 200, answer.json
    return str(answer.json["response"]["token"])


def ok(answer: TestResponse) -> dict[str, Any]:
    """The response part of a successful answer, after checking the envelope."""
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.json["metadata"] == {"message": "Ok", "code": 200}, answer.json
    return dict(answer.json["response"] or {})


def refused(answer: TestResponse, http_status: int = 200) -> str:
    """The message of a code-201 answer, after checking the envelope."""
    assert answer.status_code == http_status, answer.get_data(as_text=True)
    assert answer.is_json
    assert set(answer.json) == {"response", "metadata"}
    assert answer.json["response"] is None
    assert answer.json["metadata"]["code"] == 201
    return str(answer.json["metadata"]["message"])


@pytest.fixture
def clock(now: datetime) -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(now, tick=False) as traveller:
        yield traveller


@pytest.fixture
def bridge(app: Flask, demo: Database, now: datetime, clock: time_machine.Coordinates) -> Bridge:
    add_staff(demo, now, "loket1001")
    client = app.test_client()
    headers = {"x-token": token_for(client, "loket1001"), "x-username": "loket1001"}
    return Bridge(client=client, db=demo, now=now, headers=headers)


# --- GET /auth and the token ------------------------------------------------------------------


def test_auth_answers_a_token_in_the_envelope(bridge: Bridge) -> None:
    answer = bridge.client.get("/auth", headers={"x-username": "loket1001", "x-password": PASSWORD})
    assert answer.status_code == 200
    assert answer.json["metadata"] == {"message": "Ok", "code": 200}
    assert set(answer.json["response"]) == {"token"}
    assert len(answer.json["response"]["token"]) > 20


@pytest.mark.parametrize(
    ("username", "password"),
    [("loket1001", "wrong-password"), ("nobody", PASSWORD), ("loket1001", ""), ("", "")],
)
def test_a_wrong_name_or_password_gets_no_token(
    bridge: Bridge, username: str, password: str
) -> None:
    answer = bridge.client.get("/auth", headers={"x-username": username, "x-password": password})
    message = refused(answer, 401)
    assert message in (
        "Username atau password tidak sesuai",
        "Header x-username dan x-password wajib diisi",
    )


def test_ten_wrong_passwords_make_the_account_wait(bridge: Bridge) -> None:
    wrong = {"x-username": "loket1001", "x-password": "not-it"}
    for _ in range(10):
        assert bridge.client.get("/auth", headers=wrong).status_code == 401
    right = {"x-username": "loket1001", "x-password": PASSWORD}
    answer = bridge.client.get("/auth", headers=right)
    assert answer.status_code == 429
    assert answer.json == {
        "response": None,
        "metadata": {
            "message": "Terlalu banyak percobaan masuk, coba lagi setelah 15 menit",
            "code": 201,
        },
    }


def test_an_inactive_user_gets_no_token_and_loses_the_one_they_had(bridge: Bridge) -> None:
    add_staff(bridge.db, bridge.now, "pensiun", active=False)
    answer = bridge.client.get("/auth", headers={"x-username": "pensiun", "x-password": PASSWORD})
    assert refused(answer, 401) == "Username atau password tidak sesuai"

    ok(bridge.status())
    with bridge.db.transaction() as s:
        s.scalars(select(StaffUser).where(StaffUser.username == "loket1001")).one().active = False
    assert refused(bridge.status(), 401) == "Token tidak valid"


def test_an_account_with_a_generated_password_gets_no_token_until_its_owner_changes_it(
    bridge: Bridge,
) -> None:
    add_staff(bridge.db, bridge.now, "loket2")
    with bridge.db.transaction() as s:
        user = s.scalars(select(StaffUser).where(StaffUser.username == "loket2")).one()
        user.set_password(PASSWORD, made_by_someone_else=True)
    answer = bridge.client.get("/auth", headers={"x-username": "loket2", "x-password": PASSWORD})
    assert refused(answer, 403) == "Password akun ini harus diganti dahulu di konsol Antre"
    with bridge.db.transaction() as s:
        user = s.scalars(select(StaffUser).where(StaffUser.username == "loket2")).one()
        user.set_password(PASSWORD + "-baru")  # as the console's password page does
    answer = bridge.client.get(
        "/auth", headers={"x-username": "loket2", "x-password": PASSWORD + "-baru"}
    )
    assert answer.status_code == 200 and answer.json["response"]["token"]


@pytest.mark.parametrize("role", [Role.DISTRICT_VIEWER, Role.ADMIN])
def test_an_account_of_no_facility_is_refused(bridge: Bridge, role: Role) -> None:
    add_staff(bridge.db, bridge.now, "dinkes", facility=None, role=role)
    answer = bridge.client.get("/auth", headers={"x-username": "dinkes", "x-password": PASSWORD})
    assert refused(answer, 403) == "Akun ini tidak terhubung dengan faskes mana pun"


def test_every_queue_route_needs_a_token(bridge: Bridge) -> None:
    no_token = {"x-username": "loket1001"}
    answers = [
        bridge.client.get(f"/antrean/status/UMUM/{bridge.day}", headers=no_token),
        bridge.client.get(f"/antrean/sisapeserta/{CARD}/UMUM/{bridge.day}", headers=no_token),
        bridge.client.post("/antrean", json=bridge.body(), headers=no_token),
        bridge.client.put("/antrean/batal", json=bridge.body(), headers=no_token),
        bridge.client.get(f"/antrean/status/UMUM/{bridge.day}"),
    ]
    for answer in answers:
        assert refused(answer, 401) == "Header x-token dan x-username wajib diisi"
    with bridge.db.transaction() as s:
        assert s.scalar(select(Booking.id)) is None


def test_a_forged_token_is_refused(bridge: Bridge, app: Flask) -> None:
    user_id = _user_id(bridge.db, "loket1001")
    with bridge.db.transaction() as s:
        fingerprint = jkn_tokens._fingerprint(s.get_one(StaffUser, user_id))
    forged = [
        URLSafeTimedSerializer("not-our-key", salt=jkn_tokens.SALT).dumps(
            {"u": user_id, "p": fingerprint}
        ),
        # Our key, but another purpose's salt: a session cookie is not a token.
        URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="cookie-session").dumps(
            {"u": user_id, "p": fingerprint}
        ),
        bridge.headers["x-token"][:-2]
        + ("AA" if not bridge.headers["x-token"].endswith("AA") else "BB"),
        "garbage",
    ]
    for token in forged:
        headers = {"x-token": token, "x-username": "loket1001"}
        answer = bridge.client.post("/antrean", json=bridge.body(), headers=headers)
        assert refused(answer, 401) == "Token tidak valid"
    with bridge.db.transaction() as s:
        assert s.scalar(select(Booking.id)) is None


def test_a_token_speaks_only_for_its_own_username(bridge: Bridge) -> None:
    add_staff(bridge.db, bridge.now, "loket2")
    headers = {**bridge.headers, "x-username": "loket2"}
    answer = bridge.client.get(f"/antrean/status/UMUM/{bridge.day}", headers=headers)
    assert refused(answer, 401) == "Token tidak valid"


def test_a_token_expires_after_twelve_hours(
    bridge: Bridge, clock: time_machine.Coordinates
) -> None:
    clock.shift(timedelta(hours=11, minutes=59))
    ok(bridge.status())
    clock.shift(timedelta(minutes=2))
    assert refused(bridge.status(), 401) == "Token expired"
    fresh = token_for(bridge.client, "loket1001")
    ok(
        bridge.client.get(
            f"/antrean/status/UMUM/{bridge.day}", headers={**bridge.headers, "x-token": fresh}
        )
    )


def test_a_new_password_voids_the_old_tokens(bridge: Bridge) -> None:
    with bridge.db.transaction() as s:
        s.scalars(select(StaffUser).where(StaffUser.username == "loket1001")).one().set_password(
            "another-pass-2"
        )
    assert refused(bridge.status(), 401) == "Token tidak valid"


def test_passwords_and_tokens_never_reach_the_log(
    bridge: Bridge, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    bridge.client.get("/auth", headers={"x-username": "loket1001", "x-password": "Wr0ng-guess-99"})
    token = token_for(bridge.client, "loket1001")
    forged = token[:-3] + "xyz"
    bridge.client.get(
        f"/antrean/status/UMUM/{bridge.day}", headers={"x-token": forged, "x-username": "loket1001"}
    )
    ok(bridge.take())
    logged = caplog.text
    assert "JKN bridge refused" in logged  # the refusals were logged, without their secrets
    for secret in (PASSWORD, "Wr0ng-guess-99", token, forged, bridge.headers["x-token"], CARD):
        assert secret not in logged


# --- GET /antrean/status ----------------------------------------------------------------------


def test_status_answers_the_real_fields_from_the_engine(bridge: Bridge) -> None:
    ok(bridge.take())
    ok(bridge.take(nomorkartu=OTHER_CARD, nohp="081298765432"))
    morning = session_id(bridge.db, day=today(bridge.now))
    bridge.db.run(
        lambda s: call_next(s, morning, actor="dr", channel=Channel.STAFF, now=bridge.now)
    )

    status = ok(bridge.status())
    assert status == {
        "namapoli": "Poli Umum",
        "totalantrean": 2,
        "sisaantrean": 1,
        "antreanpanggil": "A-001",
        "keterangan": "Sisa kuota 38 dari 40.",
        "kodedokter": None,
        "namadokter": "dr. Rina Marlina",
        "jampraktek": "08:00-12:00",
    }


def test_status_speaks_of_the_afternoon_once_the_morning_is_over(
    bridge: Bridge, clock: time_machine.Coordinates
) -> None:
    clock.shift(timedelta(hours=5))  # 12:30 in Serang
    fresh = token_for(bridge.client, "loket1001")
    headers = {**bridge.headers, "x-token": fresh}
    status = ok(bridge.client.get(f"/antrean/status/UMUM/{bridge.day}", headers=headers))
    assert status["jampraktek"] == "13:00-16:00"
    assert status["totalantrean"] == 0


def test_status_of_a_day_without_practice_says_so(bridge: Bridge) -> None:
    sunday = today(bridge.now) + timedelta(days=6)
    assert refused(bridge.status(day=sunday.isoformat())) == (
        "Poli Umum tidak ada jadwal praktek pada tanggal 29-11-2026"
    )


# --- POST /antrean ----------------------------------------------------------------------------


def test_taking_a_number_answers_the_real_fields_and_books_through_the_engine(
    bridge: Bridge,
) -> None:
    taken = ok(bridge.take())
    assert taken == {
        "nomorantrean": "A-001",
        "angkaantrean": 1,
        "namapoli": "Poli Umum",
        "sisaantrean": 0,
        "antreanpanggil": "",
        "keterangan": "Perkiraan dilayani pukul 08:00 WIB. "
        "Harap datang sebelum nomor Anda dipanggil.",
    }
    with bridge.db.transaction() as s:
        booking = s.scalars(select(Booking)).one()
        assert booking.channel == Channel.API
        assert booking.booked_by == "+6281234567890"
        assert booking.person.bpjs_number == CARD
        assert booking.person.name == ""
        receipt = s.scalars(select(Outbox).where(Outbox.booking_id == booking.id)).one()
        assert "A-001" in receipt.body


def test_nik_complaint_and_medical_record_number_are_not_stored(bridge: Bridge) -> None:
    ok(
        bridge.take(
            nik="3299887766554433",
            keluhan="Sakit gigi geraham kiri",
            norm="RM-778899",
            kodedokter="77331",
        )
    )
    with bridge.db.engine.connect() as connection:
        stored = " ".join(
            str(row)
            for table in metadata.sorted_tables
            for row in connection.execute(text(f'SELECT * FROM "{table.name}"'))
        )
    assert CARD in stored  # the dump does hold the booking
    for dropped in ("3299887766554433", "Sakit gigi", "RM-778899", "77331"):
        assert dropped not in stored


def test_a_retried_request_gets_the_same_number(bridge: Bridge) -> None:
    first = ok(bridge.take())
    again = ok(bridge.take())
    assert again["nomorantrean"] == first["nomorantrean"] == "A-001"
    with bridge.db.transaction() as s:
        assert len(s.scalars(select(Booking)).all()) == 1


def test_a_second_number_for_the_same_card_poli_and_day_is_refused(bridge: Bridge) -> None:
    ok(bridge.take())
    for second in (
        bridge.take(jampraktek="13:00-16:00"),
        bridge.take(nohp="081298765432"),
        bridge.take(jampraktek=""),
    ):
        assert refused(second) == (
            "Nomor antrean hanya dapat diambil 1 kali pada tanggal dan poli yang sama"
        )
    # Another poli, or another day, is another number.
    assert ok(bridge.take(kodepoli="GIGI"))["nomorantrean"] == "B-001"
    assert ok(bridge.take(tanggalperiksa=bridge.tomorrow))["nomorantrean"] == "A-001"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"tanggalperiksa": "2026-11-22"}, "Tanggal periksa tidak berlaku mundur"),
        (
            {"tanggalperiksa": "2026-11-30"},
            "Tanggal periksa hanya boleh hari ini sampai 1 hari ke depan",
        ),
        (
            {"tanggalperiksa": "23-11-2026"},
            "Format tanggal tidak sesuai, format yang benar adalah yyyy-mm-dd",
        ),
        (
            {"tanggalperiksa": "2026-02-30"},
            "Format tanggal tidak sesuai, format yang benar adalah yyyy-mm-dd",
        ),
        ({"tanggalperiksa": ""}, "Tanggal periksa tidak boleh kosong"),
        ({"kodepoli": "MATA"}, "Poli tidak ditemukan"),
        ({"kodepoli": ""}, "Kode poli tidak boleh kosong"),
        (
            {"nomorkartu": "000123456789"},
            "Format nomor kartu tidak sesuai, nomor kartu harus 13 digit angka",
        ),
        (
            {"nomorkartu": "00012345678901"},
            "Format nomor kartu tidak sesuai, nomor kartu harus 13 digit angka",
        ),
        (
            {"nomorkartu": "000123456789X"},
            "Format nomor kartu tidak sesuai, nomor kartu harus 13 digit angka",
        ),
        ({"nomorkartu": None}, "Nomor kartu tidak boleh kosong"),
        ({"nohp": ""}, "Nomor HP tidak boleh kosong"),
        ({"nohp": "12345"}, "Nomor HP itu tidak bisa menerima SMS."),
        (
            {"jampraktek": "8-12"},
            "Format jam praktek tidak sesuai, format yang benar adalah HH:MM-HH:MM",
        ),
        (
            {"jampraktek": "17:00-19:00"},
            "Jadwal praktek 17:00-19:00 tidak ada untuk Poli Umum. "
            "Jadwal yang ada: 08:00-12:00, 13:00-16:00",
        ),
    ],
)
def test_a_request_that_cannot_be_booked_gets_code_201_and_a_readable_reason(
    bridge: Bridge, changes: dict[str, Any], message: str
) -> None:
    assert refused(bridge.take(**changes)) == message
    with bridge.db.transaction() as s:
        assert s.scalar(select(Booking.id)) is None


def test_jampraktek_picks_the_session_and_without_it_the_first_with_room(bridge: Bridge) -> None:
    afternoon = ok(bridge.take(jampraktek="13:00-16:00"))
    morning = ok(bridge.take(nomorkartu=OTHER_CARD, nohp="081298765432", jampraktek=None))
    inside = ok(
        bridge.take(nomorkartu="0001111111111", nohp="081311112222", jampraktek="14:00-15:00")
    )
    with bridge.db.transaction() as s:
        starts = {
            b.person.bpjs_number: b.session.start_time for b in s.scalars(select(Booking)).all()
        }
    assert starts == {CARD: time(13), OTHER_CARD: time(8), "0001111111111": time(13)}
    # One sequence for the poli's day, whichever session: no two patients hold A-001.
    assert afternoon["nomorantrean"] == "A-001"
    assert morning["nomorantrean"] == "A-002"
    assert inside["nomorantrean"] == "A-003"
    assert [r["angkaantrean"] for r in (afternoon, morning, inside)] == [1, 2, 3]


def test_one_phone_books_for_a_family_each_card_its_own_person(bridge: Bridge) -> None:
    ok(bridge.take())
    child = ok(bridge.take(nomorkartu=OTHER_CARD))
    assert child["nomorantrean"] == "A-002"
    with bridge.db.transaction() as s:
        people = {p.bpjs_number: p.name for p in s.scalars(select(Person)).all()}
    assert people == {CARD: "", OTHER_CARD: f"Peserta {OTHER_CARD}"}
    # Each card is answered for on its own.
    assert ok(bridge.remaining(OTHER_CARD))["nomorantrean"] == "A-002"
    assert ok(bridge.remaining(CARD))["nomorantrean"] == "A-001"


def test_the_bpjs_poli_code_and_any_case_of_our_code_find_the_poli(bridge: Bridge) -> None:
    _set_bpjs_code(bridge.db, "1001", "GIGI", "002")
    assert ok(bridge.take(kodepoli="002"))["namapoli"] == "Poli Gigi"
    assert ok(bridge.status("002"))["totalantrean"] == 1
    assert ok(bridge.status("gigi"))["totalantrean"] == 1


# --- GET /antrean/sisapeserta and PUT /antrean/batal -----------------------------------------


def test_remaining_answers_the_real_fields(bridge: Bridge) -> None:
    ok(bridge.take(nomorkartu=OTHER_CARD, nohp="081298765432"))
    ok(bridge.take())
    assert ok(bridge.remaining()) == {
        "nomorantrean": "A-002",
        "namapoli": "Poli Umum",
        "sisaantrean": 1,
        "antreanpanggil": "",
        "keterangan": "Perkiraan dilayani pukul 08:10 WIB. "
        "Harap datang sebelum nomor Anda dipanggil.",
    }
    morning = session_id(bridge.db, day=today(bridge.now))
    bridge.db.run(
        lambda s: call_next(s, morning, actor="dr", channel=Channel.STAFF, now=bridge.now)
    )
    remaining = ok(bridge.remaining())
    assert (remaining["sisaantrean"], remaining["antreanpanggil"]) == (1, "A-001")
    assert refused(bridge.remaining("0005555555555")) == "Antrean tidak ditemukan"
    assert refused(bridge.remaining("12345")) == (
        "Format nomor kartu tidak sesuai, nomor kartu harus 13 digit angka"
    )


def test_cancel_then_status_and_a_new_number_after(bridge: Bridge) -> None:
    ok(bridge.take())
    ok(bridge.take(nomorkartu=OTHER_CARD, nohp="081298765432"))
    assert ok(bridge.status())["totalantrean"] == 2

    assert bridge.cancel().json == {"response": None, "metadata": {"message": "Ok", "code": 200}}
    status = ok(bridge.status())
    assert (status["totalantrean"], status["sisaantrean"]) == (1, 1)
    assert status["keterangan"] == "Sisa kuota 39 dari 40."
    assert refused(bridge.remaining()) == "Antrean tidak ditemukan"
    assert ok(bridge.remaining(OTHER_CARD))["sisaantrean"] == 0
    ok(bridge.cancel())  # cancelling again is cancelling once

    # The same request as before the cancel is a new booking now, not a replay.
    again = ok(bridge.take())
    assert again["nomorantrean"] == "A-003"
    with bridge.db.transaction() as s:
        statuses = sorted(b.status.value for b in s.scalars(select(Booking)).all())
    assert statuses == ["booked", "booked", "cancelled"]


def test_after_the_number_was_served_the_same_request_books_again(bridge: Bridge) -> None:
    first = ok(bridge.take(jampraktek=""))
    sid = _session_of(bridge.db, first["nomorantrean"])
    bridge.db.run(lambda s: call_next(s, sid, actor="nurse", channel="staff", now=bridge.now))
    with bridge.db.transaction() as s:
        served = s.scalars(select(Booking)).one()
    bridge.db.run(
        lambda s: mark_served(s, served.id, actor="nurse", channel="staff", now=bridge.now)
    )
    again = ok(bridge.take(jampraktek=""))  # a second visit the same day: a new number
    assert again["nomorantrean"] == "A-002"


def test_text_the_database_cannot_hold_is_the_callers_error(
    bridge: Bridge, database_url: str
) -> None:
    answer = bridge.status(poli="%00")
    if database_url.startswith("postgresql"):  # PostgreSQL refuses NUL in text; not an outage
        assert refused(answer, 400) == "Isian memuat karakter yang tidak dapat diproses"
    else:
        assert refused(answer) == "Poli tidak ditemukan"


def _session_of(db: Database, display: str) -> int:
    with db.transaction() as s:
        return s.scalars(select(Booking.session_id).where(Booking.display == display)).one()


def test_cancel_refuses_what_it_cannot_cancel(bridge: Bridge) -> None:
    assert refused(bridge.cancel()) == "Antrean tidak ditemukan"
    assert refused(bridge.cancel(poli="MATA")) == "Poli tidak ditemukan"
    assert refused(bridge.cancel(day="2026-11-22")) == "Tanggal periksa tidak berlaku mundur"
    ok(bridge.take())
    morning = session_id(bridge.db, day=today(bridge.now))
    bridge.db.run(
        lambda s: call_next(s, morning, actor="dr", channel=Channel.STAFF, now=bridge.now)
    )
    assert refused(bridge.cancel()) == "Nomor A-001 sudah dipanggil, tidak bisa dibatalkan."
    with bridge.db.transaction() as s:
        assert s.scalars(select(Booking)).one().status == BookingStatus.CALLED


# --- one facility cannot reach another --------------------------------------------------------


def test_staff_of_another_facility_reach_nothing_of_this_one(bridge: Bridge, app: Flask) -> None:
    _set_bpjs_code(bridge.db, "1001", "UMUM", "001")
    ok(bridge.take())
    add_staff(bridge.db, bridge.now, "loket2001", facility="2001")
    other = Bridge(
        client=app.test_client(),
        db=bridge.db,
        now=bridge.now,
        headers={"x-token": token_for(bridge.client, "loket2001"), "x-username": "loket2001"},
    )
    assert refused(other.status("001")) == "Poli tidak ditemukan"
    assert refused(other.remaining(CARD, "001")) == "Poli tidak ditemukan"
    assert refused(other.remaining(CARD, "UMUM")) == "Antrean tidak ditemukan"
    assert refused(other.cancel(CARD, "UMUM")) == "Antrean tidak ditemukan"
    assert refused(other.cancel(CARD, "001")) == "Poli tidak ditemukan"
    assert ok(other.status("UMUM"))["totalantrean"] == 0  # its own Poli Umum, not ours
    assert ok(bridge.remaining(CARD, "001"))["nomorantrean"] == "A-001"
    with bridge.db.transaction() as s:
        assert s.scalars(select(Booking)).one().status == BookingStatus.BOOKED


def test_two_copies_of_one_request_racing_get_one_number(bridge: Bridge, app: Flask) -> None:
    answers: list[TestResponse] = []

    def send() -> None:
        answers.append(
            app.test_client().post("/antrean", json=bridge.body(), headers=bridge.headers)
        )

    racers = [threading.Thread(target=send) for _ in range(4)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join()
    assert {ok(answer)["nomorantrean"] for answer in answers} == {"A-001"}
    with bridge.db.transaction() as s:
        assert len(s.scalars(select(Booking)).all()) == 1


# --- bad bodies -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "http_status", "message"),
    [
        (b"{not json", 400, "Isi permintaan harus JSON berbentuk objek"),
        (b"[1, 2]", 400, "Isi permintaan harus JSON berbentuk objek"),
        (b"\xff\xfe", 400, "Isi permintaan harus JSON berbentuk objek"),
        (b"", 400, "Isi permintaan harus JSON berbentuk objek"),
        (
            json.dumps({"nomorkartu": 1234567890123}).encode(),
            400,
            "Kolom nomorkartu harus berupa teks",
        ),
        (
            json.dumps({"nomorkartu": CARD, "kodepoli": ["a"]}).encode(),
            400,
            "Kolom kodepoli harus berupa teks",
        ),
        (
            json.dumps({"nomorkartu": CARD, "tanggalperiksa": "1" * 500}).encode(),
            400,
            "Kolom tanggalperiksa terlalu panjang (paling banyak 200 karakter)",
        ),
        (b"[" * 3000, 400, "Isi permintaan harus JSON berbentuk objek"),  # nested too deep
        (
            b'{"keluhan": "' + b"x" * 5000 + b'"}',
            413,
            "Isi permintaan terlalu besar (paling banyak 4096 byte)",
        ),
    ],
)
def test_a_broken_body_gets_the_envelope_never_a_500(
    bridge: Bridge, raw: bytes, http_status: int, message: str
) -> None:
    for method in (bridge.client.post, bridge.client.put):
        path = "/antrean" if method == bridge.client.post else "/antrean/batal"
        answer = method(
            path, data=raw, headers={**bridge.headers, "Content-Type": "application/json"}
        )
        assert refused(answer, http_status) == message


def test_json_sent_as_a_form_is_still_read(bridge: Bridge) -> None:
    # PHP examples for this web service send their JSON with a form content type.
    headers = {**bridge.headers, "Content-Type": "application/x-www-form-urlencoded"}
    answer = bridge.client.post("/antrean", data=json.dumps(bridge.body()), headers=headers)
    assert ok(answer)["nomorantrean"] == "A-001"


def test_a_database_out_of_reach_is_a_503_in_the_envelope(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(
        {
            "DATABASE_URL": "postgresql+psycopg://antre@127.0.0.1:9/antre?connect_timeout=2",
            "TESTING": True,
            "SECRET_KEY": "test",
            "REDIS_URL": None,
        }
    )
    app.instance_path = str(tmp_path / "instance")
    client = app.test_client()
    # A well-signed token, so that the request gets as far as the database.
    token = URLSafeTimedSerializer("test", salt=jkn_tokens.SALT).dumps({"u": 1, "p": "x"})
    answers = [
        client.get("/auth", headers={"x-username": "loket1001", "x-password": PASSWORD}),
        client.get(
            "/antrean/status/UMUM/2026-11-23", headers={"x-token": token, "x-username": "u"}
        ),
    ]
    for answer in answers:
        assert refused(answer, 503) == (
            "Layanan antrean sedang sibuk, silakan coba beberapa saat lagi"
        )
    assert "the database failed (OperationalError)" in caplog.text
    assert PASSWORD not in caplog.text and token not in caplog.text
    database(app).dispose()


_ANY_JSON = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=30),
    st.sampled_from([CARD, NIK, PHONE, "UMUM", "GIGI", "2026-11-23", "2026-11-24", "08:00-12:00"]),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
_FIELDS = (
    "nomorkartu",
    "nik",
    "nohp",
    "kodepoli",
    "kodedokter",
    "tanggalperiksa",
    "jampraktek",
    "keluhan",
    "norm",
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=st.dictionaries(st.sampled_from(_FIELDS), _ANY_JSON, max_size=len(_FIELDS)))
def test_any_post_body_gets_an_answer_in_the_envelope(bridge: Bridge, body: dict[str, Any]) -> None:
    answer = bridge.client.post("/antrean", json=body, headers=bridge.headers)
    assert answer.status_code in (200, 400, 413), answer.get_data(as_text=True)
    assert answer.is_json
    metadata = answer.json["metadata"]
    assert metadata["code"] in (200, 201)
    assert isinstance(metadata["message"], str) and metadata["message"]
    if metadata["code"] == 200:
        assert answer.json["response"]["nomorantrean"].startswith(("A-", "B-", "C-"))
    else:
        assert answer.json["response"] is None


def _send(bridge: Bridge, method: str, path: str, body: dict[str, Any]) -> TestResponse:
    # json.dumps writes a lone surrogate as the escape "\ud800", which JSON's grammar allows
    # and json.loads reads back into the str: the way such text reaches a server.
    headers = {**bridge.headers, "Content-Type": "application/json"}
    return bridge.client.open(path, method=method, data=json.dumps(body), headers=headers)


def _cancel_body(bridge: Bridge, **changes: Any) -> dict[str, Any]:
    fields = {"nomorkartu": CARD, "kodepoli": "UMUM", "tanggalperiksa": bridge.day}
    return {**fields, "keterangan": "peserta berhalangan", **changes}


_CANCEL_FIELDS = ("nomorkartu", "kodepoli", "tanggalperiksa", "keterangan")


def test_a_lone_surrogate_in_any_field_is_refused_in_the_envelope(bridge: Bridge) -> None:
    sent = [("POST", "/antrean", field, bridge.body(**{field: "UMUM\ud800"})) for field in _FIELDS]
    sent += [
        ("PUT", "/antrean/batal", field, _cancel_body(bridge, **{field: "\udc00"}))
        for field in _CANCEL_FIELDS
    ]
    for method, path, field, body in sent:
        message = refused(_send(bridge, method, path, body), 400)
        assert message == f"Kolom {field} memuat karakter yang tidak dapat diproses", field
    with bridge.db.transaction() as s:
        assert s.scalar(select(Booking.id)) is None


# Every code point, lone surrogates included (hypothesis leaves out category Cs unless told).
_ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=20)
# A path segment: any text but one that makes another path ("/", or nothing at all).
_ANY_SEGMENT = st.text(
    st.characters(exclude_categories=(), exclude_characters="/"), min_size=1, max_size=20
)
_REAL = {
    "nomorkartu": CARD,
    "nik": NIK,
    "nohp": PHONE,
    "kodepoli": "UMUM",
    "kodedokter": "12345",
    "tanggalperiksa": "2026-11-23",
    "jampraktek": "08:00-12:00",
    "keluhan": "demam",
    "norm": "RM-000123",
    "keterangan": "peserta berhalangan",
}


def _fields(names: tuple[str, ...]) -> st.SearchStrategy[dict[str, str]]:
    """Each field its real value or any text, so that odd text also reaches the later checks."""
    return st.fixed_dictionaries({name: st.just(_REAL[name]) | _ANY_TEXT for name in names})


def _as_a_server_passes_it(path: str) -> str:
    """PATH_INFO as a WSGI server gives it: the bytes sent (UTF-8, or what a client made of a
    lone surrogate) read as Latin-1."""
    return path.encode("utf-8", "surrogatepass").decode("latin-1")


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    take=_fields(_FIELDS),
    cancel=_fields(_CANCEL_FIELDS),
    segments=st.tuples(
        *[
            st.just(_REAL[name]) | _ANY_SEGMENT
            for name in ("nomorkartu", "kodepoli", "tanggalperiksa")
        ]
    ),
)
@example(take={**_REAL, "kodepoli": "\ud800"}, cancel=_REAL, segments=(CARD, "\ud800", "\udc00"))
def test_any_text_in_any_field_or_path_gets_an_answer_never_a_500(
    bridge: Bridge, take: dict[str, str], cancel: dict[str, str], segments: tuple[str, ...]
) -> None:
    card, poli, day = segments
    answers = [
        _send(bridge, "POST", "/antrean", take),
        _send(bridge, "PUT", "/antrean/batal", cancel),
    ]
    for path in (f"/antrean/status/{poli}/{day}", f"/antrean/sisapeserta/{card}/{poli}/{day}"):
        environ = {"PATH_INFO": _as_a_server_passes_it(path)}
        answers.append(bridge.client.get("/", headers=bridge.headers, environ_overrides=environ))
    for answer in answers:
        assert answer.status_code < 500, answer.get_data(as_text=True)
        assert answer.json["metadata"]["code"] in (200, 201), answer.get_data(as_text=True)
        assert answer.json["metadata"]["message"]


# --- helpers ----------------------------------------------------------------------------------


def _user_id(db: Database, username: str) -> int:
    with db.transaction() as s:
        return int(s.scalars(select(StaffUser.id).where(StaffUser.username == username)).one())


def _set_bpjs_code(db: Database, facility: str, service: str, code: str) -> None:
    with db.transaction() as s:
        row = s.scalars(
            select(Service)
            .join(Facility, Service.facility_id == Facility.id)
            .where(Facility.code == facility, Service.code == service)
        ).one()
        row.bpjs_poli_code = code
