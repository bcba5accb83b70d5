"""USSD under gunicorn, beside a bare Flask endpoint and a raw PostgreSQL counter, in one run.

    python -m bench.ussd [--postgres-url URL] [--redis-url redis://127.0.0.1:6379/13]
                         [--clients 64] [--processes 2] [--seconds 10] [--workers 2] [--threads 1]

Everything on loopback, every run bounded by `--seconds`. It makes a scratch PostgreSQL
database (the demo plus 34 facilities, capacity 1,000,000), empties the given Redis database,
then measures with `--clients` concurrent HTTP clients spread over `--processes` processes:
- bare: a Flask app whose one endpoint answers `CON hello`, served by gunicorn exactly as Antre;
- first dial: `POST /ussd` with empty text from a returning phone (a new sessionId each time);
- one-dial booking: `POST /ussd` with `1001*1*2*1*1`-style text (code, take a number, service,
  first time, for me) from a new phone each time, spread over ~100 sessions;
- raw counter: `UPDATE … RETURNING` + `INSERT` + commit on as many rows as those sessions
  (bench.engine's operation);
- the engine's statements: the SQL one booking of the engine sends, replayed by plain psycopg
  across today's sessions (bench.engine's replay): what a booking's database work alone
  allows, with no HTTP, no menu and no Python, beside which to read the one-dial rate.
Then checks the database: no number twice, one booking per booking phone, places_taken right,
and prints the most one-dial bookings could reach here: a request that costs at least the
bare endpoint's CPU and the engine's statements' CPU, each measured as the machine's busy share
over the rate, 1 / (busy/rate of bare + busy/rate of the statements).
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import os
import platform
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from datetime import time as clock
from pathlib import Path
from urllib.parse import urlencode

from flask import Flask
from redis import Redis
from sqlalchemy import func, select, text, update

from antre import migrate
from antre.demo import seed
from bench.common import HEADER, Factory, ScratchDatabase, row, run
from bench.engine import (
    capture_statements,
    check_engine,
    raw_factory,
    service_of,
    statements_factory,
)
from booking.clock import local_today
from booking.models import Booking, ClinicSession, Facility, Phone, Service
from plumbing.db import Database

ROOT = Path(__file__).resolve().parent.parent
EXTRA_FACILITIES = 34  # 35 facilities x 3 services: 105 sessions for the one-dial bookings
RETURNING_PHONES = 512


def bare_app() -> Flask:
    """The baseline: Flask and gunicorn and HTTP, and nothing of Antre."""
    app = Flask("bare")

    @app.post("/ussd")
    def ussd() -> tuple[str, int, dict[str, str]]:
        return "CON hello", 200, {"Content-Type": "text/plain; charset=utf-8"}

    @app.get("/healthz")
    def healthz() -> str:
        return "ok"

    return app


def prepare(url: str) -> tuple[list[str], list[str]]:
    """Seed; make every session bookable all day (so the run does not depend on the hour).

    Returns the one-dial paths (one per facility and service) and the returning phones.
    """
    migrate.upgrade(url)
    database = Database(url)
    now = datetime.now(UTC)
    database.run(lambda s: seed(s, now, capacity=1_000_000, extra_facilities=EXTRA_FACILITIES))
    with database.transaction() as s:
        s.execute(update(Facility).values(cutoff_minutes=0))
        s.execute(update(ClinicSession).values(capacity=1_000_000, end_time=clock(23, 59)))
        s.execute(text("CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL)"))
        s.execute(
            text(
                "CREATE TABLE ticket (id bigserial PRIMARY KEY, counter_id int NOT NULL,"
                " n int NOT NULL, at timestamptz NOT NULL, UNIQUE (counter_id, n))"
            )
        )
        paths = []
        for facility in s.scalars(select(Facility).order_by(Facility.code)):
            services = s.scalar(
                select(func.count()).where(Service.facility_id == facility.id, Service.active)
            )
            # code, take a number, the service, the first time offered (today), for me
            paths += [f"{facility.code}*1*{n}*1*1" for n in range(1, (services or 0) + 1)]
        first = s.scalars(select(Facility).where(Facility.code == "1001")).one()
        phones = [f"+62811{n:08d}" for n in range(RETURNING_PHONES)]
        for phone in phones:
            s.add(Phone(number=phone, language="id", facility_id=first.id))
        s.execute(text(f"INSERT INTO counter SELECT g, 0 FROM generate_series(1, {len(paths)}) g"))
    database.dispose()
    return paths, phones


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def gunicorn(target: str, workers: int, threads: int, env: dict[str, str]) -> Iterator[int]:
    """Serve `target` with gunicorn on loopback until the block ends; yields the port."""
    port = free_port()
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "--workers", str(workers),
        "--threads", str(threads),  # more than 1: gunicorn's gthread worker
        "--bind", f"127.0.0.1:{port}",
        "--backlog", "2048",
        "--log-level", "warning",
        target,
    ]  # fmt: skip
    server = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env})
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                connection.request("GET", "/healthz")
                if connection.getresponse().status in (200, 503):
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError(f"gunicorn {target} did not start")
            time.sleep(0.2)
        yield port
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def post(port: int, form: dict[str, str]) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        body = urlencode(form)
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        connection.request("POST", "/ussd", body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def dial_factory(port: int, text_of: object, phone_of: object, expect: str) -> Factory:
    """Clients that each POST one USSD request per operation, a new sessionId every time."""

    def factory(process: int, thread: int) -> object:
        counter = itertools.count()
        unexpected: list[str] = []

        def operation() -> bool:
            n = next(counter)
            form = {
                "sessionId": f"ATUid_{uuid.uuid4().hex}",
                "serviceCode": "*123#",
                "phoneNumber": phone_of(process, thread, n),  # type: ignore[operator]
                "text": text_of(process, thread, n),  # type: ignore[operator]
                "networkCode": "51010",
            }
            status, answer = post(port, form)
            if status != 200:
                raise RuntimeError(f"HTTP {status}: {answer[:80]}")
            if answer.startswith(expect):
                return True
            if len(unexpected) < 2:  # say what came instead, a couple of times per client
                unexpected.append(answer)
                print(f"unexpected answer: {answer[:70]!r}", file=sys.stderr)
            return False

        return operation

    return factory  # type: ignore[return-value]


def never_stuck(factory: Factory) -> Factory:
    """A client that cannot start (no database connection left) fails its operations instead.

    bench.common starts all clients together at a barrier: one that died before reaching it
    would keep the others waiting for ever.
    """

    def guarded(process: int, thread: int) -> object:
        try:
            return factory(process, thread)
        except Exception as error:
            print(f"client could not start: {error}", file=sys.stderr)

            def failing() -> bool:
                time.sleep(0.1)
                raise RuntimeError("client could not start")

            return failing

    return guarded  # type: ignore[return-value]


def todays_sessions(url: str) -> list[int]:
    database = Database(url)
    with database.transaction() as s:
        found = list(
            s.scalars(
                select(ClinicSession.id)
                # The demo's facilities are all in Asia/Jakarta: their today, as the menu's.
                .where(ClinicSession.day == local_today(datetime.now(UTC), "Asia/Jakarta"))
                .order_by(ClinicSession.id)
            )
        )
    database.dispose()
    return found


def check_one_dial(url: str, prefix: str) -> dict[str, int]:
    """The engine's checks, and no booking phone with two numbers (a request booked twice)."""
    checks = check_engine(url)
    database = Database(url)
    with database.transaction() as s:
        twice = s.scalar(
            select(func.count()).select_from(
                select(Booking.booked_by)
                .where(Booking.booked_by.like(f"{prefix}%"))
                .group_by(Booking.booked_by)
                .having(func.count() > 1)
                .subquery()
            )
        )
    database.dispose()
    return {**checks, "phones_booked_twice": twice or 0}


