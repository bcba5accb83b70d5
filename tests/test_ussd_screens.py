"""Every USSD screen, in every language, with the longest real data, fits 160 characters of GSM-7.

Driven by the menu tree: each screen of `menus.tree.TREE` is rendered by `ussd.render` (what
`POST /ussd` answers with, before the view adds `CON `/`END `) on a database holding names of
exactly the lengths `booking.limits` allows, the widest numbers the columns allow, lists long
enough to need several pages, and each with every hint that can stand above it. A new screen,
list or language is covered without touching this file.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import Date, String, cast, func, insert, literal, select, update
from sqlalchemy.orm import Session

from booking import limits
from booking.clock import local_today
from booking.errors import Reason
from booking.models import (
    Booking,
    BookingStatus,
    Channel,
    ClinicSession,
    Facility,
    Person,
    Service,
    UtcDateTime,
    display_number,
)
from booking.words import day_words
from menus.screens import End, ListScreen, Screen, TextInput
from menus.tree import TREE
from plumbing.db import Database
from texts import LANGUAGES, catalog, translate
from texts.gsm import is_gsm7
from ussd import hints
from ussd.context import Context, Turn
from ussd.render import LIMIT, pages, render
from ussd.views import BUSY

PHONE = "+6281234567890"
NOBODY = "+6281299999999"  # a phone with no bookings, for the empty lists
WIDEST_NUMBER = 99_999  # display "AB-99999" fills the 8-character column
DISTRICTS = 12  # enough for several pages of districts
FACILITIES_IN_DISTRICT = 25
SERVICES = 12
BOOKINGS_OF_PHONE = 7


def exactly(base: str, length: int) -> str:
    """`base` padded with letters (or cut) to exactly `length`, never ending in a space."""
    text = (base + " " + "Sukamaju Wetan Kidul Pasir Gintung Raya" * 2)[:length]
    return text[:-1] + "a" if text.endswith(" ") else text


@dataclass(frozen=True)
class Longest:
    facility_id: int
    empty_facility_id: int
    service_id: int
    empty_service_id: int
    session_id: int
    booking_id: int
    district: str


def build(db: Session, now: datetime) -> Longest:
    today = local_today(now, "Asia/Jakarta")
    districts = [
        exactly(f"Kabupaten Kepulauan {n:02d}", limits.MAX_DISTRICT_NAME) for n in range(12)
    ]
    facility = Facility(
        code="12345678",
        name=exactly("Puskesmas Karang Tengah Cibodas", limits.MAX_FACILITY_NAME),
        district=districts[0],
        days_ahead=3,  # further days are named "Kam 26/11", longer than "Besok"
        cutoff_minutes=0,
    )
    db.add(facility)
    for n in range(FACILITIES_IN_DISTRICT):
        name = exactly(f"Puskesmas Rawat Inap {n:02d}", limits.MAX_FACILITY_NAME)
        db.add(Facility(code=f"{20_000_000 + n}", name=name, district=districts[0]))
    for n, district in enumerate(districts[1:]):
        name = exactly(f"Puskesmas Kota {n:02d}", limits.MAX_FACILITY_NAME)
        db.add(Facility(code=f"{30_000_000 + n}", name=name, district=district))
    db.flush()
    empty_facility = db.scalars(select(Facility).where(Facility.code == "20000000")).one()
    services = []
    for n in range(SERVICES):
        service = Service(
            facility_id=facility.id,
            code=f"S{n}",
            names={
                "id": exactly(f"Poli Kesehatan Ibu Anak {n}", limits.MAX_SERVICE_NAME),
                "en": exactly(f"Maternal and child care {n}", limits.MAX_SERVICE_NAME),
            },
            prefix=f"{chr(65 + n)}B"[: limits.MAX_PREFIX],
        )
        db.add(service)
        services.append(service)
    db.flush()
    main = services[0]
    hours = ((time(7, 0), time(11, 59)), (time(13, 0), time(16, 59)), (time(18, 0), time(23, 59)))
    sessions = []
    for ahead in range(facility.days_ahead + 1):
        for start, end in hours:
            session = ClinicSession(
                service_id=main.id,
                day=today + timedelta(days=ahead),
                start_time=start,
                end_time=end,
                capacity=WIDEST_NUMBER,
            )
            db.add(session)
            sessions.append(session)
    db.flush()
    full = sessions[-1]
    full.places_taken = full.capacity  # "(penuh)" as well as "(99999)"
    mine = sessions[1]  # today 13:00, the booking everyone is waiting behind
    last = _queue_ahead_of(db, mine, main, now, WIDEST_NUMBER - 1)
    mine.now_serving = last
    mine.places_taken = last + 1
    mine.last_number = last + 1
    person = Person(phone=PHONE, name=exactly("Maria Magdalena Wahyuningtyas", 30), name_key="m")
    db.add(person)
    db.flush()
    booking = _book(db, mine, main, person, last + 1, now)
    # More active numbers of this phone, in other services, for a paged "My numbers".
    for service in services[1:BOOKINGS_OF_PHONE]:
        session = ClinicSession(
            service_id=service.id,
            day=today + timedelta(days=3),
            start_time=time(7, 0),
            end_time=time(11, 59),
            capacity=WIDEST_NUMBER,
        )
        db.add(session)
        db.flush()
        owner = db.scalars(
            select(Person).where(Person.phone == PHONE, Person.name_key == "")
        ).first()
        if owner is None:
            owner = Person(phone=PHONE, name="", name_key="")
            db.add(owner)
            db.flush()
        _book(db, session, service, owner, WIDEST_NUMBER, now)
    db.flush()
    return Longest(
        facility_id=facility.id,
        empty_facility_id=empty_facility.id,
        service_id=main.id,
        empty_service_id=services[-1].id,  # no sessions at all
        session_id=mine.id,
        booking_id=booking.id,
        district=districts[0],
    )


def _book(
    db: Session,
    session: ClinicSession,
    service: Service,
    person: Person,
    number: int,
    now: datetime,
) -> Booking:
    booking = Booking(
        session_id=session.id,
        service_id=service.id,
        day=session.day,
        person_id=person.id,
        booked_by=PHONE,
        channel=Channel.USSD,
        number=number,
        display=display_number(service.prefix, number),
        created_at=now,
    )
    db.add(booking)
    db.flush()
    return booking


QUEUE_COLUMNS = [
    "session_id",
    "service_id",
    "day",
    "person_id",
    "booked_by",
    "channel",
    "number",
    "display",
    "status",
    "confirmed",
    "skipped",
    "created_at",
]


def _queue_ahead_of(
    db: Session, session: ClinicSession, service: Service, now: datetime, count: int
) -> int:
    """`count` real waiting bookings in one statement each (a recursive CTE, both databases)."""
    n = select(literal(1).label("i")).cte("n", recursive=True)
    n = n.union_all(select(n.c.i + 1).where(n.c.i < count))
    db.execute(
        insert(Person).from_select(
            ["phone", "name", "name_key", "bpjs_number"],
            select(
                literal(None, String),
                literal(""),
                literal("queue-").concat(cast(n.c.i, String)),
                literal(None, String),
            ),
        )
    )
    first = db.scalar(select(func.min(Person.id)).where(Person.name_key.like("queue-%")))
    assert first is not None
    db.execute(
        insert(Booking).from_select(
            QUEUE_COLUMNS,
            select(
                literal(session.id),
                literal(service.id),
                literal(session.day, Date),
                Person.id,
                literal(None, String),
                literal(Channel.STAFF.value),
                Person.id - first + 1,
                literal("AB-00000"),
                literal(BookingStatus.BOOKED.value),
                literal(False),
                literal(False),
                literal(now, UtcDateTime()),
            ).where(Person.name_key.like("queue-%")),
        )
    )
    return count


# --- the hints each kind of screen can show above itself ---------------------------------------

REFUSALS = [reason.message for reason in Reason]  # any may end up on the refused screen


# What a text input's action can say about the text typed (it shows above the prompt). A new
# text input must be listed here: the test fails naming it until it is.
TEXT_HINTS = {
    "facility_code": [
        hints.CODE_INVALID,
        Reason.FACILITY_UNKNOWN.message,
        Reason.FACILITY_CLOSED.message,
    ],
    "book_for": [hints.INVALID, Reason.NAME_INVALID.message],
    "choose_card": [hints.CARD_INVALID],
}


def hints_above(screen: Screen) -> list[str]:
    """Every one-line hint the walker can put on this screen (msgids), and none."""
    if isinstance(screen, End):
        return [""]
    if isinstance(screen, ListScreen):
        return ["", *hints.LIST_HINTS]  # a list's hint takes its title's place
    if isinstance(screen, TextInput):
        assert screen.action in TEXT_HINTS, f"list the hints of {screen.action!r} in TEXT_HINTS"
        return ["", hints.RESUMED, *TEXT_HINTS[screen.action]]
    return ["", hints.INVALID, hints.RESUMED]  # menus and confirms: a choice not offered


def longest_words(db: Session, ids: Longest, language: str) -> dict[str, object]:
    """The longest value each refusal's `{field}` takes, from the rows built above."""
    booking = db.get_one(Booking, ids.booking_id)
    session = booking.session
    facility = db.get_one(Facility, ids.facility_id)
    return {
        "code": facility.code,
        "facility": facility.name,
        "service": session.service.name(language),
        "day": day_words(session),
        "time": "23:59",
        "number": booking.display,
        "name": booking.person.name,
        "limit": 99,
        "taken": WIDEST_NUMBER,
    }


