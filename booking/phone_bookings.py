"""The bookings a phone holds from today on, and the one a patient means."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from booking.clock import local_today
from booking.errors import Reason, Refused
from booking.models import ACTIVE, Booking, ClinicSession


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
