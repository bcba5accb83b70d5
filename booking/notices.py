"""The SMS the engine writes beside its changes, rendered in the phone's language.

Each message is written to the outbox at most once: its dedupe key names its purpose and
booking, and the outbox keeps that key unique.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from booking import records
from booking.clock import local_now
from booking.models import Booking, ClinicSession, Facility, Phone
from booking.position import position
from booking.words import day_words
from texts import N_, language_or_default, translate
from texts.gsm import SEGMENT_SEPTETS, septets

# Outbox kinds. A patient's digit reply ("1" coming / rebook, "9" cancel) refers to the latest
# of these sent to their phone; see the SMS handler.
RECEIPT_KIND = "receipt"
EVENING_REMINDER = "reminder_evening"
MORNING_REMINDER = "reminder_morning"
ALMOST_TURN = "almost_turn"
SESSION_CANCELLED = "session_cancelled"
REPLYABLE_KINDS = (EVENING_REMINDER, MORNING_REMINDER, ALMOST_TURN, SESSION_CANCELLED)

RECEIPT = N_(
    "{facility}: your number is {number} for {service}, {day}. {ahead} ahead of you, "
    "about {time}. To cancel, reply BATAL {number}"
)
RECEIPT_FOR = N_(
    "{number} {name}: {service} {facility}, {day}. {ahead} ahead, ~{time}. Cancel: BATAL {number}"
)
EVENING = N_(
    "{facility}: tomorrow {day} your number is {number} for {service}, from {time}. "
    "Reply 1 if you will come, 9 to cancel."
)
MORNING = N_(
    "{facility}: today no. {number}, {service}, about {time}, {ahead} ahead. "
    "Reply 1 = coming, 9 = cancel."
)
ALMOST = N_(
    "{facility}: only {ahead} ahead of your number {number} for {service}. "
    "Please be in the waiting room."
)
CANCELLED_WITH_NEXT = N_(
    "Sorry, {service} {day} at {facility} is cancelled: {reason}. Reply 1 for a number on {next}."
)
CANCELLED_NO_NEXT = N_(
    "Sorry, {service} {day} at {facility} is cancelled: {reason}. No other session is open yet."
)


def phone_language(db: Session, phone: str) -> str:
    row = db.get(Phone, phone)
    return language_or_default(row.language if row is not None else None)


def reminders_off(db: Session, phone: str) -> bool:
    row = db.get(Phone, phone)
    return row is not None and row.reminders_off


def in_quiet_hours(facility: Facility, now: datetime) -> bool:
    """Whether it is too late or too early, where the facility is, to send a reminder."""
    clock = local_now(now, facility.timezone).time()
    start, end = facility.quiet_from, facility.quiet_until
    if start <= end:
        return start <= clock < end
    return clock >= start or clock < end


def receipt_text(db: Session, booking: Booking, now: datetime, *, language: str) -> str:
    """The SMS that stays when the USSD screen is gone: number, place in queue, expected time.

    Only the text: the engine writes it to the outbox with the booking (booking.writing), in
    the transaction that created the booking, so no receipt can exist yet.
    """
    where = position(db, booking, now)
    name = booking.person.name
    return _text(
        booking,
        RECEIPT_FOR if name else RECEIPT,
        language,
        ahead=where.ahead,
        time=_clock(where.expected_at, booking),
        name=name,
    )


def evening_reminder(db: Session, booking: Booking, now: datetime) -> None:
    session = booking.session
    _write(db, booking, now, EVENING_REMINDER, EVENING, time=f"{session.start_time:%H:%M}")


def morning_reminder(db: Session, booking: Booking, now: datetime) -> None:
    where = position(db, booking, now)
    _write(
        db,
        booking,
        now,
        MORNING_REMINDER,
        MORNING,
        ahead=where.ahead,
        time=_clock(where.expected_at, booking),
    )


def almost_turn(db: Session, booking: Booking, ahead: int, now: datetime) -> None:
    _write(db, booking, now, ALMOST_TURN, ALMOST, ahead=ahead)


def session_cancelled(
    db: Session, booking: Booking, reason: str, next_session: ClinicSession | None, now: datetime
) -> None:
    """Tell a patient their session is off, offering the next open one in a one-digit reply."""
    params: dict[str, Any] = {"reason": reason}
    template = CANCELLED_NO_NEXT
    if next_session is not None:
        template = CANCELLED_WITH_NEXT
        params["next"] = {
            lang: f"{words} {next_session.start_time:%H:%M}"
            for lang, words in day_words(next_session).items()
        }
    _write(db, booking, now, SESSION_CANCELLED, template, fit="reason", **params)


def _write(
    db: Session,
    booking: Booking,
    now: datetime,
    kind: str,
    template: str,
    *,
    fit: str | None = None,
    **params: Any,
) -> None:
    if booking.booked_by is None:
        return  # a walk-in without a phone
    language = phone_language(db, booking.booked_by)
    if fit is not None:
        body = _shorten(language, template, _values(booking, language, params), fit)
    else:
        body = _text(booking, template, language, **params)
    records.sms(
        db,
        phone=booking.booked_by,
        body=body,
        kind=kind,
        now=now,
        booking_id=booking.id,
        dedupe_key=f"{kind}:{booking.id}",
    )


def _text(booking: Booking, template: str, language: str, **params: Any) -> str:
    return translate(language, template, **_values(booking, language, params))


def _values(booking: Booking, language: str, params: dict[str, Any]) -> dict[str, Any]:
    session = booking.session
    service = session.service
    return {
        "facility": service.facility.name,
        "number": booking.display,
        "service": service.name(language),
        "day": day_words(session)[language],
        **params,
    }


def _shorten(language: str, template: str, values: dict[str, Any], field: str) -> str:
    """Cut free text typed by staff (a reason) so that the message stays one segment."""
    text = str(values[field])
    while True:
        body = translate(language, template, **{**values, field: text})
        if septets(body) <= SEGMENT_SEPTETS or not text:
            return body
        text = text[: max(0, len(text) - max(1, septets(body) - SEGMENT_SEPTETS))].rstrip()


def _clock(moment: datetime, booking: Booking) -> str:
    return f"{local_now(moment, booking.session.service.facility.timezone):%H:%M}"
