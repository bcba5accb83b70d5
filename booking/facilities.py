"""Facilities and their services as patients find them: by code, the active ones only."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from booking.errors import Reason, Refused
from booking.models import Facility, Service


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
