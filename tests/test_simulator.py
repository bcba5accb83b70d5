"""The phone simulator: on when embedded, off in production, and it shows a phone's SMS."""

from __future__ import annotations

from datetime import datetime

from flask import Flask

from antre import create_app
from plumbing.db import Database
from tests.helpers import session_id, take, today


def test_the_simulator_is_on_in_the_embedded_default_and_home_leads_there(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/").headers["Location"] == "/simulator"
    page = client.get("/simulator")
    assert page.status_code == 200
    assert b"*123#" in page.data and b"/simulator/static/simulator.js" in page.data
    script = client.get("/simulator/static/simulator.js")
    assert script.status_code == 200 and b"fetch(withKey(path)" in script.data
    script.close()


def test_the_simulator_is_off_with_redis_unless_asked_for(database_url: str) -> None:
    production = create_app({"DATABASE_URL": database_url, "REDIS_URL": "redis://127.0.0.1:1/0"})
    assert production.test_client().get("/simulator").status_code == 404
    assert production.test_client().get("/").headers["Location"] == "/healthz"
    asked = create_app(
        {"DATABASE_URL": database_url, "REDIS_URL": "redis://127.0.0.1:1/0", "SIMULATOR": "1"}
    )
    assert asked.test_client().get("/simulator").status_code == 200
    off = create_app({"DATABASE_URL": database_url, "SIMULATOR": "0"})
    assert off.test_client().get("/simulator/inbox?phone=081234567890").status_code == 404


def test_the_inbox_lists_the_phone_sms_newest_first(
    app: Flask, demo: Database, now: datetime
) -> None:
    sid = session_id(demo, day=today(now))
    first = take(demo, sid, "+6281234567890", now)
    take(demo, sid, "+6281234567890", now, name="Siti")
    take(demo, sid, "+6281111111111", now)
    answer = app.test_client().get("/simulator/inbox?phone=0812-3456-7890")
    assert answer.status_code == 200 and answer.json is not None
    bodies = [message["body"] for message in answer.json["messages"]]
    assert len(bodies) == 2 and "Siti" in bodies[0] and first.display in bodies[1]


def test_the_inbox_refuses_a_phone_that_is_not_a_mobile(app: Flask) -> None:
    answer = app.test_client().get("/simulator/inbox?phone=hello")
    assert answer.status_code == 400 and answer.json == {"error": "phone: not a mobile number"}
