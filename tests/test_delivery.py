"""`POST /sms/delivery`: Africa's Talking's delivery reports move outbox rows."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from antre import database, jobs
from antre.db import Database
from booking.models import OutboxStatus
from tests.test_sending import PHONE, outbox, write_sms


@pytest.fixture
def sent(app: Flask, db: Database) -> tuple[int, str]:
    """One SMS sent by the console gateway: (outbox id, gateway message id)."""
    outbox_id = write_sms(db)
    assert jobs.runner(app).drain()
    jobs.runner(app).stop()
    row = outbox(db, outbox_id)
    assert row.status is OutboxStatus.SENT and row.gateway_id
    return outbox_id, row.gateway_id


def report(client: FlaskClient, **fields: str) -> tuple[int, str]:
    answer = client.post("/sms/delivery", data=fields)
    return answer.status_code, answer.get_data(as_text=True)


# label, status, failureReason, the row's status after, its error after
CASES = [
    ("Success is delivered", "Success", "", OutboxStatus.DELIVERED, None),
    (
        "Failed keeps the reason",
        "Failed",
        "UserInBlacklist",
        OutboxStatus.FAILED,
        "delivery: UserInBlacklist",
    ),
    (
        "Rejected without a reason says so",
        "Rejected",
        "",
        OutboxStatus.FAILED,
        "delivery: Rejected",
    ),
    ("Sent keeps it sent", "Sent", "", OutboxStatus.SENT, None),
    ("Submitted keeps it sent", "Submitted", "", OutboxStatus.SENT, None),
    ("Buffered keeps it sent", "Buffered", "", OutboxStatus.SENT, None),
]


@pytest.mark.parametrize(
    ("status", "reason", "after", "error"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_a_report_moves_the_row_it_names(
    app: Flask,
    db: Database,
    sent: tuple[int, str],
    status: str,
    reason: str,
    after: OutboxStatus,
    error: str | None,
) -> None:
    outbox_id, gateway_id = sent
    fields = {"id": gateway_id, "status": status, "phoneNumber": PHONE, "networkCode": "51010"}
    if reason:
        fields["failureReason"] = reason
    assert report(app.test_client(), **fields, retryCount="0") == (200, "ok\n")
    row = outbox(db, outbox_id)
    assert (row.status, row.error) == (after, error)


def test_a_late_report_never_undoes_delivered(
    app: Flask, db: Database, sent: tuple[int, str]
) -> None:
    outbox_id, gateway_id = sent
    client = app.test_client()
    for status in ("Success", "Buffered", "Failed", "Sent"):
        assert report(client, id=gateway_id, status=status)[0] == 200
    assert outbox(db, outbox_id).status is OutboxStatus.DELIVERED


def test_a_report_for_a_message_we_never_sent_is_acknowledged(
    app: Flask, db: Database, sent: tuple[int, str]
) -> None:
    assert report(app.test_client(), id="ATXid_unknown", status="Success") == (200, "ok\n")
    assert outbox(db, sent[0]).status is OutboxStatus.SENT


MALFORMED = [
    ("no fields at all", {}, "id is missing"),
    ("no id", {"status": "Success"}, "id is missing"),
    ("no status", {"id": "ATXid_1"}, "status is missing"),
    (
        "a status Africa's Talking never sends",
        {"id": "ATXid_1", "status": "Great"},
        "status 'Great'",
    ),
    (
        "a retry count that is not a number",
        {"id": "ATXid_1", "status": "Success", "retryCount": "x"},
        "retryCount",
    ),
    ("an id too long to be one", {"id": "A" * 500, "status": "Success"}, "id is longer"),
    (
        "a reason too long to be one",
        {"id": "ATXid_1", "status": "Failed", "failureReason": "x" * 5000},
        "failureReason",
    ),
]


@pytest.mark.parametrize(
    ("fields", "reason"), [c[1:] for c in MALFORMED], ids=[c[0] for c in MALFORMED]
)
def test_a_malformed_report_is_refused_with_the_reason(
    app: Flask, fields: dict[str, str], reason: str
) -> None:
    status, text = report(app.test_client(), **fields)
    assert status == 400
    assert text.startswith("bad request: ") and reason in text


def test_reports_need_the_callback_key_when_one_is_set(
    app: Flask, db: Database, sent: tuple[int, str]
) -> None:
    app.config["CALLBACK_KEY"] = "s3cret-key"
    client = app.test_client()
    outbox_id, gateway_id = sent
    assert (
        client.post("/sms/delivery", data={"id": gateway_id, "status": "Success"}).status_code
        == 403
    )
    assert outbox(db, outbox_id).status is OutboxStatus.SENT
    answer = client.post(
        "/sms/delivery?key=s3cret-key", data={"id": gateway_id, "status": "Success"}
    )
    assert answer.status_code == 200
    assert outbox(database(app), outbox_id).status is OutboxStatus.DELIVERED
