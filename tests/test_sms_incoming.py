"""`POST /sms/incoming`: the callback contract, loops, retried callbacks, and any text at all.

Every test goes through the real endpoint (Flask's test client) on the real databases.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import datetime

import pytest
import time_machine
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from booking.models import Booking, Outbox
from plumbing.db import Database
from sms.models import InboundSms
from texts.gsm import SEGMENT_SEPTETS, is_gsm7, septets

PHONE = "+6281234567890"
OTHER_PHONE = "+6285712345678"
OUR_SHORT_CODE = "21345"


class Inbox:
    """Sends SMS to the endpoint as Africa's Talking does; reads our replies from the outbox."""

    def __init__(self, app: Flask, db: Database) -> None:
        self.app = app
        self.client = app.test_client()
        self.db = db
        self.last_id = ""

    def post(self, text: str, *, sender: str = PHONE, gateway_id: str | None = None,
             to: str = OUR_SHORT_CODE, **fields: str) -> TestResponse:  # fmt: skip
        self.last_id = gateway_id or f"ATXid_{uuid.uuid4().hex}"
        form = {
            "from": sender,
            "to": to,
            "text": text,
            "date": "2026-11-23 07:30:00",
            "id": self.last_id,
            "linkId": "",
            "networkCode": "51010",
            **fields,
        }
        return self.client.post("/sms/incoming", data=form)

    def send(self, text: str, *, sender: str = PHONE, gateway_id: str | None = None) -> str | None:
        """Text us; the reply to that SMS, or None when we stayed silent."""
        response = self.post(text, sender=sender, gateway_id=gateway_id)
        assert response.status_code == 200, response.get_data(as_text=True)
        return self.reply(self.last_id)

    def reply(self, gateway_id: str) -> str | None:
        with self.db.transaction() as s:
            row = s.scalars(
                select(Outbox).where(Outbox.dedupe_key == f"reply:{gateway_id}")
            ).first()
            return row.body if row is not None else None

    def inbound(self, gateway_id: str | None = None) -> InboundSms:
        with self.db.transaction() as s:
            return s.scalars(
                select(InboundSms).where(InboundSms.gateway_id == (gateway_id or self.last_id))
            ).one()

    def count(self, model: type, *where: object) -> int:
        with self.db.transaction() as s:
            return s.scalar(select(func.count()).select_from(model).where(*where)) or 0  # type: ignore[arg-type]


@pytest.fixture
def clock(now: datetime) -> Iterator[time_machine.Coordinates]:
    """The wall clock the endpoint reads, frozen at Monday 07:30 WIB; tests move it."""
    with time_machine.travel(now, tick=False) as traveller:
        yield traveller


@pytest.fixture
def inbox(app: Flask, demo: Database, clock: time_machine.Coordinates) -> Iterator[Inbox]:
    yield Inbox(app, demo)
    from antre import jobs

    jobs.runner(app).drain()  # the embedded sender may still be handing replies over


# --- the callback ----------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["from", "to", "text", "id"])
def test_a_callback_without_a_required_field_gets_400_naming_it(inbox: Inbox, field: str) -> None:
    form = {"from": PHONE, "to": OUR_SHORT_CODE, "text": "CEK", "id": "ATXid_1"}
    del form[field]
    response = inbox.client.post("/sms/incoming", data=form)
    assert response.status_code == 400
    assert f"'{field}'" in response.get_data(as_text=True)
    assert inbox.count(InboundSms) == 0


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"id": "  "}, "empty field 'id'"),
        ({"id": "x" * 81}, "'id' is longer than 80"),
        ({"from": "+62" + "8" * 40}, "'from' is longer than 32"),
        ({"from": ""}, "empty field 'from'"),
    ],
)
def test_a_malformed_callback_gets_400_with_the_reason(
    inbox: Inbox, fields: dict[str, str], reason: str
) -> None:
    response = inbox.post("CEK", **fields)
    assert response.status_code == 400
    assert reason in response.get_data(as_text=True)


def test_a_callback_without_the_secret_key_is_refused(inbox: Inbox) -> None:
    inbox.app.config["CALLBACK_KEY"] = "s3cret"
    assert inbox.post("CEK").status_code == 403
    response = inbox.client.post(
        "/sms/incoming?key=s3cret",
        data={"from": PHONE, "to": OUR_SHORT_CODE, "text": "BANTUAN", "id": "ATXid_key"},
    )
    assert response.status_code == 200
    assert inbox.reply("ATXid_key") is not None


def test_an_oversized_text_is_kept_to_480_characters_and_still_answered(inbox: Inbox) -> None:
    reply = inbox.send("ANTRE UMUM 1001 " + "tolong " * 300)
    assert reply is not None
    assert len(inbox.inbound().text) == 480


