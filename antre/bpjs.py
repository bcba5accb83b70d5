"""BPJS Antrean FKTP put together: call rows written with each change, sent by the job queue.

With the four `ANTRE_BPJS_*` settings (bpjs.settings) `init_app` listens to the database's
sessions: each flush and commit writes the BPJS calls of the changes in it (bpjs.calls), and
once the transaction has committed the bookings concerned are handed over — one RQ job per
booking (`send_bpjs`) on the `sms` queue that `antre worker` already runs, with RQ's `Retry`
for the backoff; without Redis, a daemon thread. If Redis is down the calls wait in the table
and `sweep` hands them over. Without the settings nothing here listens and nothing is written.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from booking.clock import utcnow
from bpjs import calls
from bpjs.client import Client
from bpjs.settings import claim_seconds, credentials, retry_intervals
from plumbing import jobs as machinery
from plumbing.db import HasSettings, after_commit, database_of

log = logging.getLogger(__name__)

QUEUE = "sms"  # the worker's one queue: `antre worker` runs these beside the SMS
SEND_JOB = "antre.jobs.send_bpjs"  # beside send_sms: the name RQ finds it by


class SendBpjsLater(Exception):
    """Raised by `send_bpjs` so that RQ's `Retry` schedules the next attempt."""


def init_app(app: HasSettings) -> None:
    found = credentials(app.config)
    if found is None:
        return
    app.extensions["antre.bpjs"] = Client(found)
    database = database_of(app)
    event.listen(database.sessions, "before_flush", _before_flush)
    event.listen(database.sessions, "before_commit", _before_commit)
    after_commit(database, calls.NEW_CALL_BOOKINGS, lambda ids: hand_over(app, sorted(ids)))


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    calls.write_calls(session)


def _before_commit(session: Session) -> None:
    calls.write_calls(session)  # bookings inserted without the ORM since the last flush


def client(app: HasSettings) -> Client | None:
    found: Client | None = app.extensions.get("antre.bpjs")
    return found


def hand_over(app: HasSettings, booking_ids: list[int]) -> None:
    if app.config.get("REDIS_URL"):
        machinery.enqueue(
            app,
            QUEUE,
            SEND_JOB,
            booking_ids,
            timeout=int(8 * float(app.config.get("BPJS_TIMEOUT_SECONDS") or 10)) + 30,
            retry_intervals=retry_intervals(app.config),
            describe="send the BPJS calls of booking {}",
        )
    else:
        thread = threading.Thread(
            target=send_all, args=(app, booking_ids), name="bpjs", daemon=True
        )
        thread.start()


def send_all(app: HasSettings, booking_ids: list[int]) -> list[calls.Report]:
    """Send these bookings' calls now (the embedded mode, the sweep, tests)."""
    found = client(app)
    if found is None:
        return []
    sessions = database_of(app).sessions
    reports = []
    for booking_id in booking_ids:
        try:
            reports.append(calls.send_booking(sessions, found, booking_id))
        except Exception:  # one booking's trouble must not stop the others'
            log.exception("sending the BPJS calls of booking %s failed", booking_id)
    return reports


def send_or_raise(app: HasSettings, booking_id: int) -> str:
    """For the RQ job (antre.jobs.send_bpjs): raises SendBpjsLater to have RQ retry."""
    found = client(app)
    if found is None:
        settings = credentials(app.config)
        if settings is None:
            return "off"
        found = app.extensions["antre.bpjs"] = Client(settings)
    report = calls.send_booking(database_of(app).sessions, found, booking_id)
    if report.outcome is calls.Outcome.RETRY:
        raise SendBpjsLater(f"BPJS calls of booking {booking_id}: {report.detail}")
    return str(report.outcome.value)


def sweep(app: HasSettings) -> int:
    """Hand over the bookings whose calls still wait; their number.

    First, calls a stopped sender left "sending" (a worker killed mid-call) go back to
    pending: otherwise they would hold back every later call of their booking for good.
    """
    if client(app) is None:
        return 0
    held = timedelta(seconds=claim_seconds(app.config))
    freed = database_of(app).run(lambda db: calls.free_stale(db, utcnow(), held))
    if freed:
        log.warning(
            "sweep: BPJS calls of %d bookings were left sending by a stopped sender", len(freed)
        )
    ids = database_of(app).run(calls.waiting_bookings)
    if ids:
        log.info("sweep: handing %d bookings' BPJS calls over again", len(ids))
        hand_over(app, ids)
    return len(ids)
