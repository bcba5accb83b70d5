"""Where a booking stands: now serving, people ahead, expected time (design §3)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from booking.calling import calling_order
from booking.clock import at_local
from booking.models import (
    ACTIVE,
    WAITING,
    Booking,
    BookingStatus,
    ClinicSession,
    Facility,
    display_number,
)

# The measured pace needs a few calls before it is worth more than the configured guess.
MIN_CALLS_FOR_PACE = 3


@dataclass(frozen=True)
class Position:
    booking: Booking
    now_serving: str | None  # display number, e.g. "A-007"; None before the first call
    ahead: int
    expected_at: datetime


def pace(db: Session, session: ClinicSession, facility: Facility) -> timedelta:
    """Minutes per patient: measured from this session's calls, else the facility's setting."""
    if session.now_serving is None:  # nobody called yet: nothing to measure
        return timedelta(minutes=facility.minutes_per_patient)
    calls, first, last = db.execute(
        select(
            func.count(Booking.called_at), func.min(Booking.called_at), func.max(Booking.called_at)
        ).where(Booking.session_id == session.id, Booking.called_at.is_not(None))
    ).one()
    if calls >= MIN_CALLS_FOR_PACE and first is not None and last is not None and last > first:
        return (last - first) / (calls - 1)
    return timedelta(minutes=facility.minutes_per_patient)


def position(db: Session, booking: Booking, now: datetime, ahead: int | None = None) -> Position:
    """Where a booking stands; `ahead` may be given when the caller already knows it."""
    session = booking.session
    facility = session.service.facility
    if ahead is None:
        ahead = _newest_ahead(booking, session)
    if ahead is None:
        ahead = _ahead(db, booking)
    starts = at_local(session.day, session.start_time, facility.timezone)
    expected = max(now, starts) + ahead * pace(db, session, facility)
    prefix = session.service.prefix
    serving = display_number(prefix, session.now_serving) if session.now_serving else None
    return Position(booking=booking, now_serving=serving, ahead=ahead, expected_at=expected)


def _newest_ahead(booking: Booking, session: ClinicSession) -> int | None:
    """The people ahead of the session's newest booking before the first call, known without a
    query: until someone is called every place taken is someone waiting, and the newest
    number is behind all of them. None when that does not apply."""
    newest = booking.number == session.last_number and booking.status in ACTIVE
    return session.places_taken - 1 if newest and session.now_serving is None else None


def _ahead(db: Session, booking: Booking) -> int:
    """Whoever is in the room, and the waiting patients call next takes before this booking
    (`calling_order`: skipped patients after the others, priority patients by the facility's
    rule). The patient in the room has nobody ahead; a booking already done counts the active
    ones with a lower number."""
    rows = db.execute(
        select(Booking.id, Booking.number, Booking.skipped, Booking.priority, Booking.status).where(
            Booking.session_id == booking.session_id, Booking.status.in_(ACTIVE)
        )
    ).all()
    if booking.status is BookingStatus.CALLED:
        return 0
    if booking.status not in WAITING:
        return sum(1 for row in rows if row.number < booking.number)
    session, facility = booking.session, booking.session.service.facility
    waiting = [row for row in rows if row.status in WAITING]
    order = calling_order(
        waiting, facility.priority_rule, facility.priority_every, session.calls_since_priority
    )
    in_room = len(rows) - len(waiting)
    return in_room + next((i for i, row in enumerate(order) if row.id == booking.id), len(order))
