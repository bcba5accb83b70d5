"""The figures page, its CSV export and /api/figures: who may see what, and what they get."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from booking.models import Event
from console.models import Role
from figures.access import Allowed, Place, decide
from plumbing.db import Database
from tests import staff
from tests import test_figures_history as history

PERIOD = {"from": "2026-11-20", "to": "2026-11-22"}

LogIn = Callable[[Role, str | None, str | None], FlaskClient]


@pytest.fixture
def log_in(app: Flask, db: Database) -> LogIn:
    """A client logged in, through the console's login form, as a new staff account."""
    history.build(db)
    count = 0

    def make(role: Role, district: str | None, facility: str | None) -> FlaskClient:
        nonlocal count
        count += 1
        username = f"{role.value}-{count}"
        staff.add_user(db, username, role, facility=facility, district=district)
        return staff.log_in(app.test_client(), username)

    return make


def test_a_district_viewer_sees_their_districts_figures(log_in: LogIn) -> None:
    client = log_in(Role.DISTRICT_VIEWER, "Kota Uji", None)
    page = client.get("/console/figures", query_string=PERIOD)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Angka: Kota Uji" in html
    assert "<svg" in html and "Corong USSD" in html
    assert "Puskesmas 9001" in html and "Puskesmas 9101" not in html
    assert "+62811" not in html and "Siti" not in html
    # every table has its CSV link, for the same period
    assert html.count("/console/figures.csv?") >= 10
    assert "from=2026-11-20" in html


def test_changing_the_period_changes_the_figures(log_in: LogIn) -> None:
    client = log_in(Role.DISTRICT_VIEWER, "Kota Uji", None)
    one_day = client.get(
        "/console/figures", query_string={"from": "2026-11-22", "to": "2026-11-22"}
    )
    html = one_day.get_data(as_text=True)
    assert 'name="from" value="2026-11-22"' in html
    per_day = html.split('id="bookings_by_day"')[1].split("<h2")[0]
    assert ">2026-11-22</td>" in per_day and "2026-11-20" not in per_day
    assert ">2026-11-20</td>" in client.get("/console/figures", query_string=PERIOD).get_data(
        as_text=True
    )


def test_a_district_viewer_cannot_see_another_district(log_in: LogIn) -> None:
    client = log_in(Role.DISTRICT_VIEWER, "Kota Uji", None)
    other = {**PERIOD, "district": "Kabupaten Lain"}
    assert client.get("/console/figures", query_string=other).status_code == 403
    assert client.get("/console/figures.csv", query_string=other).status_code == 403
    assert client.get("/api/figures", query_string=other).status_code == 403
    their_facility = {**PERIOD, "facility": "9101"}
    assert client.get("/console/figures", query_string=their_facility).status_code == 403


def test_facility_staff_see_only_their_own_facility(log_in: LogIn) -> None:
    client = log_in(Role.STAFF, None, "9101")
    other = {**PERIOD, "district": "Kota Uji"}
    assert client.get("/console/figures", query_string=other).status_code == 403
    assert (
        client.get("/api/figures", query_string={**PERIOD, "facility": "9001"}).status_code == 403
    )
    stale = {**PERIOD, "district": "Kota Uji", "facility": "9101"}
    assert client.get("/api/figures", query_string=stale).status_code == 403
    mine = client.get("/api/figures", query_string=PERIOD).get_json()
    assert mine["scope"] == {**PERIOD, "district": "Kabupaten Lain", "facility": "9101"}
    assert mine["tables"]["bookings_by_channel"]["rows"][0] == {"channel": "USSD", "bookings": 5}


def test_an_admin_may_see_every_district(log_in: LogIn) -> None:
    client = log_in(Role.ADMIN, None, None)
    everything = client.get("/api/figures", query_string=PERIOD).get_json()
    assert everything["facilities"] == 3
    assert everything["tables"]["bookings_by_channel"]["rows"][-1] == {
        "channel": "all",
        "bookings": 26,
    }
    page = client.get("/console/figures", query_string={**PERIOD, "district": "Kabupaten Lain"})
    assert page.status_code == 200 and "Puskesmas 9101" in page.get_data(as_text=True)
    # a district chosen while a facility of another district was still selected
    changed = {**PERIOD, "district": "Kabupaten Lain", "facility": "9001"}
    assert client.get("/api/figures", query_string=changed).get_json()["scope"] == {
        **PERIOD,
        "district": "Kabupaten Lain",
        "facility": None,
    }


