"""The district figures over 1,000,000 bookings, 100 facilities and 90 days, on PostgreSQL.

Creates a scratch database, migrates it, fills it with generate_series (no Python per row):
100 facilities in 10 districts, 3 services each, one session per service per day for 90 days,
1,000,000 bookings (and a person each), a receipt SMS per booking (3% failed, five reasons),
300,000 USSD sessions with their steps and 100,000 inbound SMS. Then times
`figures.queries.compute` for the three scopes a district office uses, and drops the database.

    .venv/bin/python -m bench.figures [--bookings 1000000] [--repeat 5] [--keep]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import date, timedelta

from sqlalchemy import event, text

from antre import migrate
from bench.common import ScratchDatabase
from figures.queries import Scope, compute
from plumbing.db import Database

POSTGRES = os.environ.get(
    "ANTRE_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
FIRST_DAY = date(2026, 8, 1)
DAYS = 90
FACILITIES = 100
DISTRICTS = 10
SERVICES_PER_FACILITY = 3

# Every statement is plain SQL over generate_series; :names are bound parameters.
GENERATE = [
    """INSERT INTO facilities (id, code, name, district, subdistrict, timezone, active, days_ahead,
         cutoff_minutes, minutes_per_patient, people_per_phone_per_day, almost_turn_ahead,
         quiet_from, quiet_until)
       SELECT f, (1000 + f)::text, 'Puskesmas ' || f, 'District ' || (f % :districts),
              'Sub ' || f, 'Asia/Jakarta', true, 1, 60, 10, 5, 3, '21:00', '06:00'
       FROM generate_series(1, :facilities) f""",
    """INSERT INTO services (id, facility_id, code, prefix, synonyms, active)
       SELECT s, (s - 1) / :per + 1, 'S' || ((s - 1) % :per), chr(65 + (s - 1) % :per), '', true
       FROM generate_series(1, :facilities * :per) s""",
    """INSERT INTO service_names (service_id, language, name)
       SELECT s, language, name
       FROM generate_series(1, :facilities * :per) s,
            (VALUES ('id', 'Poli'), ('en', 'Clinic')) AS names (language, name)""",
    """INSERT INTO clinic_sessions (id, service_id, day, start_time, end_time, capacity, status,
         last_number, places_taken)
       SELECT (s - 1) * :days + d + 1, s, CAST(:first AS date) + d, '08:00', '12:00',
              100000, 'open', 0, 0
       FROM generate_series(1, :facilities * :per) s, generate_series(0, :days - 1) d""",
    """INSERT INTO persons (id, phone, name, name_key)
       SELECT p, '+628' || lpad(p::text, 10, '0'), '', ''
       FROM generate_series(1, :bookings) p""",
    # Session k (0-based) is service k / days + 1 on day k % days; the i-th booking goes to
    # session i % sessions and gets number i / sessions + 1, so numbers are unique per session.
    """INSERT INTO bookings (id, session_id, service_id, day, person_id, booked_by, channel,
         number, display, status, confirmed, skipped, created_at, called_at, finished_at)
       SELECT i + 1, k + 1, k / :days + 1, CAST(:first AS date) + (k % :days), i + 1,
              '+628' || lpad((i + 1)::text, 10, '0'),
              (ARRAY['ussd','ussd','ussd','ussd','sms','sms','staff','staff','api','ussd'])
                [1 + (i * 7) % 10],
              i / :sessions + 1, 'A-' || (i / :sessions + 1), st, false, false,
              created, CASE WHEN st IN ('served', 'no_show') THEN called END,
              CASE WHEN st = 'served' THEN called + interval '7 minutes' END
       FROM (
         SELECT i, i % :sessions AS k,
                (ARRAY['served','served','served','served','served','served','no_show',
                       'cancelled','cancelled_by_facility','booked'])[1 + (i * 13) % 10] AS st,
                (CAST(:first AS date) + (i % :sessions) % :days)::timestamp AT TIME ZONE
                  'Asia/Jakarta' - make_interval(mins => (i * 37) % 900) AS created,
                (CAST(:first AS date) + (i % :sessions) % :days)::timestamp AT TIME ZONE
                  'Asia/Jakarta' + make_interval(mins => 60 + (i * 11) % 240) AS called
         FROM generate_series(0, :bookings - 1) i
       ) b""",
    """INSERT INTO outbox (phone, body, kind, booking_id, direct_answer, status, attempts,
         error, created_at, updated_at)
       SELECT '+628' || lpad(i::text, 10, '0'), 'Nomor antrean Anda', 'receipt', i, false,
              CASE WHEN i % 33 = 0 THEN 'failed' ELSE 'delivered' END, 1,
              CASE WHEN i % 33 = 0 THEN (ARRAY['delivery: DeliveryFailure',
                'delivery: AbsentSubscriber', 'delivery: UserInBlackList',
                'delivery: InsufficientCredit', 'attempt 3: 500'])[1 + (i / 33) % 5] END,
              now() - make_interval(days => i % :days), now()
       FROM generate_series(1, :bookings) i""",
    """UPDATE outbox o SET created_at = b.created_at, updated_at = b.created_at
       FROM bookings b WHERE b.id = o.booking_id""",
    """INSERT INTO phones (number, language, facility_id, reminders_off)
       SELECT '+628' || lpad(p::text, 10, '0'), 'id', 1 + p % :facilities, false
       FROM generate_series(1, :bookings / 10) p""",
    """INSERT INTO ussd_sessions (id, phone, facility_id, started_at, last_seen_at, last_screen,
         steps, outcome)
       SELECT 'u' || u, '+628' || lpad((u % (:bookings / 10) + 1)::text, 10, '0'),
              CASE WHEN u % 20 = 0 THEN NULL ELSE 1 + u % :facilities END,
              t, t + interval '40 seconds',
              (ARRAY['booked','booked','booked','when','service','confirm','main','name'])
                [1 + u % 8], 1 + u % 5,
              CASE WHEN u % 8 < 3 THEN 'finished' ELSE 'abandoned' END
       FROM (SELECT u, CAST(:first AS timestamptz) + make_interval(secs => (u * 25.9)::int) t
             FROM generate_series(1, :ussd) u) s""",
    """INSERT INTO ussd_steps (session_id, at, screen, input_ok)
       SELECT 'u' || u, CAST(:first AS timestamptz) + make_interval(secs => (u * 25.9)::int),
              (ARRAY['main','service','when','confirm','booked'])[n], true
       FROM generate_series(1, :ussd) u, generate_series(1, 5) n
       WHERE n <= 1 + u % 5""",
    """INSERT INTO inbound_sms (gateway_id, phone, "to", text, received_at, command, understood)
       SELECT 'g' || m, '+628' || lpad((m % (:bookings / 10) + 1)::text, 10, '0'), '12345',
              (ARRAY['ANTRE UMUM', 'halo', 'CEK', 'antre gigi untuk Siti', 'tolong 08123456789',
                     'BATAL', 'p', 'info'])[1 + m % 8],
              CAST(:first AS timestamptz) + make_interval(secs => (m * 77.7)::int),
              CASE WHEN m % 8 IN (1, 3, 4, 6) THEN 'unknown' ELSE 'booking' END,
              m % 8 NOT IN (1, 3, 4, 6)
       FROM generate_series(1, :sms) m""",
]
SEQUENCES = ["facilities", "services", "clinic_sessions", "persons", "bookings"]


def generate(database: Database, bookings: int) -> float:
    began = time.perf_counter()
    sessions = FACILITIES * SERVICES_PER_FACILITY * DAYS
    params = {
        "facilities": FACILITIES,
        "districts": DISTRICTS,
        "per": SERVICES_PER_FACILITY,
        "days": DAYS,
        "first": FIRST_DAY.isoformat(),
        "bookings": bookings,
        "sessions": sessions,
        "ussd": bookings * 3 // 10,
        "sms": bookings // 10,
    }
    with database.engine.begin() as connection:
        for statement in GENERATE:
            names = {k: v for k, v in params.items() if f":{k}" in statement}
            connection.execute(text(statement), names)
        for table in SEQUENCES:
            connection.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"
                )
            )
    with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
    return time.perf_counter() - began


def timed(database: Database, scope: Scope, repeat: int) -> list[float]:
    seconds = []
    for _ in range(repeat):
        began = time.perf_counter()
        with database.transaction() as s:
            figures = compute(s, scope)
        seconds.append(time.perf_counter() - began)
    assert figures.table("bookings_by_channel").rows  # the figures came back
    return seconds


def profile(database: Database, scope: Scope) -> None:
    """One run with the time of every statement, slowest first."""
    timings: list[tuple[float, str]] = []
    started: dict[int, float] = {}

    def before(_conn: object, cursor: object, *_: object) -> None:
        started[id(cursor)] = time.perf_counter()

    def after(_conn: object, cursor: object, statement: str, *_: object) -> None:
        timings.append((time.perf_counter() - started.pop(id(cursor)), statement))

    event.listen(database.engine, "before_cursor_execute", before)
    event.listen(database.engine, "after_cursor_execute", after)
    try:
        with database.transaction() as s:
            compute(s, scope)
    finally:
        event.remove(database.engine, "before_cursor_execute", before)
        event.remove(database.engine, "after_cursor_execute", after)
    for seconds, statement in sorted(timings, reverse=True):
        print(f"  {seconds:6.3f} s  {' '.join(statement.split())[:110]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bookings", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="time every statement once")
    args = parser.parse_args()

    with ScratchDatabase(POSTGRES) as scratch:
        migrate.upgrade(scratch.url)
        database = Database(scratch.url)
        try:
            took = generate(database, args.bookings)
            with database.engine.connect() as connection:
                version = connection.execute(text("SHOW server_version")).scalar()
                counted = connection.execute(text("SELECT count(*) FROM bookings")).scalar()
            print(f"PostgreSQL {version}; generated {counted:,} bookings in {took:.1f} s")
            last = FIRST_DAY + timedelta(days=DAYS - 1)
            scopes = {
                "all districts, 90 days": Scope(FIRST_DAY, last),
                "one district (10 facilities), 90 days": Scope(FIRST_DAY, last, "District 3"),
                "one facility, 30 days": Scope(
                    last - timedelta(days=29), last, "District 3", "1003"
                ),
            }
            print("| scope | median s | min s | max s |\n|---|---|---|---|")
            for label, scope in scopes.items():
                seconds = timed(database, scope, args.repeat)
                print(
                    f"| {label} | {statistics.median(seconds):.3f} | {min(seconds):.3f} "
                    f"| {max(seconds):.3f} |"
                )
            if args.profile:
                for label, scope in scopes.items():
                    print(label)
                    profile(database, scope)
        finally:
            database.dispose()


if __name__ == "__main__":
    main()
