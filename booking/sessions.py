"""Sessions as patients and staff see them: what is open, what is mine, cancel, capacity."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from booking import records, reminders
from booking.clock import local_today
from booking.errors import Reason, Refused
from booking.models import (
    ACTIVE,
    Booking,
    BookingStatus,
    ClinicSession,
    Facility,
    Service,
    SessionStatus,
)
from booking.notices import in_quiet_hours
from booking.taking import check_bookable
from booking.words import service_words


@dataclass(frozen=True)
class Bookable:
    session: ClinicSession
    places_left: int


def facility_by_code(db: Session, code: str) -> Facility:
    facility = db.scalars(select(Facility).where(Facility.code == code.strip())).first()
    if facility is None:
        raise Refused(Reason.FACILITY_UNKNOWN, code=code.strip()[:8])
    if not facility.active:
        raise Refused(Reason.FACILITY_CLOSED, facility=facility.name)
    return facility


def services_of(db: Session, facility: Facility) -> list[Service]:
    return list(
        db.scalars(
            select(Service)
            .where(Service.facility_id == facility.id, Service.active.is_(True))
            .order_by(Service.prefix)
        )
    )


def booking_days(facility: Facility, now: datetime) -> list[date]:
    """Today, tomorrow, … as far ahead as the facility books."""
    today = local_today(now, facility.timezone)
    return [date.fromordinal(today.toordinal() + n) for n in range(facility.days_ahead + 1)]


def bookable_sessions(db: Session, service: Service, day: date, now: datetime) -> list[Bookable]:
    """Sessions of a service on a day that could take a booking now, with the places left."""
    return [bookable for _day, bookable in bookable_on(db, service, [day], now)]


def bookable_on(
    db: Session, service: Service, days: Sequence[date], now: datetime
) -> list[tuple[date, Bookable]]:
    """The same for several days in one query, day by day, earliest session first."""
    facility = service.facility
    found = []
    for session in db.scalars(
        select(ClinicSession)
        .where(ClinicSession.service_id == service.id, ClinicSession.day.in_(days))
        .order_by(ClinicSession.day, ClinicSession.start_time)
    ):
        try:
            check_bookable(session, service, facility, now)
        except Refused:
            continue
        found.append(
            (session.day, Bookable(session, max(0, session.capacity - session.places_taken)))
        )
    return found


def first_with_room(db: Session, service: Service, day: date, now: datetime) -> ClinicSession:
    """The earliest session that day with a place left (what an SMS booking gets)."""
    sessions = bookable_sessions(db, service, day, now)
    for bookable in sessions:
        if bookable.places_left > 0:
            return bookable.session
    words = {"service": service_words(service), "day": f"{day:%d/%m}"}
    raise Refused(Reason.SESSION_FULL if sessions else Reason.NO_SESSION, **words)


def next_open(
    db: Session, service: Service, now: datetime, *, after: ClinicSession
) -> ClinicSession | None:
    """The first session of the service after `after` that could take a booking now."""
    for day in booking_days(service.facility, now):
        if day < after.day:
            continue
        for bookable in bookable_sessions(db, service, day, now):
            later = day > after.day or bookable.session.start_time > after.start_time
            if later and bookable.places_left > 0 and bookable.session.id != after.id:
                return bookable.session
    return None


def active_bookings(db: Session, phone: str, now: datetime) -> list[Booking]:
    """The phone's bookings still waiting or in the room, from today on, soonest first."""
    rows = db.scalars(
        select(Booking)
        .options(joinedload(Booking.session).joinedload(ClinicSession.service))
        .where(Booking.booked_by == phone, Booking.status.in_(ACTIVE))
        .order_by(Booking.day, Booking.number)
    ).all()
    return [
        booking
        for booking in rows
        if booking.day >= local_today(now, booking.session.service.facility.timezone)
    ]


def find_for_phone(db: Session, phone: str, ticket: str | None, now: datetime) -> Booking:
    """The booking a patient means: the one with that ticket, or their only one."""
    bookings = active_bookings(db, phone, now)
    if ticket:
        wanted = ticket.replace(" ", "").upper()
        for booking in bookings:
            if booking.display.replace("-", "") == wanted.replace("-", ""):
                return booking
        raise Refused(Reason.BOOKING_UNKNOWN)
    if not bookings:
        raise Refused(Reason.NO_ACTIVE_BOOKING)
    return bookings[0]


def cancel_session(
    db: Session,
    session_id: int,
    *,
    reason: str,
    actor: str,
    channel: str,
    now: datetime,
    request_key: str | None = None,
) -> list[Booking]:
    """Doctor absent: the session closes and its active bookings are cancelled by the facility."""
    if records.replayed(db, request_key) is not None:
        return []
    session = db.get(ClinicSession, session_id, with_for_update=True)
    if session is None:
        raise Refused(Reason.SESSION_UNKNOWN)
    session.status = SessionStatus.CANCELLED
    session.cancel_reason = reason[:160]
    affected = list(
        db.scalars(
            select(Booking).where(Booking.session_id == session_id, Booking.status.in_(ACTIVE))
        )
    )
    for booking in affected:
        booking.status = BookingStatus.CANCELLED_BY_FACILITY
        booking.finished_at = now
        records.event(
            db, "cancelled_by_facility", actor=actor, channel=channel, now=now, booking=booking
        )
    records.event(
        db,
        "session_cancelled",
        actor=actor,
        channel=channel,
        now=now,
        session_id=session_id,
        request_key=request_key,
        detail={"reason": reason[:160], "bookings": len(affected)},
    )
    facility = session.service.facility
    # Same-day news cannot wait for the morning; otherwise quiet hours hold it for the scan.
    if session.day == local_today(now, facility.timezone) or not in_quiet_hours(facility, now):
        for booking in affected:
            reminders.notify_cancelled(db, booking, now)
    return affected


def change_capacity(
    db: Session, session_id: int, capacity: int, *, actor: str, channel: str, now: datetime
) -> ClinicSession:
    session = db.get(ClinicSession, session_id, with_for_update=True)
    if session is None:
        raise Refused(Reason.SESSION_UNKNOWN)
    if capacity < session.places_taken:
        raise Refused(Reason.CAPACITY_TOO_LOW, taken=session.places_taken)
    detail = {"from": session.capacity, "to": capacity}
    session.capacity = capacity
    records.event(
        db,
        "capacity_changed",
        actor=actor,
        channel=channel,
        now=now,
        session_id=session_id,
        detail=detail,
    )
    return session
