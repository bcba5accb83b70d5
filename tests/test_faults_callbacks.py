"""Gateway callbacks while the database is away: an answer that makes the gateway call again
(503 with Retry-After), never a 500 with a traceback, and nothing half-kept."""

from __future__ import annotations

import time

import pytest
from flask import Flask

from antre import create_app
from tests.fake_android import gson, sign

DOWN = "postgresql://postgres@127.0.0.1:1/none"  # nothing listens there: refused at once
KEY = "callback-key-for-tests"
SIGNING_KEY = "sign-key"


@pytest.fixture
def app_without_database() -> Flask:
    return create_app(
        {
            "DATABASE_URL": DOWN,
            "TESTING": True,
            "SECRET_KEY": "test",
            "CALLBACK_KEY": KEY,
            "ANDROID_SIGNING_KEY": SIGNING_KEY,
        }
    )


def android_event() -> tuple[bytes, dict[str, str]]:
    body = gson(
        {
            "id": "event-1",
            "event": "sms:received",
            "payload": {"message": "ANTRE GIGI BESOK", "sender": "+6281234567890"},
        }
    )
    stamp = str(int(time.time()))
    return body, {"X-Timestamp": stamp, "X-Signature": sign(SIGNING_KEY, body, stamp)}


@pytest.mark.parametrize(
    "gateway", ["africastalking inbound", "africastalking report", "android", "kannel inbound"]
)
def test_a_callback_while_the_database_is_down_asks_the_gateway_to_call_again(
    app_without_database: Flask, gateway: str
) -> None:
    client = app_without_database.test_client()
    if gateway == "africastalking inbound":
        form = {"from": "+6281234567890", "to": "21345", "text": "ANTRE", "id": "ATXid_1"}
        answer = client.post(f"/sms/incoming?key={KEY}", data=form)
    elif gateway == "africastalking report":
        answer = client.post(
            f"/sms/delivery?key={KEY}", data={"id": "ATXid_1", "status": "Success"}
        )
    elif gateway == "android":
        body, headers = android_event()
        answer = client.post(f"/sms/android/events?key={KEY}", data=body, headers=headers)
    else:
        query = {"key": KEY, "id": "k-1", "sender": "+6281234567890", "to": "1234", "message": "x"}
        answer = client.get("/sms/kannel/incoming", query_string=query)
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "30"
    assert answer.get_data(as_text=True) == "try again later\n"  # no traceback, no SQL
