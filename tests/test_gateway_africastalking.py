"""The Africa's Talking gateway, through the real SDK and real HTTP, against the local fake."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import pytest

import gateways
from booking.models import OutboxStatus
from gateways.africastalking import AfricasTalkingGateway, delivery_status, read_answer
from gateways.console import ConsoleGateway
from gateways.contract import Outcome, mask, mask_phone
from tests import fake_africastalking as fake_at
from tests.fake_africastalking import FakeAfricasTalking

PHONE = "+6281234567890"


@pytest.fixture
def fake() -> Iterator[FakeAfricasTalking]:
    with fake_at.running(hang_seconds=2.0) as server:
        yield server


@pytest.fixture
def gateway(fake: FakeAfricasTalking) -> AfricasTalkingGateway:
    built = gateways.from_settings(fake_at.settings(fake, AT_TIMEOUT_SECONDS=0.5))
    assert isinstance(built, AfricasTalkingGateway)
    return built


# label, what the gateway answers, our outcome, the status we keep, whether it carries an id
SEND_CASES = [
    ("101 Sent is sent", "sent", Outcome.SENT, "101 Success", True),
    ("102 Queued is sent", "queued", Outcome.SENT, "102 Success", True),
    (
        "403 invalid number fails for good",
        "invalid",
        Outcome.FAILED,
        "403 InvalidPhoneNumber",
        False,
    ),
    ("406 blacklisted fails for good", "blacklisted", Outcome.FAILED, "406 UserInBlacklist", False),
    (
        "recipient 500 is tried again",
        "recipient-500",
        Outcome.RETRY,
        "500 InternalServerError",
        False,
    ),
    (
        "HTTP 500 is tried again",
        "http-500",
        Outcome.RETRY,
        "HTTP error: Internal Server Error",
        False,
    ),
    ("a hung gateway is tried again", "hang", Outcome.RETRY, "no answer within 0.5 s", False),
]


@pytest.mark.parametrize(
    ("behaviour", "outcome", "status", "has_id"),
    [case[1:] for case in SEND_CASES],
    ids=[case[0] for case in SEND_CASES],
)
def test_each_gateway_answer_becomes_one_outcome(
    fake: FakeAfricasTalking,
    gateway: AfricasTalkingGateway,
    behaviour: str,
    outcome: Outcome,
    status: str,
    has_id: bool,
) -> None:
    fake.answer(behaviour)
    started = time.monotonic()
    result = gateway.send(PHONE, "Nomor antrean Anda A-012")
    assert time.monotonic() - started < 1.5  # the timeout holds, even when the gateway hangs
    assert (result.outcome, result.status) == (outcome, status)
    assert (result.gateway_id is not None) == has_id
    if has_id:
        assert result.gateway_id and result.gateway_id.startswith("ATXid_")
        assert result.cost == "IDR 300.0000"
    else:
        assert result.cost is None
    assert len(fake.requests) == 1


def test_the_request_is_africas_talkings_form_with_the_key_in_a_header(
    fake: FakeAfricasTalking, gateway: AfricasTalkingGateway
) -> None:
    gateway.send(PHONE, "Nomor antrean Anda A-012")
    [request] = fake.requests
    assert request.path == "/version1/messaging"
    assert request.headers["apikey"] == fake_at.API_KEY
    assert request.headers["accept"] == "application/json"
    assert request.form["username"] == fake_at.USERNAME
    assert request.form["to"] == PHONE
    assert request.form["message"] == "Nomor antrean Anda A-012"
    assert request.form["from"] == "ANTRE"


def test_without_a_sender_the_from_field_is_left_out(fake: FakeAfricasTalking) -> None:
    gateway = gateways.from_settings(fake_at.settings(fake, AT_SENDER=None))
    assert gateway.send(PHONE, "hi").outcome is Outcome.SENT
    assert "from" not in fake.requests[0].form


def test_a_wrong_api_key_is_tried_again_and_says_why(fake: FakeAfricasTalking) -> None:
    gateway = gateways.from_settings(fake_at.settings(fake, AT_API_KEY="atsk_wrong_key_000000"))
    result = gateway.send(PHONE, "hi")
    assert result.outcome is Outcome.RETRY
    assert "authentication is invalid" in result.status


def test_an_unreachable_gateway_is_tried_again() -> None:
    gateway = AfricasTalkingGateway("antre", "k" * 32, api_url="http://127.0.0.1:9", timeout=0.5)
    result = gateway.send(PHONE, "hi")
    assert result.outcome is Outcome.RETRY
    assert result.status.startswith("connection failed")


def test_a_number_the_sdk_refuses_fails_without_a_request(
    fake: FakeAfricasTalking, gateway: AfricasTalkingGateway
) -> None:
    assert gateway.send("081234567890", "hi").outcome is Outcome.FAILED
    assert fake.requests == []


def test_every_call_is_logged_with_the_key_masked(
    fake: FakeAfricasTalking, gateway: AfricasTalkingGateway, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="gateways"):
        gateway.send(PHONE, "hi")
    [line] = [r.getMessage() for r in caplog.records if r.name == "gateways.africastalking"]
    assert fake_at.API_KEY not in line
    assert mask(fake_at.API_KEY) in line
    assert PHONE not in line and mask_phone(PHONE) in line
    assert "/version1/messaging" in line and "101 Success" in line


# label, answer body, outcome
ANSWER_CASES = [
    (
        "no recipients (bad sender id): nothing went out",
        {"SMSMessageData": {"Message": "InvalidSenderId", "Recipients": []}},
        Outcome.RETRY,
    ),
    (
        "text that is JSON is read",
        '{"SMSMessageData": {"Recipients": [{"statusCode": 101, "messageId": "ATXid_1"}]}}',
        Outcome.SENT,
    ),
    (
        "an unknown 1xx was taken",
        {"SMSMessageData": {"Recipients": [{"statusCode": 103}]}},
        Outcome.SENT,
    ),
    (
        "an unknown 5xx is tried again",
        {"SMSMessageData": {"Recipients": [{"statusCode": 503}]}},
        Outcome.RETRY,
    ),
    (
        "an unknown 4xx fails",
        {"SMSMessageData": {"Recipients": [{"statusCode": 499}]}},
        Outcome.FAILED,
    ),
    (
        "402 invalid sender id is tried again",
        {"SMSMessageData": {"Recipients": [{"statusCode": 402}]}},
        Outcome.RETRY,
    ),
    (
        "405 insufficient balance is tried again",
        {"SMSMessageData": {"Recipients": [{"statusCode": 405}]}},
        Outcome.RETRY,
    ),
    ("garbage after a 2xx is never sent again", "<html>oops</html>", Outcome.FAILED),
    ("a shape we do not know is never sent again", {"data": 1}, Outcome.FAILED),
]


@pytest.mark.parametrize(
    ("answer", "outcome"), [c[1:] for c in ANSWER_CASES], ids=[c[0] for c in ANSWER_CASES]
)
def test_answers_are_read_by_one_table(answer: object, outcome: Outcome) -> None:
    assert read_answer(answer).outcome is outcome


DELIVERY_CASES = [
    ("Success", OutboxStatus.DELIVERED),
    ("Failed", OutboxStatus.FAILED),
    ("Rejected", OutboxStatus.FAILED),
    ("Expired", OutboxStatus.FAILED),
    ("Sent", OutboxStatus.SENT),
    ("Submitted", OutboxStatus.SENT),
    ("Buffered", OutboxStatus.SENT),
    ("Delivered?", None),
]


@pytest.mark.parametrize(("word", "status"), DELIVERY_CASES)
def test_delivery_words_map_to_our_statuses(word: str, status: OutboxStatus | None) -> None:
    assert delivery_status(word) is status


def test_the_console_gateway_records_and_answers_sent() -> None:
    result = ConsoleGateway().send(PHONE, "hi")
    assert result.outcome is Outcome.SENT
    assert result.gateway_id and result.gateway_id.startswith("console-")


def test_gateways_are_chosen_by_name_and_a_wrong_name_says_which_exist() -> None:
    assert isinstance(gateways.from_settings({}), ConsoleGateway)
    with pytest.raises(ValueError, match="console, africastalking"):
        gateways.from_settings({"SMS_GATEWAY": "twilio"})
    with pytest.raises(ValueError, match="ANTRE_AT_API_KEY"):
        gateways.from_settings({"SMS_GATEWAY": "africastalking", "AT_USERNAME": "antre"})


@pytest.mark.parametrize(
    ("sdk", "expected"),
    [
        ("africastalking", {"gateways/africastalking/send.py"}),
        # The Android phone's webhooks are registered with its client too, and the command
        # that does it names the client's error.
        (
            "android_sms_gateway",
            {"gateways/android/send.py", "gateways/android/register.py", "sms/commands.py"},
        ),
    ],
)
def test_only_each_gateways_own_folder_imports_its_client(sdk: str, expected: set[str]) -> None:
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    pattern = re.compile(rf"^\s*(import {sdk}|from {sdk}[ .])", re.MULTILINE)
    importers = {
        str(path.relative_to(root))
        for folder in ("antre", "booking", "sms", "ussd", "menus", "texts", "gateways", "console")
        for path in (root / folder).rglob("*.py")
        if pattern.search(path.read_text())
    }
    assert importers == expected
