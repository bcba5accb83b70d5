"""Priority patients (lansia, ibu hamil, disabilitas): who call next takes, by the facility's
rule, with skips and no-shows, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, time

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from booking import admin
from booking.commands import TakeNumber
from booking.errors import Reason, Refused
from booking.models import Booking, Channel, ClinicSession, Event, Facility, Priority, PriorityRule
from booking.position import position
from booking.queue import call_next, calling_order, mark_no_show, mark_priority, mark_served, skip
from booking.taking import take_number
from booking.validation import Invalid
from plumbing.db import Database
from tests.helpers import session_id, set_capacity, today
from tests.test_engine_races import race

STAFF = {"actor": "nurse.ani", "channel": "staff"}


def set_rule(db: Database, rule: PriorityRule, every: int = 3) -> None:
    def change(s: Session) -> None:
        facility = s.scalars(select(Facility).where(Facility.code == "1001")).one()
        facility.priority_rule, facility.priority_every = rule, every

    db.run(change)


def book(
    db: Database, sid: int, count: int, now: datetime, priority: set[int] | None = None
) -> list[Booking]:
    """`count` walk-ins numbered 1…count; those in `priority` marked at booking."""
    booked = []
    for n in range(1, count + 1):
        command = TakeNumber(
            session_id=sid,
            phone=None,
            channel=Channel.STAFF,
            name=f"Pasien {chr(64 + n)}",
            actor="nurse.ani",
            priority=Priority.ELDERLY if n in (priority or set()) else None,
        )
        booked.append(db.run(lambda s, c=command: take_number(s, c, now)))
    assert [b.number for b in booked] == list(range(1, count + 1))
    return booked


def next_number(db: Database, sid: int, now: datetime) -> int:
    return db.run(lambda s: call_next(s, sid, now=now, **STAFF).number)


def call_all(db: Database, sid: int, now: datetime) -> list[int]:
    called = []
    while True:
        try:
            called.append(next_number(db, sid, now))
        except Refused as refused:
            assert refused.reason is Reason.NOTHING_WAITING
            return called


@pytest.fixture
def sid(demo: Database, now: datetime) -> int:
    found = session_id(demo, day=today(now))
    set_capacity(demo, found, 40)
    return found


def test_under_first_priority_patients_are_called_before_everyone_else(
    demo: Database, now: datetime, sid: int
) -> None:
    set_rule(demo, PriorityRule.FIRST)
    bookings = book(demo, sid, 5, now, priority={3})
    # Number 5 arrives in a wheelchair: marked at the desk, one click on the row.
    demo.run(lambda s: mark_priority(s, bookings[4].id, Priority.DISABLED, now=now, **STAFF))
    assert call_all(demo, sid, now) == [3, 5, 1, 2, 4]


def test_under_every_nth_one_priority_patient_follows_every_n_minus_1_others(
    demo: Database, now: datetime, sid: int
) -> None:
    set_rule(demo, PriorityRule.EVERY_NTH, every=3)
    book(demo, sid, 8, now, priority={5, 6, 7})
    # Two others, one priority, two others, one priority; then the one other left, and the
    # priority patient left goes when nobody else waits.
    assert call_all(demo, sid, now) == [1, 2, 5, 3, 4, 6, 8, 7]


def test_every_nth_counts_on_through_skips_and_no_shows(
    demo: Database, now: datetime, sid: int
) -> None:
    set_rule(demo, PriorityRule.EVERY_NTH, every=2)
    bookings = book(demo, sid, 6, now, priority={4, 5})
    by_number = {b.number: b for b in bookings}
    assert next_number(demo, sid, now) == 1
    assert next_number(demo, sid, now) == 4  # the priority turn
    demo.run(lambda s: skip(s, by_number[4].id, now=now, **STAFF))  # not there: after the others
    assert next_number(demo, sid, now) == 2  # a skip is no call: the others' turn again
    assert next_number(demo, sid, now) == 5
    demo.run(lambda s: mark_no_show(s, by_number[5].id, now=now, **STAFF))
    assert next_number(demo, sid, now) == 3
    assert next_number(demo, sid, now) == 6  # no priority patient left in this round
    assert next_number(demo, sid, now) == 4  # the skipped, after everyone else
    with pytest.raises(Refused):
        next_number(demo, sid, now)


def test_under_first_a_skipped_priority_patient_still_waits_for_everyone_else(
    demo: Database, now: datetime, sid: int
) -> None:
    set_rule(demo, PriorityRule.FIRST)
    bookings = book(demo, sid, 3, now, priority={3})
    assert next_number(demo, sid, now) == 3
    demo.run(lambda s: skip(s, bookings[2].id, now=now, **STAFF))
    demo.run(lambda s: mark_priority(s, bookings[1].id, Priority.PREGNANT, now=now, **STAFF))
    assert call_all(demo, sid, now) == [2, 1, 3]


def test_the_count_since_the_last_priority_call_is_kept_on_the_session(
    demo: Database, now: datetime, sid: int
) -> None:
    set_rule(demo, PriorityRule.EVERY_NTH, every=3)
    book(demo, sid, 4, now, priority={4})
    next_number(demo, sid, now)
    next_number(demo, sid, now)
    with demo.transaction() as s:
        assert s.get_one(ClinicSession, sid).calls_since_priority == 2
    assert next_number(demo, sid, now) == 4
    with demo.transaction() as s:
        assert s.get_one(ClinicSession, sid).calls_since_priority == 0


def test_a_priority_mark_is_recorded_and_only_for_a_waiting_patient(
    demo: Database, now: datetime, sid: int
) -> None:
    (first,) = book(demo, sid, 1, now)
    demo.run(lambda s: mark_priority(s, first.id, Priority.ELDERLY, now=now, **STAFF))
    demo.run(lambda s: mark_priority(s, first.id, Priority.ELDERLY, now=now, **STAFF))  # once
    demo.run(lambda s: call_next(s, sid, now=now, **STAFF))
    demo.run(lambda s: mark_served(s, first.id, now=now, **STAFF))
    with pytest.raises(Refused) as caught:
        demo.run(lambda s: mark_priority(s, first.id, None, now=now, **STAFF))
    assert caught.value.reason is Reason.NO_ACTIVE_BOOKING
    with demo.transaction() as s:
        marks = s.scalars(select(Event.detail).where(Event.kind == "priority")).all()
        assert marks == [{"priority": "elderly"}]
        assert s.get_one(Booking, first.id).priority is Priority.ELDERLY


def test_the_rule_is_a_facility_rule_with_n_from_2() -> None:
    rules = admin.Rules(1, 60, 10, 5, 3, time(18), time(6), time(21), time(6))
    assert admin.clean_rules(rules).priority_rule is PriorityRule.FIRST
    nth = admin.Rules(
        1, 60, 10, 5, 3, time(18), time(6), time(21), time(6), PriorityRule.EVERY_NTH, 1
    )
    with pytest.raises(Invalid):
        admin.clean_rules(nth)


def test_calling_order_is_what_call_next_does_one_call_at_a_time(
    demo: Database, now: datetime, sid: int
) -> None:
    """The queue page lists the waiting in `calling_order`: that is the order calls take."""
    set_rule(demo, PriorityRule.EVERY_NTH, every=3)
    book(demo, sid, 9, now, priority={2, 3, 8})
    with demo.transaction() as s:
        waiting = s.scalars(select(Booking).where(Booking.session_id == sid)).all()
        shown = [b.number for b in calling_order(waiting, PriorityRule.EVERY_NTH, 3, 0)]
    assert call_all(demo, sid, now) == shown == [1, 4, 2, 5, 6, 3, 7, 9, 8]


@pytest.mark.slow
def test_two_desks_calling_next_at_once_never_call_one_patient_twice(
    demo: Database, now: datetime, sid: int
) -> None:
    """Calls queue on the session's row: whichever desk clicks, each patient is called once,
    and the calls, in the order they were made, follow the rule as one desk's would."""
    set_rule(demo, PriorityRule.EVERY_NTH, every=3)
    priority = {2, 3, 9, 10, 11, 17}
    book(demo, sid, 24, now, priority=priority)
    with demo.transaction() as s:
        waiting = s.scalars(select(Booking).where(Booking.session_id == sid)).all()
        expected = [b.number for b in calling_order(waiting, PriorityRule.EVERY_NTH, 3, 0)]

    def desk(_: int) -> list[int]:
        return call_all(demo, sid, now)

    first, second = race(2, desk)
    assert isinstance(first, list) and isinstance(second, list)
    assert sorted(first + second) == list(range(1, 25))  # everyone once, nobody twice
    with demo.transaction() as s:
        called = s.scalars(
            select(Booking.number)
            .join(Event, Event.booking_id == Booking.id)
            .where(Event.kind == "called")
            .order_by(Event.id)
        ).all()
    assert called == expected


