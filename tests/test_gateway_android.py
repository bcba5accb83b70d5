"""SMS Gateway for Android: the real `android-sms-gateway` client against a local phone that
answers and signs its webhooks as the app documents (tests/fake_android.py)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine
from flask import Flask
from sqlalchemy import select

from antre import database_of as database
from antre import jobs
from antre.cli import cli
from antre.demo import seed
from booking.models import Booking, FacilityNumber, Outbox, OutboxStatus
from gateways.android import AndroidGateway
from gateways.contract import Outcome
from sms.models import InboundSms
from tests.fake_android import FakeAndroidPhone, gson, sign
from tests.gateway_app import count, replies, serving, wait_for
from tests.test_sending import make_app

PHONE = "+6281234567890"
KEY = "callback-key-for-tests"


@pytest.fixture
def phone() -> Iterator[FakeAndroidPhone]:
    with FakeAndroidPhone(hang_seconds=3.0) as fake:
        yield fake


def android_settings(phone: FakeAndroidPhone, **more: Any) -> dict[str, Any]:
    return {
        "SMS_GATEWAY": "android",
        "ANDROID_URL": phone.url,
        "ANDROID_USERNAME": phone.username,
        "ANDROID_PASSWORD": phone.password,
        "ANDROID_SIGNING_KEY": phone.signing_key,
        "ANDROID_TIMEOUT_SECONDS": 0.5,
        "SMS_RETRY_INTERVALS": "0,0,0",
        "CALLBACK_KEY": KEY,
        **more,
    }


@pytest.fixture
def android_app(
    database_url: str, tmp_path: Path, phone: FakeAndroidPhone, now: datetime
) -> Iterator[Flask]:
    with time_machine.travel(now, tick=True):
        app = make_app(database_url, tmp_path, **android_settings(phone))
        database(app).run(lambda s: seed(s, now))
        yield app
        jobs.runner(app).stop()
        database(app).dispose()


# --- the whole way: an SMS in, a booking, the reply out, its delivery report -----------------


def test_the_facility_phone_books_antre_umum_besok_in_one_message_and_the_reply_is_delivered(
    android_app: Flask, phone: FakeAndroidPhone
) -> None:
    with serving(android_app):
        register = android_app.test_cli_runner().invoke(
            cli, ["android", "register", "--facility", "1001"]
        )
        assert register.exit_code == 0, register.output
        assert KEY not in register.output, register.output  # the callback key is a secret
        assert sorted(w.event for w in phone.webhooks.values()) == [
            "sms:delivered",
            "sms:failed",
            "sms:received",
            "sms:sent",
        ]

        [delivery] = phone.text_in(PHONE, "ANTRE UMUM BESOK")  # no facility code
        assert delivery.response.status_code == 200
        assert jobs.runner(android_app).drain()
        [reply] = replies(android_app)
        assert reply.status is OutboxStatus.SENT and reply.gateway == "android"
        [message] = phone.messages.values()
        assert (message.id, message.phone_numbers, message.text) == (
            reply.gateway_id,
            [PHONE],
            reply.body,
        )
        assert message.ttl and message.with_delivery_report

        phone.report(message.id, "sms:sent")
        phone.report(message.id, "sms:delivered")
    with database(android_app).transaction() as s:
        booking = s.scalars(select(Booking)).one()
        assert booking.session.service.facility.code == "1001"
        assert booking.session.service.code == "UMUM"
        assert booking.display in reply.body and booking.booked_by == PHONE
        assert s.get_one(Outbox, reply.id).status is OutboxStatus.DELIVERED


def test_a_webhook_the_phone_delivers_twice_books_once_and_is_answered_once(
    android_app: Flask, phone: FakeAndroidPhone
) -> None:
    with serving(android_app) as url:
        phone.add_webhook(f"{url}/sms/android/events?key={KEY}", "sms:received")
        [first] = phone.text_in(PHONE, "ANTRE GIGI BESOK 1001")
        again = phone.redeliver(first)  # the app's retry: same event id, fresh signature
        assert (first.response.status_code, again.response.status_code) == (200, 200)
        assert jobs.runner(android_app).drain()
    assert count(android_app, Booking) == 1 and count(android_app, InboundSms) == 1
    assert len(replies(android_app)) == 1 and len(phone.posts) == 1


def test_a_failed_report_fails_the_row_with_the_phones_reason(
    android_app: Flask, phone: FakeAndroidPhone
) -> None:
    with serving(android_app) as url:
        for event in ("sms:received", "sms:failed"):
            phone.add_webhook(f"{url}/sms/android/events?key={KEY}", event)
        phone.text_in(PHONE, "ANTRE GIGI BESOK 1001")
        assert jobs.runner(android_app).drain()
        [message] = phone.messages.values()
        [failed] = phone.report(message.id, "sms:failed", reason="RESULT_ERROR_NO_SERVICE")
        assert failed.response.status_code == 200
    [reply] = replies(android_app)
    assert reply.status is OutboxStatus.FAILED
    assert reply.error == "delivery: RESULT_ERROR_NO_SERVICE"


def test_registering_twice_leaves_one_webhook_per_event_and_ties_the_phone_once(
    android_app: Flask, phone: FakeAndroidPhone
) -> None:
    phone.add_webhook("https://elsewhere.example/hook", "sms:received", id="someone-else")
    phone.add_webhook("https://old.example/antre", "sms:data-received", id="antre-old-event")
    with serving(android_app):
        for _ in range(2):
            result = android_app.test_cli_runner().invoke(
                cli, ["android", "register", "--facility", "1001"]
            )
            assert result.exit_code == 0, result.output
    ours = [w for w in phone.webhooks.values() if w.id.startswith("antre-")]
    assert len(ours) == 4 and len({w.event for w in ours}) == 4
    assert all(w.url.endswith(f"/sms/android/events?key={KEY}") for w in ours)
    assert "someone-else" in phone.webhooks  # not ours: left alone
    assert count(android_app, FacilityNumber) == 1


# --- webhooks: the case table, hostile ones included -----------------------------------------


def envelope(event: str = "sms:received", **payload: Any) -> dict[str, Any]:
    body = {"message": "ANTRE GIGI BESOK 1001", "sender": PHONE, "phoneNumber": PHONE}
    if event != "sms:received":
        body = {"messageId": "antre-1-0", "phoneNumber": PHONE}
    return {
        "id": "Q0x1aA-event-id",
        "webhookId": "antre-sms-received",
        "event": event,
        "deviceId": "0" * 32,
        "payload": body | payload,
    }


def post(
    app: Flask,
    key: str,
    *,
    body: bytes | None = None,
    stamp: int | None = None,
    signature: str | None = None,
    headers: bool = True,
) -> int:
    raw = gson(envelope()) if body is None else body
    at = str(int(time.time()) if stamp is None else stamp)
    sent = {"Content-Type": "application/json; charset=UTF-8"}
    if headers:
        sent |= {"X-Timestamp": at, "X-Signature": signature or sign(key, raw, at)}
    answer = app.test_client().post(f"/sms/android/events?key={KEY}", data=raw, headers=sent)
    return answer.status_code


# label, how the request is made (given the phone's key), its status, whether it books
WEBHOOK_CASES: list[tuple[str, dict[str, Any], int, bool]] = [
    ("signed as the app signs it: booked", {}, 200, True),
    ("a forged signature: refused", {"signature": "0" * 64}, 401, False),
    ("signed with another key: refused", {"other_key": True}, 401, False),
    ("no signature at all: refused", {"headers": False}, 401, False),
    ("a stale timestamp (a replay): refused", {"stamp": -301}, 401, False),
    ("a timestamp from the future: refused", {"stamp": 301}, 401, False),
    ("not JSON: refused", {"body": b"from=+6281234567890&text=hi"}, 400, False),
    (
        "invalid UTF-8: refused",
        {"body": b'{"id": "\xff\xfe", "event": "sms:received"}'},
        400,
        False,
    ),
    ("no payload: refused", {"body": gson({"id": "x", "event": "sms:received"})}, 400, False),
    (
        "no sender: refused",
        {"body": gson({**envelope(), "payload": {"message": "hi"}})},
        400,
        False,
    ),
    (
        "an event we do not use: answered, nothing booked",
        {"body": gson(envelope("system:ping"))},
        200,
        False,
    ),
    (
        "a 10 kB message: cut, answered",
        {"body": gson(envelope(message="ANTRE GIGI BESOK 1001 " + "x" * 10_000))},
        200,
        True,
    ),
    ("a 20 kB body: too large", {"body": gson(envelope(message="y" * 20_000))}, 413, False),
]


@pytest.mark.parametrize(
    ("made", "status", "books"),
    [case[1:] for case in WEBHOOK_CASES],
    ids=[case[0] for case in WEBHOOK_CASES],
)
def test_each_webhook_is_checked_before_anything_is_booked(
    android_app: Flask, phone: FakeAndroidPhone, made: dict[str, Any], status: int, books: bool
) -> None:
    made = dict(made)
    key = "not-the-phones-key" if made.pop("other_key", False) else phone.signing_key
    if "stamp" in made:
        made["stamp"] = int(time.time()) + made["stamp"]
    assert post(android_app, key, **made) == status
    assert count(android_app, Booking) == (1 if books else 0)


def test_webhooks_are_refused_while_no_signing_key_is_set(
    database_url: str, tmp_path: Path, phone: FakeAndroidPhone
) -> None:
    app = make_app(database_url, tmp_path, CALLBACK_KEY=KEY)  # the console gateway
    try:
        assert post(app, phone.signing_key) == 403
        assert count(app, InboundSms) == 0
    finally:
        database(app).dispose()


def test_the_signature_covers_the_bytes_as_sent_not_a_reparsed_copy(
    android_app: Flask, phone: FakeAndroidPhone
) -> None:
    # Gson escapes "=" and "<" as \u003d and \u003c: the same JSON, other bytes.
    raw = gson(envelope(message="ANTRE GIGI BESOK 1001 a=b <c>"))
    assert b"\\u003d" in raw and json.loads(raw)["payload"]["message"].endswith("a=b <c>")
    assert post(android_app, phone.signing_key, body=raw) == 200
    at = str(int(time.time()))
    reparsed = json.dumps(json.loads(raw)).encode()
    signature = sign(phone.signing_key, reparsed, at)
    answer = android_app.test_client().post(
        f"/sms/android/events?key={KEY}",
        data=raw,
        headers={"X-Timestamp": at, "X-Signature": signature},
    )
    assert answer.status_code == 401


# --- sending: each answer of the phone becomes one outcome -----------------------------------


@pytest.fixture
def gateway(phone: FakeAndroidPhone) -> AndroidGateway:
    return AndroidGateway(phone.url, phone.username, phone.password, timeout=0.5, ttl_seconds=3600)


# label, how the phone answers, our outcome, whether the phone holds the message afterwards
SEND_CASES = [
    ("202 Pending: the phone has it", "ok", Outcome.SENT, True),
    ("401 (password changed): tried again", "unauthorized", Outcome.RETRY, False),
    ("500: tried again", "down", Outcome.RETRY, False),
    ("503: tried again", "unavailable", Outcome.RETRY, False),
    ("no answer in time: tried again", "hang", Outcome.RETRY, False),
    ("answer lost after taking it: tried again", "lose_answer", Outcome.RETRY, True),
]


@pytest.mark.parametrize(
    ("mode", "outcome", "held"),
    [case[1:] for case in SEND_CASES],
    ids=[case[0] for case in SEND_CASES],
)
def test_each_phone_answer_becomes_one_outcome(
    phone: FakeAndroidPhone, gateway: AndroidGateway, mode: Any, outcome: Outcome, held: bool
) -> None:
    if mode == "unauthorized":
        phone.mode = mode  # every request, as after the password was changed in the app
    else:
        phone.answer_sends(mode)
    started = time.monotonic()
    result = gateway.send(PHONE, "Nomor antrean Anda A-012", message_id="antre-7-1")
    assert time.monotonic() - started < 3  # never longer than the timeout, and a little
    assert result.outcome is outcome, result
    assert ("antre-7-1" in phone.messages) is held
    if outcome is Outcome.SENT:
        assert result.gateway_id == "antre-7-1"


def test_a_retry_after_a_lost_answer_is_refused_by_the_phone_and_sent_once(
    phone: FakeAndroidPhone, gateway: AndroidGateway
) -> None:
    phone.answer_sends("lose_answer")
    first = gateway.send(PHONE, "Nomor antrean Anda A-012", message_id="antre-8-1")
    second = gateway.send(PHONE, "Nomor antrean Anda A-012", message_id="antre-8-1")
    assert (first.outcome, second.outcome) == (Outcome.RETRY, Outcome.SENT)
    assert second.status.startswith("409") and second.gateway_id == "antre-8-1"
    assert len(phone.posts) == 2 and list(phone.messages) == ["antre-8-1"]


def test_a_phone_that_is_off_is_tried_again(
    phone: FakeAndroidPhone, gateway: AndroidGateway
) -> None:
    phone.stop()
    result = gateway.send(PHONE, "Nomor antrean Anda A-012", message_id="antre-9-1")
    assert result.outcome is Outcome.RETRY and "connection failed" in result.status


def test_the_outbox_waits_while_the_phone_is_off_and_sends_each_sms_once_when_it_is_back(
    android_app: Flask, phone: FakeAndroidPhone
) -> None:
    android_app.config["SMS_RETRY_INTERVALS"] = "0,1,1,1,1,1,1,1,1,1"
    with serving(android_app) as url:
        phone.add_webhook(f"{url}/sms/android/events?key={KEY}", "sms:received")
        phone.stop()  # its server: the app on it still posts what it receives
        [delivery] = phone.text_in(PHONE, "ANTRE GIGI BESOK 1001")
        assert delivery.response.status_code == 200
        wait_for(lambda: replies(android_app)[0].attempts >= 2, what="two failed attempts")
        phone.start()
        sent = wait_for(
            lambda: [r for r in replies(android_app) if r.status is OutboxStatus.SENT],
            what="the reply sent once the phone is back",
        )
    assert len(sent) == 1 and list(phone.messages) == [sent[0].gateway_id]
    assert len(phone.posts) == 1
