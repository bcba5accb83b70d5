"""Background work: sending the outbox. RQ on Redis in production; in-process when embedded.

- `init_app(app)` wires `Database.on_outbox_committed`: every outbox row is handed to the
  sender right after the transaction that wrote it commits. With `REDIS_URL`, one RQ job per
  row (`send_sms`) on the `sms` queue, with RQ's `Retry` for the backoff; without it, the
  embedded runner (one daemon thread) does the same work.
- Nothing here raises into a request: if Redis is down the rows stay pending in the outbox,
  and `sweep` hands them over once it is back.
- `sweep(app)` writes the notifications that are due (reminders, held cancellations), hands
  over rows that never reached a sender and gives up on rows whose sender died mid-send. With
  Redis it then writes the USSD drop-off records waiting there (ussd.buffer), a bounded number
  per sweep, after the SMS work so that a backlog of records never delays a reminder.
  `antre worker` runs it every minute; RQ's cron can too::

      # cron_config.py, for `rq cron cron_config`
      from rq import cron
      from antre.jobs import QUEUE, sweep_outbox
      cron.register(sweep_outbox, QUEUE, interval=60)  # drop-off records too

- Workers: `antre worker` (one process; run several), or the plain RQ equivalent, which builds
  the app from the environment in each job::

      rq worker --url "$REDIS_URL" --with-scheduler --worker-class rq.worker.SimpleWorker sms

  `--with-scheduler` matters: retries wait in RQ's scheduled registry until it moves them.
"""

from __future__ import annotations

import heapq
import logging
import os
import threading
import time
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from flask import Flask, current_app, has_app_context
from redis import Redis
from rq import Queue, Retry
from rq.worker import SimpleWorker
from sqlalchemy import event

from antre import database
from antre.db import Database
from antre.redis import connection
from booking import reminders
from booking.clock import utcnow
from gateways import Switchboard
from sms import sending
from sms.sending import Policy, Step
from ussd import buffer

log = logging.getLogger(__name__)

QUEUE = "sms"
SWEEP_SECONDS = 60.0
_REDIS_PAUSE_SECONDS = 5.0  # after a failed enqueue, leave Redis alone this long


class SendLater(Exception):
    """Raised by `send_sms` so that RQ's `Retry` schedules the next attempt."""


# --- wiring ----------------------------------------------------------------------------------


def init_app(app: Flask) -> None:
    def hand_over(ids: list[int]) -> None:
        if app.config.get("REDIS_URL"):
            enqueue(app, ids)
        else:
            runner(app).submit(ids)

    database(app).on_outbox_committed = hand_over


def switchboard(app: Flask) -> Switchboard:
    """The gateways this app sends through (built once: a wrong setting fails here)."""
    found: Switchboard | None = app.extensions.get("antre.gateways")
    if found is None:
        found = Switchboard(app.config)
        app.extensions["antre.gateways"] = found
    return found


def policy(app: Flask) -> Policy:
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


# --- RQ --------------------------------------------------------------------------------------


def enqueue(app: Flask, ids: Iterable[int]) -> bool:
    """One `send_sms` job per row. False (logged, never raised) if Redis is not there."""
    ids = list(ids)
    if not ids:
        return True
    paused_until: float = app.extensions.get("antre.jobs.redis_pause", 0.0)
    if time.monotonic() < paused_until:
        log.warning("Redis was down moments ago: %d SMS wait in the outbox", len(ids))
        return False
    try:
        queue = Queue(QUEUE, connection=connection(app))
        queue.enqueue_many([_job_data(app, outbox_id) for outbox_id in ids])
    except Exception as error:  # a request must never fail because Redis did
        app.extensions["antre.jobs.redis_pause"] = time.monotonic() + _REDIS_PAUSE_SECONDS
        log.warning(
            "could not enqueue %d SMS (%s: %s); they wait in the outbox for the sweep",
            len(ids),
            type(error).__name__,
            error,
        )
        return False
    return True


