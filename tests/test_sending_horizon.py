"""How long an SMS is tried, what is given up and why, and sending again what failed: a
reminder past its appointment, a send in doubt through a gateway that refuses copies, and
`antre sms failed|resend`."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import update

from antre import database_of as database
from antre import jobs
from antre.cli import cli
from antre.demo import seed
from booking import records
from booking.models import Outbox, OutboxStatus
from booking.notices import EVENING_REMINDER
from gateways.android import AndroidGateway
from plumbing.db import Database
from sms import sending
from sms.sending import Step
from tests.fake_africastalking import FakeAfricasTalking
from tests.fake_android import FakeAndroidPhone
from tests.helpers import session_id, take, today
from tests.test_gateway_android import android_settings
from tests.test_sending import FAST, PHONE, at_app, fake, make_app, outbox, write_sms

__all__ = ["at_app", "fake"]  # fixtures used here


def reminder_for_a_booking(db: Database, now: datetime) -> tuple[int, datetime]:
    """A reminder row for a booking in this morning's session; and when that session ends."""
    db.run(lambda s: seed(s, now))
    booking = take(db, session_id(db, day=today(now)), PHONE, now)

    def write(session: Any) -> int:
        row = records.sms(
            session, phone=PHONE, body="Besok Anda A-001", kind=EVENING_REMINDER, now=now,
            booking_id=booking.id,
        )  # fmt: skip
        assert row is not None
        session.flush()
        return row.id

    reminder = db.run(write)
    with db.transaction() as s:
        booked = s.get_one(type(booking), booking.id)
        ends = datetime.combine(booked.day, booked.session.end_time).replace(tzinfo=now.tzinfo)
    # 08:00-12:00 WIB is 01:00-05:00 UTC: the session's end in UTC
    return reminder, ends - timedelta(hours=7)


def test_a_reminder_retried_after_its_appointment_is_given_up_and_says_why(
    at_app: Flask, fake: FakeAfricasTalking, now: datetime
) -> None:
    db = database(at_app)
    at_app.extensions["sms.outbox"].hand_over = None  # this test sends the rows itself
    reminder, session_end = reminder_for_a_booking(db, now)
    with db.transaction() as s:  # its first attempt failed, as the gateway was down
        s.execute(update(Outbox).where(Outbox.id == reminder).values(attempts=1,
                  status=OutboxStatus.QUEUED))  # fmt: skip
    switchboard = jobs.switchboard(at_app)
    after = session_end + timedelta(minutes=1)
    report = sending.send_one(db, switchboard, reminder, FAST, clock=lambda: after)
    assert report.step is Step.SKIPPED
    row = outbox(db, reminder)
    assert (row.status, row.error) == (OutboxStatus.FAILED, sending.TOO_LATE)
    assert [r for r in fake.requests if r.form["message"] == "Besok Anda A-001"] == []


def test_a_reminder_retried_before_its_appointment_still_goes(
    at_app: Flask, fake: FakeAfricasTalking, now: datetime
) -> None:
    db = database(at_app)
    at_app.extensions["sms.outbox"].hand_over = None
    reminder, session_end = reminder_for_a_booking(db, now)
    with db.transaction() as s:
        s.execute(update(Outbox).where(Outbox.id == reminder).values(attempts=1,
                  status=OutboxStatus.QUEUED))  # fmt: skip
    before = session_end - timedelta(minutes=1)
    report = sending.send_one(db, jobs.switchboard(at_app), reminder, FAST, clock=lambda: before)
    assert report.step is Step.SENT


def test_a_send_in_doubt_through_the_phone_is_made_again_and_the_phone_keeps_one(
    database_url: str, tmp_path: Path
) -> None:
    with FakeAndroidPhone() as phone:
        app = make_app(database_url, tmp_path, **android_settings(phone))
        try:
            app.extensions["sms.outbox"].hand_over = None
            db = database(app)
            outbox_id = write_sms(db)
            claimed_at = datetime.now().astimezone()
            switchboard = jobs.switchboard(app)
            with db.transaction() as session:
                claim = sending._claim(session, outbox_id, switchboard, claimed_at)
            assert claim is not None
            gateway = switchboard.pick("android")
            assert isinstance(gateway, AndroidGateway)
            # The phone takes it; the sender dies before it can record the answer.
            gateway.send(claim.phone, claim.body, message_id=claim.message_id)
            rules = jobs.policy(app)
            later = claimed_at + rules.lease * 2
            failed = sending.fail_in_doubt(db, later, rules, switchboard.refusing_copies)
            assert failed == 0
            row = outbox(db, outbox_id)
            assert row.status is OutboxStatus.QUEUED and row.error and "in doubt" in row.error
            assert sending.rows_to_hand_over(db, later, rules) == [outbox_id]
            assert sending.send_one(db, switchboard, outbox_id, rules).step is Step.SENT
            assert outbox(db, outbox_id).gateway_id == claim.message_id
            assert len(phone.posts) == 2 and list(phone.messages) == [claim.message_id]
        finally:
            database(app).dispose()


def test_antre_sms_resend_sends_again_what_failed_and_in_doubt_only_when_asked(
    at_app: Flask, fake: FakeAfricasTalking
) -> None:
    db = database(at_app)
    at_app.extensions["sms.outbox"].hand_over = None
    gave_up, in_doubt = write_sms(db), write_sms(db, phone="+6285712345678")
    fake.answer("http-500", "http-500", "http-500", "http-500")
    for _ in range(4):
        sending.send_one(db, jobs.switchboard(at_app), gave_up, FAST)
    assert outbox(db, gave_up).status is OutboxStatus.FAILED
    with db.transaction() as s:
        s.execute(update(Outbox).where(Outbox.id == in_doubt).values(
            status=OutboxStatus.FAILED, error=sending.IN_DOUBT))  # fmt: skip
    runner = at_app.test_cli_runner()
    listed = runner.invoke(cli, ["sms", "failed"])
    assert listed.exit_code == 0, listed.output
    assert str(gave_up) in listed.output and "+62812*****890" in listed.output
    assert PHONE not in listed.output and "2 failed, 1 of them in doubt" in listed.output

    first = runner.invoke(cli, ["sms", "resend", "--all-failed"])
    assert first.exit_code == 0 and "1 SMS will be sent again" in first.output, first.output
    assert outbox(db, gave_up).status is OutboxStatus.PENDING
    assert outbox(db, in_doubt).status is OutboxStatus.FAILED  # perhaps sent: not without asking
    assert jobs.sweep(at_app) == 1 and jobs.runner(at_app).drain()
    assert outbox(db, gave_up).status is OutboxStatus.SENT

    second = runner.invoke(cli, ["sms", "resend", str(in_doubt), "--in-doubt"])
    assert "1 SMS will be sent again" in second.output, second.output
    assert jobs.sweep(at_app) == 1 and jobs.runner(at_app).drain()
    assert outbox(db, in_doubt).status is OutboxStatus.SENT
    nothing = runner.invoke(cli, ["sms", "resend"])
    assert nothing.exit_code == 2 and "--all-failed" in nothing.output
