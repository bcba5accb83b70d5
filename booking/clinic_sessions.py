"""Staff changes to a clinic session: cancel it (the doctor is absent), change its capacity."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from booking import records, reminders
from booking.clock import local_today
from booking.errors import Reason, Refused
from booking.models import ACTIVE, Booking, BookingStatus, ClinicSession, SessionStatus
from booking.notices import in_quiet_hours


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
