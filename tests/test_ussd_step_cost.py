"""What each key press of the journey people make costs the database, and that a read-only
step on SQLite waits for no writer.

The journey: a first-time phone dials `*123*1001#`, then takes a number, picks a service, the
first time offered and "for me". With the session store on Redis, each request after the dial
resolves against the screen the store kept and does only its own step's work; the statements
are counted on the app's real engine (an SQLAlchemy event listener), after one journey of
another phone so that the process's copies are warm, as in a worker under load.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from typing import Any

import pytest
import time_machine
from flask import Flask
from redis import Redis
from sqlalchemy import event, select

from booking.models import Facility, Phone
from plumbing.db import Database
from plumbing.db import database_of as database
from ussd.phone import Handset, through_app

FIRST = "+6281234500001"
WARM = "+6281234500002"
JOURNEY = ["1001", "1", "1", "1", "1"]  # dial *123*1001#, take a number, service, time, me

# Statements per step (BEGIN not counted). Dial: the phone's row and its INSERT (it remembers
# the facility). Take a number: none, the services are in the process's catalog. Service: the
# service with its facility, and its bookable sessions (places left are on the screen). Time:
# the session picked, with its service and facility, to check it still takes bookings. For
# me: the engine's booking alone; on PostgreSQL savepoint, advisory lock per phone, session
# row, counter UPDATE, number and person+booking+event+receipt in two statements, release;
# SQLite has no advisory lock and writes the number and each row by itself. Before the
# later steps went on from the kept screen: [2, 0, 2, 2, 9] and [2, 0, 2, 2, 12].
EXPECTED = {
    "postgresql": [2, 0, 2, 1, 7],
    "sqlite": [2, 0, 2, 1, 10],
}


def journey(app: Flask, phone: str) -> tuple[Handset, list[str]]:
    handset = Handset(through_app(app), phone)
    screens = [handset.dial(f"*123*{JOURNEY[0]}#")]
    screens += [handset.press(typed) for typed in JOURNEY[1:]]
    return handset, screens


def test_each_step_of_the_journey_does_only_its_own_work(
    redis_app: Flask, demo: Database, clock: time_machine.Coordinates
) -> None:
    journey(redis_app, WARM)
    counted: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        counted.append(statement)

    engine = database(redis_app).engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        handset = Handset(through_app(redis_app), FIRST)
        per_step = []
        for n, typed in enumerate(JOURNEY):
            counted.clear()
            handset.dial(f"*123*{typed}#") if n == 0 else handset.press(typed)
            per_step.append(len([s for s in counted if not s.startswith("BEGIN")]))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert handset.finished and "A-00" in handset.screen, handset.screen
    assert per_step == EXPECTED[engine.dialect.name], per_step


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_read_only_step_on_sqlite_waits_for_no_writer(
    redis_app: Flask, demo: Database, clock: time_machine.Coordinates
) -> None:
    """A menu step that only reads begins deferred: it answers while another connection
    holds SQLite's write lock, instead of queueing behind it (BEGIN IMMEDIATE would)."""
    with demo.transaction() as s:
        facility = s.scalars(select(Facility).where(Facility.code == "1001")).one()
        s.add(Phone(number=FIRST, language="id", facility_id=facility.id))
    handset = Handset(through_app(redis_app), FIRST)
    handset.dial()
    assert "Pilih layanan" in handset.press("1")
    path = demo.engine.url.database
    assert path is not None
    writer = sqlite3.connect(path, isolation_level=None, timeout=30)
    writer.execute("BEGIN IMMEDIATE")  # another process's booking, holding the write lock
    answered: list[str] = []
    step = threading.Thread(target=lambda: answered.append(handset.press("1")), daemon=True)
    try:
        step.start()
        step.join(timeout=5)
        assert not step.is_alive(), "the read-only step waited for the write lock"
    finally:
        writer.execute("ROLLBACK")
        writer.close()
        step.join(timeout=35)
    assert answered and answered[0].startswith("CON ") and ":" in answered[0], answered


def test_a_session_kept_without_its_screens_is_walked_from_the_start(
    redis_app: Flask, redis_url: str, demo: Database, clock: time_machine.Coordinates
) -> None:
    """A session a store kept before it kept the screens (a deploy mid-session) goes on the
    same: its path is walked from the start, as after a lost store, at that step's cost."""
    stored = Handset(through_app(redis_app), WARM)
    kept = Handset(through_app(redis_app), FIRST)
    for handset in (stored, kept):
        handset.dial(f"*123*{JOURNEY[0]}#")
        handset.press("1")
        handset.press("1")
    client = Redis.from_url(redis_url)
    key = f"ussd:session:{stored.session_id}"
    record = json.loads(client.get(key) or "{}")
    assert record["stack"], record
    del record["stack"], record["walked"]
    client.set(key, json.dumps(record), px=60_000)
    client.close()
    counted: list[str] = []
    engine = database(redis_app).engine

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.startswith("BEGIN"):
            counted.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        walked_again = stored.press("1")
        replayed = len(counted)
        counted.clear()
        assert walked_again == kept.press("1")
        went_on = len(counted)
        assert stored.press("1").startswith("END ") and kept.press("1").startswith("END ")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    # The replay read the service again for its pick; going on from the kept screen did not.
    assert (replayed, went_on) == (2, 1)