def _job_data(app: Flask, outbox_id: int) -> Any:
    rules = policy(app)
    return Queue.prepare_data(
        send_sms,
        (outbox_id,),
        # A job outlives the gateway's timeout, so RQ never kills one that is mid-send.
        timeout=int(4 * rules.timeout_seconds) + 30,
        result_ttl=3600,
        failure_ttl=7 * 24 * 3600,
        retry=Retry(max=len(rules.intervals), interval=list(rules.intervals))
        if rules.intervals
        else None,
        description=f"send outbox SMS {outbox_id}",
    )


def send_sms(outbox_id: int) -> str:
    """RQ job: send one outbox row (at most once). Raises SendLater to have RQ retry it."""
    app = _app()
    report = sending.send_one(database(app), switchboard(app), outbox_id, policy(app))
    if report.step is Step.RETRY:
        raise SendLater(f"outbox {outbox_id} attempt {report.attempt}: {report.detail}")
    return report.step.value


def sweep_outbox() -> int:
    """RQ job (for RQ's cron): `sweep` for the app built from the environment."""
    return sweep(_app())


def sweep(app: Flask, now: datetime | None = None) -> int:
    """Hand over the rows that never reached a sender; fail the ones in doubt. Returns the
    number of rows handed over."""
    return _sweep(app, database(app), now or utcnow())


def _sweep(app: Flask, db: Database, now: datetime) -> int:
    try:
        return _sweep_outbox(app, db, now)  # first: reminders and SMS wait for no record
    finally:
        if app.config.get("REDIS_URL"):
            try:
                buffer.flush_app(app, now)
            except Exception:  # the records wait in Redis for the next sweep
                log.exception("writing the USSD drop-off records failed; they wait in Redis")


def _sweep_outbox(app: Flask, db: Database, now: datetime) -> int:
    # Reminders are derived from the database on every sweep (design §6): written through the
    # app's own database so that the rows are handed to the sender as soon as they commit.
    scan = database(app).run(lambda session: reminders.run_due(session, now))
    if scan.written:
        log.info("due notifications written: %s", scan.written)
    rules = policy(app)
    sending.fail_in_doubt(db, now, rules)
    ids = sending.rows_to_hand_over(db, now, rules)
    if not ids:
        return 0
    log.info("sweep: handing %d waiting SMS to the sender", len(ids))
    if app.config.get("REDIS_URL"):
        app.extensions.pop("antre.jobs.redis_pause", None)  # the sweep always tries Redis
        return len(ids) if enqueue(app, ids) else 0
    runner(app).submit(ids)
    return len(ids)


def worker_connection(app: Flask) -> Redis:
    # No socket timeout: a worker blocks on BLPOP for minutes, which is not a failure.
    return Redis.from_url(app.config["REDIS_URL"], health_check_interval=30)


def run_worker(app: Flask, *, burst: bool = False, sweep_every: float = SWEEP_SECONDS) -> bool:
    """An RQ worker for the `sms` queue, with RQ's scheduler (for delayed retries) and the sweep
    every `sweep_every` seconds. Jobs run in this process, inside this app's context."""
    redis = worker_connection(app)
    switchboard(app)  # a wrong gateway setting stops the worker now, not at the first SMS
    stop = threading.Event()
    if sweep_every > 0:  # 0: this worker only sends what is queued, it never sweeps
        sweep(app)
    if not burst and sweep_every > 0:
        threading.Thread(
            target=_sweep_every, args=(app, sweep_every, stop), name="antre-sweep", daemon=True
        ).start()
    try:
        with app.app_context():
            worker = SimpleWorker([Queue(QUEUE, connection=redis)], connection=redis)
            return worker.work(burst=burst, with_scheduler=True)
    finally:
        stop.set()


def _sweep_every(app: Flask, seconds: float, stop: threading.Event) -> None:
    while not stop.wait(seconds):
        try:
            sweep(app)
        except Exception:
            log.exception("outbox sweep failed; trying again in %g s", seconds)


_env_app: Flask | None = None


def _app() -> Flask:
    """The app a job runs in: the current one (antre worker, tests), else one from the env."""
    global _env_app
    if has_app_context():
        app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
        return app
    if _env_app is None:
        from antre import create_app

        _env_app = create_app()
    return _env_app


