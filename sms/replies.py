"""The SMS replies: catalog msgids, and rendering that keeps every reply to one GSM-7 segment.

The msgids (English) are here; Indonesian is in texts/locale/id/sms.po. Each template fits one
segment with the longest real data (facility name 32 characters, service 24, person 30,
number A-9999), which tests/test_sms_templates.py proves; `render` still shortens the free
fields as a safety net for data longer than that, so no reply ever costs two segments.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from booking.clock import local_now
from booking.errors import Refused
from booking.models import Booking, BookingStatus
from booking.position import position
from booking.words import day_words
from texts import N_, translate
from texts.gsm import SEGMENT_SEPTETS, septets


@dataclass(frozen=True)
class Reply:
    """What we answer to one inbound SMS; `understood` is False when we could not act on it."""

    body: str
    understood: bool = True


# --- booking ---------------------------------------------------------------------------------
BOOKED = N_(
    "{facility}: your number is {number}, {service}, {day}. {ahead} ahead of you, "
    "about {time}. Cancel: BATAL {number}"
)
BOOKED_FOR = N_(
    "{name}: {number}, {service}, {day}, {facility}. {ahead} ahead, about {time}. "
    "Cancel: BATAL {number}"
)
# A BPJS card number given with the booking: shown by its last digits only, as the logs do.
BOOKED_CARD = N_(
    "{facility}: your number is {number}, {service}, {day}, BPJS card {card}. {ahead} ahead, "
    "about {time}. Cancel: BATAL {number}"
)
BOOKED_FOR_CARD = N_(
    "{name}: {number}, {service}, {day}, {facility}, BPJS {card}. {ahead} ahead, about {time}"
)
CARD_INVALID = N_(
    "A BPJS card number has 13 digits; yours has {count}. No number was taken. Send e.g. "
    "ANTRE UMUM BESOK KARTU 0001234567890"
)
# --- the one question about a request we could not fully read ---------------------------------
ASK_FACILITY = N_(
    "{request}: which health centre? Reply with just its code, e.g. 1001. Your puskesmas can "
    "tell you its code."
)
ASK_SERVICE = N_("{facility}, {day}: which service? Reply {choices}")
ASK_DAY = N_("{service}, {facility}: which day? Reply {choices}")
TODAY = N_("today")
TOMORROW = N_("tomorrow")
ANY_DAY = N_("first free day")

# --- cancel ----------------------------------------------------------------------------------
CANCELLED = N_("Number {number}, {service}, {day} is cancelled. Thank you for telling us.")
# A cancel read from ordinary words names no number: ask, the words may mean another booking.
CANCEL_THIS = N_("Cancel {number}, {service}, {day}? Reply BATAL {number}")
WHICH_TO_CANCEL = N_("You have {count} numbers: {tickets}. Which one? E.g. BATAL {example}")

# --- status ----------------------------------------------------------------------------------
STATUS_SERVING = N_("{number} {service} {day}: now serving {serving}, {ahead} ahead, about {time}")
STATUS_NOT_STARTED = N_("{number} {service} {day}: not started, {ahead} ahead, about {time}")
STATUS_CALLED = N_("{number} {service}: it is your turn now!")
STATUS_SHORT = N_("{number} {day}: {ahead} ahead, ~{time}")
MORE = N_("+{count} more")

# --- schedule --------------------------------------------------------------------------------
SCHEDULE = N_("{facility}, places left. Today: {today}. Tomorrow: {tomorrow}.")
ASK_FACILITY_SCHEDULE = N_("Which health centre? Send JADWAL and its code, e.g. JADWAL 1001.")

# --- arrival and reminders -------------------------------------------------------------------
CHECKED_IN = N_("Welcome! {number} is checked in. {ahead} ahead of you, about {time}.")
CHECKED_IN_MANY = N_("Welcome! Checked in: {numbers}.")
NO_BOOKING_TODAY = N_("You have no queue number for today. Send CEK to see your numbers.")
CONFIRMED = N_("Thank you, we expect you: {number}, {service}, {day}, about {time}.")
NOTHING_TO_CONFIRM = N_("There is no reminder to answer. Send CEK to see your numbers.")
DIGIT_HINT = N_("Reply 1 if you will come, or 9 to cancel number {number}.")
REBOOK_HINT = N_("Reply 1 for a new number for {service}.")
NO_SESSION_TO_REBOOK = N_(
    "Sorry, no {service} session is open for booking now. Send JADWAL to see places left."
)

# --- the phone's settings --------------------------------------------------------------------
LANGUAGE_SET = N_("OK, your SMS will be in English from now on.")
REMINDERS_OFF = N_(
    "Reminders are off. Answers to your own SMS still come. Send MULAI to turn them on again."
)
REMINDERS_ON = N_("Reminders are on again. Send STOP to turn them off.")

# --- help ------------------------------------------------------------------------------------
HELP = N_(
    "ANTRE UMUM BESOK 1001 = take a number, CEK = my numbers, BATAL = cancel, "
    "JADWAL = places left, HADIR = I am here, BAHASA ID = Indonesian"
)
UNKNOWN = N_(
    "Sorry, we did not understand. To take a number send e.g. ANTRE UMUM BESOK 1001. "
    "For help send BANTUAN."
)

# The free-text fields a reply may carry, in the order they give up characters: shortened only
# when data is longer than the real limits the templates are measured against.
_SHORTENABLE = ("facility", "name", "service")


def render(language: str, msgid: str, **params: Any) -> str:
    """The message in `language`, in one GSM-7 segment whatever the data."""
    text = translate(language, msgid, **params)
    if septets(text) <= SEGMENT_SEPTETS:
        return text
    values = {name: _plain(value, language) for name, value in params.items()}
    for field in _SHORTENABLE:
        while field in values and septets(text) > SEGMENT_SEPTETS and len(values[field]) > 8:
            over = septets(text) - SEGMENT_SEPTETS
            kept = str(values[field])[: max(8, len(values[field]) - over - 1)]
            values[field] = kept.rstrip() + "."
            text = translate(language, msgid, **values)
    while septets(text) > SEGMENT_SEPTETS:
        text = text[: min(len(text), SEGMENT_SEPTETS) - 4].rstrip() + "..."
    return text


def translate_word(language: str, msgid: str) -> str:
    """A word for a reply's field ("today"), in `language`."""
    return translate(language, msgid)


