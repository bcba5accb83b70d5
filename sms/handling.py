"""What an inbound SMS asks for: the parsed command run through the booking engine, and the reply.

Every command ends in exactly one reply text (in the phone's language, one GSM-7 segment);
a refusal from the engine is a reply too. Work that changes bookings runs in a savepoint, so
a refusal halfway leaves nothing behind while the inbound record and the reply still commit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from booking.availability import bookable_sessions, booking_days, first_with_room, outside_window
from booking.clock import local_today
from booking.commands import TakeNumber
from booking.errors import Reason, Refused
from booking.facilities import facility_by_code, services_of
from booking.models import Booking, Channel, ClinicSession, Facility, Service
from booking.phone_bookings import active_bookings, find_for_phone
from booking.queue import check_in
from booking.taking import take_number
from sms import digits, questions, replies
from sms.digits import cancel_one
from sms.lexicon import CARD_DIGITS
from sms.parser import (
    DEFAULT_SERVICES,
    Book,
    Cancel,
    CheckIn,
    Confirm,
    DayWord,
    Digit,
    Help,
    Schedule,
    SetLanguage,
    Start,
    Status,
    Stop,
    Unknown,
    has_keyword,
    parse,
)
from sms.replies import Reply
from sms.sender import Sender
from texts import language_or_default

# A date typed without a year is the nearest one: "02/01" in late December is next year's.
_LAST_YEAR_AFTER_DAYS = 180


def answer(db: Session, sender: Sender, text: str, now: datetime) -> tuple[str, Reply]:
    """Run one SMS; returns the command's kind (for the inbound record) and the reply.

    An SMS is read first as the answer to the question we just asked this phone, then as the
    answer to the reminder we sent it, and only then as a command of its own."""
    kind = "answer"
    try:
        found = _answer(db, sender, text, now)
        if found is not None:
            return kind, found
        command = read(db, sender, text)
        kind = type(command).__name__.lower()
        notice = digits.latest_notice(db, sender.phone, now)
        if isinstance(command, Book | Help) and notice is not None and not has_keyword(text):
            # A service word or a question in a reply to a reminder is no new booking and no
            # help request: say which digits answer the reminder.
            return "answer", digits.hint(db, sender, notice)
        reply = _HANDLERS[type(command)](db, sender, command, now)
    except Refused as refused:
        return kind, Reply(replies.refusal(sender.language, refused))
    return kind, reply


def _answer(db: Session, sender: Sender, text: str, now: datetime) -> Reply | None:
    pending = questions.waiting(db, sender.phone, now)
    if pending is not None:
        facility = db.get(Facility, pending.facility_id) if pending.facility_id else None
        words = service_words(db, facility)
        try:
            done = questions.complete(db, pending, text, words)
        except Refused as refused:  # an unknown facility code: the question still stands
            pending.created_at = now
            return Reply(replies.refusal(sender.language, refused))
        if done is None and not _another_command(text, words):
            return questions.ask_again(pending, now)
        questions.forget(db, sender.phone)
        if done is not None:
            if done.facility is not None and pending.asked == "facility":
                sender.settings(db).facility_id = done.facility.id
            where = done.facility or facility
            if where is None:
                return questions.ask_facility(db, sender, done.request, now)
            return book_at(db, sender, where, done.request, now, on=done.on)
    notice = digits.latest_notice(db, sender.phone, now)
    if notice is not None and not text.strip().isdigit():
        reply = digits.in_words(db, sender, notice, text, now)
        if reply is not None:
            return reply
    return None


def _another_command(text: str, words: Mapping[str, Sequence[str]]) -> bool:
    """Whether a text that does not answer our question asks for something else instead."""
    command = parse(text, words)
    if isinstance(command, Unknown | Digit):
        return False
    return not isinstance(command, Book) or has_keyword(text, words)


def read(db: Session, sender: Sender, text: str) -> Any:
    """The command, with service words read against the facility the text is about."""
    facility = sender.remembered(db)
    command = parse(text, service_words(db, facility))
    code = getattr(command, "facility_code", None)
    if code and (facility is None or code != facility.code):
        try:
            named = facility_by_code(db, code)
        except Refused:
            return command  # the handler says the code is unknown
        command = parse(text, service_words(db, named))
    return command


def service_words(db: Session, facility: Facility | None) -> Mapping[str, Sequence[str]]:
    """Service code → the words people use for it, from the facility's own services."""
    if facility is None:
        return DEFAULT_SERVICES
    return {
        service.code: _words(service) for service in services_of(db, facility)
    } or DEFAULT_SERVICES


def _words(service: Service) -> list[str]:
    words = [service.code, *service.names.values()]
    words += [word.strip() for word in service.synonyms.split(",") if word.strip()]
    return words


