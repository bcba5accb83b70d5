"""The desk's search: by name, the last digits of a phone or a BPJS card, or a ticket code, on
SQLite and PostgreSQL; and any text at all is an answer or `Unclear`, never an error."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from booking.commands import TakeNumber
from booking.models import Booking, Channel, Facility
from booking.search import Unclear, search
from booking.taking import take_number
from plumbing.db import Database
from tests.helpers import session_id, today

SITI_PHONE = "+6281234567890"
SITI_CARD = "0001234567891"


def walk_in(
    db: Database, sid: int, now: datetime, name: str, phone: str | None, card: str | None = None
) -> Booking:
    command = TakeNumber(
        session_id=sid, phone=phone, channel=Channel.STAFF, name=name, bpjs_number=card
    )
    return db.run(lambda s: take_number(s, command, now))


@pytest.fixture
def desk(demo: Database, now: datetime) -> tuple[Database, int, list[date], dict[str, Booking]]:
    """Four bookings of facility 1001 today and tomorrow, one of another facility."""
    day = today(now)
    tomorrow = day + timedelta(days=1)
    here = session_id(demo, day=day)
    booked = {
        "siti": walk_in(demo, here, now, "Siti Aminah", SITI_PHONE, SITI_CARD),
        "budi": walk_in(demo, here, now, "Budi Santoso", "+6285711112222"),
        "owner": walk_in(demo, here, now, "", "+6281399998888"),
        "ani": walk_in(demo, session_id(demo, day=tomorrow), now, "Ani Rahayu", None),
    }
    walk_in(demo, session_id(demo, facility="2101", day=day), now, "Siti Other", "+6281200001111")
    with demo.transaction() as s:
        facility_id = s.scalars(select(Facility.id).where(Facility.code == "1001")).one()
    return demo, facility_id, [day, tomorrow], booked


def found(desk: tuple[Database, int, list[date], dict[str, Booking]], typed: str) -> list[str]:
    db, facility_id, days, booked = desk
    names = {booking.id: key for key, booking in booked.items()}
    with db.transaction() as s:
        return [names[hit.booking.id] for hit in search(s, facility_id, days, typed)]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("siti", ["siti"]),  # another facility's Siti is not ours
        ("AMINAH", ["siti"]),
        ("  santo ", ["budi"]),
        ("7890", ["siti"]),  # the last digits of the phone
        ("0812-3456-7890", ["siti"]),  # the phone as people write it
        ("+6281234567890", ["siti"]),
        ("8888", ["owner"]),  # the phone's owner, who gave no name
        (SITI_CARD, ["siti"]),  # the whole card
        ("67891", ["siti"]),  # the card's last digits
        ("a1", ["siti", "ani"]),  # ticket codes, as typed or scanned: A-001 of both days
        ("A-002", ["budi"]),
        ("a 3", ["owner"]),
        ("ani", ["ani"]),  # tomorrow's booking too
        ("A-099", []),
        ("zainab", []),
    ],
)
def test_the_desk_finds_a_booking_by_what_it_has_at_hand(
    desk: tuple[Database, int, list[date], dict[str, Booking]], typed: str, expected: list[str]
) -> None:
    assert found(desk, typed) == expected


@pytest.mark.parametrize("typed", ["", "   ", "s", "12", "%", "Budi123456", "!!", "x" * 61])
def test_what_is_no_name_digits_or_code_is_unclear(
    desk: tuple[Database, int, list[date], dict[str, Booking]], typed: str
) -> None:
    with pytest.raises(Unclear):
        found(desk, typed)


def test_a_percent_or_underscore_is_a_letter_not_a_wildcard(
    desk: tuple[Database, int, list[date], dict[str, Booking]],
) -> None:
    assert found(desk, "s_ti") == [] and found(desk, "si%") == []


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(typed=st.text(st.characters(exclude_categories=()), max_size=80))
@example(typed="\x00")
@example(typed="\ud800")
@example(typed="a\x00b")
def test_any_text_is_an_answer_or_unclear(
    desk: tuple[Database, int, list[date], dict[str, Booking]], typed: str
) -> None:
    try:
        hits = found(desk, typed)
    except Unclear:
        return
    assert len(hits) <= 20
