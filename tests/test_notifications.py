"""Reminders, "almost your turn" and cancelled sessions: once each, at a sensible hour."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import func, select, update

from booking import notices, reminders
from booking.clinic_sessions import cancel_session
from booking.models import Booking, BookingStatus, Facility, Outbox, Phone, Priority
from booking.queue import call_next, mark_priority
from plumbing.db import Database
from tests.helpers import session_id, set_capacity, take, today
from texts.gsm import fits_one_segment, is_gsm7

ZONES = {"1001": "Asia/Jakarta", "2001": "Asia/Makassar", "2101": "Asia/Jayapura"}
STAFF = {"actor": "nurse", "channel": "staff"}


def local(day_offset: int, clock: str, zone: str, now: datetime) -> datetime:
    """A moment given as facility-local wall-clock time, `day_offset` days after `now`'s day."""
    hour, minute = map(int, clock.split(":"))
    day = today(now) + timedelta(days=day_offset)
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(zone)).astimezone(UTC)


def scan(db: Database, at: datetime) -> dict[str, int]:
    return db.run(lambda s: reminders.run_due(s, at)).written


def outbox(db: Database, kind: str) -> list[Outbox]:
    with db.transaction() as s:
        return list(s.scalars(select(Outbox).where(Outbox.kind == kind).order_by(Outbox.id)))


@pytest.fixture
def zoned(demo: Database) -> Database:
    with demo.transaction() as s:
        for code, zone in ZONES.items():
            s.execute(update(Facility).where(Facility.code == code).values(timezone=zone))
    return demo


@pytest.mark.parametrize("code", list(ZONES))
def test_evening_reminder_goes_at_18_local_once_and_morning_at_06(
    zoned: Database, now: datetime, code: str
) -> None:
    zone = ZONES[code]
    booked = take(
        zoned,
        session_id(zoned, facility=code, day=today(now) + timedelta(days=1)),
        "+6281234567890",
        now,
    )
    assert scan(zoned, local(0, "17:59", zone, now)) == {}
    assert scan(zoned, local(0, "18:00", zone, now)) == {notices.EVENING_REMINDER: 1}
    assert scan(zoned, local(0, "18:30", zone, now)) == {}
    assert scan(zoned, local(1, "05:59", zone, now)) == {}  # quiet hours
    assert scan(zoned, local(1, "06:00", zone, now)) == {notices.MORNING_REMINDER: 1}
    assert scan(zoned, local(1, "06:10", zone, now)) == {}
    (evening,) = outbox(zoned, notices.EVENING_REMINDER)
    assert evening.booking_id == booked.id and "besok" in evening.body and "08:00" in evening.body


def test_nothing_is_sent_in_quiet_hours_and_a_missed_evening_is_not_sent_late(
    zoned: Database, now: datetime
) -> None:
    take(zoned, session_id(zoned, day=today(now) + timedelta(days=1)), "+6281234567890", now)
    assert scan(zoned, local(0, "21:00", "Asia/Jakarta", now)) == {}
    assert scan(zoned, local(0, "23:59", "Asia/Jakarta", now)) == {}
    assert scan(zoned, local(1, "03:00", "Asia/Jakarta", now)) == {}
    assert scan(zoned, local(1, "06:00", "Asia/Jakarta", now)) == {notices.MORNING_REMINDER: 1}
    assert outbox(zoned, notices.EVENING_REMINDER) == []


def test_a_booking_made_after_the_evening_reminder_time_gets_only_the_morning_one(
    zoned: Database, now: datetime
) -> None:
    evening = local(0, "19:15", "Asia/Jakarta", now)
    take(zoned, session_id(zoned, day=today(now) + timedelta(days=1)), "+6281234567890", evening)
    assert scan(zoned, local(0, "19:30", "Asia/Jakarta", now)) == {}
    assert scan(zoned, local(1, "06:05", "Asia/Jakarta", now)) == {notices.MORNING_REMINDER: 1}


def test_cancelled_and_opted_out_bookings_are_never_reminded(
    zoned: Database, now: datetime
) -> None:
    from booking.commands import CancelBooking
    from booking.models import Channel
    from booking.taking import cancel_booking

    sid = session_id(zoned, day=today(now) + timedelta(days=1))
    cancelled = take(zoned, sid, "+6281234567890", now)
    zoned.run(lambda s: cancel_booking(s, CancelBooking(cancelled.id, Channel.SMS, "p"), now))
    take(zoned, sid, "+6281234567891", now)
    with zoned.transaction() as s:
        s.add(Phone(number="+6281234567891", reminders_off=True))
    assert scan(zoned, local(0, "18:00", "Asia/Jakarta", now)) == {}
    # The receipt still went to the opted-out phone: receipts are not reminders.
    assert {r.phone for r in outbox(zoned, notices.RECEIPT_KIND)} == {
        "+6281234567890",
        "+6281234567891",
    }