def test_nul_characters_in_any_field_are_dropped_not_a_server_error(inbox: Inbox) -> None:
    response = inbox.post("CEK\x00", sender=PHONE + "\x00", gateway_id="ATXid_\x00nul")
    assert response.status_code == 200
    assert inbox.reply("ATXid_nul") is not None


def test_every_inbound_sms_is_recorded_with_its_command_and_whether_it_was_understood(
    inbox: Inbox,
) -> None:
    inbox.send("ANTRE UMUM 1001")
    booked = inbox.inbound()
    assert (booked.command, booked.understood, booked.phone) == ("book", True, PHONE)
    assert booked.reply_id is not None and booked.network_code == "51010"
    inbox.send("apa kabar puskesmas")
    unclear = inbox.inbound()
    assert (unclear.command, unclear.understood) == ("unknown", False)


def test_replies_are_direct_answers_in_the_outbox(inbox: Inbox) -> None:
    inbox.send("BANTUAN")
    with inbox.db.transaction() as s:
        row = s.get_one(Outbox, inbox.inbound().reply_id)
        assert (row.phone, row.kind, row.direct_answer) == (PHONE, "reply", True)


# --- loops -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sender",
    [
        pytest.param("12345", id="short code"),
        pytest.param("ANTRE", id="alphanumeric sender"),
        pytest.param(OUR_SHORT_CODE, id="our own short code"),
    ],
)
def test_no_reply_and_no_booking_for_senders_that_would_loop(inbox: Inbox, sender: str) -> None:
    assert inbox.send("ANTRE UMUM 1001", sender=sender) is None
    assert inbox.count(Outbox) == 0 and inbox.count(Booking) == 0
    assert inbox.inbound().command == "ignored"


def test_no_reply_to_our_own_long_number_or_configured_sender(inbox: Inbox) -> None:
    own = "+6281100001111"
    response = inbox.post("BANTUAN", sender=own, to=own)
    assert response.status_code == 200 and inbox.reply(inbox.last_id) is None
    inbox.app.config["AT_SENDER"] = "0811-0000-2222"
    assert inbox.send("BANTUAN", sender="+6281100002222") is None
    assert inbox.count(Outbox) == 0


# --- retried callbacks -----------------------------------------------------------------------


def test_the_same_inbound_id_twice_books_once_and_replies_once(inbox: Inbox) -> None:
    first = inbox.send("ANTRE UMUM 1001", gateway_id="ATXid_retry")
    again = inbox.post("ANTRE UMUM 1001", gateway_id="ATXid_retry")
    assert again.status_code == 200
    assert first is not None and "A-001" in first
    assert inbox.count(Outbox) == 1 and inbox.count(Booking) == 1 and inbox.count(InboundSms) == 1


@pytest.mark.slow
def test_a_callback_delivered_twice_at_the_same_moment_is_answered_once(inbox: Inbox) -> None:
    barrier = threading.Barrier(4)
    codes: list[int] = []

    def deliver() -> None:
        client = inbox.app.test_client()
        barrier.wait()
        response = client.post(
            "/sms/incoming",
            data={
                "from": PHONE,
                "to": OUR_SHORT_CODE,
                "text": "ANTRE GIGI 1001",
                "id": "ATXid_twin",
            },
        )
        codes.append(response.status_code)

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert codes == [200] * 4
    assert inbox.count(Outbox) == 1 and inbox.count(Booking) == 1


# --- any text at all -------------------------------------------------------------------------

WORDS = [
    "ANTRE", "antri", "BOOK", "BATAL", "CANCEL", "CEK", "STATUS", "JADWAL", "INFO", "HADIR",
    "YA", "YES", "BAHASA", "LANG", "EN", "ID", "STOP", "BERHENTI", "MULAI", "START", "BANTUAN",
    "HELP", "?", "UMUM", "GIGI", "KIA", "BESOK", "LUSA", "HARI", "INI", "SENIN", "1001", "2001",
    "9999", "UNTUK", "Siti", "Aminah", "1", "9", "0", "A-001", "A-9999", "24-11", "31/02", "#",
    "*", ".", "Zoë", "“quoted”", "😀", "\n",
]  # fmt: skip
TEXTS = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=1000),
    st.lists(st.sampled_from(WORDS) | st.text(max_size=12), max_size=12).map(" ".join),
)
SENDERS = st.sampled_from([PHONE, PHONE, OTHER_PHONE, "12345", "ANTRE", OUR_SHORT_CODE])


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=TEXTS, sender=SENDERS)
def test_any_text_gets_one_gsm7_segment_or_deliberate_silence(
    inbox: Inbox, text: str, sender: str
) -> None:
    response = inbox.post(text, sender=sender)
    assert response.status_code == 200, response.get_data(as_text=True)
    reply = inbox.reply(inbox.last_id)
    if sender in (PHONE, OTHER_PHONE):
        assert reply is not None, f"no reply to {text!r}"
        assert is_gsm7(reply) and septets(reply) <= SEGMENT_SEPTETS, reply
    else:
        assert reply is None
