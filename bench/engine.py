"""Booking engine throughput on PostgreSQL, beside a raw counter row, in one run.

    python -m bench.engine [--postgres-url URL] [--clients 64] [--processes 2] [--seconds 10]
                           [--rounds 2] [--json FILE]

Measures (64 concurrent clients by default, spread over processes so that both cores work):
- raw: `UPDATE counter SET n = n + 1 … RETURNING n` + `INSERT` + commit, on one hot row
  and across 100 rows: what the database alone can do with our shape of work;
- statements: the very SQL statements the engine sends for one booking (captured from a real
  `take_number`), replayed by plain psycopg with nothing else: what the engine's database work
  costs with no Python on top, so the gap between raw and engine splits into the database's
  share and ours;
- engine: `booking.taking.take_number` through `Database.run`, exactly as the web app calls
  it, on one hot session and across 100 sessions.
The three kinds run one after another on the hot session, then across sessions, in --rounds
alternations splitting --seconds (the statements before the engine in even rounds, after it in
odd ones, so that neither always finds the tables the other has just grown); every client opens
its connection before the clock starts. Then checks the
engine's bookings: no number twice, places_taken equal to the active count,
capacity never exceeded. Prints a table; `--json FILE` also writes the figures.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import subprocess
import threading
import time
from datetime import UTC, datetime

import psycopg
from sqlalchemy import event, func, select, text, update

from antre import migrate
from antre.demo import seed
from bench.common import HEADER, Factory, Result, ScratchDatabase, row, run
from booking.commands import TakeNumber
from booking.errors import Refused
from booking.models import ACTIVE, Booking, Channel, ClinicSession
from booking.taking import take_number
from plumbing.db import Database

NOW = datetime(2026, 11, 23, 0, 30, tzinfo=UTC)  # 07:30 WIB: today's sessions take bookings
SPREAD = 100
# Mobile prefixes for the bench's phones, one per round, so that no round repeats a phone.
HOT_OPERATORS = ("812", "821", "851")
SPREAD_OPERATORS = ("813", "822", "852")
STATEMENT_OPERATORS = {1: ("814", "823", "853"), SPREAD: ("815", "828", "855")}
_PROCESS_DB_LOCK = threading.Lock()


def raw_factory(url: str, rows: int) -> Factory:
    dsn = url.replace("postgresql+psycopg://", "postgresql://")

    def factory(process: int, thread: int) -> object:
        connection = psycopg.connect(dsn)
        counter = itertools.count()

        def operation() -> bool:
            row_id = (process * 1000 + thread + next(counter)) % rows + 1
            with connection.cursor() as cursor:
                cursor.execute("UPDATE counter SET n = n + 1 WHERE id = %s RETURNING n", (row_id,))
                (number,) = cursor.fetchone()  # type: ignore[misc]
                cursor.execute(
                    "INSERT INTO ticket (counter_id, n, at) VALUES (%s, %s, now())",
                    (row_id, number),
                )
            connection.commit()
            return True

        return operation

    return factory  # type: ignore[return-value]


# The engine's statements for one booking, captured once per run: (SQL, parameters).
Statements = list[tuple[str, dict[str, object]]]
_CAPTURED_PHONE = "+62811990000000"  # in E.164 already, so the engine sends it as it is


def capture_statements(url: str, session_id: int, now: datetime = NOW) -> Statements:
    """What the engine sends PostgreSQL for one booking of a new phone, as the driver got it."""
    database = Database(url, pool_size=1)
    sent: Statements = []

    def keep(_c: object, _cur: object, statement: str, parameters: object, *_: object) -> None:
        sent.append((statement, dict(parameters or {})))  # type: ignore[call-overload]

    event.listen(database.engine, "before_cursor_execute", keep)
    command = TakeNumber(
        session_id=session_id,
        phone=_CAPTURED_PHONE,
        channel=Channel.API,
        request_key="bench:captured",
    )
    database.run(lambda s: take_number(s, command, now))
    database.dispose()
    assert any(_CAPTURED_PHONE in p.values() for _, p in sent), "the phone was sent changed"
    return sent


def statements_factory(
    url: str, statements: Statements, sessions: dict[int, int], operator: str
) -> Factory:
    """Replay the captured statements per booking with plain psycopg: a new phone, key and
    session each time, and the number the counter statement returned."""
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    ids = list(sessions)

    def factory(process: int, thread: int) -> object:
        connection = psycopg.connect(dsn)
        counter = itertools.count()

        def operation() -> bool:
            n = next(counter)
            sid = ids[(process * 997 + thread * 31 + n) % len(ids)]
            swap = {
                _CAPTURED_PHONE: f"+62{operator}{process:02d}{thread:02d}{n:05d}",
                "bench:captured": f"bench:statements:{operator}:{process}:{thread}:{n}",
            }
            number = None
            try:
                with connection.cursor() as cursor:
                    for statement, captured in statements:
                        params = {
                            key: sid
                            if key.endswith("session_id")
                            else sessions[sid]
                            if key.endswith("service_id") or key == "of_service"
                            else swap.get(value, value)
                            if isinstance(value, str)
                            else value
                            for key, value in captured.items()
                        }
                        if "bookings_number" in params:
                            if number is None:
                                raise RuntimeError("no statement handed back the number")
                            params["bookings_number"] = number
                            params["bookings_display"] = f"A-{number:03d}"
                        cursor.execute(statement, params)
                        if cursor.description is not None:
                            found = cursor.fetchall()
                            # The number is drawn from the service's day counter
                            # (service_days), handed back by the statement that moves it.
                            if "INSERT INTO service_days" in statement:
                                number = found[0][0]
                connection.commit()
            except Exception:
                connection.rollback()
                raise
            return True

        return operation

    return factory  # type: ignore[return-value]


def engine_factory(
    url: str, sessions: list[int], threads_per_process: int, tag: str, operator: str
) -> Factory:
    def factory(process: int, thread: int) -> object:
        # One Database (one pool, a connection per client) per process, made by its first
        # thread: the others wait for it rather than each making a pool of their own.
        with _PROCESS_DB_LOCK:
            if not hasattr(engine_factory, "database"):
                engine_factory.database = _warm(Database(url, pool_size=threads_per_process))  # type: ignore[attr-defined]
        database: Database = engine_factory.database  # type: ignore[attr-defined]
        counter = itertools.count()

        def operation() -> bool:
            n = next(counter)
            sid = sessions[(process * 997 + thread * 31 + n) % len(sessions)]
            # A distinct valid Indonesian mobile per booking and run: +62 8xx pp tt nnnnn.
            phone = f"+62{operator}{process:02d}{thread:02d}{n:05d}"
            command = TakeNumber(
                session_id=sid,
                phone=phone,
                channel=Channel.API,
                request_key=f"bench:{tag}:{process}:{thread}:{n}",
            )
            try:
                database.run(lambda s: take_number(s, command, NOW))
            except Refused:
                return False
            return True

        return operation

    return factory  # type: ignore[return-value]


def _warm(database: Database) -> Database:
    """Open every pooled connection before the clock starts, as the raw clients open theirs."""
    connections = [database.engine.connect() for _ in range(database.engine.pool.size())]  # type: ignore[attr-defined]
    for connection in connections:
        connection.close()  # back to the pool, still open
    return database


def check_engine(url: str) -> dict[str, int]:
    """Zero duplicates and capacity kept, counted from the database."""
    database = Database(url)
    with database.transaction() as s:
        duplicates = s.scalar(
            select(func.count()).select_from(
                select(Booking.session_id, Booking.number)
                .group_by(Booking.session_id, Booking.number)
                .having(func.count() > 1)
                .subquery()
            )
        )
        active = dict(
            s.execute(
                select(Booking.session_id, func.count())
                .where(Booking.status.in_(ACTIVE))
                .group_by(Booking.session_id)
            ).all()
        )
        sessions = s.scalars(select(ClinicSession)).all()
        mismatched = sum(1 for c in sessions if c.places_taken != active.get(c.id, 0))
        over = sum(1 for c in sessions if c.places_taken > c.capacity)
        total = s.scalar(select(func.count()).select_from(Booking)) or 0
    database.dispose()
    return {
        "bookings": total,
        "duplicate_numbers": duplicates or 0,
        "places_taken_mismatch": mismatched,
        "over_capacity": over,
    }


def service_of(url: str, sessions: list[int]) -> dict[int, int]:
    database = Database(url)
    with database.transaction() as s:
        found = dict(
            s.execute(
                select(ClinicSession.id, ClinicSession.service_id).where(
                    ClinicSession.id.in_(sessions)
                )
            ).all()
        )
    database.dispose()
    return {sid: found[sid] for sid in sessions}


def prepare(url: str) -> tuple[list[int], int]:
    migrate.upgrade(url)
    database = Database(url)
    database.run(lambda s: seed(s, NOW, capacity=1_000_000, extra_facilities=34))
    with database.transaction() as s:
        ids = s.scalars(
            select(ClinicSession.id)
            .where(ClinicSession.day == NOW.date())
            .order_by(ClinicSession.id)
        ).all()
        s.execute(update(ClinicSession).values(capacity=1_000_000))
        s.execute(text("CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL)"))
        s.execute(
            text(
                "CREATE TABLE ticket (id bigserial PRIMARY KEY, counter_id int NOT NULL,"
                " n int NOT NULL, at timestamptz NOT NULL, UNIQUE (counter_id, n))"
            )
        )
        s.execute(text(f"INSERT INTO counter SELECT g, 0 FROM generate_series(1, {SPREAD}) g"))
    database.dispose()
    return list(ids), len(ids)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--rounds",
        type=int,
        default=2,
        choices=range(1, len(HOT_OPERATORS) + 1),
        help="alternate raw and engine runs this many times, splitting --seconds",
    )
    parser.add_argument(
        "--cpu-ops",
        type=int,
        default=500,
        help="then one client does this many operations of each kind, to split CPU per "
        "operation between the client and the server (0: skip)",
    )
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    threads = -(-args.clients // args.processes)
    with ScratchDatabase(args.postgres_url) as scratch:
        sessions, count = prepare(scratch.url)
        assert count >= SPREAD, f"only {count} sessions seeded"
        load = {
            "clients": args.clients,
            "processes": args.processes,
            "seconds": args.seconds / args.rounds,
        }
        parts: dict[str, list[Result]] = {}
        services = service_of(scratch.url, sessions[:SPREAD])
        statements = capture_statements(scratch.url, sessions[SPREAD])
        # Each engine run right after its raw baseline, in rounds, so that the load other
        # programs put on the machine drifts as little as possible between the two.
        for turn in range(args.rounds):
            for rows, operator in ((1, HOT_OPERATORS), (SPREAD, SPREAD_OPERATORS)):
                shape = "1 hot row" if rows == 1 else f"{rows} rows"
                label = "1 hot session" if rows == 1 else f"{rows} sessions"
                parts.setdefault(f"raw counter, {shape}", []).append(
                    run("raw", raw_factory(scratch.url, rows), **load)
                )
                replay = statements_factory(
                    scratch.url,
                    statements,
                    {sid: services[sid] for sid in sessions[:rows]},
                    STATEMENT_OPERATORS[rows][turn],
                )
                engine = engine_factory(
                    scratch.url,
                    sessions[:rows],
                    threads,
                    f"{rows}:{turn}",
                    operator[turn],
                )
                kinds = [("engine's statements", replay), ("engine", engine)]
                for kind, factory in kinds if turn % 2 == 0 else reversed(kinds):
                    parts.setdefault(f"{kind}, {label}", []).append(run(kind, factory, **load))
        raw_hot, floor_hot, hot, raw_spread, floor_spread, spread = (
            _merged(label, runs) for label, runs in parts.items()
        )
        checks = check_engine(scratch.url)
        replay = statements_factory(scratch.url, statements, services, "816")
        cpu = (
            cpu_per_operation(scratch.url, sessions[:SPREAD], replay, args.cpu_ops)
            if args.cpu_ops
            else {}
        )
        with psycopg.connect(scratch.url.replace("+psycopg", "")) as connection:
            server = connection.execute("SHOW server_version").fetchone()
    print(
        f"machine: {platform.machine()}, {_cpus()} CPUs; PostgreSQL {server[0] if server else '?'}"
    )
    print(
        f"load: {args.clients} clients in {args.processes} processes, {args.seconds:g} s each run"
        f" (in {args.rounds} rounds, raw and engine alternating)"
    )
    print(HEADER)
    for result, baseline in (
        (raw_hot, None),
        (raw_spread, None),
        (floor_hot, raw_hot),
        (floor_spread, raw_spread),
        (hot, raw_hot),
        (spread, raw_spread),
    ):
        print(row(result, baseline))
    print("engine checks:", checks)
    for name, figures in cpu.items():
        spent = ", ".join(
            f"{side} {value * 1000:.2f} ms" if value is not None else f"{side} ?"
            for side, value in figures.items()
        )
        print(f"CPU per operation, one client, {args.cpu_ops} operations, {name}: {spent}")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(
                {
                    "load": {**load, "seconds": args.seconds, "rounds": args.rounds},
                    "checks": checks,
                    "cpu_per_operation_s": cpu,
                    "runs": [
                        _figures(r)
                        for r in (raw_hot, raw_spread, floor_hot, floor_spread, hot, spread)
                    ],
                },
                handle,
                indent=2,
            )


def cpu_per_operation(
    url: str, sessions: list[int], replay: Factory, count: int
) -> dict[str, dict[str, float | None]]:
    """CPU seconds per operation, one client alone, in its process and in the server's.

    Where the time goes when nothing waits for anything else. The server's share is read from
    /proc, so it is known only when PostgreSQL runs on this machine.
    """
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    raw = raw_factory(url, SPREAD)(0, 0)
    database = Database(url, pool_size=1)
    engine = engine_factory(url, sessions, 1, "cpu", "811")
    engine_factory.database = database  # type: ignore[attr-defined]
    take = engine(0, 0)
    found: dict[str, dict[str, float | None]] = {}
    with psycopg.connect(dsn, autocommit=True) as monitor:
        kinds = (("raw counter", raw), ("engine's statements", replay(0, 0)), ("engine", take))
        for name, operation in kinds:
            for _ in range(50):  # warm: statements prepared, caches filled
                operation()
            backends = [
                pid
                for (pid,) in monitor.execute(
                    "SELECT pid FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ]
            server, client = _server_cpu(backends), time.process_time()
            for _ in range(count):
                operation()
            client = time.process_time() - client
            after = _server_cpu(backends)
            found[name] = {
                "client": client / count,
                "server": (after - server) / count
                if after is not None and server is not None
                else None,
            }
    del engine_factory.database  # type: ignore[attr-defined]
    database.dispose()
    return found


def _server_cpu(pids: list[int]) -> float | None:
    """User + system CPU seconds of these server processes so far; None if not readable."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    try:
        for pid in pids:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    except OSError:
        return None
    return total / ticks


def _merged(label: str, runs: list[Result]) -> Result:
    return Result(
        label,
        sum(r.seconds for r in runs),
        sum(r.done for r in runs),
        sum(r.refused for r in runs),
        sum(r.errors for r in runs),
        [latency for r in runs for latency in r.latencies_ms],
    )


def _figures(result: Result) -> dict[str, object]:
    return {
        "label": result.label,
        "per_second": round(result.rate, 1),
        "p50_ms": round(result.percentile(0.5), 2),
        "p99_ms": round(result.percentile(0.99), 2),
        "refused": result.refused,
        "errors": result.errors,
    }


def _cpus() -> str:
    return subprocess.run(["nproc"], capture_output=True, text=True, check=False).stdout.strip()


if __name__ == "__main__":
    main()