def refusal(language: str, refused: Refused) -> str:
    return render(language, refused.reason.message, **refused.params)


def with_list(language: str, msgid: str, field: str, items: Sequence[str], **params: Any) -> str:
    """`msgid` with as many of `items` (joined by ", ") as fit one segment, then "+N more"."""
    for shown in range(len(items), 0, -1):
        listed = ", ".join(items[:shown])
        if shown < len(items):
            listed += " " + translate(language, MORE, count=len(items) - shown)
        text = translate(language, msgid, **{field: listed}, **params)
        if septets(text) <= SEGMENT_SEPTETS:
            return text
    return render(language, msgid, **{field: items[0] if items else ""}, **params)


def first_lines(language: str, blocks: Sequence[str]) -> str:
    """As many of `blocks` as fit one segment, one per line, then "+N more"."""
    for shown in range(len(blocks), 0, -1):
        chosen = list(blocks[:shown])
        if shown < len(blocks):
            chosen.append(translate(language, MORE, count=len(blocks) - shown))
        text = "\n".join(chosen)
        if septets(text) <= SEGMENT_SEPTETS:
            return text
    return blocks[0][:SEGMENT_SEPTETS] if blocks else ""


# --- the words for a booking ----------------------------------------------------------------


def booking_words(booking: Booking, language: str) -> dict[str, Any]:
    session = booking.session
    service = session.service
    return {
        "facility": service.facility.name,
        "number": booking.display,
        "service": service.name(language),
        "day": day_words(session)[language],
    }


def receipt(db: Session, booking: Booking, language: str, now: datetime) -> str:
    """The reply to an SMS booking, which is its receipt: number, service, day, people ahead,
    expected time and how to cancel."""
    where = position(db, booking, now)
    words = booking_words(booking, language)
    words.update(ahead=where.ahead, time=clock(booking, where.expected_at))
    card = booking.person.bpjs_number
    if card:
        words.update(card=masked_card(card))
        if booking.person.name:
            return render(language, BOOKED_FOR_CARD, name=booking.person.name, **words)
        return render(language, BOOKED_CARD, **words)
    if booking.person.name:
        return render(language, BOOKED_FOR, name=booking.person.name, **words)
    return render(language, BOOKED, **words)


def masked_card(card: str) -> str:
    """A card number as an SMS may show it: its last four digits ("*7890")."""
    return "*" + card[-4:]


def checked_in(db: Session, booking: Booking, language: str, now: datetime) -> str:
    where = position(db, booking, now)
    return render(
        language,
        CHECKED_IN,
        number=booking.display,
        ahead=where.ahead,
        time=clock(booking, where.expected_at),
    )


def confirmed(db: Session, booking: Booking, language: str, now: datetime) -> str:
    where = position(db, booking, now)
    words = booking_words(booking, language)
    return render(language, CONFIRMED, time=clock(booking, where.expected_at), **words)


def status(db: Session, bookings: Sequence[Booking], language: str, now: datetime) -> str:
    """Where each booking stands, one per line; shorter lines when they do not all fit."""
    full: list[str] = []
    short: list[str] = []
    for booking in bookings:
        where = position(db, booking, now)
        words = booking_words(booking, language)
        words.update(ahead=where.ahead, time=clock(booking, where.expected_at))
        if booking.status == BookingStatus.CALLED:
            line = render(language, STATUS_CALLED, **words)
            full.append(line)
            short.append(line)
            continue
        if where.now_serving is None:
            full.append(render(language, STATUS_NOT_STARTED, **words))
        else:
            full.append(render(language, STATUS_SERVING, serving=where.now_serving, **words))
        short.append(render(language, STATUS_SHORT, **words))
    text = "\n".join(full)
    if septets(text) <= SEGMENT_SEPTETS:
        return text
    return first_lines(language, short)


def schedule(language: str, facility: str, places: Sequence[tuple[str, int, int]]) -> str:
    """Places left today and tomorrow per service code (code, today, tomorrow), as many
    services as fit one segment."""
    for shown in range(len(places), 0, -1):
        more = (
            ""
            if shown == len(places)
            else " " + translate(language, MORE, count=len(places) - shown)
        )
        today = ", ".join(f"{code} {left}" for code, left, _ in places[:shown]) + more
        tomorrow = ", ".join(f"{code} {left}" for code, _, left in places[:shown]) + more
        text = translate(language, SCHEDULE, facility=facility, today=today, tomorrow=tomorrow)
        if septets(text) <= SEGMENT_SEPTETS:
            return text
    return render(language, SCHEDULE, facility=facility, today="-", tomorrow="-")


def clock(booking: Booking, moment: datetime) -> str:
    """A moment as the facility's wall-clock time, "08:40"."""
    return f"{local_now(moment, booking.session.service.facility.timezone):%H:%M}"


def _plain(value: Any, language: str) -> Any:
    """A per-language parameter in `language`; other values as they are."""
    if isinstance(value, dict):
        return str(value.get(language, value.get("id", "")))
    return value
