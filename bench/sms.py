"""From a booking's commit to its receipt SMS at the gateway, during a burst of bookings.

Real pieces only: a fresh PostgreSQL database, the real Redis, `antre worker` processes, the
real africastalking SDK, and the local fake gateway (tests/fake_africastalking.py). Bookings
are taken at a steady rate (default 50 per second) by the engine, each in its own transaction,
as a USSD request would; the latency of one SMS is the time from its booking's commit to the
moment the gateway got the request.

    .venv/bin/python -m bench.sms [--rate 50] [--seconds 10] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from redis import Redis
from sqlalchemy import create_engine, event, select, text

from antre import create_app, database_of, migrate
from antre.demo import seed
from booking.clock import local_today, utcnow
from booking.commands import TakeNumber
from booking.models import Channel, ClinicSession, Facility, Service
from booking.taking import take_number
from tests import fake_africastalking as fake_at

POSTGRES = os.environ.get(
    "ANTRE_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REDIS = os.environ.get("ANTRE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=50.0, help="bookings per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the burst")
    parser.add_argument("--workers", type=int, default=2, help="antre worker processes")
    args = parser.parse_args()

    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    name = f"antre_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    Redis.from_url(REDIS).flushdb()
    fake = fake_at.FakeAfricasTalking().start()
    workers: list[subprocess.Popen[bytes]] = []
    try:
        migrate.upgrade(url)
        settings = fake_at.settings(fake, AT_TIMEOUT_SECONDS=5.0)
        app = create_app({"DATABASE_URL": url, "REDIS_URL": REDIS, **settings})
        database = database_of(app)
        now = utcnow()
        database.run(lambda s: seed(s, now, capacity=100_000))
        session_id = _tomorrows_session(app)

        env = os.environ | {"DATABASE_URL": url, "REDIS_URL": REDIS, "ANTRE_SECRET_KEY": "bench"}
        env |= {f"ANTRE_{key}": str(value) for key, value in settings.items()}
        command = [sys.executable, "-c", "from antre.cli import main; main()", "worker"]
        workers = [
            subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for _ in range(args.workers)
        ]
        time.sleep(2.0)  # the workers are up and waiting on the queue

        committed: dict[str, float] = {}
        stamp = threading.local()

        @event.listens_for(database.sessions, "after_commit", insert=True)
        def _committed(_session: object) -> None:
            stamp.at = time.time()  # before the outbox hook enqueues the job

        def book(n: int) -> None:
            phone = f"+62813{n:08d}"
            command = TakeNumber(session_id=session_id, phone=phone, channel=Channel.USSD)
            database.run(lambda s: take_number(s, command, utcnow()))
            committed[phone] = stamp.at

        total = int(args.rate * args.seconds)
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=16) as pool:
            for n in range(total):
                delay = started + n / args.rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                pool.submit(book, n)
        booked_in = time.monotonic() - started

        deadline = time.monotonic() + 60
        while len(fake.requests) < total and time.monotonic() < deadline:
            time.sleep(0.05)
        arrived = {r.form["to"]: r.received_at for r in fake.requests}
        latencies = sorted(
            (arrived[phone] - at) * 1000 for phone, at in committed.items() if phone in arrived
        )
        duplicates = len(fake.requests) - len(arrived)
        print(
            f"bookings: {total} in {booked_in:.1f} s ({total / booked_in:.1f}/s), "
            f"{args.workers} worker processes"
        )
        print(f"SMS at the gateway: {len(latencies)}/{total}, duplicates: {duplicates}")
        if latencies:
            p50 = statistics.median(latencies)
            p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
            print(
                f"commit → gateway: p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {latencies[-1]:.1f} ms"
            )
        database_of(app).dispose()
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                worker.kill()
        fake.stop()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        Redis.from_url(REDIS).flushdb()


def _tomorrows_session(app: object) -> int:
    database = database_of(app)  # type: ignore[arg-type]
    with database.transaction() as s:
        tomorrow = local_today(utcnow(), "Asia/Jakarta") + timedelta(days=1)
        found = s.scalar(
            select(ClinicSession.id)
            .join(Service, ClinicSession.service_id == Service.id)
            .join(Facility, Service.facility_id == Facility.id)
            .where(Facility.code == "1001", Service.code == "UMUM", ClinicSession.day == tomorrow)
            .order_by(ClinicSession.start_time)
        )
    assert found is not None, "the demo has no session tomorrow"
    return found


if __name__ == "__main__":
    main()
