"""The action table: what choosing, typing and confirming do, by the name the tree uses.

An action that changes something (a booking, a remembered setting) changes it only when its
input is live; an input an earlier request already ran is replayed without effects.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace

from booking.availability import check_bookable, places_left
from booking.commands import CancelBooking, TakeNumber
from booking.errors import Reason, Refused
from booking.models import Channel, Phone
from booking.taking import cancel_booking as engine_cancel
from booking.taking import clean_name, take_number
from texts import translate
from ussd import reads
from ussd.context import Action, Again, Changed, Context, Go, Refuse, Result, Step, Turn
from ussd.hints import (
    CARD_INVALID,
    CHANGED,
    CODE_INVALID,
    FULL,
    INVALID,
    NOT_DONE,
    NUMBER_CALLED,
    NUMBER_GONE,
    SLOT_GONE,
)

# Refusals that mean the clinic session or number the caller saw changed since: said in one line
# above the list it was picked from, shown afresh.
_CHANGED = {
    Reason.SESSION_FULL: FULL,
    Reason.SESSION_CANCELLED: SLOT_GONE,
    Reason.SESSION_CLOSED: SLOT_GONE,
    Reason.SESSION_UNKNOWN: SLOT_GONE,
    Reason.PAST_CUTOFF: SLOT_GONE,
    Reason.BOOKING_UNKNOWN: NUMBER_GONE,
    Reason.NO_ACTIVE_BOOKING: NUMBER_GONE,
    Reason.TOO_LATE_TO_CANCEL: NUMBER_CALLED,
}

CODE = re.compile(r"\d{3,8}")
BPJS_CARD = re.compile(r"\d{13}")


def choose_service(turn: Turn, ctx: Context, step: Step) -> Result:
    service = reads.service(turn, _number(step.value))
    if service is None or service.facility_id != ctx.facility_id:
        return Again(translate(ctx.language, CHANGED))
    if service.id not in {card.id for card in reads.service_cards(turn, ctx.facility_id)}:
        return Again(translate(ctx.language, CHANGED))
    return Go(replace(ctx, service_id=service.id, clinic_session_id=None))


def choose_slot(turn: Turn, ctx: Context, step: Step) -> Result:
    """The clinic session picked, if it still takes a booking: read by itself, not with its list."""
    if ctx.service_id is None:
        return Again(translate(ctx.language, INVALID))
    clinic_session = reads.clinic_session(turn, _number(step.value))
    if clinic_session is None or clinic_session.service_id != ctx.service_id:
        return Again(translate(ctx.language, SLOT_GONE))
    service = clinic_session.service
    try:
        check_bookable(clinic_session, service, service.facility, turn.now)
    except Refused:
        return Again(translate(ctx.language, SLOT_GONE))
    if places_left(clinic_session) <= 0:
        return Again(translate(ctx.language, FULL))
    return Go(replace(ctx, clinic_session_id=clinic_session.id))


def choose_card(turn: Turn, ctx: Context, step: Step) -> Result:
    """A BPJS card number for the booking; a wrong one is said and asked again."""
    card = "".join(step.value.split())
    if not BPJS_CARD.fullmatch(card):
        return Again(translate(ctx.language, CARD_INVALID))
    return Go(replace(ctx, card=card))


def book(turn: Turn, ctx: Context, step: Step) -> Result:
    return _take(turn, ctx, step, name="")


def book_for(turn: Turn, ctx: Context, step: Step) -> Result:
    try:
        name = clean_name(step.value)
    except Refused as refused:
        return Again(_said(ctx, refused))
    if not name:
        return Again(_said(ctx, Refused(Reason.NAME_INVALID)))
    return _take(turn, ctx, step, name=name)


def choose_booking(turn: Turn, ctx: Context, step: Step) -> Result:
    for booking in reads.bookings(turn, ctx.phone):
        if str(booking.id) == step.value:
            return Go(replace(ctx, booking_id=booking.id))
    return Again(translate(ctx.language, NUMBER_GONE))


def cancel(turn: Turn, ctx: Context, step: Step) -> Result:
    if not step.live:
        return Refuse(translate(ctx.language, NOT_DONE))
    if ctx.booking_id is None:
        return Again(translate(ctx.language, INVALID))
    if ctx.booking_id not in {booking.id for booking in reads.bookings(turn, ctx.phone)}:
        # Cancelled or called since the caller picked it (the engine would answer a number
        # cancelled already as cancelled): said above the caller's numbers, shown afresh.
        return Changed(translate(ctx.language, NUMBER_GONE))
    command = CancelBooking(
        ctx.booking_id, Channel.USSD, actor=ctx.phone, request_key=request_key(turn, step)
    )
    try:
        with turn.db.begin_nested():
            engine_cancel(turn.db, command, turn.now)
    except Refused as refused:
        return _refused(ctx, refused)
    turn.changed = True
    turn.forget()
    return Go(ctx)


def facility_code(turn: Turn, ctx: Context, step: Step) -> Result:
    code = step.value.strip()
    if not CODE.fullmatch(code):
        return Again(translate(ctx.language, CODE_INVALID))
    try:
        facility_id = reads.facility_code(turn, code).facility()
    except Refused as refused:
        return Again(_said(ctx, refused))
    return _settle(turn, ctx, step, facility_id=facility_id)


def choose_district(turn: Turn, ctx: Context, step: Step) -> Result:
    if step.value not in reads.districts(turn):
        return Again(translate(ctx.language, CHANGED))
    return Go(replace(ctx, district=step.value))


def choose_facility(turn: Turn, ctx: Context, step: Step) -> Result:
    for facility in reads.facilities_in(turn, ctx.district):
        if str(facility.id) == step.value:
            return _settle(turn, ctx, step, facility_id=facility.id)
    return Again(translate(ctx.language, CHANGED))


def set_language(turn: Turn, ctx: Context, step: Step) -> Result:
    return _settle(turn, ctx, step, language=step.value)


def request_key(turn: Turn, step: Step) -> str:
    """The same USSD session and path is the same request: a retried confirm books once."""
    digest = hashlib.sha256("\x1f".join((turn.session_key, *step.path)).encode()).hexdigest()
    return f"ussd:{digest[:40]}"


def remember_phone(
    turn: Turn, phone: str, *, language: str | None = None, facility_id: int | None = None
) -> None:
    turn.changed = True
    row = reads.phone(turn, phone)
    if row is None:
        row = Phone(number=phone, language=language or "id", facility_id=facility_id)
        turn.db.add(row)
        turn.db.flush()  # a racing twin fails here; the request runs again and finds this row
        # Held in the memo, so that the engine's own look-up finds it without a query.
        turn.memo[("phone", phone)] = row
        return
    if language is not None:
        row.language = language
    if facility_id is not None:
        row.facility_id = facility_id


def _take(turn: Turn, ctx: Context, step: Step, *, name: str) -> Result:
    if not step.live:
        return Refuse(translate(ctx.language, NOT_DONE))
    if ctx.clinic_session_id is None:
        return Again(translate(ctx.language, INVALID))
    command = TakeNumber(
        ctx.clinic_session_id,
        ctx.phone,
        Channel.USSD,
        name=name,
        bpjs_number=ctx.card,
        request_key=request_key(turn, step),
    )
    try:
        # A savepoint: a refusal takes back whatever the engine wrote before it said no.
        with turn.db.begin_nested():
            booking = take_number(turn.db, command, turn.now)
    except Refused as refused:
        return _refused(ctx, refused)
    turn.changed = True
    turn.forget()
    turn.memo[("booking", booking.id)] = booking  # the END screen describes it
    return Go(replace(ctx, booking_id=booking.id))


def _settle(
    turn: Turn,
    ctx: Context,
    step: Step,
    *,
    language: str | None = None,
    facility_id: int | None = None,
) -> Result:
    """A setting the phone keeps: remembered in the database, and in effect at once."""
    if step.live:
        remember_phone(turn, ctx.phone, language=language, facility_id=facility_id)
    changed = replace(ctx, language=language or ctx.language)
    if facility_id is not None:
        changed = Context(phone=ctx.phone, language=changed.language, facility_id=facility_id)
    return Go(changed)


def _refused(ctx: Context, refused: Refused) -> Result:
    hint = _CHANGED.get(refused.reason)
    return Refuse(_said(ctx, refused)) if hint is None else Changed(translate(ctx.language, hint))


def _said(ctx: Context, refused: Refused) -> str:
    return translate(ctx.language, refused.reason.message, **refused.params)


def _number(value: str) -> int | None:
    return int(value) if value.isdecimal() and len(value) < 12 else None


ACTIONS: dict[str, Action] = {
    "choose_service": choose_service,
    "choose_slot": choose_slot,
    "choose_card": choose_card,
    "book": book,
    "book_for": book_for,
    "choose_booking": choose_booking,
    "cancel": cancel,
    "facility_code": facility_code,
    "choose_district": choose_district,
    "choose_facility": choose_facility,
    "set_language": set_language,
}
