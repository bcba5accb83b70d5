"""`POST /sms/delivery`: Africa's Talking's delivery reports move outbox rows."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, text, update

from antre import database_of as database
from antre import jobs
from booking.clock import utcnow
from booking.models import Outbox, OutboxStatus
from gateways.contract import DeliveryReport
from plumbing.db import Database
from sms import delivery
from sms.models import EarlyDeliveryReport
from tests import fake_africastalking as fake_at
from tests.fake_africastalking import FakeAfricasTalking, Request
from tests.test_sending import PHONE, make_app, outbox, write_sms


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
    assert early_reports(db) == 1  # kept, in case its message is being recorded right now


@pytest.fixture
def racing_app(database_url: str, tmp_path: Path) -> Iterator[tuple[Flask, FakeAfricasTalking]]:
    """The app sending through the SDK to a gateway that calls back before it answers."""
    with fake_at.running() as fake:
        app = make_app(database_url, tmp_path, **fake_at.settings(fake))
        yield app, fake
        jobs.runner(app).stop()
        database(app).dispose()


@pytest.mark.parametrize(
    ("status", "after", "error"),
    [
        ("Success", OutboxStatus.DELIVERED, None),
        ("Failed", OutboxStatus.FAILED, "delivery: UserInBlacklist"),
    ],
)
def test_a_report_that_comes_before_the_send_answer_is_applied_when_the_id_is_recorded(
    racing_app: tuple[Flask, FakeAfricasTalking],
    status: str,
    after: OutboxStatus,
    error: str | None,
) -> None:
    app, fake = racing_app
    answers: list[tuple[int, str]] = []

    def call_back_first(request: Request, message_id: str) -> None:
        fields = {"id": message_id, "status": status, "phoneNumber": request.form["to"]}
        if status == "Failed":
            fields["failureReason"] = "UserInBlacklist"
        answers.append(report(app.test_client(), **fields))

    fake.before_answer = call_back_first
    db = database(app)
    outbox_id = write_sms(db)
    assert jobs.runner(app).drain()
    assert answers == [(200, "ok\n")]
    row = outbox(db, outbox_id)
    assert (row.status, row.error) == (after, error)
    assert row.gateway_id is not None and row.gateway_id.startswith("ATXid_")
    assert early_reports(db) == 0  # applied, so no longer kept


def test_unmatched_reports_are_dropped_after_a_few_days(app: Flask, db: Database) -> None:
    now = utcnow()
    for day, gateway_id in ((0, "ATXid_old"), (3, "ATXid_new")):
        parsed = DeliveryReport(gateway_id, OutboxStatus.DELIVERED, "Success")
        answer = db.run(lambda s, r=parsed, d=day: delivery.record(s, r, now + timedelta(days=d)))
        assert answer == "kept"
    with db.transaction() as s:
        assert s.scalars(select(EarlyDeliveryReport.gateway_id)).all() == ["ATXid_new"]


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_a_report_during_the_senders_uncommitted_record_is_not_lost(
    app: Flask, db: Database
) -> None:
    """The interleaving the per-id lock is for (PostgreSQL: SQLite runs one writer at a time).

    The sender has written the id but not committed, so the report cannot see it and keeps
    itself; the sender's look for kept reports must then wait for that to commit, or it
    finds nothing and the report waits for ever.
    """
    outbox_id = write_sms(db)
    gateway_id = f"ATXid_race{outbox_id}"
    now = utcnow()
    sender = db.sessions()
    sender.begin()
    sender.execute(text("SET LOCAL lock_timeout = '5s'"))
    sender.execute(
        update(Outbox)
        .where(Outbox.id == outbox_id)
        .values(status=OutboxStatus.SENT, gateway="africastalking", gateway_id=gateway_id)
        .execution_options(synchronize_session=False)
    )
    reporter = db.sessions()
    reporter.begin()
    parsed = DeliveryReport(gateway_id, OutboxStatus.DELIVERED, "Success")
    assert delivery.record(reporter, parsed, now) == "kept"

    applied: list[list[str]] = []
    looking = threading.Thread(
        target=lambda: applied.append(delivery.apply_early_reports(sender, gateway_id, now))
    )
    looking.start()
    looking.join(0.5)
    assert looking.is_alive(), "the sender looked for kept reports without waiting"
    reporter.commit()
    looking.join(10)
    sender.commit()
    assert applied == [["delivered"]]
    assert outbox(db, outbox_id).status is OutboxStatus.DELIVERED
    assert early_reports(db) == 0


def early_reports(db: Database) -> int:
    with db.transaction() as s:
        return s.scalar(select(func.count()).select_from(EarlyDeliveryReport)) or 0


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
