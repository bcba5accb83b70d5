"""The booking rules of design §3, each refused with a reason a user can read."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from booking.clinic_sessions import cancel_session
from booking.commands import CancelBooking
from booking.errors import Reason, Refused
from booking.models import Booking, BookingStatus, Channel, ClinicSession, Event, Outbox
from booking.taking import cancel_booking
from plumbing.db import Database
from tests.helpers import session_id, set_capacity, take, today
from texts import translate

PHONE = "+6281234567890"


def refusal(db: Database, sid: int, phone: str | None, now: datetime, **kwargs: str) -> Refused:
    with pytest.raises(Refused) as caught:
        take(db, sid, phone, now, **kwargs)
    return caught.value


def test_numbers_are_sequential_per_session_with_the_service_prefix(
    demo: Database, now: datetime
) -> None:
    sid = session_id(demo, service="GIGI", day=today(now))
    numbers = [take(demo, sid, f"+62812345678{n:02d}", now).display for n in range(3)]
    assert numbers == ["B-001", "B-002", "B-003"]


def test_one_active_booking_per_person_per_service_per_day(demo: Database, now: datetime) -> None:
    sid = session_id(demo, day=today(now))
    afternoon = session_id(demo, day=today(now), start=time(13))
    first = take(demo, sid, PHONE, now)
    refused = refusal(demo, afternoon, PHONE, now)
    assert refused.reason is Reason.ALREADY_BOOKED
    assert refused.params["number"] == first.display
    # Another service the same day, or the same service for a family member, is fine.
    take(demo, session_id(demo, service="GIGI", day=today(now)), PHONE, now)
    take(demo, afternoon, PHONE, now, name="Siti Aminah")


def test_a_cancelled_booking_lets_the_person_book_again(demo: Database, now: datetime) -> None:
    sid = session_id(demo, day=today(now))
    first = take(demo, sid, PHONE, now)
    demo.run(lambda s: cancel_booking(s, CancelBooking(first.id, Channel.USSD, PHONE), now))
    again = take(demo, sid, PHONE, now)
    assert again.number == first.number + 1


def test_at_most_five_people_per_phone_per_day(demo: Database, now: datetime) -> None:
    sid = session_id(demo, day=today(now))
    take(demo, sid, PHONE, now)
    for name in ("Ani", "Budi", "Citra", "Dedi"):
        take(demo, sid, PHONE, now, name=name)
    refused = refusal(demo, sid, PHONE, now, name="Eka")
    assert refused.reason is Reason.PHONE_LIMIT and refused.params["limit"] == 5
    # The same family tomorrow is a new day.
    take(demo, session_id(demo, day=today(now) + timedelta(days=1)), PHONE, now, name="Eka")


def test_booking_window_is_today_and_tomorrow(demo: Database, now: datetime) -> None:
    sid = session_id(demo, day=today(now) + timedelta(days=1))
    take(demo, sid, PHONE, now)
    two_days_before = now - timedelta(days=1)
    assert refusal(demo, sid, "+6281234567891", two_days_before).reason is Reason.OUTSIDE_WINDOW
    after_the_day = now + timedelta(days=2)
    assert refusal(demo, sid, "+6281234567892", after_the_day).reason is Reason.OUTSIDE_WINDOW


def test_booking_today_closes_at_the_cut_off_in_facility_time(
    demo: Database, now: datetime
) -> None:
    sid = session_id(demo, day=today(now))  # 08:00–12:00 WIB, cut-off 60 minutes before the end
    just_before = now.replace(hour=3, minute=59)  # 10:59 WIB
    take(demo, sid, PHONE, just_before)
    at_cutoff = now.replace(hour=4, minute=0)  # 11:00 WIB
    refused = refusal(demo, sid, "+6281234567891", at_cutoff)
    assert refused.reason is Reason.PAST_CUTOFF and refused.params["time"] == "11:00"


def test_a_full_session_refuses_and_a_cancellation_frees_a_place(
    demo: Database, now: datetime
) -> None:
    sid = session_id(demo, day=today(now))
    set_capacity(demo, sid, 2)
    take(demo, sid, "+6281234567801", now)
    second = take(demo, sid, "+6281234567802", now)
    assert refusal(demo, sid, "+6281234567803", now).reason is Reason.SESSION_FULL
    demo.run(lambda s: cancel_booking(s, CancelBooking(second.id, Channel.SMS, "x"), now))
    third = take(demo, sid, "+6281234567803", now)
    assert third.number == 3  # numbers are not reused


def test_a_cancelled_session_refuses_bookings(demo: Database, now: datetime) -> None:
    sid = session_id(demo, day=today(now))
    booked = take(demo, sid, PHONE, now)
    affected = demo.run(
        lambda s: cancel_session(
            s, sid, reason="Dokter sakit", actor="nurse", channel="staff", now=now
        )
    )
    assert [b.id for b in affected] == [booked.id]
    assert refusal(demo, sid, "+6281234567891", now).reason is Reason.SESSION_CANCELLED
    with demo.transaction() as s:
        assert s.get_one(Booking, booked.id).status is BookingStatus.CANCELLED_BY_FACILITY


def test_patients_cannot_cancel_once_called_but_staff_can(demo: Database, now: datetime) -> None:
    from booking.queue import call_next

    sid = session_id(demo, day=today(now))
    booked = take(demo, sid, PHONE, now)
    demo.run(lambda s: call_next(s, sid, actor="nurse", channel="staff", now=now))
    with pytest.raises(Refused) as caught:
        demo.run(lambda s: cancel_booking(s, CancelBooking(booked.id, Channel.SMS, PHONE), now))
    assert caught.value.reason is Reason.TOO_LATE_TO_CANCEL
    command = CancelBooking(booked.id, Channel.STAFF, "nurse", by_facility=True)
    assert demo.run(lambda s: cancel_booking(s, command, now)).status is BookingStatus.CANCELLED


def test_a_phone_that_is_not_a_mobile_is_refused(demo: Database, now: datetime) -> None:
    sid = session_id(demo, day=today(now))
    for phone in ("12345", "+62215551234", "not a phone", "+1"):
        assert refusal(demo, sid, phone, now).reason is Reason.PHONE_INVALID


def test_local_numbers_are_stored_in_e164(demo: Database, now: datetime) -> None:
    sid = session_id(demo, day=today(now))
    assert take(demo, sid, "0812-3456-7890", now).booked_by == PHONE


def test_a_walk_in_without_phone_needs_a_name(demo: Database, now: datetime) -> None:
    sid = session_id(demo, day=today(now))
    assert refusal(demo, sid, None, now, channel=Channel.STAFF).reason is Reason.NAME_INVALID
    walk_in = take(demo, sid, None, now, name="pak darto", channel=Channel.STAFF)
    with demo.transaction() as s:
        assert s.get_one(Booking, walk_in.id).person.name == "Pak Darto"
    assert walk_in.booked_by is None


def test_every_booking_writes_an_event_and_non_sms_bookings_a_receipt(
    demo: Database, now: datetime
) -> None:
    sid = session_id(demo, day=today(now))
    ussd = take(demo, sid, PHONE, now)
    sms = take(demo, sid, "+6281234567891", now, channel=Channel.SMS)
    with demo.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Event).where(Event.kind == "booked")) == 2
        receipts = s.scalars(select(Outbox).where(Outbox.kind == "receipt")).all()
    assert [r.booking_id for r in receipts] == [ussd.id]
    assert sms.id != ussd.id
    assert "A-001" in receipts[0].body and "Puskesmas Cipocok Jaya" in receipts[0].body


def test_every_refusal_reads_in_both_languages(demo: Database, now: datetime) -> None:
    sid = session_id(demo, day=today(now))
    take(demo, sid, PHONE, now)
    refused = refusal(demo, sid, PHONE, now)
    indonesian = translate("id", refused.reason.message, **refused.params)
    english = translate("en", refused.reason.message, **refused.params)
    assert indonesian == "Anda sudah punya nomor A-001 untuk Poli Umum Sen 23/11."
    assert english == "You already have number A-001 for General clinic on Mon 23/11."


def test_capacity_cannot_drop_below_places_taken(demo: Database, now: datetime) -> None:
    from booking.clinic_sessions import change_capacity

    sid = session_id(demo, day=today(now))
    take(demo, sid, PHONE, now)
    take(demo, sid, "+6281234567891", now)
    with pytest.raises(Refused) as caught:
        demo.run(lambda s: change_capacity(s, sid, 1, actor="n", channel="staff", now=now))
    assert caught.value.reason is Reason.CAPACITY_TOO_LOW
    demo.run(lambda s: change_capacity(s, sid, 2, actor="n", channel="staff", now=now))
    with demo.transaction() as s:
        assert s.get_one(ClinicSession, sid).capacity == 2
