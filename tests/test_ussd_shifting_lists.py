"""A key press picks what the caller's screen showed, even when the list changed since.

Every list screen (services, slots, numbers to cancel, my numbers, health centres) is shown,
then the database changes under it (the desk cancels a number, staff cancel a session, a
service or a health centre stops taking bookings), then the caller presses a key: the press
acts on the row the screen showed, or says in one line that it changed and shows the list
afresh, never on a row that moved into the place the caller picked.
"""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine
from flask import Flask
from sqlalchemy import func, select

from booking.clinic_sessions import cancel_session
from booking.commands import CancelBooking
from booking.models import Booking, BookingStatus, Channel, Facility, Phone, Service
from booking.taking import cancel_booking
from plumbing.db import Database
from tests.helpers import session_id, set_capacity, take, today
from ussd.phone import Handset, through_app

PHONE = "+6281234567890"
OTHER = "+6281234567801"


@pytest.fixture
def phone(app: Flask, demo: Database, clock: time_machine.Coordinates) -> Handset:
    return Handset(through_app(app), PHONE)


def remember(db: Database, code: str = "1001") -> None:
    with db.transaction() as s:
        facility = s.scalars(select(Facility).where(Facility.code == code)).one()
        s.add(Phone(number=PHONE, language="id", facility_id=facility.id))


def three_numbers(db: Database, now: datetime) -> list[Booking]:
    """One number in each of the three services today, in the order the lists show them."""
    day = today(now)
    return [
        take(db, session_id(db, service=code, day=day), PHONE, now)
        for code in ("UMUM", "GIGI", "KIA")
    ]


def desk_cancels(db: Database, booking: Booking, now: datetime) -> None:
    command = CancelBooking(booking.id, Channel.STAFF, actor="desk", by_facility=True)
    db.run(lambda s: cancel_booking(s, command, now))


def status_of(db: Database, booking: Booking) -> BookingStatus:
    with db.transaction() as s:
        return s.get_one(Booking, booking.id).status


def booking_count(db: Database) -> int:
    with db.transaction() as s:
        return s.scalar(select(func.count()).select_from(Booking)) or 0


def fits(screen: str) -> str:
    assert len(screen) <= 160, screen
    return screen


def test_cancel_acts_on_the_number_picked_when_the_desk_cancels_another(
    phone: Handset, demo: Database, now: datetime
) -> None:
    remember(demo)
    first, second, third = three_numbers(demo, now)
    phone.dial()
    listed = phone.press("3")
    assert "1 A-001" in listed and "2 B-001" in listed and "3 C-001" in listed
    assert phone.press("2").startswith("CON Batalkan nomor B-001")
    desk_cancels(demo, first, now)  # B-001 is now first in the list, C-001 second
    assert phone.press("1").startswith("END Nomor B-001")
    assert status_of(demo, second) == BookingStatus.CANCELLED
    assert status_of(demo, third) == BookingStatus.BOOKED  # C-001 is never cancelled


def test_a_number_cancelled_meanwhile_is_said_and_the_list_shown_afresh(
    phone: Handset, demo: Database, now: datetime
) -> None:
    remember(demo)
    first, second, third = three_numbers(demo, now)
    phone.dial()
    phone.press("3")
    phone.press("2")
    desk_cancels(demo, second, now)
    screen = fits(phone.press("1"))
    assert screen.startswith("CON Nomor itu sudah tidak aktif.\n1 A-001")
    assert "2 C-001" in screen and "B-001" not in screen
    assert status_of(demo, first) == BookingStatus.BOOKED
    assert status_of(demo, third) == BookingStatus.BOOKED
    # The next press picks from the list just shown.
    assert phone.press("2").startswith("CON Batalkan nomor C-001")
    assert phone.press("1").startswith("END Nomor C-001")
    assert status_of(demo, first) == BookingStatus.BOOKED


def test_a_pick_on_the_cancel_list_resolves_against_what_was_shown(
    phone: Handset, demo: Database, now: datetime
) -> None:
    remember(demo)
    first, _second, third = three_numbers(demo, now)
    phone.dial()
    phone.press("3")
    desk_cancels(demo, first, now)  # after the list was shown, before the pick
    assert phone.press("2").startswith("CON Batalkan nomor B-001")
    assert phone.press("1").startswith("END Nomor B-001")
    assert status_of(demo, third) == BookingStatus.BOOKED


def test_my_numbers_then_cancel_acts_on_the_ticket_shown(
    phone: Handset, demo: Database, now: datetime
) -> None:
    remember(demo)
    first, second, third = three_numbers(demo, now)
    phone.dial()
    phone.press("2")
    assert phone.press("2").startswith("CON B-001 Poli Gigi")
    desk_cancels(demo, first, now)
    assert phone.press("1").startswith("CON Batalkan nomor B-001")
    assert phone.press("1").startswith("END Nomor B-001")
    assert status_of(demo, second) == BookingStatus.CANCELLED
    assert status_of(demo, third) == BookingStatus.BOOKED


def test_my_numbers_pick_of_a_number_cancelled_meanwhile_says_so(
    phone: Handset, demo: Database, now: datetime
) -> None:
    remember(demo)
    _first, second, _third = three_numbers(demo, now)
    phone.dial()
    phone.press("2")
    desk_cancels(demo, second, now)
    screen = fits(phone.press("2"))
    assert screen.startswith(
        "CON Nomor itu sudah tidak aktif.\n1 A-001 Poli Umum Sen 23/11\n2 C-001 Poli KIA"
    )


