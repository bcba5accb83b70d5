"""What a take request must know before it moves the counter, read in one statement.

Taking a number used to ask the database six questions one after another (the idempotency
key, the session, the person, the day's bookings, the phone's language); each round trip costs
the caller's thread a wait and the interpreter a statement's worth of work. They are one
SELECT here: the session row with its service and facility, and the rest as subqueries.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, bindparam, func, or_, select
from sqlalchemy.orm import Session, joinedload, load_only

from booking.models import (
    ACTIVE,
    CANCELLED,
    Booking,
    ClinicSession,
    Event,
    Facility,
    Person,
    Phone,
    Service,
)


@dataclass(frozen=True)
class TakeFacts:
    session: ClinicSession
    service: Service
    facility: Facility
    person: Person | None  # the patient, if this phone already booked for this name
    replayed_booking_id: int | None  # the booking an earlier request with this key made
    language: str | None  # the phone's remembered language, if any
    already_booked: str | None  # the person's active number for this service that day
    other_people: int  # other people this phone holds a number for that day


_REPLAYED = (
    select(Event.booking_id).where(Event.request_key == bindparam("request_key")).scalar_subquery()
)

# The request of a phone: its person (by name), language and the day's bookings too. Built
# once: executing the same statement object again reuses its compiled SQL.
_PERSON = and_(Person.phone == bindparam("phone"), Person.name_key == bindparam("name_key"))
_ALREADY = (
    select(Booking.display)
    .where(
        Booking.person_id == Person.id,
        Booking.service_id == ClinicSession.service_id,
        Booking.day == ClinicSession.day,
        Booking.status.in_(ACTIVE),
    )
    .limit(1)
    .scalar_subquery()
)
_OTHERS = (
    select(func.count(func.distinct(Booking.person_id)))
    .where(
        Booking.booked_by == bindparam("phone"),
        Booking.day == ClinicSession.day,
        Booking.status.not_in(CANCELLED),
        or_(Person.id.is_(None), Booking.person_id != Person.id),
    )
    .scalar_subquery()
)
_LANGUAGE = select(Phone.language).where(Phone.number == bindparam("phone")).scalar_subquery()
# Only the facility's columns a booking reads: every column costs the driver and the ORM
# work on each request. The others load when something asks for them.
_FACILITY_COLUMNS = load_only(
    Facility.code,
    Facility.name,
    Facility.timezone,
    Facility.active,
    Facility.days_ahead,
    Facility.cutoff_minutes,
    Facility.minutes_per_patient,
    Facility.people_per_phone_per_day,
)
# The service's names in the same statement (a row per language, hence unique() below): the
# receipt says the service's name in the phone's language.
_NAMES = joinedload(Service.name_rows)
_WITH_PHONE = (
    select(ClinicSession, Service, Facility, Person, _REPLAYED, _LANGUAGE, _ALREADY, _OTHERS)
    .join(Service, ClinicSession.service_id == Service.id)
    .join(Facility, Service.facility_id == Facility.id)
    .outerjoin(Person, _PERSON)
    .where(ClinicSession.id == bindparam("session_id"))
    .options(_FACILITY_COLUMNS, _NAMES)
)

# A walk-in without a phone: always a new person, no phone rules.
_WALK_IN = (
    select(ClinicSession, Service, Facility, _REPLAYED)
    .join(Service, ClinicSession.service_id == Service.id)
    .join(Facility, Service.facility_id == Facility.id)
    .where(ClinicSession.id == bindparam("session_id"))
    .options(_FACILITY_COLUMNS, _NAMES)
)


def read_take_facts(
    db: Session, session_id: int, phone: str | None, name_key: str, request_key: str | None
) -> TakeFacts | None:
    """The facts for a take request; None if the session does not exist."""
    if phone is None:
        params = {"session_id": session_id, "request_key": request_key}
        row = db.execute(_WALK_IN, params).unique().first()
        if row is None:
            return None
        session, service, facility, replayed = row
        return TakeFacts(session, service, facility, None, replayed, None, None, 0)
    params = {
        "session_id": session_id,
        "phone": phone,
        "name_key": name_key,
        "request_key": request_key,
    }
    row = db.execute(_WITH_PHONE, params).unique().first()
    if row is None:
        return None
    session, service, facility, person, replayed, language, already, others = row
    return TakeFacts(session, service, facility, person, replayed, language, already, others or 0)
