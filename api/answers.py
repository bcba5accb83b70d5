"""Rows of the engine turned into the API's answer models (times in the facility's zone)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from api.schemas import BookingOut, PositionOut, ServiceOut, SessionOut
from booking.availability import check_bookable, places_left
from booking.clock import local_now
from booking.errors import Refused
from booking.models import ACTIVE, Booking, ClinicSession, Facility, Service, display_number
from booking.position import position


def service_out(service: Service) -> ServiceOut:
    return ServiceOut(
        code=service.code,
        name_id=service.name("id"),
        name_en=service.name("en"),
        prefix=service.prefix,
        bpjs_poli_code=service.bpjs_poli_code,
    )


def session_out(session: ClinicSession, now: datetime) -> SessionOut:
    service = session.service
    try:
        check_bookable(session, service, service.facility, now)
        bookable = session.places_taken < session.capacity
    except Refused:
        bookable = False
    serving = session.now_serving
    return SessionOut(
        id=session.id,
        service=service.code,
        day=session.day,
        start_time=f"{session.start_time:%H:%M}",
        end_time=f"{session.end_time:%H:%M}",
        doctor_name=session.doctor_name,
        capacity=session.capacity,
        places_taken=session.places_taken,
        places_left=places_left(session),
        status=session.status,
        now_serving=display_number(service.prefix, serving) if serving else None,
        bookable=bookable,
    )


def booking_out(
    db: Session, booking: Booking, now: datetime, *, ahead: int | None = None
) -> BookingOut:
    """The booking; where it stands too while it is active (`ahead` when the caller knows)."""
    session = booking.session
    facility: Facility = session.service.facility
    zone = facility.timezone
    where = None
    if booking.status in ACTIVE:
        found = position(db, booking, now, ahead)
        where = PositionOut(
            now_serving=found.now_serving,
            ahead=found.ahead,
            expected_at=local_now(found.expected_at, zone),
        )
    person = booking.person
    return BookingOut(
        id=booking.id,
        session_id=booking.session_id,
        facility=facility.code,
        service=session.service.code,
        day=booking.day,
        number=booking.number,
        display=booking.display,
        status=booking.status,
        channel=booking.channel,
        name=person.name,
        phone=person.phone,
        bpjs_number=person.bpjs_number,
        created_at=local_now(booking.created_at, zone),
        called_at=local_now(booking.called_at, zone) if booking.called_at else None,
        finished_at=local_now(booking.finished_at, zone) if booking.finished_at else None,
        position=where,
    )
