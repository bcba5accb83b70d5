"""What the queue page shows: a facility's sessions on one day, each with its patients.

Reads only; every change goes through the engine (booking/queue.py, booking/clinic_sessions.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from booking import availability
from booking.calling import calling_order
from booking.models import (
    ACTIVE,
    CANCELLED,
    WAITING,
    Booking,
    BookingStatus,
    Channel,
    ClinicSession,
    Facility,
    Person,
    Priority,
    Service,
    SessionStatus,
    display_number,
    name_in,
)
from booking.search import Found


@dataclass(frozen=True)
class Patient:
    booking_id: int
    number: str  # "A-012"
    name: str  # the person's name; empty when the phone's owner booked for themselves
    phone_tail: str  # the last digits only: enough to tell two people apart at the desk
    channel: Channel
    status: BookingStatus
    skipped: bool
    sequence: int  # the number as counted, for sorting
    priority: Priority | None = None

    @classmethod
    def of(cls, booking: Booking, person: Person) -> Patient:
        phone = booking.booked_by or ""
        return cls(
            booking_id=booking.id,
            number=booking.display,
            name=person.name,
            phone_tail=phone[-4:],
            channel=booking.channel,
            status=booking.status,
            skipped=booking.skipped,
            sequence=booking.number,
            priority=booking.priority,
        )

    @property
    def label(self) -> str:
        return self.name or (f"HP …{self.phone_tail}" if self.phone_tail else "–")


@dataclass(frozen=True)
class Hit:
    """A booking the desk's search found: the patient, where and when."""

    patient: Patient
    service_names: dict[str, str]  # {language: the service's name}
    day: date
    card_tail: str  # the last digits of the BPJS card, as the phone is shown

    @classmethod
    def of(cls, found: Found) -> Hit:
        return cls(
            patient=Patient.of(found.booking, found.person),
            service_names=dict(found.service.names),
            day=found.booking.day,
            card_tail=(found.person.bpjs_number or "")[-4:],
        )

    def service_name(self, language: str) -> str:
        return name_in(self.service_names, language)


@dataclass
class SessionCard:
    id: int
    service_code: str
    service_names: dict[str, str]  # {language: the service's name}
    prefix: str
    start: time
    end: time
    doctor: str | None
    status: SessionStatus
    cancel_reason: str | None
    capacity: int
    places_taken: int
    last_called: str | None  # the number most recently called, even if already finished
    in_room: Patient | None = None
    waiting: list[Patient] = field(default_factory=list)
    done: list[Patient] = field(default_factory=list)  # called once: served or no-show
    cancelled: list[Patient] = field(default_factory=list)

    @property
    def hours(self) -> str:
        return f"{self.start:%H:%M}–{self.end:%H:%M}"

    @property
    def places_left(self) -> int:
        return availability.places_left(self)

    def service_name(self, language: str) -> str:
        return name_in(self.service_names, language)


def session_cards(db: Session, facility: Facility, day: date) -> list[SessionCard]:
    """The facility's sessions on `day`, by service and start, with their patients in order."""
    rows = db.execute(
        select(ClinicSession, Service)
        .join(Service, ClinicSession.service_id == Service.id)
        .where(Service.facility_id == facility.id, ClinicSession.day == day)
        .order_by(Service.prefix, ClinicSession.start_time)
    ).all()
    cards = {session.id: _card(session, service) for session, service in rows}
    since_priority = {session.id: session.calls_since_priority for session, _ in rows}
    if not cards:
        return []
    bookings = db.execute(
        select(Booking, Person)
        .join(Person, Booking.person_id == Person.id)
        .where(Booking.session_id.in_(list(cards)))
        .order_by(Booking.number)
    ).all()
    waiting: dict[int, list[Booking]] = {session_id: [] for session_id in cards}
    for booking, person in bookings:
        card = cards[booking.session_id]
        patient = Patient.of(booking, person)
        if booking.status == BookingStatus.CALLED:
            card.in_room = patient
        elif booking.status in WAITING:
            waiting[booking.session_id].append(booking)
        elif booking.status in CANCELLED:
            card.cancelled.append(patient)
        else:
            card.done.append(patient)
    for session_id, card in cards.items():
        # In the order call next takes them: the engine's one rule, skips and priority.
        ordered = calling_order(
            waiting[session_id],
            facility.priority_rule,
            facility.priority_every,
            since_priority[session_id],
        )
        card.waiting = [Patient.of(booking, booking.person) for booking in ordered]
    return list(cards.values())


def told_of_cancellation(db: Session, session_id: int) -> int:
    """How many patients of a cancelled session have a phone to be told on."""
    return (
        db.scalar(
            select(func.count()).where(
                Booking.session_id == session_id,
                Booking.status == BookingStatus.CANCELLED_BY_FACILITY,
                Booking.booked_by.is_not(None),
            )
        )
        or 0
    )


def cancellation_reach(db: Session, session_id: int) -> tuple[int, int]:
    """Before a session is cancelled: how many active bookings it would cancel, and how many
    of those have a phone to be told on (as `told_of_cancellation` counts them after)."""
    row = db.execute(
        select(func.count(), func.count(Booking.booked_by)).where(
            Booking.session_id == session_id, Booking.status.in_(ACTIVE)
        )
    ).one()
    return int(row[0]), int(row[1])


def facilities(db: Session) -> list[Facility]:
    """Every facility, for an admin to pick from."""
    return list(db.scalars(select(Facility).order_by(Facility.district, Facility.code)))


def _card(session: ClinicSession, service: Service) -> SessionCard:
    return SessionCard(
        id=session.id,
        service_code=service.code,
        service_names=dict(service.names),
        prefix=service.prefix,
        start=session.start_time,
        end=session.end_time,
        doctor=session.doctor_name,
        status=session.status,
        cancel_reason=session.cancel_reason,
        capacity=session.capacity,
        places_taken=session.places_taken,
        last_called=display_number(service.prefix, session.now_serving)
        if session.now_serving
        else None,
    )


def booking_ids(cards: list[SessionCard]) -> list[int]:
    """Every booking the cards show."""
    return [
        patient.booking_id
        for card in cards
        for patient in (
            *([card.in_room] if card.in_room else []),
            *card.waiting,
            *card.done,
            *card.cancelled,
        )
    ]
