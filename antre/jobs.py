"""This app's background work, put together: the outbox's SMS, the reminders, the USSD drop-off
records. The machinery is `plumbing.jobs`; what each part does is in its own module.

- `init_app(app)` hands every committed outbox row to a sender (`sms.outbox.HandOff`): with
  `REDIS_URL`, one RQ job per row (`send_sms`) on the `sms` queue, with RQ's `Retry` for the
  backoff; without it, the embedded runner (one daemon thread) does the same work.
- Nothing here raises into a request: if Redis is down the rows stay pending in the outbox,
  and `sweep` hands them over once it is back.
- `sweep(app)` writes the notifications that are due (reminders, held cancellations), hands
  over rows that never reached a sender and gives up on rows whose sender died mid-send
  (`sms.outbox.sweep`). With Redis it then writes the USSD drop-off records waiting there
  (ussd.buffer), a bounded number per sweep, after the SMS work so that a backlog of records
  never delays a reminder. `antre worker` runs it every minute; RQ's cron can too::

      # cron_config.py, for `rq cron cron_config`
      from rq import cron
      from antre.jobs import QUEUE, sweep_outbox
      cron.register(sweep_outbox, QUEUE, interval=60)  # drop-off records too

- Workers: `antre worker` (one process; run several), or the plain RQ equivalent, whose jobs
  build what they need from the environment's settings (not the web app)::

      rq worker --url "$REDIS_URL" --with-scheduler --worker-class rq.worker.SimpleWorker sms

  `--with-scheduler` matters: retries wait in RQ's scheduled registry until it moves them.
  RQ's own worker may take up to a minute to stop (its command listener waits 60 s at a
  time: `plumbing.jobs._Worker.listener_seconds`); `antre worker`, within a second or two.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from flask import current_app, has_app_context
from redis import Redis

from antre import bpjs
from booking.clock import utcnow
from gateways import Switchboard
from plumbing import config
from plumbing import jobs as machinery
from plumbing.db import Database, HasSettings, database_of
from plumbing.jobs import Context, Runner
from plumbing.redis import connection
from sms import outbox
from sms.outbox import SendLater
from sms.sending import Policy
from ussd import buffer

__all__ = ["QUEUE", "SendLater"]

log = logging.getLogger(__name__)

QUEUE = "sms"
SWEEP_SECONDS = machinery.SWEEP_SECONDS
SEND_JOB = "antre.jobs.send_sms"  # the name RQ finds the job by: queued jobs keep it


def init_app(app: HasSettings) -> None:
    app.extensions["sms.outbox"] = outbox.HandOff(database_of(app), lambda ids: hand_over(app, ids))


def hand_over(app: HasSettings, ids: list[int]) -> None:
    if app.config.get("REDIS_URL"):
        enqueue(app, ids)
    else:
        runner(app).submit(ids)


def switchboard(app: HasSettings) -> Switchboard:
    return outbox.switchboard(app)


def policy(app: HasSettings) -> Policy:
    return outbox.policy(app)


# --- RQ --------------------------------------------------------------------------------------


def enqueue(app: HasSettings, ids: Iterable[int]) -> bool:
    """One `send_sms` job per row. False (logged, never raised) if Redis is not there."""
    rules = policy(app)
    return machinery.enqueue(
        app,
        QUEUE,
        SEND_JOB,
        ids,
        # A job outlives the gateway's timeout, so RQ never kills one that is mid-send.
        timeout=int(4 * rules.timeout_seconds) + 30,
        retry_intervals=rules.intervals,
        describe="send outbox SMS {}",
    )


def send_sms(outbox_id: int) -> str:
    """RQ job: send one outbox row (at most once). Raises SendLater to have RQ retry it."""
    return outbox.send_or_raise(_context(), outbox_id)


def send_bpjs(booking_id: int) -> str:
    """RQ job: send one booking's BPJS calls in order, each once (antre.bpjs)."""
    return bpjs.send_or_raise(_context(), booking_id)


def sweep_outbox() -> int:
    """RQ job (for RQ's cron): `sweep` with what the environment's settings build."""
    return _sweep(_context(), utcnow())


def sweep(app: HasSettings, now: datetime | None = None) -> int:
    """Hand over the rows that never reached a sender; fail the ones in doubt. Returns the
    number of rows handed over."""
    return _sweep(Context.of(app), now or utcnow())


def _sweep(context: Context, now: datetime) -> int:
    try:
        ids = outbox.sweep(context, now)  # first: reminders and SMS wait for no record
        try:
            bpjs.sweep(context)
        except Exception:  # the calls wait in their table for the next sweep
            log.exception("handing the waiting BPJS calls over failed")
        if context.config.get("REDIS_URL"):
            machinery.beat(context, now)
        if not ids:
            return 0
        if context.config.get("REDIS_URL"):
            machinery.unpause(context)
            return len(ids) if enqueue(context, ids) else 0
        runner(context).submit(ids)
        return len(ids)
    finally:
        if context.config.get("REDIS_URL"):
            try:
                buffer.flush(database_of(context), connection(context), now)
            except Exception:  # the records wait in Redis for the next sweep
                log.exception("writing the USSD drop-off records failed; they wait in Redis")


def worker_connection(app: HasSettings) -> Redis:
    return machinery.worker_connection(app)


def run_worker(
    app: HasSettings, *, burst: bool = False, sweep_every: float = SWEEP_SECONDS
) -> bool:
    """An RQ worker for the `sms` queue, with RQ's scheduler (for delayed retries) and the sweep
    every `sweep_every` seconds. Jobs run in this process, with this app's settings."""
    switchboard(app)  # a wrong gateway setting stops the worker now, not at the first SMS
    _worker_app.app = app
    try:
        return machinery.run_worker(
            app, QUEUE, lambda: sweep(app), burst=burst, sweep_every=sweep_every
        )
    finally:
        _worker_app.app = None


class _WorkerApp(threading.local):
    app: HasSettings | None = None


_worker_app = _WorkerApp()
_environment: Context | None = None


def _context() -> Context:
    """What a job runs with: the app's (antre worker, tests), else the environment's."""
    global _environment
    if _worker_app.app is not None:
        return Context.of(_worker_app.app)
    if has_app_context():
        return Context.of(current_app)
    if _environment is None:
        _environment = from_environment()
    return _environment


def from_environment() -> Context:
    """What a plain `rq worker` needs to send, from DATABASE_URL, REDIS_URL and ANTRE_*."""
    settings = config.load(str(Path.cwd() / "instance"))
    database = Database(settings["DATABASE_URL"])
    extensions: dict[str, object] = {"antre.database": database}
    context = Context(settings, extensions, database)
    extensions["sms.outbox"] = outbox.HandOff(database, lambda ids: hand_over(context, ids))
    bpjs.init_app(context)
    return context


# --- embedded runner -------------------------------------------------------------------------


def runner(app: HasSettings) -> Runner:
    """This process's embedded sender for `app`."""
    return machinery.runner(app, outbox.send, _sweep, outbox.batch_size)


def start(app: HasSettings, sweep_every: float = SWEEP_SECONDS) -> None:
    """For `antre serve` without Redis: send what a previous run left, and sweep from now on."""
    if not app.config.get("REDIS_URL"):
        runner(app).start(sweep_every)
