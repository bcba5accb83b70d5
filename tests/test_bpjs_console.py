"""Staff see what BPJS refused: the BPJS page of a facility, its retry, the queue page's badge."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from booking.commands import TakeNumber
from booking.models import Booking, BpjsCall, Channel, Facility
from booking.taking import take_number
from console.models import Role
from plumbing.db import Database
from plumbing.db import database_of as database
from tests import fake_bpjs, staff
from tests.bpjs_helpers import CARD, delivered, wait_for

# The look-alike, the app configured for it and the mapped session `sid`.
pytest_plugins = ("tests.bpjs_fixtures",)

OTHER_CARD = "0001234567891"
REFUSAL = "data pasien tidak ditemukan"
BPJS_PAGE = "/console/admin/facilities/{}/bpjs"


def take(db: Database, sid: int, now: datetime, card: str, name: str = "") -> Booking:
    command = TakeNumber(sid, "+6281234567890", Channel.USSD, name=name, bpjs_number=card)
    return db.run(lambda s: take_number(s, command, now))


def facility_id(db: Database, booking: Booking) -> int:
    with db.transaction() as s:
        return s.get_one(Booking, booking.id).session.service.facility_id


def logged_in(app: Flask, username: str, role: Role, facility: str | None = "1001") -> FlaskClient:
    staff.add_user(database(app), username, role, facility=facility)
    return staff.log_in(app.test_client(), username)


@pytest.fixture
def refused(
    bpjs_app: Flask,
    fake: fake_bpjs.FakeBpjs,
    sid: int,
    now: datetime,
    clock: time_machine.Coordinates,
) -> tuple[Booking, Booking]:
    """Two numbers: BPJS refuses the first (code 201) and takes the second."""
    fake.refused_cards[CARD] = REFUSAL
    db = database(bpjs_app)
    first = take(db, sid, now, CARD)
    second = take(db, sid, now, OTHER_CARD, name="Adik")
    wait_for(db, [("antrean/add", "refused"), ("antrean/add", "sent")])
    return first, second


def test_a_refusal_is_shown_on_the_bpjs_page_and_a_retry_sends_it_again(
    bpjs_app: Flask, fake: fake_bpjs.FakeBpjs, refused: tuple[Booking, Booking]
) -> None:
    first, _ = refused
    db = database(bpjs_app)
    page = BPJS_PAGE.format(facility_id(db, first))
    client = logged_in(bpjs_app, "kepala", Role.FACILITY_ADMIN)
    html = client.get(page).get_data(as_text=True)
    rows = re.findall(r'<tr class="bpjs-(\w+)">(.*?)</tr>', html, re.S)
    # The refusal first, with BPJS's own words and a retry button; the sent call after it.
    assert [state for state, _ in rows] == ["refused", "sent"]
    assert first.display in rows[0][1] and f"201: {REFUSAL}" in rows[0][1]
    assert "ditolak BPJS" in rows[0][1] and "Kirim ulang" in rows[0][1]
    assert "Kirim ulang" not in rows[1][1] and "terkirim" in rows[1][1]
    assert CARD not in html  # the page names bookings, not cards

    del fake.refused_cards[CARD]  # the admin fixed the cause at BPJS
    with db.transaction() as s:
        call_id = s.scalars(select(BpjsCall.id).where(BpjsCall.booking_id == first.id)).one()
    token = staff.csrf_token(client, page)
    answer = client.post(f"/console/admin/bpjs-calls/{call_id}/retry", data={"csrf_token": token})
    assert answer.status_code == 302 and answer.headers["Location"].endswith(page)
    calls = delivered(bpjs_app, fake, 2)
    assert [body["nomorkartu"] for _, body in calls] == [OTHER_CARD, CARD]  # once each
    wait_for(db, [("antrean/add", "sent"), ("antrean/add", "sent")])
    assert "Kirim ulang" not in client.get(page).get_data(as_text=True)


def test_a_retry_of_a_call_that_was_not_refused_changes_nothing(
    bpjs_app: Flask, fake: fake_bpjs.FakeBpjs, refused: tuple[Booking, Booking]
) -> None:
    _, second = refused
    db = database(bpjs_app)
    page = BPJS_PAGE.format(facility_id(db, second))
    client = logged_in(bpjs_app, "kepala", Role.FACILITY_ADMIN)
    with db.transaction() as s:
        call_id = s.scalars(select(BpjsCall.id).where(BpjsCall.booking_id == second.id)).one()
    token = staff.csrf_token(client, page)
    client.post(f"/console/admin/bpjs-calls/{call_id}/retry", data={"csrf_token": token})
    assert "tidak ditolak" in client.get(page).get_data(as_text=True)
    assert len(delivered(bpjs_app, fake, 2)) == 1  # the sent one was not sent again


def test_only_the_facilitys_admins_and_admins_see_its_bpjs_page_and_retry(
    bpjs_app: Flask, refused: tuple[Booking, Booking]
) -> None:
    first, _ = refused
    db = database(bpjs_app)
    page = BPJS_PAGE.format(facility_id(db, first))
    assert logged_in(bpjs_app, "root", Role.ADMIN, None).get(page).status_code == 200
    desk = logged_in(bpjs_app, "ani", Role.STAFF)
    assert desk.get(page).status_code == 403
    other = logged_in(bpjs_app, "lain", Role.FACILITY_ADMIN, "2001")
    assert other.get(page).status_code == 403
    with db.transaction() as s:
        call_id = s.scalars(select(BpjsCall.id).where(BpjsCall.booking_id == first.id)).one()
    with db.transaction() as s:
        theirs = s.scalars(select(Facility.id).where(Facility.code == "2001")).one()
    token = staff.csrf_token(other, BPJS_PAGE.format(theirs))
    answer = other.post(f"/console/admin/bpjs-calls/{call_id}/retry", data={"csrf_token": token})
    assert answer.status_code == 403
    assert staff_status(db, call_id) == "refused"


def staff_status(db: Database, call_id: int) -> str:
    with db.transaction() as s:
        return s.get_one(BpjsCall, call_id).status


def test_the_queue_page_shows_a_badge_on_a_booking_bpjs_refused(
    bpjs_app: Flask, refused: tuple[Booking, Booking]
) -> None:
    first, second = refused
    desk = logged_in(bpjs_app, "ani", Role.STAFF)
    html = desk.get("/console/facility/1001").get_data(as_text=True)
    assert f'id="bpjs-refused-{first.id}"' in html
    assert f'id="bpjs-refused-{second.id}"' not in html
    assert "BPJS ditolak" in html
    admin = logged_in(bpjs_app, "kepala", Role.FACILITY_ADMIN)
    html = admin.get("/console/facility/1001").get_data(as_text=True)
    assert re.search(rf'<a class="badge bpjs-refused"[^>]*id="bpjs-refused-{first.id}"', html)