@dataclass(frozen=True)
class Shown:
    label: str
    text: str  # with `CON `/`END `


def every_screen(
    db: Session, ids: Longest, language: str, now: datetime, *, empty_lists: bool = False
) -> Iterator[Shown]:
    """Each screen of the tree, each page, each hint; with `empty_lists`, lists with nothing."""
    full = Context(
        phone=PHONE,
        language=language,
        facility_id=ids.facility_id,
        service_id=ids.service_id,
        clinic_session_id=ids.session_id,
        booking_id=ids.booking_id,
        district=ids.district,
        card="0001234567890",
    )
    empty = Context(
        phone=NOBODY,
        language=language,
        facility_id=ids.empty_facility_id,
        service_id=ids.empty_service_id,
        district="no such district",
    )
    words = longest_words(db, ids, language)
    notices = [translate(language, msgid, **words) for msgid in [*REFUSALS, hints.NOT_DONE]]
    for screen in TREE.screens.values():
        contexts = [full]
        if empty_lists:
            contexts = [empty] if isinstance(screen, ListScreen) else []
        elif screen.id == TREE.refused:
            contexts = [Context(PHONE, language, ids.facility_id, notice=n) for n in notices]
        for ctx in contexts:
            turn = Turn(db=db, now=now, session_key="screens")
            count = len(pages(turn, screen, ctx)) if isinstance(screen, ListScreen) else 1
            for page in range(max(count, 1)):
                for hint in hints_above(screen):
                    said = translate(language, hint, **words) if hint else ""
                    body = render(TREE, turn, screen.id, ctx, page, said)
                    prefix = "END " if isinstance(screen, End) else "CON "
                    label = f"{language}:{screen.id}:page {page}:{hint[:20]!r}:{ctx.phone}"
                    yield Shown(label, prefix + body)
    if not empty_lists:
        yield Shown(f"{language}:busy", "END " + translate(language, BUSY))


