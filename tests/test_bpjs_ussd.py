"""A USSD caller gives a BPJS card number when taking a number, and BPJS hears of the number."""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine
from flask import Flask
from sqlalchemy import select

from booking.models import Booking, Facility, Phone
from plumbing.db import Database
from plumbing.db import database_of as database
from tests import fake_bpjs
from tests.bpjs_helpers import CARD, delivered, statuses
from tests.helpers import today
from ussd.phone import Handset, through_app

# The look-alike, the app configured for it and the mapped session `sid`.
pytest_plugins = ("tests.bpjs_fixtures",)
PHONE = "+6281234567890"


@pytest.fixture
def phone(bpjs_app: Flask, sid: int, clock: time_machine.Coordinates) -> Handset:
    """A phone that has used the demo puskesmas before (its first session mapped to BPJS)."""
    with database(bpjs_app).transaction() as s:
        facility = s.scalars(select(Facility).where(Facility.code == "1001")).one()
        s.add(Phone(number=PHONE, language="id", facility_id=facility.id))
    return Handset(through_app(bpjs_app), PHONE)


def bookings(db: Database) -> list[tuple[str, str, str | None]]:
    with db.transaction() as s:
        rows = s.scalars(select(Booking).order_by(Booking.id))
        return [(b.display, b.person.name, b.person.bpjs_number) for b in rows]


def test_a_ussd_booking_with_a_card_number_is_one_antrean_add_with_the_right_fields(
    bpjs_app: Flask, fake: fake_bpjs.FakeBpjs, phone: Handset, now: datetime
) -> None:
    phone.dial()
    phone.press("1")  # take a number
    phone.press("1")  # Poli Umum
    assert "3 Pakai BPJS" in phone.press("1")  # today 08:00: the confirm screen
    assert phone.press("3").startswith("CON Ketik nomor kartu BPJS (13 angka):")
    wrong = phone.press("000123456789")  # one digit short: said, and asked again
    assert wrong.startswith("CON Nomor kartu BPJS harus 13 angka.\nKetik nomor kartu BPJS")
    confirm = phone.press(CARD)
    assert "Kartu BPJS *7890. Untuk siapa?" in confirm
    assert CARD not in confirm and "1 Untuk saya" in confirm
    assert phone.press("1").startswith("END Nomor Anda: A-001\nPoli Umum")
    assert bookings(database(bpjs_app)) == [("A-001", "", CARD)]
    [(path, body)] = delivered(bpjs_app, fake, 1)
    assert path == "antrean/add"
    assert {key: body[key] for key in ("nomorkartu", "nohp", "kodepoli", "tanggalperiksa")} == {
        "nomorkartu": CARD,
        "nohp": "081234567890",
        "kodepoli": "001",
        "tanggalperiksa": today(now).isoformat(),
    }
    assert (body["nomorantrean"], body["angkaantrean"], body["kodedokter"]) == ("A-001", 1, 123)
    assert (body["namadokter"], body["jampraktek"]) == ("dr. Śri Wahyuni", "08:00-12:00")


def test_the_card_in_one_dial_and_for_someone_else(
    bpjs_app: Flask, fake: fake_bpjs.FakeBpjs, phone: Handset
) -> None:
    assert phone.dial(f"*123*1001*1*1*1*3*{CARD}*1#").startswith("END Nomor Anda: A-001")
    other = "0009876543210"
    phone.dial()
    for typed in ("1", "1", "1", "3", other):
        phone.press(typed)
    assert phone.press("2").startswith("CON Ketik nama pasien:")
    assert phone.press("Siti Aminah").startswith("END Nomor A-002 untuk Siti Aminah")
    assert bookings(database(bpjs_app)) == [("A-001", "", CARD), ("A-002", "Siti Aminah", other)]
    calls = delivered(bpjs_app, fake, 2)
    # Two bookings: each one's calls go in order, the two between them in either.
    assert sorted((path, body["nomorkartu"]) for path, body in calls) == sorted(
        [("antrean/add", CARD), ("antrean/add", other)]
    )


def test_without_a_card_the_path_is_as_before_and_nothing_goes_to_bpjs(
    bpjs_app: Flask, phone: Handset
) -> None:
    assert phone.dial("*123*1001*1*1*1*1#").startswith("END Nomor Anda: A-001")
    assert bookings(database(bpjs_app)) == [("A-001", "", None)]
    assert statuses(database(bpjs_app)) == []  # written with the booking, or never


def test_a_card_given_once_is_remembered_for_that_person(
    bpjs_app: Flask, fake: fake_bpjs.FakeBpjs, phone: Handset
) -> None:
    assert phone.dial(f"*123*1001*1*1*1*3*{CARD}*1#").startswith("END Nomor Anda: A-001")
    # Tomorrow, by the plain "for me" path: BPJS hears of it with the card given before.
    assert phone.dial("*123*1001*1*1*3*1#").startswith("END Nomor Anda: A-001")
    calls = delivered(bpjs_app, fake, 2)
    assert [(path, body["nomorkartu"]) for path, body in calls] == [("antrean/add", CARD)] * 2
    assert calls[0][1]["tanggalperiksa"] != calls[1][1]["tanggalperiksa"]
