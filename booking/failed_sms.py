"""SMS that gave up: which failed (of one facility, or all), and making them pending again so
that the next sweep sends them afresh. `antre sms failed|resend` and the console's page both
use these; the caller owns the transaction."""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from booking.clock import at_local
from booking.models import Booking, ClinicSession, Facility, Outbox, OutboxStatus, Service
from booking.notices import ALMOST_TURN, EVENING_REMINDER, MORNING_REMINDER

log = logging.getLogger(__name__)

# A pending row older than this was never handed to a sender (Redis was down, or the process
# died between commit and enqueue): the sweep hands it over again.
PENDING_GRACE = timedelta(seconds=30)
EXPIRE_WITH_THE_SESSION = frozenset({EVENING_REMINDER, MORNING_REMINDER, ALMOST_TURN})
IN_DOUBT = "in doubt: the sender stopped mid-send; not sent again"


def in_doubt(row: Outbox) -> bool:
    """Whether the gateway may have sent it after all (its sender stopped mid-send)."""
    return (row.error or "").startswith("in doubt")


def failed(
    db: Session, since: datetime, *, facility_id: int | None = None, limit: int = 500
) -> list[Outbox]:
    """Rows that failed since `since`, newest first; with `facility_id`, only those about that
    facility's bookings (a reply to an SMS about no booking belongs to no facility)."""
    query = select(Outbox).where(Outbox.status == OutboxStatus.FAILED, Outbox.updated_at >= since)
    if facility_id is not None:
        query = query.where(Outbox.booking_id.in_(_bookings_of(facility_id)))
    return list(db.scalars(query.order_by(Outbox.updated_at.desc(), Outbox.id.desc()).limit(limit)))


def facility_of(db: Session, row: Outbox) -> int | None:
    """The facility whose booking the SMS is about, or None."""
    if row.booking_id is None:
        return None
    return db.scalar(
        select(Service.facility_id)
        .join(Booking, Booking.service_id == Service.id)
        .where(Booking.id == row.booking_id)
    )


def resend(
    db: Session,
    ids: Collection[int],
    now: datetime,
    *,
    in_doubt_too: bool = False,
    facility_id: int | None = None,
) -> list[int]:
    """Make failed rows pending again, to be sent afresh by the next sweep; returns those made
    so. A row in doubt (its gateway may have sent it) only with `in_doubt_too`: the patient may
    get it twice. A reminder whose clinic session is over is left alone: too late to help anyone.
    With `facility_id`, rows about another facility's bookings are left alone too."""
    query = select(Outbox).where(Outbox.id.in_(list(ids)), Outbox.status == OutboxStatus.FAILED)
    if facility_id is not None:
        query = query.where(Outbox.booking_id.in_(_bookings_of(facility_id)))
    again: list[int] = []
    for row in db.scalars(query.order_by(Outbox.id)):
        if in_doubt(row) and not in_doubt_too:
            continue
        if row.kind in EXPIRE_WITH_THE_SESSION and session_over(db, row.booking_id, now):
            continue
        row.status, row.gateway, row.attempts = OutboxStatus.PENDING, None, 0
        row.error = f"resent after: {row.error or 'failed'}"[:200]
        row.updated_at = now - PENDING_GRACE  # the next sweep hands it over
        again.append(row.id)
    if again:
        log.info("outbox rows made pending again to resend: %s", again)
    return again


def session_over(db: Session, booking_id: int | None, now: datetime) -> bool:
    """Whether the clinic session of the booking an SMS is about has ended (False: about none)."""
    if booking_id is None:
        return False
    found = db.execute(
        select(ClinicSession.day, ClinicSession.end_time, Facility.timezone)
        .join(Booking, Booking.session_id == ClinicSession.id)
        .join(Service, Service.id == ClinicSession.service_id)
        .join(Facility, Facility.id == Service.facility_id)
        .where(Booking.id == booking_id)
    ).first()
    if found is None:
        return False
    return now > at_local(found.day, found.end_time, found.timezone)


def _bookings_of(facility_id: int) -> Select[int]:
    return (
        select(Booking.id)
        .join(Service, Service.id == Booking.service_id)
        .where(Service.facility_id == facility_id)
    )
