"""With Redis: menu steps without the database, drop-off buffered in Redis and flushed in batches.

Real Redis and real databases (SQLite and PostgreSQL) throughout: the flush writes what the
requests kept, once, even when retried after a crash; Redis going away makes requests write
their records themselves; the figures come out as if every record had been written at once.
"""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from flask import Flask
from redis import Redis
from sqlalchemy import event, func, select, update

from booking.models import Facility
from figures.queries import Scope, compute
from plumbing.db import Database
from plumbing.db import database_of as database
from tests.test_ussd_replays import PHONE, Cable, make_app, redis_through, seeded
from ussd import buffer, dropoff
from ussd.buffer import batch_key
from ussd.cache import phone_key
from ussd.models import UssdFlushedBatch, UssdSession, UssdStep
from ussd.phone import Handset, through_app
from ussd.store import DROPOFF, store_of

OTHER = "+6281298765432"
THIRD = "+6281298765433"
FOURTH = "+6281298765434"


@pytest.fixture
def redis(redis_url: str) -> Iterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture
def shop(database_url: str, redis_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = make_app(database_url, redis_url, tmp_path)
    yield app
    database(app).dispose()


def statements(db: Database) -> list[str]:
    """Every SQL statement the app's engine sends from now on."""
    said: list[str] = []
    event.listen(db.engine, "before_cursor_execute", lambda *args: said.append(args[2]))
    return said


def rows(db: Database) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The sessions (id order) and steps (id order) as plain tuples."""
    with db.transaction() as s:
        sessions = s.execute(
            select(
                UssdSession.id,
                UssdSession.phone,
                UssdSession.outcome,
                UssdSession.last_screen,
                UssdSession.steps,
            ).order_by(UssdSession.id)
        ).all()
        steps = s.execute(
            select(UssdStep.session_id, UssdStep.screen, UssdStep.input_ok).order_by(UssdStep.id)
        ).all()
    return [tuple(r) for r in sessions], [tuple(r) for r in steps]


def two_sessions(app: Flask) -> tuple[str, str]:
    """The drop-off scenario of test_ussd_flows: one session left on a screen, one booked."""
    phone = Handset(through_app(app), PHONE)
    phone.dial()
    phone.press("1")
    phone.press("9")  # not on the list: the same screen again, input_ok False
    abandoned = phone.session_id
    assert phone.dial("*123*1001*1*1*1*1#").startswith("END Nomor Anda:")
    return abandoned, phone.session_id


def assert_two_sessions(db: Database, abandoned: str, finished: str) -> None:
    with db.transaction() as s:
        first = s.get_one(UssdSession, abandoned)
        assert (first.outcome, first.last_screen, first.steps) == ("abandoned", "service", 3)
        steps = s.scalars(
            select(UssdStep)
            .where(UssdStep.session_id == abandoned)
            .order_by(UssdStep.at, UssdStep.id)
        ).all()
        assert [(step.screen, step.input_ok) for step in steps] == [
            ("main", True),
            ("service", True),
            ("service", False),
        ]
        second = s.get_one(UssdSession, finished)
        assert (second.outcome, second.last_screen, second.steps) == ("finished", "booked", 1)
        assert first.started_at < second.started_at


def test_a_first_dial_and_a_menu_step_make_no_database_round_trip(
    shop: Flask, now: datetime, clock: None
) -> None:
    db = seeded(shop, now)
    # Seeding the phone left a tombstone on its copy for a few seconds: as if they had passed.
    Redis.from_url(shop.config["REDIS_URL"]).delete(phone_key(PHONE))
    Handset(through_app(shop), PHONE).dial()  # reads the phone and the facility once
    said = statements(db)
    phone = Handset(through_app(shop), PHONE)
    assert phone.dial().startswith("CON Puskesmas Cipocok Jaya\n1 Ambil nomor antrean")
    assert phone.press("1").startswith("CON Pilih layanan:\n1 Poli Umum")
    assert said == []
    assert phone.press("1").startswith("CON Poli Umum: kapan?")  # live places: the database
    assert said


def test_drop_off_waits_in_redis_until_flushed_then_is_written_once(
    shop: Flask, redis: Redis, now: datetime, clock: None
) -> None:
    db = seeded(shop, now)
    abandoned, finished = two_sessions(shop)
    assert rows(db) == ([], [])
    assert buffer.waiting(redis) == 4
    assert buffer.flush(db, redis, batch=3) == 4  # two batches: a session split over both
    assert_two_sessions(db, abandoned, finished)
    assert buffer.waiting(redis) == 0
    assert redis.scard(buffer.PENDING) == 0
    written = rows(db)
    assert buffer.flush(db, redis) == 0
    assert rows(db) == written


def test_a_flush_retried_after_a_crash_writes_nothing_twice(
    shop: Flask, redis: Redis, now: datetime, clock: None
) -> None:
    db = seeded(shop, now)
    abandoned, finished = two_sessions(shop)
    claim = redis.register_script(buffer._CLAIM)
    # A flush that crashed after its commit, before removing its batch from Redis:
    assert claim(keys=[DROPOFF, batch_key("0001-a"), buffer.PENDING], args=["0001-a", 3]) == 3
    assert buffer._write_once(db, redis, "0001-a", now) == 3
    # A flush that crashed before its commit, with the last record claimed:
    assert claim(keys=[DROPOFF, batch_key("0002-b"), buffer.PENDING], args=["0002-b", 3]) == 1
    assert buffer.waiting(redis) == 4
    assert buffer.flush(db, redis) == 1  # the first batch was written: only the second is
    assert_two_sessions(db, abandoned, finished)
    assert buffer.waiting(redis) == 0
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(UssdStep)) == 4
        assert s.scalar(select(func.count()).select_from(UssdFlushedBatch)) == 2


def test_with_redis_gone_requests_write_their_own_records_and_nothing_is_lost(
    database_url: str,
    redis_url: str,
    redis: Redis,
    tmp_path: Path,
    now: datetime,
    clock: None,
) -> None:
    cable, through = redis_through(Cable, redis_url)
    app = make_app(database_url, through, tmp_path)
    try:
        db = seeded(app, now)
        phone = Handset(through_app(app), PHONE)
        phone.dial()
        phone.press("1")  # both records kept in Redis
        assert buffer.waiting(redis) == 2 and rows(db) == ([], [])
        cable.cut()  # the next requests cannot reach Redis: they write to the database
        phone.press("9")
        abandoned = phone.session_id
        assert phone.dial("*123*1001*1*1*1*1#").startswith("END Nomor Anda:")
        assert len(rows(db)[1]) == 2
        assert buffer.flush(db, redis) == 2  # Redis is back for the worker: the rest
        assert_two_sessions(db, abandoned, phone.session_id)
    finally:
        cable.cut()
        database(app).dispose()


def test_when_redis_fails_after_the_walk_the_request_writes_its_record(
    database_url: str, redis_url: str, redis: Redis, tmp_path: Path, now: datetime, clock: None
) -> None:
    cable, through = redis_through(Cable, redis_url)
    app = make_app(database_url, through, tmp_path)
    try:
        db = seeded(app, now)
        phone = Handset(through_app(app), PHONE)
        phone.dial()
        phone.press("1")
        # Redis goes while the request reads live places from the database: it has read the
        # store already, and expects Redis to take its drop-off record.
        event.listen(db.engine, "before_cursor_execute", lambda *_: cable.cut(), once=True)
        assert phone.press("1").startswith("CON Poli Umum: kapan?")
        sessions, steps = rows(db)
        assert steps == [(phone.session_id, "when", True)]
        assert buffer.flush(db, redis) == 2
        sessions, steps = rows(db)
        assert sessions == [(phone.session_id, PHONE, "open", "when", 3)]
        assert sorted(screen for _id, screen, _ok in steps) == ["main", "service", "when"]
    finally:
        cable.cut()
        database(app).dispose()


def test_the_figures_after_a_flush_are_those_of_records_written_at_once(
    database_url: str, redis_url: str, redis: Redis, tmp_path: Path, now: datetime
) -> None:
    """The same sessions through an app with Redis (then flushed) and one without."""

    def figures(redis_url: str | None, folder: str, numbers: tuple[str, str]) -> list[Any]:
        app = make_app(database_url, redis_url, tmp_path / folder)
        db = database(app)
        try:
            with db.transaction() as s:
                for table in (UssdStep, UssdSession):
                    s.execute(table.__table__.delete())
            if not db.run(lambda s: s.scalar(select(func.count()).select_from(Facility))):
                seeded(app, now, returning=False)
            with time_machine.travel(now, tick=True):
                for number in numbers:
                    two_sessions_of(app, number)
                if redis_url:
                    assert buffer.flush(db, redis) == 2 * 6
            with db.transaction() as s:
                day = date(now.year, now.month, now.day)
                tables = compute(s, Scope(day, day)).tables
            return [(t.name, t.rows) for t in tables if t.name.startswith("ussd")]
        finally:
            db.dispose()

    direct = figures(None, "direct", (PHONE, OTHER))
    flushed = figures(redis_url, "flushed", (THIRD, FOURTH))
    assert flushed == direct
    assert dict(direct)["ussd_sessions"] == [("started", 4), ("finished", 2), ("unfinished", 2)]
    assert dict(direct)["ussd_stopped_at"] == [("service", 2)]


def two_sessions_of(app: Flask, number: str) -> None:
    phone = Handset(through_app(app), number)
    phone.dial("*123*1001#")
    phone.press("1")
    phone.press("9")
    phone.dial("*123*1001*1*1")  # the times, then the confirmation
    phone.press("1")
    phone.press("1")


def test_a_renamed_facility_and_a_changed_language_show_at_the_next_dial(
    database_url: str, redis_url: str, tmp_path: Path, now: datetime, clock: None
) -> None:
    first, second = (
        make_app(database_url, redis_url, tmp_path),
        make_app(database_url, redis_url, tmp_path),
    )
    try:
        seeded(first, now)
        assert Handset(through_app(first), PHONE).dial().startswith("CON Puskesmas Cipocok Jaya")
        # Renamed through the other instance (as the admin page, in another worker, would).
        with database(second).transaction() as s:
            s.execute(update(Facility).where(Facility.code == "1001").values(name="PKM Baru"))
        phone = Handset(through_app(first), PHONE)
        assert phone.dial().startswith("CON PKM Baru\n1 Ambil nomor antrean")
        phone.press("5")
        assert phone.press("2").startswith("CON PKM Baru\n1 Take a queue number")
        # Remembered in the database, and the other instance's next dial knows it at once.
        assert Handset(through_app(second), PHONE).dial().startswith("CON PKM Baru\n1 Take a")
        assert Handset(through_app(first), PHONE).dial().startswith("CON PKM Baru\n1 Take a")
    finally:
        database(first).dispose()
        database(second).dispose()


def test_the_workers_sweep_writes_the_waiting_records(
    shop: Flask, redis: Redis, now: datetime, clock: None
) -> None:
    from antre.jobs import sweep

    db = seeded(shop, now)
    abandoned, finished = two_sessions(shop)
    with shop.app_context():
        sweep(shop)
    assert_two_sessions(db, abandoned, finished)
    assert buffer.waiting(redis) == 0


class Switch(Cable):
    """A Cable that can be cut and joined again: Redis away for a while, then back."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.down = False
        super().__init__(upstream)

    def _admit(self, near: socket.socket) -> bool:
        if self.down:
            near.close()  # refused, as a dead Redis would
        return not self.down

    def off(self) -> None:
        self.down = True
        for end in self.sockets:
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
            end.close()
        self.sockets = []


def test_a_setting_changed_while_redis_was_away_is_told_to_it_once_back(
    database_url: str, redis_url: str, redis: Redis, tmp_path: Path, now: datetime, clock: None
) -> None:
    switch, through = redis_through(Switch, redis_url)
    cut_off = make_app(database_url, through, tmp_path)
    other = make_app(database_url, redis_url, tmp_path)
    try:
        seeded(other, now)
        redis.delete(phone_key(PHONE))  # the seeding's tombstone, as if its seconds had passed
        assert Handset(through_app(other), PHONE).dial().startswith("CON Puskesmas Cipocok")
        assert redis.exists(phone_key(PHONE)) == 1  # Indonesian, copied in Redis
        switch.off()
        phone = Handset(through_app(cut_off), PHONE)
        phone.dial()
        phone.press("5")
        assert phone.press("2").startswith("CON Puskesmas Cipocok Jaya\n1 Take a queue number")
        assert redis.exists(phone_key(PHONE)) == 1  # still the Indonesian copy: untold
        switch.down = False
        # Both waits after a Redis failure (5 s each) over, as if those seconds had passed:
        cut_off.extensions["ussd.cache.redis_pause"] = 0.0
        store_of(cut_off)._down_until = 0.0  # type: ignore[attr-defined]
        Handset(through_app(cut_off), OTHER).dial()  # any USSD request tells what was untold
        assert "1 Take a queue number" in Handset(through_app(other), PHONE).dial()
    finally:
        switch.off()
        database(cut_off).dispose()
        database(other).dispose()


class LateReplies(Cable):
    """A Cable whose replies from Redis are held back while `late` is set: Redis runs what it
    is sent, but the app's client gives up (socket_timeout 1 s, plumbing.redis) before the reply."""

    late = False
    delay = 1.3

    def _reply(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                if self.late:
                    time.sleep(self.delay)
                sink.sendall(data)
        except OSError:
            pass


def test_a_record_kept_by_redis_whose_reply_came_late_is_counted_once(
    database_url: str, redis_url: str, redis: Redis, tmp_path: Path, now: datetime, clock: None
) -> None:
    cable, through = redis_through(LateReplies, redis_url)
    app = make_app(database_url, through, tmp_path)
    try:
        db = seeded(app, now)
        phone = Handset(through_app(app), PHONE)
        phone.dial()
        phone.press("1")
        # The "when" screen reads live places from the database: from then on Redis's replies
        # come late. It runs the request's pipeline whole (the record is in the list), and the
        # request, seeing a timeout, writes the record to the database too.
        event.listen(
            db.engine, "before_cursor_execute", lambda *_: setattr(cable, "late", True), once=True
        )
        assert phone.press("1").startswith("CON Poli Umum: kapan?")
        assert rows(db)[1] == [(phone.session_id, "when", True)]
        assert buffer.waiting(redis) == 3  # the late pipeline's record is in Redis as well
        assert buffer.flush(db, redis) == 3
        sessions, steps = rows(db)
        assert sessions == [(phone.session_id, PHONE, "open", "when", 3)]
        assert sorted(screen for _id, screen, _ok in steps) == ["main", "service", "when"]
    finally:
        cable.cut()
        database(app).dispose()


def test_a_record_written_again_adds_no_step(
    database_url: str, tmp_path: Path, now: datetime
) -> None:
    """Whether in the same batch or a later one, alone or beside new records of its session."""
    app = make_app(database_url, None, tmp_path)
    try:
        db = seeded(app, now)
        shown = [
            dropoff.Shown(
                "s1", PHONE, None, None, screen, True, False, now + timedelta(seconds=i), i == 0
            )
            for i, screen in enumerate(["main", "service", "when"])
        ]
        db.run(lambda s: dropoff.record(s, shown[:1]))
        db.run(lambda s: dropoff.record(s, shown[:2]))  # the first again, the second anew
        db.run(lambda s: dropoff.record(s, [shown[2], shown[1], shown[2]]))
        sessions, steps = rows(db)
        assert sessions == [("s1", PHONE, "open", "when", 3)]
        assert steps == [("s1", "main", True), ("s1", "service", True), ("s1", "when", True)]
    finally:
        database(app).dispose()


def test_a_flush_writes_a_bounded_number_of_batches_and_the_next_goes_on(
    shop: Flask, redis: Redis, now: datetime, clock: None
) -> None:
    db = seeded(shop, now)
    abandoned, finished = two_sessions(shop)
    claim = redis.register_script(buffer._CLAIM)
    # A batch a crashed flush left counts among a flush's batches too.
    assert claim(keys=[DROPOFF, batch_key("0001-a"), buffer.PENDING], args=["0001-a", 1]) == 1
    assert buffer.flush(db, redis, batch=1, batches=2) == 2
    assert buffer.waiting(redis) == 2 and redis.scard(buffer.PENDING) == 0
    assert len(rows(db)[1]) == 2
    assert buffer.flush(db, redis, batch=1, batches=2) == 2
    assert buffer.waiting(redis) == 0
    assert_two_sessions(db, abandoned, finished)


def test_the_sweep_hands_sms_over_before_it_writes_the_drop_off_records(
    shop: Flask, redis: Redis, now: datetime, clock: None
) -> None:
    """A long backlog of records must not hold up the SMS due now."""
    from antre.jobs import sweep

    db = seeded(shop, now)
    abandoned, finished = two_sessions(shop)
    said = statements(db)
    with shop.app_context():
        sweep(shop)
    handed = next(i for i, sql in enumerate(said) if "outbox" in sql)
    flushed = next(i for i, sql in enumerate(said) if "ussd_flushed_batches" in sql)
    assert handed < flushed
    assert_two_sessions(db, abandoned, finished)


def test_once_the_list_is_full_requests_write_their_own_records(
    shop: Flask, redis: Redis, now: datetime, clock: None
) -> None:
    shop.config["USSD_DROPOFF_LIMIT"] = 2  # read when the store is made, at the first request
    db = seeded(shop, now)
    phone = Handset(through_app(shop), PHONE)
    phone.dial()
    phone.press("1")
    assert buffer.waiting(redis) == 2 and rows(db) == ([], [])
    phone.press("9")  # the list is full: this record goes to the database
    abandoned = phone.session_id
    assert phone.dial("*123*1001*1*1*1*1#").startswith("END Nomor Anda:")
    assert buffer.waiting(redis) == 2
    assert [screen for _id, screen, _ok in rows(db)[1]] == ["service", "booked"]
    assert shop.test_client().get("/healthz").json["ussd_dropoff_waiting"] == 2
    assert buffer.flush(db, redis) == 2
    assert_two_sessions(db, abandoned, phone.session_id)
    assert shop.test_client().get("/healthz").json["ussd_dropoff_waiting"] == 0