# --- booking ---------------------------------------------------------------------------------


def book(db: Session, sender: Sender, command: Book, now: datetime) -> Reply:
    if command.card is not None and not valid_card(command.card):
        return _card_invalid(sender, command.card)
    facility = facility_for(db, sender, command.facility_code)
    if facility is None:
        return questions.ask_facility(db, sender, command, now)
    return book_at(db, sender, facility, command, now)


def book_at(
    db: Session,
    sender: Sender,
    facility: Facility,
    command: Book,
    now: datetime,
    on: date | None = None,
) -> Reply:
    """Book what the request names, or ask the one thing it leaves unclear. `on`: the day
    the patient chose by digit. Never a day the text did not name: with no day word at all
    the first bookable day, with a word we could not place a question."""
    if command.card is not None and not valid_card(command.card):
        return _card_invalid(sender, command.card)
    language = sender.language
    services = services_of(db, facility)
    named = {day_of(facility, word, now) for word in (command.day, *command.other_days) if word}
    day = on if on is not None else (named.pop() if len(named) == 1 else None)
    if command.service is None and len(services) != 1:
        return questions.ask_service(db, sender, facility, command, services, day, now)
    service = services[0] if command.service is None else _service(services, command.service)
    if on is None and (len(named) > 1 or (day is None and command.unclear)):
        return questions.ask_day(db, sender, facility, service, command, now)
    session = _session(db, service, day, now)
    with db.begin_nested():
        booking = take_number(
            db,
            TakeNumber(
                session_id=session.id,
                phone=sender.phone,
                channel=Channel.SMS,
                name=command.for_name or "",
                bpjs_number=command.card,
                request_key=sender.request_key,
            ),
            now,
        )
    return Reply(replies.receipt(db, booking, language, now))


def valid_card(card: str) -> bool:
    return len(card) == CARD_DIGITS and card.isdigit()


def _card_invalid(sender: Sender, card: str) -> Reply:
    """No booking for a card number that cannot be one: BPJS would refuse it, and the patient
    would come believing it was sent. The reply counts the digits; it never repeats them."""
    return Reply(replies.render(sender.language, replies.CARD_INVALID, count=len(card)))


def facility_for(db: Session, sender: Sender, code: str | None) -> Facility | None:
    """The facility named in the SMS (and remembered from now on), else the remembered one."""
    if code:
        named = facility_by_code(db, code)
        sender.settings(db).facility_id = named.id
        return named
    remembered = sender.remembered(db)
    if remembered is not None and not remembered.active:
        raise Refused(Reason.FACILITY_CLOSED, facility=remembered.name)
    return remembered


def _service(services: Sequence[Service], code: str) -> Service:
    for service in services:
        if service.code.upper() == code.upper():
            return service
    raise Refused(Reason.SERVICE_UNKNOWN)


def day_of(facility: Facility, word: DayWord | None, now: datetime) -> date | None:
    """The date a day word means in the facility's local time; None if no day was given."""
    if word is None:
        return None
    today = local_today(now, facility.timezone)
    if word.kind == "today":
        day = today
    elif word.kind == "tomorrow":
        day = today + timedelta(days=1)
    elif word.kind == "day_after":
        day = today + timedelta(days=2)
    elif word.kind == "weekday" and word.weekday is not None:
        day = today + timedelta(days=(word.weekday - today.weekday()) % 7)
    else:
        given = _date(today, word.day, word.month)
        if given is None:
            raise outside_window(facility, now)
        day = given
    if day not in booking_days(facility, now):
        raise outside_window(facility, now)
    return day


def _date(today: date, day: int | None, month: int | None) -> date | None:
    """The date meant by "25" or "25/12", or None for one that does not exist (31/02)."""
    try:
        if month is None:
            found = date(today.year, today.month, day or 0)
            return found if found >= today else _next_month(today, day or 0)
        found = date(today.year, month, day or 0)
        if (today - found).days > _LAST_YEAR_AFTER_DAYS:
            found = date(today.year + 1, month, day or 0)
        return found
    except ValueError:
        return None


def _next_month(today: date, day: int) -> date:
    year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
    return date(year, month, day)


def _session(db: Session, service: Service, day: date | None, now: datetime) -> ClinicSession:
    """The session an SMS booking gets: on the day asked for, or the first day with room."""
    if day is not None:
        return first_with_room(db, service, day, now)
    first_refusal: Refused | None = None
    for candidate in booking_days(service.facility, now):
        try:
            return first_with_room(db, service, candidate, now)
        except Refused as refused:
            first_refusal = first_refusal or refused
    raise first_refusal or outside_window(service.facility, now)


# --- cancel, status, schedule, arrival -------------------------------------------------------


