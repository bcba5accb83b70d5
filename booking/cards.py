"""Reads by BPJS card number, and the figures of one session's queue.

Facility systems (the Mobile JKN-shaped bridge) name a patient by card, not by phone: these
are the few reads they need beside the engine's own. Reads only; the caller owns the session.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session, joinedload

from booking.models import (
    ACTIVE,
    CANCELLED,
    WAITING,
    Booking,
    ClinicSession,
    Person,
    Service,
)


@dataclass(frozen=True)
class QueueFigures:
    """One session's queue: numbers still standing, numbers not yet called."""

    total: int  # every number given and not cancelled (served and no-shows included)
    waiting: int  # booked or checked in: not called yet


def service_by_code(db: Session, facility_id: int, code: str) -> Service | None:
    """A facility's active service by its own code (any case) or by its BPJS poli code."""
    return db.scalars(
        select(Service)
        .where(
            Service.facility_id == facility_id,
            Service.active.is_(True),
            or_(Service.code == code.upper(), Service.bpjs_poli_code == code),
        )
        # Where one service's code is another's BPJS code, the BPJS code (set on purpose) wins.
        .order_by(case((Service.bpjs_poli_code == code, 0), else_=1), Service.id)
    ).first()


def card_bookings(db: Session, card: str, service_id: int, day: date) -> list[Booking]:
    """Every booking of the card's holders for one service on one day, newest first."""
    return list(
        db.scalars(
            select(Booking)
            .join(Person, Booking.person_id == Person.id)
            .options(
                joinedload(Booking.session).joinedload(ClinicSession.service),
                joinedload(Booking.person),
            )
            .where(
                Person.bpjs_number == card,
                Booking.service_id == service_id,
                Booking.day == day,
            )
            .order_by(Booking.id.desc())
        ).unique()
    )


def standing(bookings: list[Booking]) -> Booking | None:
    """The newest booking that was not cancelled (waiting, in the room, or finished)."""
    for booking in bookings:
        if booking.status not in CANCELLED:
            return booking
    return None


def finished_count(bookings: list[Booking]) -> int:
    """Bookings of the card that no longer hold a place (cancelled, served, no-show)."""
    return sum(1 for booking in bookings if booking.status not in ACTIVE)


def person_for_card(db: Session, phone: str, card: str) -> Person | None:
    """The person this phone already books for under this card, if any."""
    return db.scalars(
        select(Person).where(Person.phone == phone, Person.bpjs_number == card).order_by(Person.id)
    ).first()


def phone_owner(db: Session, phone: str) -> Person | None:
    """The phone's owner as the engine knows them (the person with no name of their own)."""
    return db.scalars(select(Person).where(Person.phone == phone, Person.name_key == "")).first()


def sessions_on(db: Session, service: Service, day: date) -> list[ClinicSession]:
    """Every session of a service on a day, whatever its status, earliest first."""
    return list(
        db.scalars(
            select(ClinicSession)
            .where(ClinicSession.service_id == service.id, ClinicSession.day == day)
            .order_by(ClinicSession.start_time)
        )
    )


def queue_figures(db: Session, session_id: int) -> QueueFigures:
    total, waiting = db.execute(
        select(
            func.count(Booking.id),
            func.count(Booking.id).filter(Booking.status.in_(WAITING)),
        ).where(Booking.session_id == session_id, Booking.status.not_in(CANCELLED))
    ).one()
    return QueueFigures(total=int(total or 0), waiting=int(waiting or 0))
