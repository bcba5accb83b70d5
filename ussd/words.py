"""The words table: the `{fields}` of a screen's text, by the name the menu tree uses."""

from __future__ import annotations

from booking.clock import local_now
from booking.models import Booking
from texts import N_, translate
from ussd import reads
from ussd.context import Context, Turn, Words
from ussd.lists import day_of, hours

NOT_STARTED = N_("not yet")


def facility(turn: Turn, ctx: Context) -> dict[str, object]:
    where = reads.facility_card(turn, ctx.facility_id)
    return {"facility": where.name if where is not None else ""}


def service(turn: Turn, ctx: Context) -> dict[str, object]:
    chosen = reads.service(turn, ctx.service_id)
    return {"service": chosen.name(ctx.language) if chosen is not None else ""}


def slot(turn: Turn, ctx: Context) -> dict[str, object]:
    session = reads.clinic_session(turn, ctx.clinic_session_id)
    if session is None:
        return {"service": "", "day": "", "hours": ""}
    return {
        "service": session.service.name(ctx.language),
        "day": day_of(ctx.language, session),
        "hours": hours(session),
    }


def slot_card(turn: Turn, ctx: Context) -> dict[str, object]:
    """The slot, and the card typed for it by its last digits only: others see screens."""
    return {**slot(turn, ctx), "card": "*" + (ctx.card or "")[-4:]}


def booked(turn: Turn, ctx: Context) -> dict[str, object]:
    """The number just taken, where it stands and when to come."""
    return ticket(turn, ctx)


def ticket(turn: Turn, ctx: Context) -> dict[str, object]:
    chosen = reads.booking(turn, ctx.booking_id)
    if chosen is None:
        return dict.fromkeys(("number", "name", "service", "day", "serving", "ahead", "time"), "")
    return describe(turn, ctx.language, chosen)


def describe(turn: Turn, language: str, of: Booking) -> dict[str, object]:
    session = of.session
    facility = session.service.facility
    where = reads.where_is(turn, of)
    return {
        "number": of.display,
        "name": of.person.name,
        "service": session.service.name(language),
        "day": f"{day_of(language, session)} {session.start_time:%H:%M}",
        "serving": where.now_serving or translate(language, NOT_STARTED),
        "ahead": where.ahead,
        "time": f"{local_now(where.expected_at, facility.timezone):%H:%M}",
    }


def notice(turn: Turn, ctx: Context) -> dict[str, object]:
    return {"reason": ctx.notice}


WORDS: dict[str, Words] = {
    "facility": facility,
    "service": service,
    "slot": slot,
    "booked": booked,
    "ticket": ticket,
    "slot_card": slot_card,
    "notice": notice,
}