def cancel(db: Session, sender: Sender, command: Cancel, now: datetime) -> Reply:
    language = sender.language
    if command.ticket:
        booking = find_for_phone(db, sender.phone, command.ticket, now)
    else:
        bookings = active_bookings(db, sender.phone, now)
        if not bookings:
            raise Refused(Reason.NO_ACTIVE_BOOKING)
        if len(bookings) > 1:
            tickets = [_ticket(booking) for booking in bookings]
            return Reply(
                replies.with_list(
                    language,
                    replies.WHICH_TO_CANCEL,
                    "tickets",
                    tickets,
                    count=len(bookings),
                    example=bookings[0].display,
                )
            )
        booking = bookings[0]
        if command.in_words:
            words = replies.booking_words(booking, language)
            return Reply(replies.render(language, replies.CANCEL_THIS, **words))
    return Reply(cancel_one(db, sender, booking, now))


def _ticket(booking: Booking) -> str:
    name = booking.person.name
    return f"{booking.display} {name.split()[0]}" if name else booking.display


def status(db: Session, sender: Sender, command: Status, now: datetime) -> Reply:
    bookings = active_bookings(db, sender.phone, now)
    if not bookings:
        raise Refused(Reason.NO_ACTIVE_BOOKING)
    return Reply(replies.status(db, bookings, sender.language, now))


def schedule(db: Session, sender: Sender, command: Schedule, now: datetime) -> Reply:
    facility = facility_for(db, sender, command.facility_code)
    if facility is None:
        return Reply(replies.render(sender.language, replies.ASK_FACILITY_SCHEDULE))
    today = local_today(now, facility.timezone)
    tomorrow = today + timedelta(days=1)
    places = [
        (
            service.code,
            _places_left(db, service, today, now),
            _places_left(db, service, tomorrow, now),
        )
        for service in services_of(db, facility)
    ]
    return Reply(replies.schedule(sender.language, facility.name, places))


def _places_left(db: Session, service: Service, day: date, now: datetime) -> int:
    return sum(bookable.places_left for bookable in bookable_sessions(db, service, day, now))


def arrived(db: Session, sender: Sender, command: CheckIn, now: datetime) -> Reply:
    """HADIR: every number of this phone for today is checked in (a family arrives together)."""
    bookings = active_bookings(db, sender.phone, now)
    todays = [
        booking
        for booking in bookings
        if booking.day == local_today(now, booking.session.service.facility.timezone)
    ]
    if not todays:
        if bookings:
            return Reply(replies.render(sender.language, replies.NO_BOOKING_TODAY))
        raise Refused(Reason.NO_ACTIVE_BOOKING)
    with db.begin_nested():
        for booking in todays:
            check_in(db, booking.id, actor=sender.phone, channel=Channel.SMS, now=now)
    if len(todays) > 1:
        numbers = [booking.display for booking in todays]
        return Reply(
            replies.with_list(sender.language, replies.CHECKED_IN_MANY, "numbers", numbers)
        )
    return Reply(replies.checked_in(db, todays[0], sender.language, now))


# --- the phone's settings, help --------------------------------------------------------------


def set_language(db: Session, sender: Sender, command: SetLanguage, now: datetime) -> Reply:
    language = language_or_default(command.language)
    sender.settings(db).language = language
    return Reply(replies.render(language, replies.LANGUAGE_SET))


def stop(db: Session, sender: Sender, command: Stop, now: datetime) -> Reply:
    sender.settings(db).reminders_off = True
    return Reply(replies.render(sender.language, replies.REMINDERS_OFF))


def start(db: Session, sender: Sender, command: Start, now: datetime) -> Reply:
    sender.settings(db).reminders_off = False
    return Reply(replies.render(sender.language, replies.REMINDERS_ON))


def help_(db: Session, sender: Sender, command: Help, now: datetime) -> Reply:
    return Reply(replies.render(sender.language, replies.HELP))


def not_understood(db: Session, sender: Sender, command: Unknown, now: datetime) -> Reply:
    return Reply(replies.render(sender.language, replies.UNKNOWN), understood=False)


def digit(db: Session, sender: Sender, command: Digit, now: datetime) -> Reply:
    return digits.answer(db, sender, command.value, now)


def confirm(db: Session, sender: Sender, command: Confirm, now: datetime) -> Reply:
    return digits.yes(db, sender, now)


_HANDLERS: dict[type, Callable[[Session, Sender, Any, datetime], Reply]] = {
    Book: book,
    Cancel: cancel,
    Status: status,
    Schedule: schedule,
    CheckIn: arrived,
    Confirm: confirm,
    Digit: digit,
    SetLanguage: set_language,
    Stop: stop,
    Start: start,
    Help: help_,
    Unknown: not_understood,
}
