"""Sending outbox rows through the real SDK to the local fake, on SQLite and PostgreSQL.

These tests call `sms.sending` directly (and the embedded runner); the RQ path is in
test_sending_rq.py.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session

from antre import create_app, jobs
from antre import database_of as database
from booking import records
from booking.clock import utcnow
from booking.models import Outbox, OutboxStatus
from gateways import Switchboard
from plumbing.db import Database
from plumbing.jobs import Context, Runner
from sms import outbox as outbox_module
from sms import sending
from sms.sending import Policy, Step
from tests import fake_africastalking as fake_at
from tests.fake_africastalking import FakeAfricasTalking
from tests.helpers import session_id, take, today

PHONE = "+6281234567890"
FAST = Policy(intervals=(0, 0, 0), timeout_seconds=0.5)


@pytest.fixture
def fake() -> Iterator[FakeAfricasTalking]:
    with fake_at.running(hang_seconds=1.5) as server:
        yield server


def make_app(database_url: str, tmp_path: Path, **settings: Any) -> Flask:
    app = create_app(
        {"DATABASE_URL": database_url, "TESTING": True, "SECRET_KEY": "test", "REDIS_URL": None}
        | settings
    )
    app.instance_path = str(tmp_path / "instance")
    return app


@pytest.fixture
def at_app(database_url: str, tmp_path: Path, fake: FakeAfricasTalking) -> Iterator[Flask]:
    """The embedded app sending through Africa's Talking's SDK to the fake."""
    app = make_app(
        database_url,
        tmp_path,
        **fake_at.settings(fake, AT_TIMEOUT_SECONDS=0.5, SMS_RETRY_INTERVALS="0,0,0"),
    )
    yield app
    jobs.runner(app).stop()
    database(app).dispose()


@pytest.fixture
def quiet_db(at_app: Flask) -> Database:
    """The database with nobody listening for new rows: the test sends them itself."""
    at_app.extensions["sms.outbox"].hand_over = None
    return database(at_app)


def write_sms(db: Database, body: str = "Nomor antrean Anda A-012", phone: str = PHONE) -> int:
    def write(session: Session) -> int:
        row = records.sms(session, phone=phone, body=body, kind="test", now=utcnow())
        assert row is not None
        session.flush()
        return row.id

    return db.run(write)


def claim(db: Database, outbox_id: int, gateways: Switchboard, now: datetime) -> bool:
    """A sender's claim on one row, committed: what a sender that dies next leaves behind."""
    with db.transaction() as session:
        return sending._claim(session, outbox_id, gateways, now) is not None


def outbox(db: Database, outbox_id: int) -> Outbox:
    with db.transaction() as s:
        return s.get_one(Outbox, outbox_id)


def send(app: Flask, outbox_id: int, policy: Policy = FAST) -> sending.Report:
    return sending.send_one(database(app), jobs.switchboard(app), outbox_id, policy)


def test_a_sent_sms_records_the_gateway_id_cost_and_one_attempt(
    at_app: Flask, quiet_db: Database, fake: FakeAfricasTalking
) -> None:
    outbox_id = write_sms(quiet_db)
    assert send(at_app, outbox_id).step is Step.SENT
    row = outbox(quiet_db, outbox_id)
    assert row.status is OutboxStatus.SENT
    assert row.attempts == 1
    assert row.gateway == "africastalking"
    assert row.gateway_id and row.gateway_id.startswith("ATXid_")
    assert row.cost == "IDR 300.0000"
    assert row.error is None
    assert [r.form["message"] for r in fake.requests] == ["Nomor antrean Anda A-012"]


@pytest.mark.parametrize(("answer", "reason"), [("invalid", "403"), ("blacklisted", "406")])
def test_an_invalid_or_blacklisted_number_fails_at_once_and_is_never_tried_again(
    at_app: Flask, quiet_db: Database, fake: FakeAfricasTalking, answer: str, reason: str
) -> None:
    outbox_id = write_sms(quiet_db)
    fake.answer(answer)
    assert send(at_app, outbox_id).step is Step.FAILED
    assert send(at_app, outbox_id).step is Step.SKIPPED
    row = outbox(quiet_db, outbox_id)
    assert (row.status, row.attempts) == (OutboxStatus.FAILED, 1)
    assert row.error and row.error.startswith(reason)
    assert len(fake.requests) == 1


