"""Take and cancel a queue number: the rules of design §3 in one place."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from booking import notices, records, reminders
from booking.clock import at_local, days_from_today, local_now, minutes
from booking.commands import CancelBooking, TakeNumber
from booking.errors import Reason, Refused
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
    Service,
    SessionStatus,
    display_number,
)
from booking.phones import normalise

MAX_NAME = 30
_NAME_KEEP = re.compile(r"[^\w .'\-]", re.UNICODE)


def take_number(db: Session, command: TakeNumber, now: datetime) -> Booking:
    """Give the next number in a session, or refuse with a reason the user can read."""
    earlier = _replayed_booking(db, command.request_key)
    if earlier is not None:
        return earlier
    try:
        return _take(db, command, now)
    except Refused:
        # A twin request with the same key may have committed after our first look (its
        # booking now makes ours look like a second one): the answer is then its booking.
        earlier = _replayed_booking(db, command.request_key)
        if earlier is not None:
            return earlier
        raise


def _replayed_booking(db: Session, request_key: str | None) -> Booking | None:
    earlier = records.replayed(db, request_key)
    if earlier is None or earlier.booking_id is None:
        return None
    return db.get_one(Booking, earlier.booking_id)


def _take(db: Session, command: TakeNumber, now: datetime) -> Booking:
    session, service, facility = _session_for_booking(db, command.session_id)
    check_bookable(session, service, facility, now)
    phone = normalise(command.phone) if command.phone else None
    name = clean_name(command.name)
    if phone is None and not name:
        raise Refused(Reason.NAME_INVALID)
    person = _person(db, phone, name, command.bpjs_number)
    _check_same_day_rules(db, person, phone, session, service, facility)
    # Read before the counter row is locked below: everything after the UPDATE holds the lock.
    language = notices.phone_language(db, phone) if phone is not None else None

    # The counter row: one atomic statement moves the number and the places together, so that
    # under any concurrency a number is never given twice and capacity is never exceeded.
    counter = db.execute(
        update(ClinicSession)
        .where(
            ClinicSession.id == session.id,
            ClinicSession.status == SessionStatus.OPEN,
            ClinicSession.places_taken < ClinicSession.capacity,
        )
        .values(
            last_number=ClinicSession.last_number + 1,
            places_taken=ClinicSession.places_taken + 1,
        )
        .returning(ClinicSession.last_number, ClinicSession.places_taken)
        .execution_options(synchronize_session=False)
    ).first()
    if counter is None:
        raise Refused(Reason.SESSION_FULL, **notices.session_words(session, service))
    number, places_taken = counter

    booking = Booking(
        session_id=session.id,
        service_id=service.id,
        day=session.day,
        person_id=person.id,
        booked_by=phone,
        channel=command.channel,
        number=number,
        display=display_number(service.prefix, number),
        status=BookingStatus.BOOKED,
        created_at=now,
    )
    db.add(booking)
    db.flush()
    records.event(
        db,
        "booked",
        actor=command.actor or phone or "walk-in",
        channel=command.channel,
        now=now,
        booking=booking,
        request_key=command.request_key,
    )
    # An SMS booking is answered by the SMS reply itself; every other channel gets a receipt.
    if language is not None and command.channel != Channel.SMS:
        # Before the first call every place taken is someone waiting: the people ahead are
        # known without another query while the counter row is locked.
        ahead = places_taken - 1 if session.now_serving is None else None
        notices.receipt(db, booking, now, language=language, ahead=ahead)
    return booking


def cancel_booking(db: Session, command: CancelBooking, now: datetime) -> Booking:
    """Cancel one booking and free its place (its number is never given again)."""
    earlier = _replayed_booking(db, command.request_key)
    if earlier is not None:
        return earlier
    booking = db.get(Booking, command.booking_id, with_for_update=True)
    if booking is None:
        raise Refused(Reason.BOOKING_UNKNOWN)
    if booking.status in CANCELLED:
        return booking  # cancelling twice is the same as cancelling once
    allowed = ACTIVE if command.by_facility else WAITING
    if booking.status not in allowed:
        raise Refused(Reason.TOO_LATE_TO_CANCEL, number=booking.display)
    booking.status = BookingStatus.CANCELLED
    booking.finished_at = now
    db.execute(
        update(ClinicSession)
        .where(ClinicSession.id == booking.session_id)
        .values(places_taken=ClinicSession.places_taken - 1)
        .execution_options(synchronize_session=False)
    )
    records.event(
        db,
        "cancelled",
        actor=command.actor,
        channel=command.channel,
        now=now,
        booking=booking,
        request_key=command.request_key,
    )
    reminders.announce_queue_movement(db, booking.session_id, now)
    return booking


def check_bookable(
    session: ClinicSession, service: Service, facility: Facility, now: datetime
) -> None:
    """Refuse a session that cannot take a booking now (status, window, cut-off)."""
    words = notices.session_words(session, service)
    if not facility.active or not service.active:
        raise Refused(Reason.FACILITY_CLOSED, facility=facility.name)
    if session.status == SessionStatus.CANCELLED:
        raise Refused(Reason.SESSION_CANCELLED, **words)
    if session.status == SessionStatus.CLOSED:
        raise Refused(Reason.SESSION_CLOSED, **words)
    ahead = days_from_today(session.day, now, facility.timezone)
    if ahead < 0 or ahead > facility.days_ahead:
        raise Refused(Reason.OUTSIDE_WINDOW)
    if now >= cutoff(session, facility):
        closes = local_now(cutoff(session, facility), facility.timezone)
        raise Refused(Reason.PAST_CUTOFF, service=words["service"], time=f"{closes:%H:%M}")


def cutoff(session: ClinicSession, facility: Facility) -> datetime:
    """The last moment a session takes bookings: a set time before it ends."""
    ends = at_local(session.day, session.end_time, facility.timezone)
    return ends - minutes(facility.cutoff_minutes)


def clean_name(raw: str | None) -> str:
    """A name as people would write it on a ticket; empty for "the phone's owner"."""
    text = unicodedata.normalize("NFKC", raw or "")
    text = " ".join(_NAME_KEEP.sub(" ", text).split())
    text = text.replace("_", " ").strip(" .'-")
    if not text:
        return ""
    if len(text) < 2 or len(text) > MAX_NAME or not any(c.isalpha() for c in text):
        raise Refused(Reason.NAME_INVALID)
    if text.islower() or text.isupper():  # "SITI NI'MAH" → "Siti Ni'mah" (not str.title)
        return " ".join(word[:1].upper() + word[1:].lower() for word in text.split())
    return text


def _session_for_booking(db: Session, session_id: int) -> tuple[ClinicSession, Service, Facility]:
    row = db.execute(
        select(ClinicSession, Service, Facility)
        .join(Service, ClinicSession.service_id == Service.id)
        .join(Facility, Service.facility_id == Facility.id)
        .where(ClinicSession.id == session_id)
    ).first()
    if row is None:
        raise Refused(Reason.SESSION_UNKNOWN)
    return row[0], row[1], row[2]


def _person(db: Session, phone: str | None, name: str, bpjs_number: str | None) -> Person:
    """The patient: found by phone and name, or created. A walk-in without phone is always new."""
    key = name.casefold()
    person = None
    if phone is not None:
        person = db.scalars(
            select(Person).where(Person.phone == phone, Person.name_key == key)
        ).first()
    if person is None:
        person = Person(phone=phone, name=name, name_key=key, bpjs_number=bpjs_number)
        db.add(person)
        db.flush()  # a racing twin fails on the unique key; the caller's retry finds this row
    elif bpjs_number and person.bpjs_number != bpjs_number:
        person.bpjs_number = bpjs_number
    return person


def _check_same_day_rules(
    db: Session,
    person: Person,
    phone: str | None,
    session: ClinicSession,
    service: Service,
    facility: Facility,
) -> None:
    """One active booking per person per service per day; a few people per phone per day.

    One query reads the day's bookings of the person and of the phone for both rules.
    """
    rows = db.execute(
        select(Booking.person_id, Booking.service_id, Booking.status, Booking.display).where(
            Booking.day == session.day,
            Booking.status.not_in(CANCELLED),
            or_(Booking.person_id == person.id, Booking.booked_by == phone)
            if phone is not None
            else Booking.person_id == person.id,
        )
    ).all()
    for person_id, service_id, status, display in rows:
        if person_id == person.id and service_id == service.id and status in ACTIVE:
            raise Refused(
                Reason.ALREADY_BOOKED_FOR if person.name else Reason.ALREADY_BOOKED,
                name=person.name,
                number=display,
                **notices.session_words(session, service),
            )
    others = {person_id for person_id, *_ in rows if person_id != person.id}
    if phone is not None and len(others) + 1 > facility.people_per_phone_per_day:
        raise Refused(Reason.PHONE_LIMIT, limit=facility.people_per_phone_per_day)