@pytest.fixture
def longest(db: Database, now: datetime) -> Longest:
    return db.run(lambda s: build(s, now))


def test_every_screen_fits_160_gsm7_characters_with_the_longest_data(
    db: Database, longest: Longest, now: datetime
) -> None:
    assert_the_data_is_the_longest(db, longest)
    for language in LANGUAGES:
        with db.transaction() as s:
            shown = list(every_screen(s, longest, language, now))
            # Lists with nothing to offer say so instead: no health centre open anywhere at all.
            s.execute(update(Facility).values(active=False))
            shown += every_screen(s, longest, language, now, empty_lists=True)
            s.rollback()
        too_long = [f"{len(s.text)} {s.label}\n{s.text}" for s in shown if len(s.text) > LIMIT]
        not_gsm = [s.label for s in shown if not is_gsm7(s.text)]
        assert not too_long, "\n\n".join(too_long)
        assert not not_gsm
        # Every screen was drawn, lists were paged, the widest numbers reached the screens.
        assert {s.label.split(":")[1] for s in shown} >= set(TREE.screens)
        assert ":page 2:" in "\n".join(s.label for s in shown)
        text = "\n".join(s.text for s in shown)
        assert all(wide in text for wide in ("AB-99999", "AB-99998", "99998 ", "(99999)"))
        empty = translate(language, "No health centre takes bookings now.")
        assert any(s.text.startswith(f"CON {empty}") for s in shown)