def test_two_scanners_at_the_same_moment_write_each_reminder_once(
    zoned: Database, now: datetime
) -> None:
    sid = session_id(zoned, day=today(now) + timedelta(days=1))
    for i in range(30):
        take(zoned, sid, f"+62812345679{i:02d}", now)
    at = local(0, "18:00", "Asia/Jakarta", now)
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def scanner() -> None:
        start.wait()
        try:
            scan(zoned, at)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=scanner) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    reminders_written = outbox(zoned, notices.EVENING_REMINDER)
    assert len(reminders_written) == 30
    assert len({r.booking_id for r in reminders_written}) == 30


def test_almost_your_turn_goes_once_when_three_are_ahead(demo: Database, now: datetime) -> None:
    sid = session_id(demo, day=today(now))
    bookings = [take(demo, sid, f"+62812345678{i:02d}", now) for i in range(8)]
    assert outbox(demo, notices.ALMOST_TURN) == []  # booking moves nobody: the receipt says it
    # First call: A-001 in the room, so A-002..A-004 have 1..3 ahead and are told. Each later
    # call brings one more patient down to 3 ahead; nobody is told twice.
    for _ in range(3):
        demo.run(lambda s: call_next(s, sid, now=now, **STAFF))
    told = [row.booking_id for row in outbox(demo, notices.ALMOST_TURN)]
    assert told == [booking.id for booking in bookings[1:6]]
    assert all(fits_one_segment(row.body) for row in outbox(demo, notices.ALMOST_TURN))


def test_almost_your_turn_follows_the_calling_order_of_priority_patients(
    demo: Database, now: datetime
) -> None:
    """Numbers 7 and 8 are marked lansia at the desk (the facility calls priority patients
    first): with 1 in the room they are next, so they are told, and 4 and 5, pushed back to 4
    and 5 ahead, are not."""
    sid = session_id(demo, day=today(now))
    bookings = [take(demo, sid, f"+62812345678{i:02d}", now) for i in range(8)]
    demo.run(lambda s: call_next(s, sid, now=now, **STAFF))  # 1 in; 2, 3 and 4 are told
    for booking in bookings[6:]:
        demo.run(lambda s, b=booking: mark_priority(s, b.id, Priority.ELDERLY, now=now, **STAFF))
    told = [row.booking_id for row in outbox(demo, notices.ALMOST_TURN)]
    # Marking 7 brought it to 1 ahead, then marking 8 brought 8 to 2 ahead (after 7).
    assert told == [b.id for b in bookings[1:4]] + [bookings[6].id, bookings[7].id]


def test_a_session_cancelled_with_100_bookings_sends_100_one_segment_sms(
    demo: Database, now: datetime
) -> None:
    sid = session_id(demo, service="GIGI", day=today(now))
    set_capacity(demo, sid, 100)
    for i in range(100):
        take(demo, sid, f"+6281299{i:06d}", now)
    reason = (
        "Dokter gigi sedang mengikuti pelatihan wajib dari Dinas Kesehatan Kota Serang"
        " – mohon maaf 🙏"
    )
    affected = demo.run(lambda s: cancel_session(s, sid, reason=reason, now=now, **STAFF))
    assert len(affected) == 100
    sent = outbox(demo, notices.SESSION_CANCELLED)
    assert len(sent) == 100 and len({row.phone for row in sent}) == 100
    for row in sent:
        assert is_gsm7(row.body) and fits_one_segment(row.body), row.body
        assert "Balas 1" in row.body and "Sel 24/11 08:00" in row.body
    with demo.transaction() as s:
        statuses = set(s.scalars(select(Booking.status).where(Booking.session_id == sid)))
    assert statuses == {BookingStatus.CANCELLED_BY_FACILITY}


def test_cancelling_tomorrow_at_night_waits_for_the_morning(demo: Database, now: datetime) -> None:
    sid = session_id(demo, day=today(now) + timedelta(days=1))
    take(demo, sid, "+6281234567890", now)
    night = local(0, "22:00", "Asia/Jakarta", now)
    demo.run(lambda s: cancel_session(s, sid, reason="Dokter sakit", now=night, **STAFF))
    assert outbox(demo, notices.SESSION_CANCELLED) == []
    assert scan(demo, local(1, "05:00", "Asia/Jakarta", now)) == {}
    assert scan(demo, local(1, "06:00", "Asia/Jakarta", now)) == {notices.SESSION_CANCELLED: 1}
    (row,) = outbox(demo, notices.SESSION_CANCELLED)
    assert "Dokter sakit" in row.body


def test_run_due_uses_the_real_clock(zoned: Database, now: datetime) -> None:
    """The periodic job scans "as of now": move the clock, not the argument."""
    from booking.clock import utcnow

    take(zoned, session_id(zoned, day=today(now) + timedelta(days=1)), "+6281234567890", now)
    with time_machine.travel(local(0, "18:01", "Asia/Jakarta", now), tick=False):
        assert zoned.run(lambda s: reminders.run_due(s, utcnow())).written == {
            notices.EVENING_REMINDER: 1
        }
    with zoned.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Outbox)) == 2  # receipt + reminder
