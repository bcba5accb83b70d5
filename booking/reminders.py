"""Due notifications, derived from the database (design §6).

A periodic scan (`run_due`) finds what is due now and writes it to the outbox; nothing is
kept only as a future job in Redis. Each message has a unique dedupe key, so two scanners or
a repeated scan write it once, and a message stays due until it is written or no longer
makes sense (the booking was cancelled or served, the moment has passed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, joinedload

from booking import notices
from booking.availability import next_open
from booking.calling import calling_order
from booking.clock import at_local, local_now
from booking.models import (
    WAITING,
    Booking,
    BookingStatus,
    ClinicSession,
    Facility,
    Outbox,
    Phone,
    Service,
    SessionStatus,
)
from booking.position import position


@dataclass
class Scan:
    """What one scan wrote, by kind."""

    written: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str) -> None:
        self.written[kind] = self.written.get(kind, 0) + 1


def run_due(db: Session, now: datetime) -> Scan:
    """Write every notification that is due at `now` and not written yet."""
    scan = Scan()
    for facility in db.scalars(select(Facility).where(Facility.active.is_(True))):
        if notices.in_quiet_hours(facility, now):
            continue
        local = local_now(now, facility.timezone)
        today = local.date()
        if facility.evening_reminder is not None and local.time() >= facility.evening_reminder:
            moment = at_local(today, facility.evening_reminder, facility.timezone)
            for booking in _unreminded(db, facility, today + timedelta(days=1), moment, "evening"):
                notices.evening_reminder(db, booking, now)
                scan.count(notices.EVENING_REMINDER)
        if facility.morning_reminder is not None and local.time() >= facility.morning_reminder:
            moment = at_local(today, facility.morning_reminder, facility.timezone)
            for booking in _unreminded(db, facility, today, moment, "morning"):
                ends = at_local(booking.day, booking.session.end_time, facility.timezone)
                if now < ends:
                    notices.morning_reminder(db, booking, now)
                    scan.count(notices.MORNING_REMINDER)
        for booking in _untold_cancellations(db, facility, today):
            notify_cancelled(db, booking, now)
            scan.count(notices.SESSION_CANCELLED)
    return scan


def notify_cancelled(db: Session, booking: Booking, now: datetime) -> None:
    """The cancelled-session SMS, offering the next open session of the same service."""
    session = booking.session
    following = next_open(db, session.service, now, after=session)
    notices.session_cancelled(db, booking, session.cancel_reason or "-", following, now)


def announce_queue_movement(db: Session, session_id: int, now: datetime) -> None:
    """After the queue moved: tell each patient whose people-ahead dropped to the threshold.

    The candidates are the first of the waiting in the order call next takes them (skips and
    priority patients), the order `position` counts the people ahead in."""
    session = db.get_one(ClinicSession, session_id)
    facility = session.service.facility
    threshold = facility.almost_turn_ahead
    waiting = db.scalars(
        select(Booking).where(Booking.session_id == session_id, Booking.status.in_(WAITING))
    ).all()
    order = calling_order(
        waiting, facility.priority_rule, facility.priority_every, session.calls_since_priority
    )
    for booking in order[: threshold + 1]:
        if booking.booked_by is None or notices.reminders_off(db, booking.booked_by):
            continue
        ahead = position(db, booking, now).ahead
        if 0 < ahead <= threshold:
            notices.almost_turn(db, booking, ahead, now)


def _unreminded(
    db: Session, facility: Facility, day: date, booked_before: datetime, which: str
) -> Sequence[Booking]:
    kind = notices.EVENING_REMINDER if which == "evening" else notices.MORNING_REMINDER
    already = exists().where(Outbox.booking_id == Booking.id, Outbox.kind == kind)
    opted_out = exists().where(Phone.number == Booking.booked_by, Phone.reminders_off.is_(True))
    return db.scalars(
        select(Booking)
        .join(ClinicSession, Booking.session_id == ClinicSession.id)
        .join(Service, ClinicSession.service_id == Service.id)
        .options(joinedload(Booking.session))
        .where(
            Service.facility_id == facility.id,
            Booking.day == day,
            Booking.status.in_(WAITING),
            Booking.booked_by.is_not(None),
            Booking.created_at < booked_before,
            ClinicSession.status != SessionStatus.CANCELLED,
            ~already,
            ~opted_out,
        )
        .order_by(Booking.id)
    ).all()


def _untold_cancellations(db: Session, facility: Facility, today: date) -> Sequence[Booking]:
    """Bookings of cancelled sessions whose patients were not told yet (held by quiet hours)."""
    told = exists().where(Outbox.booking_id == Booking.id, Outbox.kind == notices.SESSION_CANCELLED)
    return db.scalars(
        select(Booking)
        .join(ClinicSession, Booking.session_id == ClinicSession.id)
        .join(Service, ClinicSession.service_id == Service.id)
        .where(
            Service.facility_id == facility.id,
            Booking.day >= today,
            Booking.status == BookingStatus.CANCELLED_BY_FACILITY,
            Booking.booked_by.is_not(None),
            ~told,
        )
        .order_by(Booking.id)
    ).all()