# --- embedded runner -------------------------------------------------------------------------


class Runner:
    """The embedded default's sender: one daemon thread and a timetable of (due, outbox id).

    Started on demand by the first row to send, it stops after a few idle seconds, unless
    `start` made it permanent (then it also sweeps every `sweep_every` seconds). It has its own
    connections, closed whenever its thread ends, and lives no longer than the app's database:
    whoever disposes of that engine (shutdown, a test's teardown) stops it.
    """

    idle_seconds = 5.0

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.db = Database(database(app).url, pool_size=2)
        self._due: list[tuple[float, int]] = []
        self._busy = False
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None
        self._sweep_every: float | None = None
        self._stopping = False
        # Stopped, and its task in flight finished, when the app's engine goes: a send still
        # running after a shutdown (or a test's teardown) would write into whatever comes next.
        event.listen(database(app).engine, "engine_disposed", lambda _engine: self.stop())

    def submit(self, ids: Iterable[int], delay: float = 0.0) -> None:
        due = time.monotonic() + delay
        with self._changed:
            for outbox_id in ids:
                heapq.heappush(self._due, (due, outbox_id))
            self._ensure_thread()
            self._changed.notify_all()

    def start(self, sweep_every: float = SWEEP_SECONDS) -> None:
        with self._changed:
            self._sweep_every = sweep_every
            self._ensure_thread()

    def stop(self) -> None:
        thread = self._thread
        self._halt()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=10)

    def drain(self, timeout: float = 10.0) -> bool:
        """Wait until nothing is due now or in flight (tests); False on timeout."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self._busy or (self._due and self._due[0][0] <= time.monotonic()):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(min(left, 0.05))
        return True

    def _halt(self) -> None:
        with self._changed:
            self._stopping = True
            self._due.clear()
            self._changed.notify_all()

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._stopping = False
            self._thread = threading.Thread(target=self._run, name="antre-sms", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        try:
            next_sweep = time.monotonic() if self._sweep_every else float("inf")
            while (task := self._next_task(next_sweep)) is not None:
                try:
                    if task == "sweep":
                        next_sweep = time.monotonic() + (self._sweep_every or SWEEP_SECONDS)
                        _sweep(self.app, self.db, utcnow())
                    else:
                        self._send(int(task))
                except Exception:
                    log.exception("embedded sender: %s failed; the sweep will pick it up", task)
                finally:
                    with self._changed:
                        self._busy = False
                        self._changed.notify_all()
        finally:
            self.db.dispose()

    def _next_task(self, next_sweep: float) -> int | str | None:
        """The next outbox id to send, "sweep", or None when the thread should end."""
        idle_since = time.monotonic()
        with self._changed:
            while not self._stopping:
                now = time.monotonic()
                if self._due and self._due[0][0] <= now:
                    self._busy = True
                    return heapq.heappop(self._due)[1]
                if now >= next_sweep:
                    self._busy = True
                    return "sweep"
                idle = now - idle_since > self.idle_seconds
                if idle and not self._due and not self._sweep_every:
                    break
                wake = min(self._due[0][0] if self._due else now + self.idle_seconds, next_sweep)
                self._changed.wait(max(0.001, min(wake - now, self.idle_seconds)))
            self._thread = None
            return None

    def _send(self, outbox_id: int) -> None:
        rules = policy(self.app)
        report = sending.send_one(self.db, switchboard(self.app), outbox_id, rules)
        if report.step is Step.RETRY:
            self.submit([outbox_id], delay=rules.delay_after(report.attempt))


def runner(app: Flask) -> Runner:
    """This process's embedded runner for `app` (a new one after a fork)."""
    key = f"antre.jobs.runner.{os.getpid()}"
    found: Runner | None = app.extensions.get(key)
    if found is None:
        found = Runner(app)
        app.extensions[key] = found
    return found


def start(app: Flask, sweep_every: float = SWEEP_SECONDS) -> None:
    """For `antre serve` without Redis: send what a previous run left, and sweep from now on."""
    if not app.config.get("REDIS_URL"):
        runner(app).start(sweep_every)
