"""The rooms and counters of a facility: an admin lists them, a desk picks one of them only."""

from __future__ import annotations

import html
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from booking import limits
from booking.models import Event, Facility
from console.models import Role
from plumbing.db import Database
from tests import staff
from tests.helpers import session_id, take, today

FORM = {
    "code": "1001",
    "name": "Puskesmas Cipocok Jaya",
    "district": "Kota Serang",
    "subdistrict": "Cipocok Jaya",
    "timezone": "Asia/Jakarta",
    "active": "y",
}


@pytest.fixture
def users(demo: Database, clock: object) -> Database:
    # The demo's today is the test's `now`: the queue page shows that day, with its buttons.
    staff.add_user(demo, "root", Role.ADMIN, language="en")
    staff.add_user(demo, "nurse", Role.STAFF, facility="1001", language="en")
    staff.add_user(demo, "nurse2001", Role.STAFF, facility="2001", language="en")
    return demo


def client_of(app: Flask, username: str) -> FlaskClient:
    return staff.log_in(app.test_client(), username)


def post(client: FlaskClient, path: str, data: dict[str, Any]) -> Any:
    token = staff.csrf_token(client, "/console/login")
    return client.post(path, data={**data, "csrf_token": token})


def rooms_of(db: Database, code: str) -> list[str]:
    with db.transaction() as s:
        return s.scalars(select(Facility).where(Facility.code == code)).one().room_names


def test_an_admin_lists_the_rooms_tidied_and_each_once(app: Flask, users: Database) -> None:
    with users.transaction() as s:
        facility_id = s.scalar(select(Facility.id).where(Facility.code == "1001"))
    path = f"/console/admin/facilities/{facility_id}/edit"
    root = client_of(app, "root")
    assert "Ruang Periksa 2" in html.unescape(root.get(path).get_data(as_text=True))
    typed = "Loket  1\r\n\r\nloket 1\r\n Ruang Periksa 2 \r\nRuang Gigi"
    assert post(root, path, {**FORM, "rooms": typed}).status_code == 302
    assert rooms_of(users, "1001") == ["Loket 1", "Ruang Periksa 2", "Ruang Gigi"]

    too_long = "R" * (limits.MAX_ROOM_NAME + 1)
    answer = post(root, path, {**FORM, "rooms": f"Loket 1\n{too_long}"})
    assert answer.status_code == 400
    assert f"At most {limits.MAX_ROOM_NAME} characters" in answer.get_data(as_text=True)
    assert rooms_of(users, "1001") == ["Loket 1", "Ruang Periksa 2", "Ruang Gigi"]


def test_a_desk_calls_only_to_a_room_of_its_facility(app: Flask, users: Database, now: Any) -> None:
    sid = session_id(users, service="GIGI", day=today(now))
    take(users, sid, "+6281234567801", now)
    nurse = client_of(app, "nurse")
    # Not a room of 1001's: refused, and nothing remembered.
    answer = post(nurse, "/console/facility/1001/room", {"room": "Ruang Operasi"})
    assert answer.status_code == 303 and "antre_room_1001" not in answer.headers.get(
        "Set-Cookie", ""
    )
    # A cookie made up by hand is not followed either.
    nurse.set_cookie("antre_room_1001", "Ruang Operasi")
    page = nurse.get("/console/facility/1001").get_data(as_text=True)
    assert f'id="call-next-{sid}">Call next<' in page
    # Another facility's desk cannot choose 1001's rooms.
    other = client_of(app, "nurse2001")
    assert post(other, "/console/facility/1001/room", {"room": "Loket 1"}).status_code == 403

    assert post(nurse, "/console/facility/1001/room", {"room": "Loket 2"}).status_code == 303
    assert "Call next to Loket 2" in nurse.get("/console/facility/1001").get_data(as_text=True)
    assert post(nurse, f"/console/sessions/{sid}/call-next", {}).status_code == 303
    with users.transaction() as s:
        call = s.scalars(select(Event).where(Event.kind == "called")).one()
        assert call.detail == {"room": "Loket 2"}
