"""What can be booked now: the days a facility books and the sessions that take a booking.

A session that cannot is refused with its reason: status, booking window or cut-off.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from booking.clock import at_local, days_from_today, local_now, local_today, minutes
from booking.errors import Reason, Refused
from booking.models import ClinicSession, Facility, Service, SessionStatus
from booking.words import date_words, service_words, session_words


@dataclass(frozen=True)
class Bookable:
    session: ClinicSession
    places_left: int


class HasPlaces(Protocol):
    """A clinic session, or a copy of one (the console's session cards)."""

    @property
    def capacity(self) -> int: ...
    @property
    def places_taken(self) -> int: ...


def places_left(session: HasPlaces) -> int:
    """How many more numbers a session (or a copy of one) gives, as last read (the engine's
    UPDATE decides)."""
    return max(0, session.capacity - session.places_taken)


def booking_days(facility: Facility, now: datetime) -> list[date]:
    """Today, tomorrow, … as far ahead as the facility books."""
    today = local_today(now, facility.timezone)
    return [date.fromordinal(today.toordinal() + n) for n in range(facility.days_ahead + 1)]


def outside_window(facility: Facility, now: datetime) -> Refused:
    """The refusal for a day the facility does not book yet (or any more), naming the last day
    it does book: facilities choose how many days ahead (design §3), so no fixed "tomorrow"."""
    last = local_today(now, facility.timezone) + timedelta(days=facility.days_ahead)
    return Refused(Reason.OUTSIDE_WINDOW, day=date_words(last))


def check_bookable(
    session: ClinicSession, service: Service, facility: Facility, now: datetime
) -> None:
    """Refuse a session that cannot take a booking now (status, window, cut-off)."""
    words = session_words(session, service)
    if not facility.active or not service.active:
        raise Refused(Reason.FACILITY_CLOSED, facility=facility.name)
    if session.status == SessionStatus.CANCELLED:
        raise Refused(Reason.SESSION_CANCELLED, **words)
    if session.status == SessionStatus.CLOSED:
        raise Refused(Reason.SESSION_CLOSED, **words)
    ahead = days_from_today(session.day, now, facility.timezone)
    if ahead < 0 or ahead > facility.days_ahead:
        raise outside_window(facility, now)
    if now >= cutoff(session, facility):
        closes = local_now(cutoff(session, facility), facility.timezone)
        raise Refused(Reason.PAST_CUTOFF, service=words["service"], time=f"{closes:%H:%M}")


def cutoff(session: ClinicSession, facility: Facility) -> datetime:
    """The last moment a session takes bookings: a set time before it ends."""
    ends = at_local(session.day, session.end_time, facility.timezone)
    return ends - minutes(facility.cutoff_minutes)


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
        found.append((session.day, Bookable(session, places_left(session))))
    return found


def first_with_room(db: Session, service: Service, day: date, now: datetime) -> ClinicSession:
    """The earliest session that day with a place left (what an SMS booking gets)."""
    sessions = bookable_sessions(db, service, day, now)
    for bookable in sessions:
        if bookable.places_left > 0:
            return bookable.session
    words = {"service": service_words(service), "day": f"{day:%d/%m}"}
    raise Refused(Reason.SESSION_FULL if sessions else Reason.NO_SESSION, **words)


def desk_session_on(db: Session, session: ClinicSession, day: date, now: datetime) -> ClinicSession:
    """Where the desk books a patient of `session`'s service for `day` (any bookable day):
    that session itself on its own day; else that day's session at the same time if it has
    room, or the earliest with room."""
    if day == session.day:
        return session
    service = session.service
    if day not in booking_days(service.facility, now):
        raise outside_window(service.facility, now)
    for bookable in bookable_sessions(db, service, day, now):
        if bookable.session.start_time == session.start_time and bookable.places_left > 0:
            return bookable.session
    return first_with_room(db, service, day, now)


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
