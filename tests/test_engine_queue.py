"""The queue as staff run it, and where a patient stands in it."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from booking import schedule
from booking.commands import CancelBooking
from booking.errors import Reason, Refused
from booking.models import (
    Booking,
    BookingStatus,
    Channel,
    ClinicSession,
    Event,
    Facility,
    Holiday,
    ScheduleTemplate,
    Service,
)
from booking.position import _ahead, position
from booking.queue import call_next, check_in, mark_no_show, mark_served, skip
from booking.taking import cancel_booking
from plumbing.db import Database
from tests.helpers import session_id, take, today

STAFF = {"actor": "nurse.ani", "channel": "staff"}


def book_three(db: Database, now: datetime) -> tuple[int, list[Booking]]:
    sid = session_id(db, day=today(now))
    return sid, [take(db, sid, f"+628123456780{i}", now) for i in range(3)]


def status(db: Database, booking: Booking) -> BookingStatus:
    with db.transaction() as s:
        return s.get_one(Booking, booking.id).status


def test_call_next_calls_in_number_order_and_finishes_the_one_in_the_room(
    demo: Database, now: datetime
) -> None:
    sid, (a, b, _) = book_three(demo, now)
    first = demo.run(lambda s: call_next(s, sid, now=now, **STAFF))
    assert first.id == a.id and status(demo, a) is BookingStatus.CALLED
    second = demo.run(lambda s: call_next(s, sid, now=now, **STAFF))
    assert second.id == b.id
    assert status(demo, a) is BookingStatus.SERVED
    with demo.transaction() as s:
        assert s.get_one(ClinicSession, sid).now_serving == 2


def test_a_skipped_patient_is_called_after_everyone_else(demo: Database, now: datetime) -> None:
    sid, (a, b, c) = book_three(demo, now)
    demo.run(lambda s: call_next(s, sid, now=now, **STAFF))
    demo.run(lambda s: skip(s, a.id, now=now, **STAFF))
    called = [demo.run(lambda s: call_next(s, sid, now=now, **STAFF)).id for _ in range(3)]
    assert called == [b.id, c.id, a.id]
    with pytest.raises(Refused) as caught:
        demo.run(lambda s: call_next(s, sid, now=now, **STAFF))
    assert caught.value.reason is Reason.NOTHING_WAITING


def test_served_and_no_show_need_a_called_patient(demo: Database, now: datetime) -> None:
    sid, (a, b, _) = book_three(demo, now)
    with pytest.raises(Refused) as caught:
        demo.run(lambda s: mark_served(s, a.id, now=now, **STAFF))
    assert caught.value.reason is Reason.NOT_CALLED and caught.value.params == {"number": "A-001"}
    demo.run(lambda s: call_next(s, sid, now=now, **STAFF))
    demo.run(lambda s: mark_no_show(s, a.id, now=now, **STAFF))
    assert status(demo, a) is BookingStatus.NO_SHOW
    demo.run(lambda s: call_next(s, sid, now=now, **STAFF))
    demo.run(lambda s: mark_served(s, b.id, now=now, **STAFF))
    assert status(demo, b) is BookingStatus.SERVED


def test_check_in_marks_arrival_once(demo: Database, now: datetime) -> None:
    _, (a, _, _) = book_three(demo, now)
    demo.run(lambda s: check_in(s, a.id, now=now, **STAFF))
    demo.run(lambda s: check_in(s, a.id, now=now, **STAFF))
    assert status(demo, a) is BookingStatus.CHECKED_IN
    with demo.transaction() as s:
        kinds = s.scalars(select(Event.kind).where(Event.booking_id == a.id)).all()
    assert kinds == ["booked", "checked_in"]


def test_position_counts_active_bookings_ahead_and_uses_the_configured_pace(
    demo: Database, now: datetime
) -> None:
    _, (_, _, c) = book_three(demo, now)
    with demo.transaction() as s:
        where = position(s, s.get_one(Booking, c.id), now)
    assert where.ahead == 2 and where.now_serving is None
    # Session starts 08:00 WIB (01:00 UTC), 10 minutes per patient by default.
    assert where.expected_at == datetime(2026, 11, 23, 1, 20, tzinfo=now.tzinfo)


def test_the_newest_bookings_people_ahead_match_the_count_after_cancellations(
    demo: Database, now: datetime
) -> None:
    """Before the first call the newest number's people ahead come from the session row, not
    a count (booking.position): the two must agree, cancellations before and after included."""
    sid = session_id(demo, day=today(now))
    bookings = [take(demo, sid, f"+62812345679{i:02d}", now) for i in range(5)]
    for victim in (bookings[1], bookings[4]):  # one in the middle, and the newest
        command = CancelBooking(victim.id, Channel.USSD, victim.booked_by or "")
        demo.run(lambda s, c=command: cancel_booking(s, c, now))
    newest = take(demo, sid, "+6281234567999", now)
    with demo.transaction() as s:
        for booking in (*bookings, newest):
            row = s.get_one(Booking, booking.id)
            assert position(s, row, now).ahead == _ahead(s, row), row.display
        assert position(s, s.get_one(Booking, newest.id), now).ahead == 3  # A-001, 003, 004


def test_position_uses_the_measured_pace_once_enough_patients_were_called(
    demo: Database, now: datetime
) -> None:
    sid = session_id(demo, day=today(now))
    bookings = [take(demo, sid, f"+62812345678{i:02d}", now) for i in range(6)]
    start = now.replace(hour=1)  # 08:00 WIB
    for minute in (0, 4, 8):  # three calls four minutes apart: a 4-minute pace
        demo.run(lambda s, m=minute: call_next(s, sid, now=start + timedelta(minutes=m), **STAFF))
    at = start + timedelta(minutes=8)
    with demo.transaction() as s:
        where = position(s, s.get_one(Booking, bookings[5].id), at)
    assert where.now_serving == "A-003"
    assert where.ahead == 3  # A-003 in the room, A-004 and A-005 waiting
    assert where.expected_at == at + timedelta(minutes=12)


def test_weekly_templates_generate_sessions_except_on_holidays(db: Database) -> None:
    monday = date(2026, 11, 23)

    def build(s: object) -> None:
        from sqlalchemy.orm import Session

        assert isinstance(s, Session)
        facility = Facility(code="9001", name="Puskesmas Uji", district="Kota Serang")
        s.add(facility)
        s.flush()
        service = Service(
            facility_id=facility.id,
            code="UMUM",
            names={"id": "Poli Umum", "en": "General"},
            prefix="A",
        )
        s.add(service)
        s.flush()
        for weekday in (0, 2):  # Monday and Wednesday
            s.add(
                ScheduleTemplate(
                    service_id=service.id,
                    weekday=weekday,
                    start_time=time(8),
                    end_time=time(12),
                    capacity=30,
                    doctor_name="dr. Budi",
                )
            )
        s.add(Holiday(facility_id=facility.id, day=monday + timedelta(days=7), name="Cuti"))

    db.run(build)
    assert db.run(lambda s: schedule.generate(s, monday, 14)) == 3  # 23/11, 25/11, 2/12
    assert db.run(lambda s: schedule.generate(s, monday, 14)) == 0  # idempotent
    with db.transaction() as s:
        days = s.scalars(select(ClinicSession.day).order_by(ClinicSession.day)).all()
    assert days == [monday, monday + timedelta(days=2), monday + timedelta(days=9)]


def test_a_repeated_request_key_changes_a_called_patient_once(
    demo: Database, now: datetime
) -> None:
    sid, (a, b, c) = book_three(demo, now)
    for booking, act, final in [
        (a, mark_served, BookingStatus.SERVED),
        (b, mark_no_show, BookingStatus.NO_SHOW),
        (c, skip, BookingStatus.BOOKED),
    ]:
        demo.run(lambda s: call_next(s, sid, now=now, **STAFF))
        key = f"console:1:{act.__name__}:{booking.id}:x"
        for _ in range(2):  # the second answer comes from the first, not a refusal
            done = demo.run(
                lambda s, act=act, booking=booking, key=key: act(
                    s, booking.id, now=now, request_key=key, **STAFF
                )
            )
            assert done.id == booking.id
        assert status(demo, booking) is final
    with demo.transaction() as s:
        kinds = s.scalars(select(Event.kind).where(Event.request_key.like("console:%"))).all()
    assert sorted(kinds) == ["no_show", "served", "skipped"]
