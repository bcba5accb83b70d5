"""A call a dead sender left "sending" holds its booking's later calls back until the sweep
frees it; a live sender's claim is left alone. On the real databases."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import select, update

from antre import bpjs as wiring
from booking.clock import utcnow
from booking.commands import TakeNumber
from booking.models import Booking, BpjsCall, Channel
from booking.queue import check_in
from booking.taking import take_number
from bpjs import calls
from bpjs.settings import claim_seconds
from console.models import Role
from plumbing.db import Database
from plumbing.db import database_of as database
from tests import fake_bpjs, staff
from tests.bpjs_helpers import CARD, delivered, statuses, wait_for

# The look-alike, the app configured for it and the mapped session `sid`.
pytest_plugins = ("tests.bpjs_fixtures",)

STAFF = {"actor": "staff:1", "channel": "staff"}


def tried_once(db: Database) -> None:
    """Wait until the sender that the commit started has tried (BPJS down) and given up."""
    deadline = time.monotonic() + 10
    while True:
        with db.transaction() as s:
            call = s.scalars(select(BpjsCall)).one()
            if (call.status, call.attempts) == (calls.PENDING, 1):
                return
        assert time.monotonic() < deadline, (call.status, call.attempts)
        time.sleep(0.05)


def claimed(db: Database, booking_id: int, ago: timedelta) -> None:
    """Leave the booking's first call as a sender leaves it that claimed it `ago` and died."""
    with db.transaction() as s:
        first = s.scalars(
            select(BpjsCall).where(BpjsCall.booking_id == booking_id).order_by(BpjsCall.id)
        ).first()
        assert first is not None
        s.execute(
            update(BpjsCall)
            .where(BpjsCall.id == first.id)
            .values(status=calls.SENDING, attempts=first.attempts + 1, claimed_at=utcnow() - ago)
        )


def test_a_call_left_sending_by_a_dead_sender_is_freed_by_the_sweep_and_the_rest_follow(
    bpjs_app: Flask, fake: fake_bpjs.FakeBpjs, sid: int, now: datetime
) -> None:
    db = database(bpjs_app)
    fake.down = True
    command = TakeNumber(sid, "+6281234567890", Channel.USSD, bpjs_number=CARD)
    booking: Booking = db.run(lambda s: take_number(s, command, now))
    tried_once(db)
    fake.down = False
    held = timedelta(seconds=claim_seconds(bpjs_app.config))

    # A sender claimed the add a moment ago: a live one, perhaps still waiting for BPJS.
    claimed(db, booking.id, timedelta(seconds=5))
    db.run(lambda s: check_in(s, booking.id, now=now, **STAFF))
    wait_for(db, [("antrean/add", "sending"), ("antrean/panggil", "pending")])
    assert wiring.sweep(bpjs_app) == 1  # the panggil waits: handed over, and held back
    assert wiring.send_all(bpjs_app, [booking.id])[0].outcome is calls.Outcome.BUSY
    assert delivered(bpjs_app, fake, 1) == []
    assert statuses(db) == [("antrean/add", "sending"), ("antrean/panggil", "pending")]

    # The same claim, older than any live sender holds one: its sender is gone.
    claimed_ago = held + timedelta(seconds=1)
    with db.transaction() as s:
        s.execute(
            update(BpjsCall)
            .where(BpjsCall.status == calls.SENDING)
            .values(claimed_at=utcnow() - claimed_ago)
        )
    staff.add_user(db, "kepala", Role.FACILITY_ADMIN, facility="1001")
    client = staff.log_in(bpjs_app.test_client(), "kepala")
    with db.transaction() as s:
        facility_id = s.get_one(Booking, booking.id).session.service.facility_id
    page = client.get(f"/console/admin/facilities/{facility_id}/bpjs").get_data(as_text=True)
    assert page.count('class="bpjs-sending bpjs-stuck"') == 1
    assert "macet" in page

    assert wiring.sweep(bpjs_app) == 1
    calls_sent = delivered(bpjs_app, fake, 2)
    assert [path for path, _ in calls_sent] == ["antrean/add", "antrean/panggil"]
    wait_for(db, [("antrean/add", "sent"), ("antrean/panggil", "sent")])
    assert wiring.sweep(bpjs_app) == 0


def test_a_late_outcome_of_a_freed_claim_changes_nothing(
    bpjs_app: Flask, fake: fake_bpjs.FakeBpjs, sid: int, now: datetime
) -> None:
    """A sender that outlived its claim (freed, and taken by another) does not write over."""
    db = database(bpjs_app)
    fake.down = True
    command = TakeNumber(sid, "+6281234567890", Channel.USSD, bpjs_number=CARD)
    booking: Booking = db.run(lambda s: take_number(s, command, now))
    tried_once(db)
    claimed(db, booking.id, timedelta(hours=1))  # claim number 2, long ago
    freed = db.run(lambda s: calls.free_stale(s, utcnow(), timedelta(minutes=5)))
    assert freed == [booking.id]
    claimed(db, booking.id, timedelta(seconds=0))  # claim number 3: another sender's, now
    calls.finish(database(bpjs_app).sessions, _first_call(db, booking.id), 2, calls.SENT, 200, "")
    assert statuses(db) == [("antrean/add", "sending")]  # still the new sender's


def _first_call(db: Database, booking_id: int) -> int:
    with db.transaction() as s:
        found = s.scalar(select(BpjsCall.id).where(BpjsCall.booking_id == booking_id))
        assert found is not None
        return found