def load_arguments(parser: argparse.ArgumentParser) -> None:
    """The servers and the load, alike for every USSD benchmark."""
    parser.add_argument(
        "--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    load_arguments(parser)
    parser.add_argument("--threads", type=int, default=1, help="per worker; 1: sync (README)")
    args = parser.parse_args()
    load = {"clients": args.clients, "processes": args.processes, "seconds": args.seconds}
    redis = Redis.from_url(args.redis_url)
    redis.flushdb()
    run_id = f"{os.getpid() % 100:02d}"
    booking_prefix = f"+62813{run_id}"
    with ScratchDatabase(args.postgres_url) as scratch:
        paths, phones = prepare(scratch.url)
        env = {
            "DATABASE_URL": scratch.url,
            "REDIS_URL": args.redis_url,
            "ANTRE_SECRET_KEY": "bench",
            "ANTRE_SIMULATOR": "false",
        }
        with gunicorn("bench.ussd:bare_app()", args.workers, args.threads, env) as port:
            bare = run(
                "bare Flask endpoint",
                dial_factory(port, lambda *_: "", lambda *_: phones[0], "CON "),
                **load,
            )
        with gunicorn("wsgi:app", args.workers, args.threads, env) as port:
            first = run(
                "USSD first dial",
                dial_factory(
                    port,
                    lambda *_: "",
                    lambda p, t, n: phones[(p * 131 + t * 17 + n) % len(phones)],
                    "CON ",
                ),
                **load,
            )
            booked = run(
                f"USSD booking in one dial, {len(paths)} sessions",
                dial_factory(
                    port,
                    lambda p, t, n: paths[(p * 997 + t * 31 + n) % len(paths)],
                    # A new valid Indonesian mobile per booking: +62 813 rr p tt nnnn
                    lambda p, t, n: f"{booking_prefix}{p % 10}{t:02d}{n:04d}",
                    "END Nomor Anda:",
                ),
                **load,
            )
        raw = run(
            f"raw counter, {len(paths)} rows",
            never_stuck(raw_factory(scratch.url, len(paths))),
            **load,
        )
        today = todays_sessions(scratch.url)
        replay = statements_factory(
            scratch.url,
            capture_statements(scratch.url, today[0], datetime.now(UTC)),
            service_of(scratch.url, today),
            "817",
        )
        statements = run(f"engine's statements, {len(today)} sessions", never_stuck(replay), **load)
        checks = check_one_dial(scratch.url, booking_prefix)
        database = Database(scratch.url)
        with database.engine.connect() as connection:
            server = connection.execute(text("SHOW server_version")).scalar()
        database.dispose()
    redis.flushdb()
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs; PostgreSQL {server}")
    print(
        f"load: {args.clients} clients in {args.processes} processes, {args.seconds:g} s each;"
        f" gunicorn {args.workers} workers x {args.threads} threads"
    )
    print(HEADER)
    print(row(bare))
    print(row(first, bare))
    print(row(raw))
    print(row(statements, raw))
    print(row(booked, raw))
    print("checks:", checks)
    # A one-dial booking is at least an HTTP request (the bare run's CPU per request: client,
    # gunicorn, Flask) and the engine's statements (the replay's: psycopg and PostgreSQL), so
    # on the same cores it cannot beat both together. Each run's CPU per operation is the
    # machine's busy share over its rate (other work on a shared machine counts too).
    if bare.busy and statements.busy:
        bound = 1 / (bare.busy / bare.rate + statements.busy / statements.rate)
        print(
            f"one-dial ceiling, 1 / (busy/rate of bare + of statements): {bound:.0f}/s ="
            f" {bound / raw.rate:.0%} of raw (CPU busy: bare {bare.busy:.0%},"
            f" statements {statements.busy:.0%})"
        )
    first_ok = first.rate >= 0.4 * bare.rate and first.percentile(0.99) <= 100
    booked_ok = booked.rate >= 0.25 * raw.rate and checks["duplicate_numbers"] == 0
    print(f"first dial ≥ 40% of bare, p99 ≤ 100 ms: {'met' if first_ok else 'NOT met'}")
    print(f"one-dial bookings ≥ 25% of raw, no duplicates: {'met' if booked_ok else 'NOT met'}")


if __name__ == "__main__":
    main()
