"""The failed-SMS page: a facility's staff see their facility's SMS that gave up, and send one
or all again (by the rules of `antre sms resend`); through the Flask test client, logged in
through the real login form, with the real SDK against the local Africa's Talking look-alike,
on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from antre import database_of as database
from antre import jobs
from antre.demo import seed
from booking import records
from booking.failed_sms import IN_DOUBT
from booking.models import Outbox, OutboxStatus
from booking.notices import EVENING_REMINDER
from console.models import Role
from tests import fake_africastalking as fake_at
from tests import staff
from tests.fake_africastalking import FakeAfricasTalking
from tests.helpers import session_id, take, today
from tests.test_sending import make_app, outbox

GAVE_UP = "gave up after 8 attempts: HTTP 500"
# Phones of three patients: two at 1001 (one receipt gave up, one is in doubt), one at 2001.
SITI, BUDI, ANI = "+6281234567890", "+6285712345678", "+6281398765432"
PAGE = "/console/admin/sms/failed"


@pytest.fixture
def fake() -> Iterator[FakeAfricasTalking]:
    with fake_at.running() as server:
        yield server


@pytest.fixture
def site(
    database_url: str, tmp_path: Path, fake: FakeAfricasTalking, now: datetime
) -> Iterator[tuple[Flask, dict[str, int]]]:
    """Receipts that failed at 1001 and 2001, and a reminder of a session now over; the page is
    used in the evening, after the morning's session."""
    app = make_app(database_url, tmp_path, **fake_at.settings(fake, SMS_RETRY_INTERVALS="0"))
    app.extensions["sms.outbox"].hand_over = None  # the sweep hands rows over, nothing else
    db = database(app)
    db.run(lambda s: seed(s, now))
    for name, role, facility in [
        ("root", Role.ADMIN, None),
        ("fa1001", Role.FACILITY_ADMIN, "1001"),
        ("fa2001", Role.FACILITY_ADMIN, "2001"),
        ("nurse", Role.STAFF, "1001"),
    ]:
        staff.add_user(db, name, role, facility=facility)
    day = today(now)
    bookings = {
        SITI: take(db, session_id(db, day=day), SITI, now).id,
        BUDI: take(db, session_id(db, day=day), BUDI, now).id,
        ANI: take(db, session_id(db, facility="2001", day=day), ANI, now).id,
    }
    failed_at = now + timedelta(hours=7)

    def fail_them(s: Session) -> dict[str, int]:
        ids = {
            phone: s.scalars(select(Outbox.id).where(Outbox.booking_id == booking_id)).one()
            for phone, booking_id in bookings.items()
        }
        reminder = records.sms(
            s, phone=SITI, body="Besok Anda A-001", kind=EVENING_REMINDER, now=now,
            booking_id=bookings[SITI],
        )  # fmt: skip
        assert reminder is not None
        s.flush()
        ids["reminder"] = reminder.id
        for key, outbox_id in ids.items():
            error = IN_DOUBT if key == BUDI else GAVE_UP
            s.execute(
                update(Outbox)
                .where(Outbox.id == outbox_id)
                .values(status=OutboxStatus.FAILED, error=error, attempts=8, updated_at=failed_at)
            )
        return ids

    ids = db.run(fail_them)
    with time_machine.travel(now + timedelta(hours=8), tick=True):
        yield app, ids
    jobs.runner(app).stop()
    db.dispose()


def client(app: Flask, username: str) -> FlaskClient:
    return staff.log_in(app.test_client(), username)


def listed(page: str) -> list[str]:
    return re.findall(r'class="failed-sms" data-id="(\d+)"', page)


def token(browser: FlaskClient) -> str:
    return staff.csrf_token(browser, PAGE)


def send_what_is_due(app: Flask) -> None:
    jobs.sweep(app)
    assert jobs.runner(app).drain()


def test_a_facility_admin_sees_only_the_failed_sms_of_their_facility_masked(
    site: tuple[Flask, dict[str, int]],
) -> None:
    app, ids = site
    page = client(app, "fa1001").get(PAGE)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert sorted(listed(text)) == sorted(str(ids[k]) for k in (SITI, BUDI, "reminder"))
    assert SITI not in text and "+62812*****890" in text  # masked as the command masks
    assert GAVE_UP in text and "in doubt" in text and EVENING_REMINDER in text
    assert "<td>ya</td>" in text  # Budi's receipt is shown as in doubt
    everyone = client(app, "root").get(PAGE).get_data(as_text=True)
    assert sorted(listed(everyone)) == sorted(str(v) for v in ids.values())
    assert 'href="/console/admin/sms/failed"' in client(app, "root").get("/console/admin/").text


def test_resending_one_queues_it_and_the_gateway_gets_it_once(
    site: tuple[Flask, dict[str, int]], fake: FakeAfricasTalking
) -> None:
    app, ids = site
    browser = client(app, "fa1001")
    answer = browser.post(
        f"/console/admin/sms/failed/{ids[SITI]}/resend", data={"csrf_token": token(browser)}
    )
    assert answer.status_code == 302
    assert "1 SMS akan dikirim ulang" in browser.get(PAGE).get_data(as_text=True)
    assert outbox(database(app), ids[SITI]).status is OutboxStatus.PENDING
    send_what_is_due(app)
    send_what_is_due(app)  # a second sweep finds nothing more to send
    assert outbox(database(app), ids[SITI]).status is OutboxStatus.SENT
    assert [r.form["to"] for r in fake.requests] == [SITI]


def test_resend_all_leaves_in_doubt_and_expired_reminders_unless_asked_then_only_in_doubt(
    site: tuple[Flask, dict[str, int]], fake: FakeAfricasTalking
) -> None:
    app, ids = site
    browser = client(app, "fa1001")
    browser.post("/console/admin/sms/failed/resend", data={"csrf_token": token(browser)})
    db = database(app)
    assert outbox(db, ids[BUDI]).status is OutboxStatus.FAILED  # perhaps sent: not unasked
    assert outbox(db, ids["reminder"]).status is OutboxStatus.FAILED  # its session is over
    assert outbox(db, ids[ANI]).status is OutboxStatus.FAILED  # another facility's
    send_what_is_due(app)
    browser.post(
        "/console/admin/sms/failed/resend", data={"csrf_token": token(browser), "in_doubt": "1"}
    )
    send_what_is_due(app)
    assert outbox(db, ids[BUDI]).status is OutboxStatus.SENT
    assert outbox(db, ids["reminder"]).status is OutboxStatus.FAILED  # never, even asked
    assert sorted(r.form["to"] for r in fake.requests) == sorted([SITI, BUDI])


def test_other_facilities_and_plain_staff_are_refused(
    site: tuple[Flask, dict[str, int]], fake: FakeAfricasTalking
) -> None:
    app, ids = site
    other = client(app, "fa2001")
    refused = other.post(
        f"/console/admin/sms/failed/{ids[SITI]}/resend", data={"csrf_token": token(other)}
    )
    assert refused.status_code == 403
    nurse = client(app, "nurse")
    assert nurse.get(PAGE).status_code == 403
    assert nurse.post("/console/admin/sms/failed/resend").status_code in (400, 403)
    assert app.test_client().get(PAGE).status_code == 302  # to the login
    forged = client(app, "fa1001").post(f"/console/admin/sms/failed/{ids[SITI]}/resend")
    assert forged.status_code == 400  # no CSRF token
    send_what_is_due(app)
    assert outbox(database(app), ids[SITI]).status is OutboxStatus.FAILED
    assert fake.requests == []