def test_a_confirmed_slot_whose_session_staff_cancelled_books_nothing_else(
    phone: Handset, demo: Database, now: datetime
) -> None:
    remember(demo)
    sid = session_id(demo, day=today(now))
    phone.dial()
    phone.press("1")
    assert "1 Hari ini 08:00-12:00" in phone.press("1")
    assert phone.press("1").startswith("CON Poli Umum, Sen 23/11 08:00-12:00.")
    demo.run(
        lambda s: cancel_session(
            s, sid, reason="doctor away", actor="desk", channel="staff", now=now
        )
    )
    screen = fits(phone.press("1"))
    assert screen.startswith("CON Jam itu sudah tidak dibuka.\n1 ")
    assert "Hari ini 08:00-12:00" not in screen
    assert booking_count(demo) == 0
    # Picking from the fresh list books what it showed.
    assert phone.press("1").startswith("CON Poli Umum,")
    assert phone.press("1").startswith("END Nomor Anda: A-001")
    assert booking_count(demo) == 1


def test_a_slot_that_filled_after_the_list_was_shown_says_full(
    phone: Handset, demo: Database, now: datetime
) -> None:
    remember(demo)
    sid = session_id(demo, day=today(now))
    phone.dial()
    phone.press("1")
    phone.press("1")
    set_capacity(demo, sid, 1)
    take(demo, sid, OTHER, now)
    screen = fits(phone.press("1"))
    assert screen.startswith("CON Jam itu sudah penuh.\n1 ")
    assert booking_count(demo) == 1


def test_a_confirm_for_a_session_that_filled_meanwhile_says_full(
    phone: Handset, demo: Database, now: datetime
) -> None:
    remember(demo)
    sid = session_id(demo, day=today(now))
    phone.dial()
    phone.press("1")
    phone.press("1")
    phone.press("1")
    set_capacity(demo, sid, 1)
    take(demo, sid, OTHER, now)
    screen = fits(phone.press("1"))
    assert screen.startswith("CON Jam itu sudah penuh.\n1 ")
    assert booking_count(demo) == 1
    with demo.transaction() as s:
        assert s.scalar(select(func.count()).where(Booking.booked_by == PHONE)) == 0


def test_a_one_dial_string_for_a_full_session_says_it_is_full(
    phone: Handset, demo: Database, now: datetime
) -> None:
    sid = session_id(demo, day=today(now))
    set_capacity(demo, sid, 1)
    take(demo, sid, OTHER, now)
    screen = fits(phone.dial("*123*1001*1*1*1*1#"))
    assert screen.startswith("CON Jam itu sudah penuh.\n1 Hari ini 08:00-12:00")
    assert booking_count(demo) == 1
    # What follows in the string was not run on another screen: the next press picks a slot.
    assert phone.press("2").startswith("CON Poli Umum,")


def test_a_service_that_stopped_meanwhile_is_said_not_replaced(
    phone: Handset, demo: Database
) -> None:
    remember(demo)
    phone.dial()
    assert "1 Poli Umum\n2 Poli Gigi\n3 Poli KIA" in phone.press("1")
    with demo.transaction() as s:
        umum = s.scalars(select(Service).where(Service.code == "UMUM")).first()
        assert umum is not None
        umum.active = False
    screen = fits(phone.press("1"))
    assert screen.startswith("CON Daftar berubah, pilih lagi.\n1 Poli Gigi")
    assert phone.press("1").startswith("CON Poli Gigi: kapan?")


def test_a_service_pick_keeps_the_one_shown_when_one_before_it_stops(
    phone: Handset, demo: Database
) -> None:
    remember(demo)
    phone.dial()
    phone.press("1")
    with demo.transaction() as s:
        umum = s.scalars(select(Service).where(Service.code == "UMUM")).first()
        assert umum is not None
        umum.active = False
    # The pick of GIGI (second on the screen shown) still picks GIGI, not KIA.
    assert phone.press("2").startswith("CON Poli Gigi: kapan?")


def test_a_health_centre_pick_resolves_against_the_list_shown(
    phone: Handset, demo: Database
) -> None:
    phone.dial()
    districts = phone.press("2")
    line = next(line for line in districts.split("\n") if line.endswith("Kota Serang"))
    listed = phone.press(line.split(" ")[0])
    assert "1 Puskesmas Cipocok Jaya\n2 Puskesmas Walantaka" in listed
    with demo.transaction() as s:
        first = s.scalars(select(Facility).where(Facility.code == "1001")).one()
        first.active = False
    assert phone.press("2").startswith("CON Puskesmas Walantaka\n")


def test_a_health_centre_that_stopped_meanwhile_is_said(phone: Handset, demo: Database) -> None:
    phone.dial()
    districts = phone.press("2")
    line = next(line for line in districts.split("\n") if line.endswith("Kota Serang"))
    phone.press(line.split(" ")[0])
    with demo.transaction() as s:
        s.scalars(select(Facility).where(Facility.code == "1001")).one().active = False
    screen = fits(phone.press("1"))
    assert screen.startswith("CON Daftar berubah, pilih lagi.\n1 Puskesmas Walantaka")


def test_after_a_lost_store_a_confirm_asks_again_instead_of_guessing(
    app: Flask, phone: Handset, demo: Database, now: datetime
) -> None:
    remember(demo)
    first, second, third = three_numbers(demo, now)
    phone.dial()
    phone.press("3")
    phone.press("2")
    desk_cancels(demo, first, now)
    app.extensions.pop("ussd.store")  # a worker that never saw this session
    screen = fits(phone.press("1"))
    assert screen.startswith("CON Silakan pilih lagi.\n1 B-001 Poli Gigi Sen 23/11\n2 C-001")
    assert status_of(demo, second) == BookingStatus.BOOKED
    assert status_of(demo, third) == BookingStatus.BOOKED
    assert phone.press("1").startswith("CON Batalkan nomor B-001")
