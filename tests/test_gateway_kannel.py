"""Kannel: a real bearerbox, smsbox and fakesmsc from Debian's packages (tests/kannel.py),
an SMS in through it, the booking, the reply out through sendsms, its delivery report back."""

from __future__ import annotations

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
from antre.demo import seed
from booking import facility_numbers
from booking.facilities import facility_by_code
from booking.models import Booking, Facility, Outbox, OutboxStatus
from gateways.contract import Outcome
from gateways.kannel import KannelGateway
from sms.models import InboundSms
from tests.conftest import service_missing
from tests.gateway_app import count, replies, serving, wait_for
from tests.kannel import Kannel, kannel_available, running_kannel
from tests.test_sending import make_app

PHONE = "+6281234567890"
FACILITY_NUMBER = "1234"  # the facility's short code at the aggregator
KEY = "callback-key-for-tests"


@pytest.fixture(scope="module")
def kannel_installed() -> None:
    missing = kannel_available()
    if missing is not None:
        service_missing("Kannel", RuntimeError(missing))


@pytest.fixture
def kannel_app(
    kannel_installed: None, database_url: str, tmp_path: Path, now: datetime
) -> Iterator[Flask]:
    with time_machine.travel(now, tick=True):
        app = make_app(
            database_url,
            tmp_path,
            SMS_GATEWAY="kannel",
            KANNEL_SENDSMS_URL="http://127.0.0.1:9/cgi-bin/sendsms",  # set once Kannel runs
            KANNEL_USERNAME="antre",
            KANNEL_PASSWORD="-",
            KANNEL_TIMEOUT_SECONDS=2.0,
            SMS_RETRY_INTERVALS="0,1,1,1,1",
            CALLBACK_KEY=KEY,
        )

        def prepare(s: Any) -> None:
            seed(s, now)
            facility = facility_by_code(s, "1001")
            facility_numbers.add(s, FACILITY_NUMBER, facility, gateway="kannel")

        database(app).run(prepare)
        yield app
        jobs.runner(app).stop()
        database(app).dispose()


@pytest.fixture
def kannel(kannel_app: Flask, tmp_path: Path) -> Iterator[Kannel]:
    with serving(kannel_app) as url:
        incoming = f"{url}/sms/kannel/incoming?key={KEY}"
        with running_kannel(incoming, tmp_path / "kannel") as running:
            kannel_app.config["KANNEL_SENDSMS_URL"] = running.sendsms_url
            kannel_app.config["KANNEL_PASSWORD"] = running.password
            yield running


def test_an_sms_to_the_facility_number_books_without_a_code_and_the_reply_is_delivered(
    kannel_app: Flask, kannel: Kannel
) -> None:
    kannel.send_mo(PHONE, FACILITY_NUMBER, "ANTRE UMUM BESOK")
    [reply] = wait_for(lambda: replies(kannel_app), what="the reply in the outbox")
    [mt] = kannel.wait_for_mt()
    assert (mt.receiver, mt.sender, mt.text) == (PHONE, FACILITY_NUMBER, reply.body)
    delivered = wait_for(
        lambda: replies(kannel_app)[0].status is OutboxStatus.DELIVERED, what="the report"
    )
    assert delivered
    with database(kannel_app).transaction() as s:
        booking = s.scalars(select(Booking)).one()
        assert booking.session.service.code == "UMUM" and booking.booked_by == PHONE
        assert booking.session.service.facility.code == "1001"
        row = s.get_one(Outbox, reply.id)
        assert row.gateway == "kannel" and row.gateway_id and row.gateway_id.startswith("antre-")
        assert booking.display in row.body


def test_the_same_inbound_twice_books_once_and_is_answered_once(
    kannel_app: Flask, kannel: Kannel
) -> None:
    fields = {"id": "5ac704a2-3bb3-4806-b55b-2929edd53a74", "ts": "1790000000",
              "sender": PHONE, "to": FACILITY_NUMBER, "message": "ANTRE GIGI BESOK"}  # fmt: skip
    client = kannel_app.test_client()
    for _ in range(2):  # smsbox's http-request-retry calls again with the same %I
        answer = client.get("/sms/kannel/incoming", query_string={"key": KEY, **fields})
        assert (answer.status_code, answer.get_data()) == (200, b"")
    kannel.wait_for_mt()
    assert count(kannel_app, Booking) == 1 and count(kannel_app, InboundSms) == 1
    assert len(replies(kannel_app)) == 1
    with pytest.raises(TimeoutError):
        kannel.wait_for_mt(count=1, timeout=1.0)  # no second reply


