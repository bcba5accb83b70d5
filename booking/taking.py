"""Take and cancel a queue number: the rules of design §3 for who books and how often.

Whether a session takes a booking at all (status, window, cut-off) is booking/availability.py.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from datetime import datetime
from typing import TypeVar

from sqlalchemy import select, update
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from booking import notices, records, reminders, writing
from booking.availability import check_bookable
from booking.commands import CancelBooking, TakeNumber
from booking.errors import Reason, Refused
from booking.lookup import TakeFacts, read_take_facts
from booking.models import (
    ACTIVE,
    CANCELLED,
    ROW_UPDATE,
    WAITING,
    Booking,
    BookingStatus,
    Channel,
    ClinicSession,
    Event,
    Person,
    Service,
    SessionStatus,
    display_number,
)
from booking.phones import normalise
from booking.words import session_words
from texts import language_or_default

MAX_NAME = 30
_FINGERPRINT = "request"  # the key of a booked event's detail that holds _request_fingerprint()
_NAME_KEEP = re.compile(r"[^\w .'\-]", re.UNICODE)


def take_number(db: Session, command: TakeNumber, now: datetime) -> Booking:
    """Give the next number in a session, or refuse with a reason the user can read."""
    phone, name, invalid = _who(command)
    fingerprint = (
        _request_fingerprint(command, phone, name) if command.key_chosen_by_caller else None
    )
    if phone is not None:
        writing.serialise_phone(db, phone)
    facts = read_take_facts(db, command.session_id, phone, name.casefold(), command.request_key)
    if facts is not None and facts.replayed_booking_id is not None:
        if fingerprint is not None:
            _check_same_request(records.replayed(db, command.request_key), fingerprint)
        return db.get_one(Booking, facts.replayed_booking_id)
    try:
        if facts is None:
            raise Refused(Reason.SESSION_UNKNOWN)
        return _take(db, command, facts, phone, name, invalid, fingerprint, now)
    except Refused:
        # A twin request with the same key may have committed after our first look (its
        # booking now makes ours look like a second one): the answer is then its booking.
        earlier = _replayed_booking(db, command.request_key, fingerprint)
        if earlier is not None:
            return earlier
        raise


def _replayed_booking(
    db: Session, request_key: str | None, fingerprint: str | None = None
) -> Booking | None:
    earlier = records.replayed(db, request_key)
    if earlier is None or earlier.booking_id is None:
        return None
    _check_same_request(earlier, fingerprint)
    return db.get_one(Booking, earlier.booking_id)


def _request_fingerprint(command: TakeNumber, phone: str | None, name: str) -> str:
    """What makes two take requests the same request: the fields that define the booking.

    They are the session, the phone in E.164, the name as the engine tells people apart (cleaned,
    in any case) and the BPJS number: "0812-3456-7890" and "+6281234567890", or "SITI AMINAH"
    and "Siti Aminah", book the same patient the same way, so a retry may write them either
    way. Who sends it (actor, channel) is not part of it: the key is already the caller's own.
    Kept hashed, so that the event log holds no second copy of the phone and the name.
    """
    fields = [command.session_id, phone, name.casefold(), command.bpjs_number or None]
    return hashlib.sha256(json.dumps(fields).encode()).hexdigest()[:32]


def _check_same_request(earlier: Event | None, fingerprint: str | None) -> None:
    """Refuse a key the caller chose that an earlier, different request used: as the IETF
    idempotency-key draft has it, a key reused with another payload is the caller's error.
    Answering with that booking would hand the caller someone else's number and phone."""
    if fingerprint is None or earlier is None:
        return
    # None: the booking was made before fingerprints were kept; there is nothing to compare.
    kept = (earlier.detail or {}).get(_FINGERPRINT)
    if kept is not None and kept != fingerprint:
        raise Refused(Reason.IDEMPOTENCY_KEY_REUSED)


def _who(command: TakeNumber) -> tuple[str | None, str, Refused | None]:
    """The phone in E.164 and the cleaned name, or the refusal they earn.

    Worked out before anything is read (the phone is part of the one look-up), but a refusal
    is raised only after the session's own checks, which come first for the user.
    """
    try:
        phone = normalise(command.phone) if command.phone else None
        name = clean_name(command.name)
    except Refused as refused:
        return None, "", refused
    if phone is None and not name:
        return None, "", Refused(Reason.NAME_INVALID)
    return phone, name, None


