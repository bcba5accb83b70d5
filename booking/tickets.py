"""A printed ticket: what it says, and the booking its code names at the desk.

The code on a ticket is its number ("A-012"): unique per service per day at a facility, so
the desk's check-in box finds the booking from it, typed or read by a scanner as "a12".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from booking.clock import local_now
from booking.errors import Reason, Refused
from booking.models import Booking, Service, display_number
from booking.position import position
from texts import DEFAULT_LANGUAGE

_CODE = re.compile(r"^\s*([A-Za-z]{1,2})\s*[-. ]?\s*(\d{1,4})\s*$")


@dataclass(frozen=True)
class Ticket:
    booking_id: int
    facility: str
    facility_code: str
    service: str  # the Indonesian name: a printed ticket is read in the waiting room
    number: str
    day: date
    hours: str
    ahead: int
    expected: str  # local "HH:MM"
    code: str


def ticket(db: Session, booking_id: int, now: datetime) -> Ticket:
    booking = db.get(Booking, booking_id)
    if booking is None:
        raise Refused(Reason.BOOKING_UNKNOWN)
    session = booking.session
    service = session.service
    where = position(db, booking, now)
    return Ticket(
        booking_id=booking.id,
        facility=service.facility.name,
        facility_code=service.facility.code,
        service=service.name(DEFAULT_LANGUAGE),
        number=booking.display,
        day=booking.day,
        hours=f"{session.start_time:%H:%M}–{session.end_time:%H:%M}",
        ahead=where.ahead,
        expected=f"{local_now(where.expected_at, service.facility.timezone):%H:%M}",
        code=booking.display,
    )


def booking_by_code(db: Session, facility_id: int, day: date, code: str) -> Booking:
    """The facility's booking on `day` whose ticket shows `code` ("A-012", "a12", "A 012")."""
    match = _CODE.match(code or "")
    if match is None:
        raise Refused(Reason.BOOKING_UNKNOWN)
    wanted = display_number(match.group(1).upper(), int(match.group(2)))
    found = db.scalars(
        select(Booking)
        .join(Service, Booking.service_id == Service.id)
        .where(Service.facility_id == facility_id, Booking.day == day, Booking.display == wanted)
    ).first()
    if found is None:
        raise Refused(Reason.BOOKING_UNKNOWN)
    return found