def test_timeouts_and_server_errors_queue_the_row_again_until_it_goes(
    at_app: Flask, quiet_db: Database, fake: FakeAfricasTalking
) -> None:
    outbox_id = write_sms(quiet_db)
    fake.answer("http-500", "recipient-500", "hang", "sent")
    steps = []
    for _ in range(3):
        steps.append(send(at_app, outbox_id).step)
        row = outbox(quiet_db, outbox_id)
        assert row.status is OutboxStatus.QUEUED and row.gateway is None
    assert row.error and "attempt 3: no answer within 0.5 s" in row.error
    steps.append(send(at_app, outbox_id).step)
    assert steps == [Step.RETRY, Step.RETRY, Step.RETRY, Step.SENT]
    row = outbox(quiet_db, outbox_id)
    assert (row.status, row.attempts, row.error) == (OutboxStatus.SENT, 4, None)
    assert len(fake.requests) == 4


def test_after_the_last_attempt_the_row_fails_with_the_last_reason(
    at_app: Flask, quiet_db: Database, fake: FakeAfricasTalking
) -> None:
    outbox_id = write_sms(quiet_db)
    fake.answer("http-500", "http-500", "recipient-500")
    policy = Policy(intervals=(0, 0), timeout_seconds=0.5)
    steps = [send(at_app, outbox_id, policy).step for _ in range(4)]
    assert steps == [Step.RETRY, Step.RETRY, Step.FAILED, Step.SKIPPED]
    row = outbox(quiet_db, outbox_id)
    assert row.status is OutboxStatus.FAILED
    assert row.error == "gave up after 3 attempts: 500 InternalServerError"
    assert len(fake.requests) == 3


def test_a_row_asked_for_twice_is_sent_once(
    at_app: Flask, quiet_db: Database, fake: FakeAfricasTalking
) -> None:
    outbox_id = write_sms(quiet_db)
    assert [send(at_app, outbox_id).step for _ in range(2)] == [Step.SENT, Step.SKIPPED]
    assert len(fake.requests) == 1
    assert outbox(quiet_db, outbox_id).attempts == 1


@pytest.mark.slow
def test_senders_racing_for_the_same_rows_send_each_once(
    at_app: Flask, quiet_db: Database, fake: FakeAfricasTalking
) -> None:
    fake.delay_seconds = 0.2  # every send overlaps the others
    ids = [write_sms(quiet_db, phone=f"+62812345670{n:02d}") for n in range(6)]
    steps: list[Step] = []
    start = threading.Barrier(18)

    def racer(outbox_id: int) -> None:
        start.wait()
        steps.append(send(at_app, outbox_id).step)

    threads = [threading.Thread(target=racer, args=(i,)) for i in ids for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.form["to"] for r in fake.requests) == [f"+62812345670{n:02d}" for n in range(6)]
    assert steps.count(Step.SENT) == 6 and steps.count(Step.SKIPPED) == 12
    assert {outbox(quiet_db, i).attempts for i in ids} == {1}


def test_a_sender_that_died_mid_send_leaves_the_row_in_doubt_and_never_resent(
    at_app: Flask, quiet_db: Database, fake: FakeAfricasTalking
) -> None:
    outbox_id = write_sms(quiet_db)
    claimed_at = utcnow()
    assert claim(quiet_db, outbox_id, jobs.switchboard(at_app), claimed_at)  # ...and died
    assert sending.fail_in_doubt(quiet_db, claimed_at + timedelta(seconds=30), FAST) == 0
    assert sending.rows_to_hand_over(quiet_db, claimed_at + timedelta(hours=1), FAST) == []
    assert sending.fail_in_doubt(quiet_db, claimed_at + FAST.lease * 2, FAST) == 1
    row = outbox(quiet_db, outbox_id)
    assert row.status is OutboxStatus.FAILED and row.error and row.error.startswith("in doubt")
    assert send(at_app, outbox_id).step is Step.SKIPPED
    assert fake.requests == []