def _take(
    db: Session,
    command: TakeNumber,
    facts: TakeFacts,
    phone: str | None,
    name: str,
    invalid: Refused | None,
    fingerprint: str | None,
    now: datetime,
) -> Booking:
    session, service = facts.session, facts.service
    check_bookable(session, service, facts.facility, now)
    if invalid is not None:
        raise invalid
    _check_same_day_rules(facts, phone)
    person, new_person = _person(db, facts.person, phone, name, command.bpjs_number)
    # An SMS booking is answered by the SMS reply itself; every other channel gets a receipt.
    receipt_language = None
    if phone is not None and command.channel != Channel.SMS:
        receipt_language = language_or_default(facts.language)
    # Everything that does not depend on the number is made before the counter row is locked.
    row: dict[str, object] = {
        "session_id": session.id,
        "service_id": service.id,
        "day": session.day,
        "booked_by": phone,
        "channel": command.channel,
        "status": BookingStatus.BOOKED,
        "confirmed": False,
        "skipped": False,
        "priority": command.priority,
        "created_at": now,
    }
    if new_person is None:
        row["person_id"] = person.id
    event = records.event_values(
        "booked",
        actor=command.actor or phone or "walk-in",
        channel=command.channel,
        now=now,
        session_id=session.id,
        request_key=command.request_key,
        detail={_FINGERPRINT: fingerprint} if fingerprint is not None else None,
    )

    # From here to the commit the session's counter row is locked: only writes follow.
    counter = writing.move_counter(db, session)
    if counter is None:
        raise _why_no_number(db, session, service)
    row["number"] = counter.number
    row["display"] = display_number(service.prefix, counter.number)
    booking = Booking(**row, called_at=None, finished_at=None)
    receipt = None
    if receipt_language is not None and phone is not None:
        # The session object holds the counter's new values: before the first call the people
        # ahead of this newest number are known without a query while the row is locked.
        booking.session, booking.person = session, person
        body = notices.receipt_text(db, booking, now, language=receipt_language)
        receipt = records.sms_values(phone=phone, body=body, kind=notices.RECEIPT_KIND, now=now)
    written = writing.insert_booking(db, row, event, receipt, new_person)
    if written.outbox_id is not None:
        records.outbox_written(db, [written.outbox_id])
    records.booking_written(db, written.booking_id)
    if new_person is not None:
        person.id = written.person_id
        _attached(db, person)
    booking.id, booking.person_id = written.booking_id, written.person_id
    return _attached(db, booking, session=session, person=person)


def _why_no_number(db: Session, session: ClinicSession, service: Service) -> Refused:
    """Full, or closed or cancelled since the look-up (the doctor is absent): say which."""
    words = session_words(session, service)
    status = db.scalar(select(ClinicSession.status).where(ClinicSession.id == session.id))
    if status == SessionStatus.CANCELLED:
        return Refused(Reason.SESSION_CANCELLED, **words)
    if status == SessionStatus.CLOSED:
        return Refused(Reason.SESSION_CLOSED, **words)
    return Refused(Reason.SESSION_FULL, **words)


def cancel_booking(db: Session, command: CancelBooking, now: datetime) -> Booking:
    """Cancel one booking and free its place (its number is never given again)."""
    earlier = _replayed_booking(db, command.request_key)
    if earlier is not None:
        return earlier
    session_id = db.scalar(select(Booking.session_id).where(Booking.id == command.booking_id))
    if session_id is None:
        raise Refused(Reason.BOOKING_UNKNOWN)
    # The session's row first, then the booking's: the order call_next takes them in, so that
    # a cancel and a call at the same moment queue instead of deadlocking on PostgreSQL.
    db.get_one(ClinicSession, session_id, with_for_update=ROW_UPDATE)
    booking = db.get_one(Booking, command.booking_id, with_for_update=ROW_UPDATE)
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


def _person(
    db: Session, known: Person | None, phone: str | None, name: str, bpjs_number: str | None
) -> tuple[Person, dict[str, object] | None]:
    """The patient found by phone and name, or a new one with the row to insert for it.

    A walk-in without phone is always new. The new person is written with the booking, in
    the same statement on PostgreSQL; a racing twin then fails on the unique key (phone,
    name) and the caller's retry finds this row.
    """
    if known is not None:
        if bpjs_number and known.bpjs_number != bpjs_number:
            known.bpjs_number = bpjs_number
            db.flush()  # now, not at commit while the counter row is locked
        return known, None
    values: dict[str, object] = {
        "phone": phone,
        "name": name,
        "name_key": name.casefold(),
        "bpjs_number": bpjs_number,
    }
    return Person(**values), values


_T = TypeVar("_T", Booking, Person)


def _attached(db: Session, row: _T, **related: object) -> _T:
    """An object for a row just inserted without the ORM, in the session as if loaded."""
    make_transient_to_detached(row)
    for key, value in related.items():
        set_committed_value(row, key, value)
    db.add(row)
    return row


def _check_same_day_rules(facts: TakeFacts, phone: str | None) -> None:
    """One active booking per person per service per day; a few people per phone per day."""
    person = facts.person
    if person is not None and facts.already_booked is not None:
        raise Refused(
            Reason.ALREADY_BOOKED_FOR if person.name else Reason.ALREADY_BOOKED,
            name=person.name,
            number=facts.already_booked,
            **session_words(facts.session, facts.service),
        )
    limit = facts.facility.people_per_phone_per_day
    if phone is not None and facts.other_people + 1 > limit:
        raise Refused(Reason.PHONE_LIMIT, limit=limit)