def test_while_the_operator_link_is_down_kannel_keeps_the_reply_and_sends_it_once(
    kannel_app: Flask, kannel: Kannel
) -> None:
    kannel.disconnect_smsc()  # the SMS had come in before the link went down
    fields = {"key": KEY, "id": "k-2", "sender": PHONE, "to": FACILITY_NUMBER,
              "message": "ANTRE GIGI BESOK"}  # fmt: skip
    assert (
        kannel_app.test_client().get("/sms/kannel/incoming", query_string=fields).status_code == 200
    )
    [reply] = wait_for(
        lambda: [r for r in replies(kannel_app) if r.status is OutboxStatus.SENT],
        what="the reply taken by Kannel",
    )
    assert reply.error is None
    kannel.connect_smsc()
    [mt] = kannel.wait_for_mt()
    assert mt.text == reply.body
    with pytest.raises(TimeoutError):
        kannel.wait_for_mt(count=1, timeout=1.0)


def test_kannel_down_leaves_the_reply_waiting_then_it_goes_once_kannel_is_back(
    kannel_installed: None, kannel_app: Flask, tmp_path: Path
) -> None:
    with serving(kannel_app) as url:
        incoming = f"{url}/sms/kannel/incoming?key={KEY}"
        # Kannel is not there yet: the sendsms address refuses connections.
        kannel_app.config["SMS_RETRY_INTERVALS"] = "0,1,1,1,1,1,1,1,1,1,1,1"
        kannel_app.test_client().get(
            "/sms/kannel/incoming",
            query_string={
                "key": KEY,
                "id": "k-1",
                "ts": "1",
                "sender": PHONE,
                "to": FACILITY_NUMBER,
                "message": "ANTRE GIGI BESOK",
            },
        )
        wait_for(lambda: replies(kannel_app)[0].attempts >= 2, what="two failed attempts")
        assert replies(kannel_app)[0].status is OutboxStatus.QUEUED
        with running_kannel(incoming, tmp_path / "kannel") as running:
            kannel_app.config["KANNEL_SENDSMS_URL"] = running.sendsms_url
            kannel_app.config["KANNEL_PASSWORD"] = running.password
            kannel_app.extensions.pop("antre.gateways")  # built for the old address
            [mt] = running.wait_for_mt(timeout=20)
            assert mt.receiver == PHONE
            with pytest.raises(TimeoutError):
                running.wait_for_mt(count=1, timeout=1.0)
    assert replies(kannel_app)[0].status in (OutboxStatus.SENT, OutboxStatus.DELIVERED)


# --- sending: Kannel's answers ---------------------------------------------------------------


def test_sendsms_answers_become_outcomes(kannel: Kannel) -> None:
    right = KannelGateway(kannel.sendsms_url, kannel.username, kannel.password, timeout=2.0)
    wrong = KannelGateway(kannel.sendsms_url, kannel.username, "not-it", timeout=2.0)
    taken = right.send(PHONE, "Nomor antrean Anda A-012", message_id="antre-1-0", sender="1234")
    assert (taken.outcome, taken.status, taken.gateway_id) == (
        Outcome.SENT,
        "202 0: Accepted for delivery",
        "antre-1-0",
    )
    refused = wrong.send(PHONE, "Nomor antrean Anda A-012", message_id="antre-2-0", sender="1234")
    assert (refused.outcome, refused.status) == (
        Outcome.FAILED,
        "403 Authorization failed for sendsms",
    )
    [mt] = kannel.wait_for_mt()
    assert mt.text == "Nomor antrean Anda A-012"


def test_a_kannel_that_is_not_there_is_tried_again() -> None:
    gone = KannelGateway("http://127.0.0.1:9/cgi-bin/sendsms", "antre", "x", timeout=1.0)
    result = gone.send(PHONE, "hi", message_id="antre-3-0")
    assert result.outcome is Outcome.RETRY and "connection failed" in result.status


# --- callbacks: the case table ---------------------------------------------------------------


def query(
    id_: str | None = "k-1",
    message: str | None = "ANTRE+GIGI+BESOK",
    *,
    sender: str | None = "%2B6281234567890",
    more: str = "",
) -> str:
    """A query string as smsbox sends it (already URL-encoded, as Kannel writes it)."""
    fields = [("id", id_), ("ts", "1790000000"), ("sender", sender), ("to", FACILITY_NUMBER),
              ("message", message)]  # fmt: skip
    return "&".join(f"{name}={value}" for name, value in fields if value is not None) + more