def test_nobody_logged_in_gets_no_figures(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/console/figures").status_code in (302, 401)
    assert client.get("/console/figures.csv").status_code == 401
    assert client.get("/api/figures").status_code == 401


def test_the_csv_download_hides_small_counts_and_is_logged(log_in: LogIn, db: Database) -> None:
    client = log_in(Role.DISTRICT_VIEWER, "Kota Uji", None)
    response = client.get(
        "/console/figures.csv", query_string={**PERIOD, "table": "bookings_by_channel"}
    )
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert (
        "antre-kota-uji-2026-11-20-2026-11-22-bookings_by_channel.csv"
        in (response.headers["Content-Disposition"])
    )
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[3:5] == [["datang langsung", "<5"], ["API", "<5"]]
    every = client.get("/console/figures.csv", query_string=PERIOD).get_data(as_text=True)
    assert "Tempat sesi USSD yang tak selesai berhenti" in every
    with db.transaction() as s:
        logged = s.scalars(select(Event).where(Event.kind == "figures_exported")).all()
        assert [(e.actor, e.channel, e.detail["format"]) for e in logged] == [  # type: ignore[index]
            ("district_viewer-1", "staff", "csv:bookings_by_channel"),
            ("district_viewer-1", "staff", "csv:all"),
        ]


def test_the_json_endpoint_matches_the_page_and_is_logged(log_in: LogIn, db: Database) -> None:
    client = log_in(Role.DISTRICT_VIEWER, "Kota Uji", None)
    body = client.get("/api/figures", query_string=PERIOD).get_json()
    assert body["scope"] == {**PERIOD, "district": "Kota Uji", "facility": None}
    assert body["tables"]["ussd_funnel"]["rows"][0] == {"step": "dialled", "sessions": 8}
    assert body["tables"]["cancellations"]["rows"][-1] == {
        "measure": "median minutes from booking to being called",
        "value": 22.5,
    }
    with db.transaction() as s:
        assert s.scalar(select(Event.detail).where(Event.kind == "figures_exported")) == {
            **PERIOD,
            "district": "Kota Uji",
            "facility": None,
            "format": "json",
        }


@pytest.mark.parametrize(
    "query",
    [
        {"from": "yesterday"},
        {"to": "2026-13-45"},
        {"from": "2026-11-22", "to": "2026-11-20"},
        {"from": "2020-01-01", "to": "2026-11-20"},
        {"district": "x" * 500},
        {"district": "Kota\x00Uji"},
        {"from": "0001-01-01"},
        {"to": "9999-12-31"},
        {**PERIOD, "table": "no_such_table"},
    ],
)
def test_bad_requests_get_a_clear_answer_not_a_500(log_in: LogIn, query: dict[str, str]) -> None:
    client = log_in(Role.ADMIN, None, None)
    for url in ("/console/figures", "/console/figures.csv", "/api/figures"):
        response = client.get(url, query_string=query)
        if "table" in query and url != "/console/figures.csv":
            assert response.status_code == 200
            continue
        assert response.status_code == 400, (url, query)
    json_error = client.get("/api/figures", query_string={"from": "nope"}).get_json()
    assert "date" in json_error["error"]["message"]  # the API's error shape


class _Row:
    def __init__(self, role: str, district: str | None = None, active: bool = True) -> None:
        self.role, self.district, self.active = role, district, active
        self.facility_id: int | None = None


UJI = Place("9001", "Kota Uji")


@pytest.mark.parametrize(
    ("account", "own", "asked", "expected"),
    [
        (_Row("admin"), None, (None, None, None), Allowed(None, None)),
        (_Row("admin"), None, ("Kota Uji", None, None), Allowed("Kota Uji", None)),
        (_Row("admin"), None, (None, "9001", "Kota Uji"), Allowed("Kota Uji", "9001")),
        (_Row("admin"), None, ("Lain", "9001", "Kota Uji"), None),
        (_Row("district_viewer", "Kota Uji"), None, (None, None, None), Allowed("Kota Uji", None)),
        (_Row("district_viewer", "Kota Uji"), None, ("Lain", None, None), None),
        (
            _Row("district_viewer", "Kota Uji"),
            None,
            (None, "9002", "Kota Uji"),
            Allowed("Kota Uji", "9002"),
        ),
        (_Row("district_viewer", "Kota Uji"), None, (None, "9101", "Lain"), None),
        (_Row("district_viewer", None), None, (None, None, None), None),
        (_Row("district_viewer", "Kota Uji", active=False), None, (None, None, None), None),
        (_Row("staff"), UJI, (None, None, None), Allowed("Kota Uji", "9001")),
        (_Row("facility_admin"), UJI, ("Kota Uji", None, None), Allowed("Kota Uji", "9001")),
        (_Row("staff"), UJI, ("Lain", None, None), None),
        (_Row("staff"), UJI, (None, "9002", "Kota Uji"), None),
        (_Row("staff"), None, (None, None, None), None),
        (_Row("somebody"), UJI, (None, None, None), None),
    ],
)
def test_who_may_see_which_figures(
    account: _Row, own: Place | None, asked: tuple[Any, Any, Any], expected: Allowed | None
) -> None:
    district, facility, facility_district = asked
    assert decide(account, own, district, facility, facility_district) == expected
