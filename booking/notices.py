"""The SMS the engine writes beside its changes, rendered in the phone's language."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from booking import records
from booking.clock import local_now
from booking.errors import N_
from booking.models import Booking, ClinicSession, Phone, Service
from booking.position import position
from texts import translate

# Outbox kinds. A patient's digit reply ("1" coming / rebook, "9" cancel) refers to the latest
# of these sent to their phone; see the SMS handler.
RECEIPT_KIND = "receipt"
EVENING_REMINDER = "reminder_evening"
MORNING_REMINDER = "reminder_morning"
ALMOST_TURN = "almost_turn"
SESSION_CANCELLED = "session_cancelled"
REPLYABLE_KINDS = (EVENING_REMINDER, MORNING_REMINDER, ALMOST_TURN, SESSION_CANCELLED)

WEEKDAYS = {
    "id": ("Sen", "Sel", "Rab", "Kam", "Jum", "Sab", "Min"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}

RECEIPT = N_(
    "{facility}: your number is {number} for {service}, {day}. {ahead} ahead of you, "
    "about {time}. To cancel, reply BATAL {number}"
)
RECEIPT_FOR = N_(
    "{facility}: number {number} for {name}, {service}, {day}. {ahead} ahead, "
    "about {time}. To cancel, reply BATAL {number}"
)


def day_words(session: ClinicSession) -> dict[str, str]:
    """A session's day as people write it, per language: "Sen 24/11"."""
    day = session.day
    return {lang: f"{names[day.weekday()]} {day:%d/%m}" for lang, names in WEEKDAYS.items()}


def service_words(service: Service) -> dict[str, str]:
    return {"id": service.name_id, "en": service.name_en}


def session_words(session: ClinicSession, service: Service) -> dict[str, object]:
    return {"service": service_words(service), "day": day_words(session)}


def phone_language(db: Session, phone: str) -> str:
    row = db.get(Phone, phone)
    return row.language if row is not None else "id"


def receipt(db: Session, booking: Booking, now: datetime) -> None:
    """The SMS that stays when the USSD screen is gone: number, place in queue, expected time."""
    assert booking.booked_by is not None
    language = phone_language(db, booking.booked_by)
    session = booking.session
    service = session.service
    facility = service.facility
    where = position(db, booking, now)
    template = RECEIPT_FOR if booking.person.name else RECEIPT
    body = translate(
        language,
        template,
        facility=facility.name,
        number=booking.display,
        name=booking.person.name,
        service=service.name(language),
        day=day_words(session)[language if language in WEEKDAYS else "id"],
        ahead=where.ahead,
        time=f"{local_now(where.expected_at, facility.timezone):%H:%M}",
    )
    records.sms(
        db,
        phone=booking.booked_by,
        body=body,
        kind=RECEIPT_KIND,
        now=now,
        booking_id=booking.id,
        dedupe_key=f"receipt:{booking.id}",
    )
