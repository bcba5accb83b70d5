"""Numbers stay right under real concurrency, on SQLite and on PostgreSQL (design §9)."""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, time

import pytest
from sqlalchemy import func, select

from booking.commands import CancelBooking
from booking.errors import Reason, Refused
from booking.models import ACTIVE, CANCELLED, Booking, Channel, ClinicSession, Event
from booking.taking import cancel_booking
from plumbing.db import Database
from tests.helpers import session_id, set_capacity, take, today

pytestmark = pytest.mark.slow


def race(count: int, attempt: Callable[[int], object]) -> list[object]:
    """Run `attempt(i)` on `count` threads released at the same moment."""
    start = threading.Barrier(count)

    def run(i: int) -> object:
        start.wait()
        try:
            return attempt(i)
        except Refused as refused:
            return refused

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def phone(i: int) -> str:
    return f"+62812{i:08d}"


def test_200_people_racing_for_the_last_20_places_get_20_unique_numbers(
    demo: Database, now: datetime
) -> None:
    sid = session_id(demo, day=today(now))
    set_capacity(demo, sid, 25)
    for i in range(5):
        take(demo, sid, phone(10_000 + i), now)

    results = race(200, lambda i: take(demo, sid, phone(i), now))

    booked = [r for r in results if isinstance(r, Booking)]
    refused = [r for r in results if isinstance(r, Refused)]
    assert len(booked) == 20
    assert {r.reason for r in refused} == {Reason.SESSION_FULL} and len(refused) == 180
    assert sorted(b.number for b in booked) == list(range(6, 26))
    with demo.transaction() as s:
        numbers = s.scalars(select(Booking.number).where(Booking.session_id == sid)).all()
        session = s.get_one(ClinicSession, sid)
        assert session.places_taken == 25 == len(numbers) == len(set(numbers))


def test_takes_and_cancels_racing_never_exceed_capacity_or_reuse_a_number(
    demo: Database, now: datetime
) -> None:
    sid = session_id(demo, day=today(now))
    set_capacity(demo, sid, 20)
    early = [take(demo, sid, phone(50_000 + i), now) for i in range(15)]
    to_cancel = iter(early)
    lock = threading.Lock()

    def attempt(i: int) -> object:
        if i % 4 == 0:
            with lock:
                victim = next(to_cancel, None)
            if victim is not None:
                command = CancelBooking(victim.id, Channel.USSD, victim.booked_by or "")
                return demo.run(lambda s: cancel_booking(s, command, now))
        return take(demo, sid, phone(i), now)

    race(120, attempt)

    with demo.transaction() as s:
        rows = s.execute(
            select(Booking.number, Booking.status).where(Booking.session_id == sid)
        ).all()
        session = s.get_one(ClinicSession, sid)
        active = [number for number, status in rows if status in ACTIVE]
        numbers = Counter(number for number, _ in rows)
        assert len(active) <= session.capacity == 20
        assert session.places_taken == len(active)
        assert max(numbers.values()) == 1
        assert session.last_number == len(rows)


def test_the_same_request_key_sent_by_20_threads_books_once(demo: Database, now: datetime) -> None:
    sid = session_id(demo, day=today(now))
    results = race(20, lambda _: take(demo, sid, phone(7), now, key="ussd:ATUid_1:1*1*1"))

    assert all(isinstance(r, Booking) for r in results), results
    assert len({r.id for r in results if isinstance(r, Booking)}) == 1
    with demo.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Booking)) == 1
        assert s.scalar(select(func.count()).select_from(Event).where(Event.kind == "booked")) == 1


def test_one_person_booking_from_two_channels_at_once_gets_one_number(
    demo: Database, now: datetime
) -> None:
    """Different keys (USSD and SMS), same person, same service and day: the rule holds."""
    sid = session_id(demo, day=today(now))
    results = race(
        16,
        lambda i: take(demo, sid, phone(9), now, key=f"k{i}", channel=random.choice(list(Channel))),
    )
    booked = [r for r in results if isinstance(r, Booking)]
    assert len(booked) == 1
    assert all(r.reason is Reason.ALREADY_BOOKED for r in results if isinstance(r, Refused))


