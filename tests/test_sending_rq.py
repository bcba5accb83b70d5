"""Sending through RQ on the real Redis: real workers, the real SDK, the local fake gateway."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from redis import Redis
from rq import Queue
from rq.job import Job, JobStatus

from antre import database_of as database
from antre import jobs
from booking.clock import utcnow
from booking.models import OutboxStatus
from plumbing import jobs as machinery
from tests import fake_africastalking as fake_at
from tests.fake_africastalking import FakeAfricasTalking
from tests.gateway_app import wait_for
from tests.test_sending import PHONE, make_app, outbox, write_sms

pytestmark = pytest.mark.redis


@pytest.fixture
def fake() -> Iterator[FakeAfricasTalking]:
    with fake_at.running(hang_seconds=2.0) as server:
        yield server


@pytest.fixture
def rq_app(
    database_url: str, redis_url: str, tmp_path: Path, fake: FakeAfricasTalking
) -> Iterator[Flask]:
    app = make_app(
        database_url,
        tmp_path,
        REDIS_URL=redis_url,
        **fake_at.settings(fake, AT_TIMEOUT_SECONDS=1.0, SMS_RETRY_INTERVALS="0,0,0"),
    )
    yield app
    database(app).dispose()


def queue(app: Flask) -> Queue:
    return Queue(jobs.QUEUE, connection=jobs.worker_connection(app))


def work(app: Flask) -> None:
    """`antre worker --burst`: an RQ worker that sends what is queued, then stops."""
    jobs.run_worker(app, burst=True)


def test_a_committed_sms_becomes_an_rq_job_that_a_worker_sends(
    rq_app: Flask, fake: FakeAfricasTalking
) -> None:
    db = database(rq_app)
    outbox_id = write_sms(db)
    [job] = queue(rq_app).get_jobs()
    assert (job.func_name, job.args) == ("antre.jobs.send_sms", (outbox_id,))
    work(rq_app)
    row = outbox(db, outbox_id)
    assert (row.status, row.attempts, row.cost) == (OutboxStatus.SENT, 1, "IDR 300.0000")
    assert row.gateway_id and row.gateway_id.startswith("ATXid_")
    assert [r.form["to"] for r in fake.requests] == [PHONE]
    assert Job.fetch(job.id, connection=queue(rq_app).connection).get_status() is JobStatus.FINISHED


def test_jobs_carry_rqs_retry_with_the_production_backoff(
    database_url: str, redis_url: str, tmp_path: Path
) -> None:
    app = make_app(database_url, tmp_path, REDIS_URL=redis_url)
    write_sms(database(app))
    [job] = queue(app).get_jobs()
    assert job.retries_left == 7
    assert job.retry_intervals == [10, 60, 300, 900, 1800, 3600, 3600]
    assert job.timeout and job.timeout > 4 * app.config["AT_TIMEOUT_SECONDS"]
    database(app).dispose()


def test_timeouts_and_gateway_errors_are_retried_by_rq_until_the_sms_goes(
    rq_app: Flask, fake: FakeAfricasTalking
) -> None:
    fake.answer("http-500", "recipient-500", "hang", "sent")
    outbox_id = write_sms(database(rq_app))
    work(rq_app)
    row = outbox(database(rq_app), outbox_id)
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 4)
    assert [r.answered for r in fake.requests] == ["http-500", "recipient-500", "hang", "sent"]


@pytest.mark.parametrize("answer", ["invalid", "blacklisted"])
def test_invalid_and_blacklisted_numbers_are_not_retried(
    rq_app: Flask, fake: FakeAfricasTalking, answer: str
) -> None:
    fake.answer(answer)
    outbox_id = write_sms(database(rq_app))
    [job] = queue(rq_app).get_jobs()
    work(rq_app)
    assert outbox(database(rq_app), outbox_id).status is OutboxStatus.FAILED
    assert len(fake.requests) == 1
    assert Job.fetch(job.id, connection=queue(rq_app).connection).get_status() is JobStatus.FINISHED


def test_a_job_that_runs_twice_sends_once(rq_app: Flask, fake: FakeAfricasTalking) -> None:
    outbox_id = write_sms(database(rq_app))
    assert jobs.enqueue(rq_app, [outbox_id])  # the same row, a second job
    assert queue(rq_app).count == 2
    work(rq_app)
    assert len(fake.requests) == 1
    assert outbox(database(rq_app), outbox_id).attempts == 1


@pytest.mark.slow
def test_two_worker_processes_racing_on_the_same_rows_send_each_once(
    rq_app: Flask, fake: FakeAfricasTalking, database_url: str, redis_url: str
) -> None:
    fake.delay_seconds = 0.3  # each send is slow enough for the other worker to try it too
    phones = [f"+62812345670{n:02d}" for n in range(4)]
    ids = [write_sms(database(rq_app), phone=phone) for phone in phones]
    for _ in range(2):
        assert jobs.enqueue(rq_app, ids)  # every row has three jobs
    env = os.environ | {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "ANTRE_SECRET_KEY": "test",
        **{f"ANTRE_{key}": str(value) for key, value in fake_at.settings(fake).items()},
    }
    command = [sys.executable, "-X", "faulthandler", "-c", "from antre.cli import main; main()"]
    workers = [
        subprocess.Popen(
            [*command, "worker", "--burst"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for _ in range(2)
    ]
    try:
        outputs = [finished(w, timeout=60) for w in workers]
    finally:
        for w in workers:
            if w.poll() is None:  # the other one hung: it must not outlive the test
                w.kill()
                w.communicate()
    assert [w.returncode for w in workers] == [0, 0], outputs
    assert sorted(r.form["to"] for r in fake.requests) == phones
    assert all("Job OK" in output for output in outputs), "both workers took jobs"
    assert {outbox(database(rq_app), i).status for i in ids} == {OutboxStatus.SENT}


def finished(process: subprocess.Popen[bytes], timeout: float) -> str:
    """A process's output once it has ended; if it has not in `timeout` seconds, a failure
    with every thread's stack (faulthandler's dump on SIGABRT), so a hang shows where."""
    try:
        return process.communicate(timeout=timeout)[0].decode()
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGABRT)
        output = process.communicate(timeout=10)[0].decode()
        pytest.fail(f"still running after {timeout:g} s:\n{output}")


def test_a_stopping_worker_does_not_wait_a_minute_for_its_command_listener(
    redis_url: str,
) -> None:
    redis = Redis.from_url(redis_url)
    try:
        worker = machinery._Worker([Queue("stop-test", connection=redis)], connection=redis)
        worker.subscribe()
        listener = worker.pubsub_thread
        assert listener is not None
        wait_for(lambda: worker.pubsub.subscribed, what="the subscription")
        # The interleaving that now and then held a stopping worker for RQ's 60 s: the
        # listener has read the answer to the UNSUBSCRIBE before it is told to stop, and waits
        # for a subscription again when the worker stops it.
        worker.pubsub.unsubscribe()
        wait_for(lambda: not worker.pubsub.subscribed, what="the unsubscription")
        time.sleep(0.2)  # the listener is back in its wait
        started = time.monotonic()
        worker.unsubscribe()
        assert not listener.is_alive()
        assert time.monotonic() - started < 10, "stopped within a few of the listener's waits"
    finally:
        redis.close()


def test_when_redis_is_down_at_commit_the_row_waits_and_goes_after_the_sweep(
    rq_app: Flask, fake: FakeAfricasTalking, database_url: str, tmp_path: Path
) -> None:
    down = make_app(
        database_url,
        tmp_path / "down",
        REDIS_URL=f"redis://127.0.0.1:{closed_port()}/0",
        **fake_at.settings(fake),
    )
    started = time.monotonic()
    outbox_id = write_sms(database(down))  # the booking's transaction: it must not notice
    assert time.monotonic() - started < 1.5
    database(down).dispose()
    assert outbox(database(rq_app), outbox_id).status is OutboxStatus.PENDING
    assert queue(rq_app).count == 0

    assert jobs.sweep(rq_app) == 0  # still within the grace period: maybe on its way
    assert jobs.sweep(rq_app, now=utcnow() + timedelta(minutes=1)) == 1
    work(rq_app)
    assert outbox(database(rq_app), outbox_id).status is OutboxStatus.SENT
    assert len(fake.requests) == 1


def test_a_delivery_report_moves_the_sent_row_to_delivered(
    rq_app: Flask, fake: FakeAfricasTalking
) -> None:
    outbox_id = write_sms(database(rq_app))
    work(rq_app)
    row = outbox(database(rq_app), outbox_id)
    answer = rq_app.test_client().post(
        "/sms/delivery",
        data={
            "id": row.gateway_id,
            "status": "Success",
            "phoneNumber": PHONE,
            "networkCode": "51010",
        },
    )
    assert answer.status_code == 200
    assert outbox(database(rq_app), outbox_id).status is OutboxStatus.DELIVERED


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port
