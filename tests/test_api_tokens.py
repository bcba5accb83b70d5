"""API tokens: issued once, kept only as a hash, never logged; no token 401, revoked 401,
another facility's token 403; district and facility tokens on /api/figures."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from datetime import datetime

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text

from antre.cli import cli
from antre.schema import metadata
from api.models import ApiToken
from booking.models import Event
from plumbing.db import Database
from tests.api_helpers import bearer, issue
from tests.helpers import session_id, today


@pytest.fixture
def client(app: Flask, demo: Database, now: datetime) -> Iterator[FlaskClient]:
    with time_machine.travel(now, tick=False):
        yield app.test_client()


def test_antre_token_add_prints_a_token_once_and_keeps_only_its_hash(
    app: Flask, demo: Database, client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    result = app.test_cli_runner().invoke(
        cli, ["token", "add", "--facility", "1001", "--name", "simrs-cipocok"]
    )
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert token.startswith("antre_") and len(token) > 40
    with demo.transaction() as s:
        row = s.scalars(select(ApiToken).where(ApiToken.name == "simrs-cipocok")).one()
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert row.district is None and not row.revoked and row.last_used_at is None
        # the token itself is in no column of any table
        for table in metadata.sorted_tables:
            for values in s.execute(select(table)).all():
                assert token not in " ".join(str(value) for value in values), table.name

    answer = client.get("/api/facilities/1001/services", headers=bearer(token))
    assert answer.status_code == 200
    client.get("/api/facilities/1001/services", headers=bearer(token + "x"))
    assert token not in caplog.text
    assert token[len("antre_") :] not in caplog.text
    with demo.transaction() as s:
        used = s.scalars(select(ApiToken.last_used_at)).one()
    assert used is not None


def test_a_token_needs_a_known_facility_or_district_and_a_new_name(
    app: Flask, demo: Database
) -> None:
    runner = app.test_cli_runner()
    unknown = runner.invoke(cli, ["token", "add", "--facility", "9999", "--name", "x"])
    assert unknown.exit_code != 0 and "no facility has code '9999'" in unknown.output
    both = runner.invoke(
        cli, ["token", "add", "--facility", "1001", "--district", "Kota Serang", "--name", "x"]
    )
    assert both.exit_code != 0 and "one facility or for one district" in both.output
    nowhere = runner.invoke(cli, ["token", "add", "--district", "Atlantis", "--name", "x"])
    assert nowhere.exit_code != 0 and "no facility is in district" in nowhere.output
    first = runner.invoke(cli, ["token", "add", "--district", "Kota Serang", "--name", "dinkes"])
    assert first.exit_code == 0
    again = runner.invoke(cli, ["token", "add", "--facility", "1001", "--name", "dinkes"])
    assert again.exit_code != 0 and "exists already" in again.output
    listed = runner.invoke(cli, ["token", "list"])
    assert listed.output == "dinkes\tdistrict Kota Serang\tnever\tactive\n"


UNAUTHENTICATED = [
    None,
    "",
    "Bearer",
    "Bearer ",
    "Basic dXNlcjpwYXNz",
    "Bearer not-a-token",
    "Bearer " + "a" * 5000,
]


def test_without_a_valid_token_the_api_answers_401(client: FlaskClient) -> None:
    for authorization in UNAUTHENTICATED:
        headers = {} if authorization is None else {"Authorization": authorization}
        for answer in (
            client.get("/api/facilities/1001/services", headers=headers),
            client.post("/api/bookings", headers=headers, json={"session_id": 1}),
            client.get("/api/figures", headers=headers),
        ):
            assert answer.status_code == 401, (authorization, answer.get_data(as_text=True))
            assert answer.json is not None
            assert answer.json["error"]["code"] == "UNAUTHENTICATED"
            assert answer.json["error"]["message"]
            assert answer.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_is_refused_with_401(
    app: Flask, demo: Database, client: FlaskClient, now: datetime
) -> None:
    token = issue(demo, "simrs", now, facility="1001")
    assert client.get("/api/facilities/1001/services", headers=bearer(token)).status_code == 200
    result = app.test_cli_runner().invoke(cli, ["token", "revoke", "simrs"])
    assert result.exit_code == 0 and "revoked" in result.output
    for answer in (
        client.get("/api/facilities/1001/services", headers=bearer(token)),
        client.get("/api/figures", headers=bearer(token)),
    ):
        assert answer.status_code == 401
        assert answer.json is not None and answer.json["error"]["code"] == "TOKEN_REVOKED"
    assert app.test_cli_runner().invoke(cli, ["token", "revoke", "nobody"]).exit_code != 0


def test_a_token_for_another_facility_is_refused_with_403(
    demo: Database, client: FlaskClient, now: datetime
) -> None:
    theirs = issue(demo, "simrs-walantaka", now, facility="2001")
    mine = issue(demo, "simrs-cipocok", now, facility="1001")
    sid = session_id(demo, day=today(now))
    booked = client.post("/api/bookings", headers=bearer(mine), json={"session_id": sid})
    assert booked.status_code == 422  # no phone and no name: refused, but it was ours to ask
    booked = client.post(
        "/api/bookings",
        headers=bearer(mine),
        json={"session_id": sid, "phone": "+6281234567890"},
    )
    assert booked.status_code == 201 and booked.json is not None
    booking_id = booked.json["id"]
    attempts = [
        client.get("/api/facilities/1001/services", headers=bearer(theirs)),
        client.get("/api/facilities/1001/sessions", headers=bearer(theirs)),
        client.get(f"/api/sessions/{sid}/bookings", headers=bearer(theirs)),
        client.post(f"/api/sessions/{sid}/call-next", headers=bearer(theirs)),
        client.post(
            "/api/bookings", headers=bearer(theirs), json={"session_id": sid, "name": "Ani"}
        ),
        client.get(f"/api/bookings/{booking_id}", headers=bearer(theirs)),
        client.post(f"/api/bookings/{booking_id}/cancel", headers=bearer(theirs)),
        client.post(f"/api/bookings/{booking_id}/served", headers=bearer(theirs)),
        client.post(f"/api/bookings/{booking_id}/no-show", headers=bearer(theirs)),
    ]
    for answer in attempts:
        assert answer.status_code == 403, answer.request.path
        assert answer.json == {
            "error": {"code": "FORBIDDEN", "message": "this token is not for that facility"}
        }
    # nothing changed: still one booking, still waiting
    status = client.get(f"/api/bookings/{booking_id}", headers=bearer(mine)).json
    assert status is not None and status["status"] == "booked"
    with demo.transaction() as s:
        actors = set(s.scalars(select(Event.actor)))
    assert actors == {"simrs-cipocok"}


def test_a_district_token_reads_its_districts_figures_and_no_queue(
    demo: Database, client: FlaskClient, now: datetime
) -> None:
    token = issue(demo, "dinkes-serang", now, district="Kota Serang")
    figures = client.get("/api/figures", headers=bearer(token))
    assert figures.status_code == 200 and figures.json is not None
    assert figures.json["scope"]["district"] == "Kota Serang"
    assert figures.json["scope"]["facility"] is None
    assert figures.json["facilities"] == 2  # Cipocok Jaya and Walantaka
    one = client.get("/api/figures", headers=bearer(token), query_string={"facility": "2001"})
    assert one.status_code == 200 and one.json is not None
    assert one.json["scope"]["facility"] == "2001"
    other = client.get(
        "/api/figures", headers=bearer(token), query_string={"district": "Kabupaten Lebak"}
    )
    assert other.status_code == 403 and other.json is not None
    assert other.json["error"]["code"] == "FORBIDDEN"
    elsewhere = client.get("/api/figures", headers=bearer(token), query_string={"facility": "2201"})
    assert elsewhere.status_code == 403
    queue = client.get("/api/facilities/1001/services", headers=bearer(token))
    assert queue.status_code == 403
    with demo.transaction() as s:
        logged = s.scalars(select(Event).where(Event.kind == "figures_exported")).all()
    assert [(e.actor, e.channel) for e in logged] == [("dinkes-serang", "api")] * 2


def test_a_facility_token_reads_its_own_facilitys_figures_only(
    demo: Database, client: FlaskClient, now: datetime
) -> None:
    token = issue(demo, "simrs-cipocok", now, facility="1001")
    mine = client.get("/api/figures", headers=bearer(token))
    assert mine.status_code == 200 and mine.json is not None
    assert mine.json["scope"] == {
        "district": "Kota Serang",
        "facility": "1001",
        "from": "2026-10-25",
        "to": "2026-11-23",
    }
    neighbour = client.get("/api/figures", headers=bearer(token), query_string={"facility": "2001"})
    assert neighbour.status_code == 403
    for query in ({"from": "23/11/2026"}, {"form": "2026-11-01"}):
        bad = client.get("/api/figures", headers=bearer(token), query_string=query)
        assert bad.status_code == 422 and bad.json is not None
        assert bad.json["error"]["code"] == "INVALID_REQUEST"
    too_long = client.get(
        "/api/figures", headers=bearer(token), query_string={"from": "2020-01-01"}
    )
    assert too_long.status_code == 400 and too_long.json is not None
    assert too_long.json["error"]["message"] == "the period is longer than 366 days"


def test_tokens_are_looked_up_by_hash_not_by_value(demo: Database, now: datetime) -> None:
    token = issue(demo, "simrs", now, facility="1001")
    with demo.transaction() as s:
        stored = s.execute(text("SELECT token_hash FROM api_tokens")).scalar_one()
    assert stored != token and len(stored) == 64 and token not in stored


def test_a_database_that_is_down_answers_503_not_500() -> None:
    from antre import create_app
    from antre import database_of as database

    app = create_app(
        {
            "DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:9/antre",  # nothing listens
            "TESTING": True,
            "SECRET_KEY": "test",
            "REDIS_URL": None,
        }
    )
    answer = app.test_client().get(
        "/api/facilities/1001/services", headers=bearer("antre_whatever")
    )
    database(app).dispose()
    assert answer.status_code == 503 and answer.json is not None
    assert answer.json["error"]["code"] == "UNAVAILABLE"