def test_one_phone_booking_ten_names_at_once_books_at_most_the_limit(
    demo: Database, now: datetime
) -> None:
    sid = session_id(demo, day=today(now))
    results = race(
        10, lambda i: take(demo, sid, "+6281200000999", now, name=f"Orang {'ABCDEFGHIJ'[i]}")
    )
    booked = [r for r in results if isinstance(r, Booking)]
    refused = [r for r in results if isinstance(r, Refused)]
    assert len(booked) == 5  # the demo facility's people_per_phone_per_day
    assert {r.reason for r in refused} == {Reason.PHONE_LIMIT} and len(refused) == 5


def test_cancels_and_calls_racing_on_one_session_all_succeed(demo: Database, now: datetime) -> None:
    """Cancel and call next lock the session and the booking in the same order: no deadlock
    (PostgreSQL would detect it, and under load it outlasts the retries and fails a request)."""
    from booking import queue

    sid = session_id(demo, day=today(now))
    set_capacity(demo, sid, 60)
    bookings = [take(demo, sid, phone(i), now) for i in range(24)]
    to_cancel = bookings[4:16]

    def act(i: int) -> object:
        if i % 2:
            victim = to_cancel[i // 2]
            command = CancelBooking(victim.id, Channel.USSD, "staff", by_facility=True)
            return demo.run(lambda s: cancel_booking(s, command, now))
        return demo.run(lambda s: queue.call_next(s, sid, actor="nurse", channel="staff", now=now))

    results = race(24, act)  # any error but a refusal propagates out of race() and fails
    assert all(isinstance(r, Booking | Refused) for r in results)
    with demo.transaction() as s:
        session = s.get_one(ClinicSession, sid)
        holding = s.scalar(
            select(func.count()).where(Booking.session_id == sid, Booking.status.not_in(CANCELLED))
        )
        cancelled = s.scalar(
            select(func.count()).where(Booking.session_id == sid, Booking.status.in_(CANCELLED))
        )
        assert session.places_taken == holding and holding + cancelled == 24
        assert cancelled > 0


# PostgreSQL only: on SQLite a booking holds the write lock from its BEGIN, so nothing can
# commit between its look-up and its counter.
@pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_a_session_cancelled_between_look_up_and_counter_is_refused_as_cancelled(
    demo: Database, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    from booking import clinic_sessions, taking, writing

    sid = session_id(demo, day=today(now))
    move_counter = writing.move_counter

    def doctor_absent_first(db: object, session: ClinicSession) -> object:
        demo.run(
            lambda s: clinic_sessions.cancel_session(
                s, sid, reason="Dokter sakit", actor="nurse", channel="staff", now=now
            )
        )
        return move_counter(db, session)  # type: ignore[arg-type]

    monkeypatch.setattr(taking.writing, "move_counter", doctor_absent_first)
    with pytest.raises(Refused) as refused:
        take(demo, sid, "+6281200000900", now)
    assert refused.value.reason is Reason.SESSION_CANCELLED


def test_two_sessions_of_one_service_on_one_day_racing_never_give_one_number_twice(
    demo: Database, now: datetime
) -> None:
    morning = session_id(demo, day=today(now))
    afternoon = session_id(demo, day=today(now), start=time(13))
    for sid in (morning, afternoon):
        set_capacity(demo, sid, 60)
    first = take(demo, morning, phone(70_000), now)

    results = race(100, lambda i: take(demo, (morning, afternoon)[i % 2], phone(i), now))

    booked = [r for r in results if isinstance(r, Booking)]
    assert len(booked) == 100, [r for r in results if isinstance(r, Refused)]
    numbers = sorted(b.number for b in [first, *booked])
    assert numbers == list(range(1, 102))
    assert len({b.display for b in [first, *booked]}) == 101
    with demo.transaction() as s:
        rows = s.execute(
            select(Booking.session_id, Booking.number, Booking.display).where(
                Booking.session_id.in_((morning, afternoon))
            )
        ).all()
        assert sorted(number for _, number, _ in rows) == numbers
        assert {display for _, _, display in rows} == {f"A-{n:03d}" for n in numbers}
        for sid in (morning, afternoon):
            session = s.get_one(ClinicSession, sid)
            mine = [number for owner, number, _ in rows if owner == sid]
            assert session.places_taken == len(mine) and session.last_number == max(mine)