def assert_the_data_is_the_longest(db: Database, longest: Longest) -> None:
    with db.transaction() as s:
        facility = s.get_one(Facility, longest.facility_id)
        service = s.get_one(Service, longest.service_id)
        booking = s.get_one(Booking, longest.booking_id)
        assert len(facility.name) == limits.MAX_FACILITY_NAME
        assert len(facility.district) == limits.MAX_DISTRICT_NAME
        assert len(service.names["id"]) == len(service.names["en"]) == limits.MAX_SERVICE_NAME
        assert len(booking.person.name) == limits.MAX_PERSON_NAME
        assert len(booking.display) == Booking.display.type.length  # type: ignore[attr-defined]
        ahead = select(func.count()).where(
            Booking.session_id == booking.session_id, Booking.number < booking.number
        )
        assert s.scalar(ahead) == WIDEST_NUMBER - 1


def test_names_longer_than_a_screen_allows_are_refused() -> None:
    with pytest.raises(ValueError, match="facility name is longer than 32"):
        Facility(code="9", name="x" * (limits.MAX_FACILITY_NAME + 1), district="d")
    with pytest.raises(ValueError, match="service name in en is longer than 24"):
        Service(code="X", names={"id": "x", "en": "x" * (limits.MAX_SERVICE_NAME + 1)}, prefix="X")
    with pytest.raises(ValueError, match="facility district is longer than 42"):
        Facility(code="9", name="x", district="x" * (limits.MAX_DISTRICT_NAME + 1))


def test_every_message_of_the_menu_has_an_indonesian_translation() -> None:
    from menus.screens import Confirm, Menu
    from ussd import lists, render, words

    found: set[str] = set()
    for screen in TREE.screens.values():
        found.add(screen.text)
        if isinstance(screen, ListScreen):
            found.add(screen.empty)
        if isinstance(screen, Menu | Confirm):
            found.update(option.label for option in screen.options)
    found.update([render.BACK, render.MORE, words.NOT_STARTED, BUSY])
    found.update([lists.TODAY, lists.TOMORROW, lists.SLOT_OPEN, lists.SLOT_FULL])
    found.update(
        value for name, value in vars(hints).items() if name.isupper() and isinstance(value, str)
    )
    # Words only, or the same in every language: nothing to translate.
    neutral = {"{facility}", "{reason}", "Bahasa/Language:", "Bahasa Indonesia", "English"}
    missing = sorted(msgid for msgid in found - neutral if msgid not in catalog("id"))
    assert not missing
