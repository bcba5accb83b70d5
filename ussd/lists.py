"""The items table: what a list screen offers, by the name the menu tree uses."""

from __future__ import annotations

from booking.clock import local_today
from booking.models import ClinicSession, Facility
from booking.words import day_words
from texts import N_, translate
from texts.gsm import to_gsm7
from ussd import reads
from ussd.context import Context, Item, Items, Turn

TODAY = N_("Today")
TOMORROW = N_("Tomorrow")
SLOT_OPEN = N_("{day} {hours} ({left})")
SLOT_FULL = N_("{day} {hours} (full)")


def services(turn: Turn, ctx: Context) -> list[Item]:
    return [
        Item(to_gsm7(service.name(ctx.language)), str(service.id))
        for service in reads.service_cards(turn, ctx.facility_id)
    ]


def slots(turn: Turn, ctx: Context) -> list[Item]:
    """Day and time in one list, so that a returning user books in five requests."""
    service = reads.service(turn, ctx.service_id)
    if service is None:
        return []
    items = []
    for _day, bookable in reads.slots(turn, service):
        params = {
            "day": day_name(ctx.language, bookable.session, service.facility, turn),
            "hours": hours(bookable.session),
            "left": bookable.places_left,
        }
        template = SLOT_OPEN if bookable.places_left > 0 else SLOT_FULL
        items.append(Item(translate(ctx.language, template, **params), str(bookable.session.id)))
    return items


def bookings(turn: Turn, ctx: Context) -> list[Item]:
    items = []
    for booking in reads.bookings(turn, ctx.phone):
        service = booking.session.service
        day = day_of(ctx.language, booking.session)
        label = f"{booking.display} {service.name(ctx.language)} {day}"
        items.append(Item(to_gsm7(label), str(booking.id)))
    return items


def districts(turn: Turn, ctx: Context) -> list[Item]:
    return [Item(to_gsm7(name), name) for name in reads.districts(turn)]


def facilities(turn: Turn, ctx: Context) -> list[Item]:
    return [
        Item(to_gsm7(facility.name), str(facility.id))
        for facility in reads.facilities_in(turn, ctx.district)
    ]


def day_name(language: str, session: ClinicSession, facility: Facility, turn: Turn) -> str:
    """Today, tomorrow, or the weekday and date for days further ahead."""
    today = local_today(turn.now, facility.timezone)
    ahead = (session.day - today).days
    if ahead == 0:
        return translate(language, TODAY)
    if ahead == 1:
        return translate(language, TOMORROW)
    return day_of(language, session)


def day_of(language: str, session: ClinicSession) -> str:
    words = day_words(session)
    return words.get(language, words["id"])


def hours(session: ClinicSession) -> str:
    return f"{session.start_time:%H:%M}-{session.end_time:%H:%M}"


ITEMS: dict[str, Items] = {
    "services": services,
    "slots": slots,
    "bookings": bookings,
    "districts": districts,
    "facilities": facilities,
}