def test_the_sweep_finds_rows_nobody_handed_over(at_app: Flask, quiet_db: Database) -> None:
    old, fresh, retrying, claimed = (write_sms(quiet_db) for _ in range(4))
    now, policy = utcnow(), Policy()  # production backoff: up to an hour between attempts
    _age(quiet_db, old, now - timedelta(minutes=5))
    _age(quiet_db, retrying, now - timedelta(minutes=5), OutboxStatus.QUEUED)
    claim(quiet_db, claimed, jobs.switchboard(at_app), now - timedelta(minutes=5))
    assert sending.rows_to_hand_over(quiet_db, now, policy) == [old]
    # A queued row waits for its retry job; only when that is long overdue is it handed over.
    later = now + timedelta(seconds=max(policy.intervals)) + policy.lease + timedelta(minutes=10)
    assert retrying in sending.rows_to_hand_over(quiet_db, later, policy)
    assert fresh in sending.rows_to_hand_over(quiet_db, later, policy)
    assert claimed not in sending.rows_to_hand_over(quiet_db, later, policy)


def _age(db: Database, outbox_id: int, when: datetime, status: OutboxStatus | None = None) -> None:
    with db.transaction() as s:
        row = s.get_one(Outbox, outbox_id)
        row.updated_at = when
        if status is not None:
            row.status = status


def test_in_the_embedded_default_a_committed_sms_goes_out_in_the_background(
    at_app: Flask, fake: FakeAfricasTalking
) -> None:
    db = database(at_app)
    outbox_id = write_sms(db)
    assert jobs.runner(at_app).drain()
    assert len(fake.requests) == 1
    assert outbox(db, outbox_id).status is OutboxStatus.SENT


def test_the_embedded_runner_tries_again_after_a_gateway_error(
    at_app: Flask, fake: FakeAfricasTalking
) -> None:
    fake.answer("http-500", "hang", "sent")
    db = database(at_app)
    outbox_id = write_sms(db)
    assert jobs.runner(at_app).drain()
    row = outbox(db, outbox_id)
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 3)
    assert [r.answered for r in fake.requests] == ["http-500", "hang", "sent"]


def test_a_booking_receipt_reaches_the_console_gateway_in_the_embedded_default(
    app: Flask, demo: Database, now: datetime
) -> None:
    booking = take(demo, session_id(demo, day=today(now)), PHONE, now)
    assert jobs.runner(app).drain()
    with demo.transaction() as s:
        [row] = s.query(Outbox).filter(Outbox.booking_id == booking.id).all()
    assert (row.status, row.gateway, row.attempts) == (OutboxStatus.SENT, "console", 1)
    assert row.gateway_id and row.gateway_id.startswith("console-")
    jobs.runner(app).stop()


def test_the_embedded_sweep_sends_what_a_previous_run_left_behind(
    at_app: Flask, quiet_db: Database, fake: FakeAfricasTalking
) -> None:
    outbox_id = write_sms(quiet_db)
    _age(quiet_db, outbox_id, utcnow() - timedelta(minutes=5))
    jobs.start(at_app, sweep_every=3600)
    deadline = utcnow() + timedelta(seconds=5)
    while outbox(quiet_db, outbox_id).status is not OutboxStatus.SENT and utcnow() < deadline:
        threading.Event().wait(0.05)
    assert outbox(quiet_db, outbox_id).status is OutboxStatus.SENT
    assert len(fake.requests) == 1


# --- several rows at once ---------------------------------------------------------------------


def write_together(db: Database, count: int) -> list[int]:
    """`count` SMS written in one transaction: handed over together when it commits."""

    def write(session: Session) -> list[int]:
        rows = [
            records.sms(
                session,
                phone=PHONE,
                body=f"Nomor antrean Anda A-{n:03d}",
                kind="test",
                now=utcnow(),
            )
            for n in range(count)
        ]
        session.flush()
        return [row.id for row in rows if row is not None]

    return db.run(write)


