"""One-dial USSD bookings on the embedded default (SQLite, no Redis), beside the bare endpoint.

    python -m bench.embedded [--clients 8 32] [--processes 2] [--seconds 10] [--workers 2]

A scratch SQLite file, migrated and seeded like bench.ussd's PostgreSQL database (the demo
plus 34 facilities, capacity 1,000,000, bookable all day); `wsgi:app` under gunicorn with no
`REDIS_URL` (USSD sessions in each worker's memory, jobs in-process), as `antre` runs out of
the box. For each client count: one-dial bookings (`<code>*1*<service>*1*1`, a new phone
each time). An answer that is not a number (the busy screen a "database is locked" becomes)
counts as refused and is printed. After the runs the database is checked as bench.ussd does.
"""

from __future__ import annotations

import argparse
import tempfile
from datetime import UTC, datetime
from datetime import time as clock
from pathlib import Path

from sqlalchemy import func, select, update

from antre import migrate
from antre.demo import seed
from bench.common import HEADER, row, run
from bench.ussd import EXTRA_FACILITIES, check_one_dial, dial_factory, gunicorn
from booking.models import ClinicSession, Facility, Service
from plumbing.db import Database


def prepare_sqlite(url: str) -> list[str]:
    """bench.ussd.prepare's seed and one-dial paths, without its PostgreSQL-only tables."""
    migrate.upgrade(url)
    database = Database(url)
    database.run(
        lambda s: seed(s, datetime.now(UTC), capacity=1_000_000, extra_facilities=EXTRA_FACILITIES)
    )
    with database.transaction() as s:
        s.execute(update(Facility).values(cutoff_minutes=0))
        s.execute(update(ClinicSession).values(capacity=1_000_000, end_time=clock(23, 59)))
        paths = []
        for facility in s.scalars(select(Facility).order_by(Facility.code)):
            services = s.scalar(
                select(func.count()).where(Service.facility_id == facility.id, Service.active)
            )
            paths += [f"{facility.code}*1*{n}*1*1" for n in range(1, (services or 0) + 1)]
    database.dispose()
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[8, 32])
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'antre.sqlite3'}"
        paths = prepare_sqlite(url)
        env = {
            "DATABASE_URL": url,
            "REDIS_URL": "",
            "ANTRE_SECRET_KEY": "bench",
            "ANTRE_SIMULATOR": "false",
        }
        results = []
        for clients in args.clients:
            load = {"clients": clients, "processes": args.processes, "seconds": args.seconds}
            with gunicorn("bench.ussd:bare_app()", args.workers, 1, env) as port:
                bare = dial_factory(port, lambda *_: "", lambda *_: "+6281100000000", "CON ")
                results.append(run(f"bare, {clients} clients", bare, **load))
            prefix = f"+62813{clients:02d}"

            def text_of(process: int, thread: int, n: int) -> str:
                return paths[(process * 997 + thread * 31 + n) % len(paths)]

            def phone_of(process: int, thread: int, n: int, prefix: str = prefix) -> str:
                return f"{prefix}{process % 10}{thread:02d}{n:04d}"

            with gunicorn("wsgi:app", args.workers, 1, env) as port:
                factory = dial_factory(port, text_of, phone_of, "END Nomor Anda:")
                results.append(run(f"one-dial, SQLite, {clients} clients", factory, **load))
        checks = check_one_dial(url, "+62813")
    print(f"gunicorn {args.workers} sync workers, SQLite (WAL), no Redis; {args.seconds:g} s each")
    print(HEADER)
    for result in results:
        print(row(result))
    print("checks:", checks)


if __name__ == "__main__":
    main()