def test_people_ahead_follow_the_calling_order(demo: Database, now: datetime, sid: int) -> None:
    """A priority patient's ticket and "almost your turn" SMS count the patients call next
    takes first, not every lower number; the others count the priority patients before them."""
    set_rule(demo, PriorityRule.FIRST)
    bookings = book(demo, sid, 5, now)
    assert next_number(demo, sid, now) == 1
    demo.run(lambda s: skip(s, bookings[0].id, now=now, **STAFF))  # number 1 waits a round
    demo.run(lambda s: mark_priority(s, bookings[3].id, Priority.ELDERLY, now=now, **STAFF))
    assert next_number(demo, sid, now) == 4  # in the room now

    def ahead() -> dict[int, int]:
        with demo.transaction() as s:
            return {b.number: position(s, s.get_one(Booking, b.id), now).ahead for b in bookings}

    # In the room: 4. Then 2, 3, 5 by number, and the skipped 1 after them.
    assert ahead() == {4: 0, 2: 1, 3: 2, 5: 3, 1: 4}
    demo.run(lambda s: mark_priority(s, bookings[4].id, Priority.PREGNANT, now=now, **STAFF))
    assert ahead() == {4: 0, 5: 1, 2: 2, 3: 3, 1: 4}  # number 5 goes before 2 and 3 now
