"""What the menu reads from the engine, once per request however often a walk asks."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from booking import availability, phone_bookings
from booking.models import Booking, ClinicSession, Event, Facility, Phone, Service
from booking.position import Position, position
from ussd.cache import CodeCard, FacilityCard, ServiceCard, load_card, load_code
from ussd.context import Turn


def facility_card(turn: Turn, facility_id: int | None) -> FacilityCard | None:
    """A facility's name and active services, from the process's copy when there is one."""
    if facility_id is None:
        return None
    if turn.catalog is None:
        return turn.remember(("card", facility_id), lambda: load_card(turn.db, facility_id))
    return turn.catalog.facility(turn.db, facility_id)


def facility_code(turn: Turn, code: str) -> CodeCard:
    """Which facility a dialled code names, from the process's copy when there is one."""
    if turn.catalog is None:
        return turn.remember(("code", code), lambda: load_code(turn.db, code))
    return turn.catalog.code(turn.db, code)


def service_cards(turn: Turn, facility_id: int | None) -> tuple[ServiceCard, ...]:
    card = facility_card(turn, facility_id)
    return card.services if card is not None else ()


def phone(turn: Turn, number: str) -> Phone | None:
    """The phone's remembered settings; a phone not seen before is remembered as None too."""
    return turn.remember(("phone", number), lambda: turn.db.get(Phone, number))


# Loader options are immutable: made once here, not on each read (building them was a tenth
# of the service step's CPU).
# A service with its facility and its names in the same statement: the slot list asks for its
# days and rules, the screen for its name.
_SERVICE_WITH = (joinedload(Service.facility), joinedload(Service.name_rows))
# A clinic session with its service, the service's names and facility: a slot's checks and
# screen ask.
_SESSION_WITH = (
    joinedload(ClinicSession.service).joinedload(Service.facility),
    joinedload(ClinicSession.service).joinedload(Service.name_rows),
)


def service(turn: Turn, service_id: int | None) -> Service | None:
    if service_id is None:
        return None
    return turn.remember(
        ("service", service_id), lambda: turn.db.get(Service, service_id, options=_SERVICE_WITH)
    )


def clinic_session(turn: Turn, session_id: int | None) -> ClinicSession | None:
    if session_id is None:
        return None
    return turn.remember(
        ("session", session_id),
        lambda: turn.db.get(ClinicSession, session_id, options=_SESSION_WITH),
    )


def booking(turn: Turn, booking_id: int | None) -> Booking | None:
    if booking_id is None:
        return None
    return turn.remember(("booking", booking_id), lambda: turn.db.get(Booking, booking_id))


def slots(turn: Turn, of: Service) -> list[tuple[date, availability.Bookable]]:
    """Every session of a service that takes bookings now, today first."""

    def load() -> list[tuple[date, availability.Bookable]]:
        days = availability.booking_days(of.facility, turn.now)
        return availability.bookable_on(turn.db, of, days, turn.now)

    return turn.remember(("slots", of.id), load)


def bookings(turn: Turn, phone: str) -> list[Booking]:
    return turn.remember(
        ("bookings", phone), lambda: phone_bookings.active_bookings(turn.db, phone, turn.now)
    )


def where_is(turn: Turn, of: Booking) -> Position:
    return turn.remember(("position", of.id), lambda: position(turn.db, of, turn.now))


def districts(turn: Turn) -> list[str]:
    def load() -> list[str]:
        rows = turn.db.scalars(
            select(Facility.district).where(Facility.active.is_(True)).distinct()
        )
        return sorted(rows)

    return turn.remember(("districts",), load)


def facilities_in(turn: Turn, district: str | None) -> list[Facility]:
    def load() -> list[Facility]:
        return list(
            turn.db.scalars(
                select(Facility)
                .where(Facility.district == district, Facility.active.is_(True))
                .order_by(Facility.name, Facility.code)
            )
        )

    return turn.remember(("facilities", district), load)


def done(turn: Turn, request_key: str) -> bool:
    """Whether a change with this idempotency key was made already (a retried confirm)."""
    found = turn.db.scalar(select(Event.id).where(Event.request_key == request_key).limit(1))
    return found is not None