# label, query string, status, whether it books
INBOUND_CASES: list[tuple[str, str, int, bool]] = [
    ("as Kannel calls it: booked", query(), 200, True),
    ("a national sender number: booked", query(sender="081234567890"), 200, True),
    ("with Kannel's coding and charset: booked", query(more="&coding=0&charset=UTF-8"), 200, True),
    ("no id: refused", query(None), 400, False),
    ("no sender: refused", query(sender=None), 400, False),
    ("no message: refused", query(message=None), 400, False),
    ("an id of 200 characters: refused", query("k" * 200), 400, False),
    ("invalid UTF-8: answered, nothing lost", query(message="ANTRE+GIGI+BESOK+%FF%FE"), 200, True),
    (
        "a 10 kB message: cut, answered",
        query(message="ANTRE+GIGI+BESOK+" + "x" * 10_000),
        200,
        True,
    ),
    ("a short-code sender: recorded, never answered", query(sender="3636"), 200, False),
]


@pytest.mark.parametrize(
    ("query", "status", "books"),
    [case[1:] for case in INBOUND_CASES],
    ids=[case[0] for case in INBOUND_CASES],
)
def test_each_inbound_call_gets_one_answer(
    kannel_app: Flask, query: str, status: int, books: bool
) -> None:
    answer = kannel_app.test_client().get(f"/sms/kannel/incoming?key={KEY}&{query}")
    assert answer.status_code == status, answer.get_data(as_text=True)
    if status == 200:
        assert answer.get_data() == b""  # Kannel sends nothing itself (omit-empty)
    assert count(kannel_app, Booking) == (1 if books else 0)


def test_inbound_by_post_is_read_the_same(kannel_app: Flask) -> None:
    form = {"id": "k-9", "sender": PHONE, "to": FACILITY_NUMBER, "message": "ANTRE GIGI BESOK"}
    answer = kannel_app.test_client().post(f"/sms/kannel/incoming?key={KEY}", data=form)
    assert answer.status_code == 200 and count(kannel_app, Booking) == 1


def test_without_the_callback_key_nothing_is_booked(kannel_app: Flask) -> None:
    answer = kannel_app.test_client().get(
        "/sms/kannel/incoming?id=k-1&sender=%2B6281234567890&to=1234&message=ANTRE+GIGI+BESOK"
    )
    assert answer.status_code == 403 and count(kannel_app, Booking) == 0


# label, query string, status
DELIVERY_CASES = [
    ("delivered", "id=antre-1-0&status=1&answer=", 200),
    ("accepted by the SMSC", "id=antre-1-0&status=8&answer=ACK%2F", 200),
    ("an unknown status: refused", "id=antre-1-0&status=3", 400),
    ("no id: refused", "status=1", 400),
    ("no status: refused", "id=antre-1-0", 400),
]


@pytest.mark.parametrize(
    ("query", "status"), [c[1:] for c in DELIVERY_CASES], ids=[c[0] for c in DELIVERY_CASES]
)
def test_each_delivery_report_gets_one_answer(kannel_app: Flask, query: str, status: int) -> None:
    answer = kannel_app.test_client().get(f"/sms/kannel/delivery?key={KEY}&{query}")
    assert answer.status_code == status, answer.get_data(as_text=True)


def test_a_failed_report_fails_a_sent_row_with_the_smscs_words(kannel_app: Flask) -> None:
    def sent(s: Any) -> int:
        facility = s.scalars(select(Facility)).first()
        assert facility is not None
        moment = datetime.now().astimezone()
        row = Outbox(phone=PHONE, body="hi", kind="reply", status=OutboxStatus.SENT,
                     gateway="kannel", gateway_id="antre-5-0", created_at=moment,
                     updated_at=moment)  # fmt: skip
        s.add(row)
        s.flush()
        return row.id

    row_id = database(kannel_app).run(sent)
    answer = kannel_app.test_client().get(
        f"/sms/kannel/delivery?key={KEY}&id=antre-5-0&status=16&answer=NACK%2F0x0b%2FInvalid+Destination"
    )
    assert answer.status_code == 200
    with database(kannel_app).transaction() as s:
        row = s.get_one(Outbox, row_id)
        assert row.status is OutboxStatus.FAILED
        assert row.error == "delivery: NACK/0x0b/Invalid Destination"
