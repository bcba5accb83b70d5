"""From the outbox to the gateway: every committed outbox row is handed to a sender, once.

The path, in order:

1. a change writes its SMS as an outbox row in its own transaction (`booking.records.sms`, or
   without the ORM with `booking.records.outbox_written` noting the ids);
2. `HandOff`, registered on the database by `init_app`, notes the new rows' ids as they are
   flushed and hears of them once the outermost transaction has committed (`after_commit`):
   a row is handed over only when other connections can see it, never from a savepoint or a
   transaction that rolled back;
3. the factory's `hand_over` (antre.jobs) gives the ids to the job queue: one RQ job per row
   with Redis, the embedded runner's thread without it. If Redis is down the rows stay
   pending, and `sweep` hands them over once it is back;
4. `send_or_raise` (an RQ job) sends one row at most once (`sms.sending.send_one`), `send` (the
   embedded runner) the rows due together (`sms.sending.send_many`), through the gateways that
   the settings configure (`switchboard`), with the retry policy the settings give (`policy`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from booking import reminders
from booking.models import Outbox
from booking.records import NEW_OUTBOX_IDS
from gateways import Switchboard
from plumbing.db import Database, HasSettings, after_commit, database_of
from plumbing.jobs import Context
from sms import sending
from sms.sending import Policy, Step

log = logging.getLogger(__name__)


class SendLater(Exception):
    """Raised by `send_sms` so that RQ's `Retry` schedules the next attempt."""


class HandOff:
    """Hears of outbox rows once their transaction has committed, and passes their ids on."""

    def __init__(self, database: Database, hand_over: Callable[[list[int]], None] | None) -> None:
        self.hand_over = hand_over  # None: nobody is told (tests that send rows themselves)
        event.listen(database.sessions, "after_flush", _note_new_rows)
        after_commit(database, NEW_OUTBOX_IDS, self._committed)

    def _committed(self, ids: set[int]) -> None:
        if self.hand_over is not None:
            self.hand_over(sorted(ids))


def _note_new_rows(session: Session, _context: Any) -> None:
    ids = [row.id for row in session.new if isinstance(row, Outbox)]
    if ids:
        session.info.setdefault(NEW_OUTBOX_IDS, set()).update(ids)


# --- what a sender needs, from the settings ---------------------------------------------------


def switchboard(app: HasSettings) -> Switchboard:
    """The gateways the settings configure (built once: a wrong setting fails here)."""
    found: Switchboard | None = app.extensions.get("antre.gateways")
    if found is None:
        found = Switchboard(app.config)
        app.extensions["antre.gateways"] = found
    return found


def policy(app: HasSettings) -> Policy:
    """Retry intervals from `SMS_RETRY_INTERVALS` ("10,60,300" or a list); the timeout is the
    longest of the gateways'."""
    raw = app.config.get("SMS_RETRY_INTERVALS")
    if raw is None:
        intervals = sending.RETRY_INTERVALS
    elif isinstance(raw, str):
        intervals = tuple(int(part) for part in raw.replace(" ", "").split(",") if part)
    else:
        intervals = tuple(int(part) for part in raw)
    return Policy(intervals, switchboard(app).timeout or 10.0)


# --- sending ---------------------------------------------------------------------------------


def send(context: Context, outbox_ids: list[int]) -> dict[int, float | None]:
    """Send some rows (`sending.send_many`); for each, the seconds to wait before trying it
    again, or None when it is done."""
    rules = policy(context)
    reports = sending.send_many(context.database, switchboard(context), outbox_ids, rules)
    return {
        outbox_id: float(rules.delay_after(report.attempt)) if report.step is Step.RETRY else None
        for outbox_id, report in reports.items()
    }


def batch_size(context: Context) -> int:
    """How many rows one `send` may take (`sending.batch_size`)."""
    return sending.batch_size(switchboard(context), policy(context))


def send_or_raise(context: Context, outbox_id: int) -> str:
    """`send` for an RQ job: raises SendLater to have RQ's `Retry` schedule the next attempt."""
    rules = policy(context)
    report = sending.send_one(context.database, switchboard(context), outbox_id, rules)
    if report.step is Step.RETRY:
        raise SendLater(f"outbox {outbox_id} attempt {report.attempt}: {report.detail}")
    return report.step.value


def sweep(context: Context, now: datetime) -> list[int]:
    """Write the notifications that are due, give up on rows whose sender died mid-send; the
    rows that never reached a sender, to hand over again."""
    # Reminders are derived from the database on every sweep (design §6), written through the
    # app's own database so that the rows are handed to the sender as soon as they commit.
    scan = database_of(context).run(lambda session: reminders.run_due(session, now))
    if scan.written:
        log.info("due notifications written: %s", scan.written)
    rules = policy(context)
    sending.fail_in_doubt(context.database, now, rules, switchboard(context).refusing_copies)
    ids = sending.rows_to_hand_over(context.database, now, rules)
    if ids:
        log.info("sweep: handing %d waiting SMS to the sender", len(ids))
    return ids
