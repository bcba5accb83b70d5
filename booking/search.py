"""The desk's search box: a facility's bookings found by name, phone, BPJS card or ticket code.

What was typed decides what is looked for: letters, a name (any part of it, any case); digits,
the end of a phone number or a BPJS card number ("7890", "0812 3456 7890", the whole card);
letters and digits, a ticket code ("A-012", "a12", read as booking.tickets reads it). Anything
else is `Unclear`, for the desk to say how to type it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from booking.errors import Refused
from booking.models import Booking, Person, Service
from booking.tickets import booking_by_code

MIN_DIGITS = 3  # fewer would find half the day
MAX_TYPED = 60
LIMIT = 20
_SEPARATORS = re.compile(r"[\s().+-]")


class Unclear(ValueError):
    """The text is none of a name, digits of a phone or card, or a ticket code."""


@dataclass(frozen=True)
class Found:
    booking: Booking
    person: Person
    service: Service


def search(
    db: Session, facility_id: int, days: Sequence[date], typed: str, *, limit: int = LIMIT
) -> list[Found]:
    """The facility's bookings on `days` that match `typed`, by day and number, at most
    `limit` (the caller asks one more to know there are more)."""
    # Printable characters only: a NUL or a lone surrogate is no name, and PostgreSQL would
    # refuse it in a parameter.
    printable = "".join(c for c in unicodedata.normalize("NFKC", typed or "") if c.isprintable())
    text = " ".join(printable.split())
    if not text or len(text) > MAX_TYPED:
        raise Unclear(text)
    digits = _SEPARATORS.sub("", text)
    has_letters = any(c.isalpha() for c in text)
    if digits.isascii() and digits.isdigit():
        return _by_digits(db, facility_id, days, digits, limit)
    if has_letters and any(c.isdigit() for c in text):
        return _by_code(db, facility_id, days, text)
    if has_letters and len(text) >= 2:
        return _by_name(db, facility_id, days, text, limit)
    raise Unclear(text)


def _by_digits(
    db: Session, facility_id: int, days: Sequence[date], digits: str, limit: int
) -> list[Found]:
    if len(digits) < MIN_DIGITS or len(digits) > 16:
        raise Unclear(digits)
    tails = {digits}
    if len(digits) >= 9 and digits.startswith("0"):
        tails.add(digits[1:])  # "0812…" is written "+62812…"
    matches = [
        column.endswith(tail, autoescape=True)
        for tail in tails
        for column in (Booking.booked_by, Person.phone, Person.bpjs_number)
    ]
    return _found(db, facility_id, days, or_(*matches), limit)


def _by_name(
    db: Session, facility_id: int, days: Sequence[date], text: str, limit: int
) -> list[Found]:
    # name_key is the name casefolded (booking.taking): the same on SQLite and PostgreSQL.
    wanted = Person.name_key.contains(text.casefold(), autoescape=True)
    return _found(db, facility_id, days, wanted, limit)


def _by_code(db: Session, facility_id: int, days: Sequence[date], text: str) -> list[Found]:
    found = []
    for day in days:
        try:
            booking = booking_by_code(db, facility_id, day, text)
        except Refused:
            continue
        found.append(Found(booking, booking.person, booking.session.service))
    if not found and not _looks_like_code(text):
        raise Unclear(text)
    return found


def _looks_like_code(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) <= 2 and text[:1].isalpha()


def _found(
    db: Session, facility_id: int, days: Sequence[date], wanted: ColumnElement[bool], limit: int
) -> list[Found]:
    rows = db.execute(
        select(Booking, Person, Service)
        .join(Person, Booking.person_id == Person.id)
        .join(Service, Booking.service_id == Service.id)
        .where(Service.facility_id == facility_id, Booking.day.in_(list(days)), wanted)
        .order_by(Booking.day, Service.prefix, Booking.number)
        .limit(limit)
    ).all()
    return [Found(booking, person, service) for booking, person, service in rows]