def transactions_begun(db: Database) -> list[object]:
    """A list that grows by one each time a transaction begins on `db` from now on."""
    begun: list[object] = []
    event.listen(db.engine, "begin", begun.append)
    return begun


def test_sms_sent_together_are_claimed_in_one_transaction_and_recorded_in_one(
    at_app: Flask, quiet_db: Database, fake: FakeAfricasTalking
) -> None:
    ids = write_together(quiet_db, 5)
    begun = transactions_begun(quiet_db)
    reports = sending.send_many(quiet_db, jobs.switchboard(at_app), ids, FAST)
    assert [reports[i].step for i in ids] == [Step.SENT] * 5
    assert len(begun) == 2
    assert sorted(r.form["message"] for r in fake.requests) == [
        f"Nomor antrean Anda A-{n:03d}" for n in range(5)
    ]
    rows = [outbox(quiet_db, i) for i in ids]
    assert {(row.status, row.attempts) for row in rows} == {(OutboxStatus.SENT, 1)}
    assert len({row.gateway_id for row in rows}) == 5
    # Sent is sent: the same rows again are skipped, and nothing more reaches the gateway.
    again = sending.send_many(quiet_db, jobs.switchboard(at_app), ids, FAST)
    assert {report.step for report in again.values()} == {Step.SKIPPED}
    assert len(fake.requests) == 5


class _BreaksOnSecondSend:
    """The console gateway, but the second SMS raises in the middle of being sent."""

    def __init__(self, gateway: Any) -> None:
        self.gateway, self.name, self.timeout, self.refuses_copies = gateway, "console", 0.0, False
        self.sent = 0

    def send(self, phone: str, body: str, **kwargs: Any) -> Any:
        self.sent += 1
        if self.sent == 2:
            raise RuntimeError("the gateway's client broke")
        return self.gateway.send(phone, body, **kwargs)


def test_a_gateway_that_raises_mid_batch_loses_no_outcome_and_strands_no_row(
    app: Flask, db: Database
) -> None:
    app.extensions["sms.outbox"].hand_over = None
    first, broken, after = write_together(db, 3)
    gateways = copy.copy(jobs.switchboard(app))
    gateways.default = _BreaksOnSecondSend(gateways.default)
    gateways.by_name = {"console": gateways.default}
    reports = sending.send_many(db, gateways, [first, broken, after], FAST)
    assert [reports[i].step for i in (first, broken, after)] == [Step.SENT, *[Step.SKIPPED] * 2]
    # Sent before the break: recorded as sent.
    assert outbox(db, first).status is OutboxStatus.SENT
    # The one that broke may have gone: claimed, in doubt once its lease is over (at most once).
    row = outbox(db, broken)
    assert (row.status, row.gateway, row.attempts) == (OutboxStatus.PENDING, "console", 1)
    # Never handed to a gateway: released, as if never claimed, and the next sweep's.
    row = outbox(db, after)
    assert (row.status, row.gateway, row.attempts) == (OutboxStatus.PENDING, None, 0)
    assert sending.rows_to_hand_over(db, utcnow(), Policy()) == [after]
    assert sending.send_one(db, jobs.switchboard(app), after, FAST).step is Step.SENT
    assert sending.send_one(db, jobs.switchboard(app), broken, FAST).step is Step.SKIPPED


def test_a_late_outcome_does_not_land_on_the_next_senders_claim(
    at_app: Flask, quiet_db: Database, fake: FakeAfricasTalking
) -> None:
    outbox_id = write_sms(quiet_db)

    def claimed_again_meanwhile(_request: object, _message_id: str) -> None:
        # As if this sender's claim had been given up and another sender had claimed the row
        # (the same gateway, one attempt more) while the gateway was answering this one.
        with quiet_db.transaction() as s:
            row = s.get_one(Outbox, outbox_id)
            row.attempts += 1

    fake.before_answer = claimed_again_meanwhile
    send(at_app, outbox_id)
    row = outbox(quiet_db, outbox_id)
    # Still the other sender's claim, for its own outcome to settle.
    assert (row.status, row.gateway_id, row.attempts) == (OutboxStatus.PENDING, None, 2)
    assert row.gateway is not None


