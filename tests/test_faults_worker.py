"""The SMS worker under faults: Redis killed while it sends, then back. Real `antre worker`
processes, a throwaway Redis of the test's own, the real SDK against the local gateway."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from antre import database_of as database
from antre import jobs
from booking.clock import utcnow
from booking.models import OutboxStatus
from tests import fake_africastalking as fake_at
from tests.conftest import service_missing
from tests.fake_africastalking import FakeAfricasTalking, Request
from tests.faults import ThrowawayRedis, start_worker
from tests.gateway_app import wait_for
from tests.test_sending import make_app, outbox, write_sms

pytestmark = [pytest.mark.redis, pytest.mark.slow]

FIRST, SECOND = "+6281234567890", "+6285712345678"


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[ThrowawayRedis]:
    if (missing := ThrowawayRedis.missing()) is not None:
        service_missing("redis-server", RuntimeError(missing))
    server = ThrowawayRedis(tmp_path / "redis").start()
    yield server
    server.kill()


@pytest.fixture
def fake() -> Iterator[FakeAfricasTalking]:
    with fake_at.running(hang_seconds=2.0) as server:
        yield server


def settings(fake: FakeAfricasTalking, redis: ThrowawayRedis, database_url: str) -> dict[str, Any]:
    return {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis.url,
        **fake_at.settings(fake, AT_TIMEOUT_SECONDS=2.0, SMS_RETRY_INTERVALS="0,0,0"),
    }


def test_a_worker_that_loses_redis_mid_send_starts_again_and_sends_once_redis_is_back(
    database_url: str, tmp_path: Path, fake: FakeAfricasTalking, redis_server: ThrowawayRedis
) -> None:
    every = settings(fake, redis_server, database_url)
    app: Flask = make_app(database_url, tmp_path, **every)
    killed = threading.Event()

    def kill_redis_while_sending(request: Request, _message_id: str) -> None:
        if not killed.is_set():  # the gateway takes the SMS; RQ will not be able to say so
            killed.set()
            redis_server.kill()

    fake.before_answer = kill_redis_while_sending
    worker = start_worker(every, tmp_path)
    try:
        db = database(app)
        first = write_sms(db, phone=FIRST)
        assert wait_for(killed.is_set, timeout=20, what="the worker's first send")
        wait_for(lambda: outbox(db, first).status is OutboxStatus.SENT, what="the first SMS")
        time.sleep(2.0)  # Redis stays away a while; the worker quits and waits
        assert worker.poll() is None, "the worker process died with Redis"
        redis_server.start()  # back on the same port, empty: it keeps nothing on disk
        second = write_sms(db, phone=SECOND)
        wait_for(
            lambda: outbox(db, second).status is OutboxStatus.SENT,
            timeout=30,
            what="the worker, started again, to send the next SMS",
        )
        assert worker.poll() is None
        assert [r.form["to"] for r in fake.requests] == [FIRST, SECOND]  # each once
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        finally:
            if worker.poll() is None:
                worker.kill()
            database(app).dispose()
    log = (tmp_path / "worker.log").read_text()
    assert "starting it again" in log, log[-3000:]


def test_healthz_says_when_no_worker_has_swept_and_when_one_has(
    database_url: str, tmp_path: Path, fake: FakeAfricasTalking, redis_server: ThrowawayRedis
) -> None:
    app = make_app(database_url, tmp_path, **settings(fake, redis_server, database_url))
    client = app.test_client()
    try:
        silent = client.get("/healthz")
        assert silent.status_code == 200  # the web works; the SMS wait in the outbox
        assert silent.json is not None and silent.json["status"] == "degraded"
        assert silent.json["worker"].startswith("no sweep")
        assert client.get("/healthz/worker").status_code == 503
        jobs.sweep(app)  # what a running worker does every minute
        swept = client.get("/healthz")
        assert swept.json is not None and (swept.json["status"], swept.json["worker"]) == (
            "ok",
            "ok",
        )
        assert client.get("/healthz/worker").status_code == 200
        later = utcnow().timestamp() - 4 * 60  # as if that sweep were four minutes old
        jobs.worker_connection(app).set("antre:sweep:last", f"{later:.0f}")
        stale = client.get("/healthz/worker")
        assert stale.status_code == 503 and stale.json is not None
        assert stale.json["worker"].startswith("no sweep for 2")  # 240 s
        redis_server.kill()
        gone = client.get("/healthz")
        assert gone.status_code == 503 and gone.json is not None
        assert gone.json["redis"].startswith("down")
        assert client.get("/healthz/worker").status_code == 503
    finally:
        database(app).dispose()


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (Linux's /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has exited; only its parent's wait is missing


def test_a_worker_killed_with_sigkill_leaves_no_scheduler_behind(
    database_url: str, tmp_path: Path, fake: FakeAfricasTalking, redis_server: ThrowawayRedis
) -> None:
    every = settings(fake, redis_server, database_url)
    app: Flask = make_app(database_url, tmp_path, **every)
    worker = start_worker(every, tmp_path)
    redis = jobs.worker_connection(app)
    scheduler = 0
    try:
        lock = "rq:scheduler-lock:sms"
        wait_for(lambda: redis.exists(lock), timeout=20, what="the worker's scheduler")
        [scheduler] = wait_for(lambda: children(worker.pid), what="the scheduler's process")
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        wait_for(lambda: not alive(scheduler), timeout=10, what="the orphaned scheduler to stop")
        wait_for(lambda: not redis.exists(lock), timeout=5, what="the scheduler lock released")
    finally:
        if worker.poll() is None:
            worker.kill()
        if scheduler and alive(scheduler):  # left behind: never outlive the test
            os.kill(scheduler, signal.SIGKILL)
        redis.close()
        database(app).dispose()