def test_a_retry_answered_before_a_gateway_raised_is_still_scheduled(
    at_app: Flask, quiet_db: Database, fake: FakeAfricasTalking
) -> None:
    fake.answer("http-500")  # the first row's answer; the second row's gateway raises
    first, second = write_together(quiet_db, 2)
    gateways = copy.copy(jobs.switchboard(at_app))
    real = gateways.pick("africastalking")
    breaking = _BreaksOnSecondSend(real)
    breaking.name = real.name
    gateways.default = breaking
    gateways.by_name = {real.name: breaking}
    again = outbox_module.send(
        Context(at_app.config, {**at_app.extensions, "antre.gateways": gateways}, quiet_db),
        [first, second],
    )
    assert again[first] is not None  # the runner submits it again after the backoff
    assert again[second] is None
    assert outbox(quiet_db, first).status is OutboxStatus.QUEUED


def test_the_embedded_runner_sends_the_sms_due_together_in_one_batch(
    app: Flask, db: Database
) -> None:
    runner = jobs.runner(app)
    begun = transactions_begun(runner.database)
    ids = write_together(db, 10)
    assert runner.drain()
    assert {outbox(db, i).status for i in ids} == {OutboxStatus.SENT}
    assert len(begun) == 2  # one claim and one record for the ten
    runner.stop()


def test_a_batch_is_never_longer_to_send_than_a_quarter_of_a_claims_lease(
    database_url: str, tmp_path: Path, fake: FakeAfricasTalking
) -> None:
    console = make_app(database_url, tmp_path)
    assert sending.batch_size(jobs.switchboard(console), jobs.policy(console)) == 64
    for timeout, most in ((10, 2), (0.5, 31), (60, 1)):
        at = make_app(database_url, tmp_path, **fake_at.settings(fake, AT_TIMEOUT_SECONDS=timeout))
        rules = jobs.policy(at)
        assert sending.batch_size(jobs.switchboard(at), rules) == most
        assert most * timeout <= rules.lease.total_seconds() / 4 or most == 1


def test_after_a_batch_that_was_not_full_the_next_waits_a_moment_for_company(
    app: Flask, db: Database
) -> None:
    runner = jobs.runner(app)
    runner.gather_seconds = 2.0  # wide enough for a slow machine's five writes
    write_together(db, 1)
    assert runner.drain()
    begun = transactions_begun(runner.database)
    ids = [write_sms(db, body=f"Nomor antrean Anda B-{n:03d}") for n in range(5)]  # one by one
    assert runner.drain()
    assert {outbox(db, i).status for i in ids} == {OutboxStatus.SENT}
    # Written one by one, sent together (the first perhaps alone), not in five batches.
    assert len(begun) <= 4
    runner.stop()


def test_a_full_batch_does_not_wait_and_the_rest_waits_its_turn(app: Flask) -> None:
    batches: list[tuple[float, list[int]]] = []

    def work(_context: Any, ids: list[int]) -> dict[int, float | None]:
        batches.append((time.monotonic(), ids))
        return dict.fromkeys(ids)

    runner = Runner(app, work, lambda *_: None, batch=lambda _context: 3)
    runner.gather_seconds = 2.0
    try:
        runner.submit([1])
        assert runner.drain()
        runner.submit(range(2, 9))
        assert runner.drain(timeout=10)
    finally:
        runner.stop()
    assert [ids for _at, ids in batches] == [[1], [2, 3, 4], [5, 6, 7], [8]]
    first, _full, fuller, rest = (at for at, _ids in batches)
    assert fuller - first < 2.0  # full batches go at once
    assert rest - first >= 2.0  # the last, not full, waited for the gathering to end
