"""Background work: jobs on Redis (RQ) in production, one thread in-process when embedded, and
a sweep that runs every minute.

Nothing here knows what the jobs do: the factory (antre.jobs) says which function a job runs
and what the sweep does. A job gets a `Context`, built from the settings: the web app's, or
the environment's in a worker that runs no web app.
"""

from __future__ import annotations

import heapq
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Retry
from rq.defaults import DEFAULT_LOGGING_DATE_FORMAT, DEFAULT_LOGGING_FORMAT
from rq.scheduler import RQScheduler
from rq.worker import SimpleWorker
from sqlalchemy import event

from booking.clock import utcnow
from plumbing.db import Database, HasSettings, database_of
from plumbing.redis import connection

log = logging.getLogger(__name__)

SWEEP_SECONDS = 60.0
_REDIS_PAUSE_SECONDS = 5.0  # after a failed enqueue, leave Redis alone this long


class Context:
    """What background work needs: the settings, what is built from them (`extensions`: the
    app's database under "antre.database", the gateways, Redis), and the database it queries
    (`database`: the app's, or a sender's own pool)."""

    def __init__(self, config: Mapping[str, Any], extensions: dict[str, Any], database: Database):
        self.config = config
        self.extensions = extensions
        self.database = database

    @classmethod
    def of(cls, app: HasSettings) -> Context:
        return cls(app.config, app.extensions, database_of(app))


# --- RQ --------------------------------------------------------------------------------------


def enqueue(
    app: HasSettings,
    queue: str,
    job: str,
    ids: Iterable[int],
    *,
    timeout: int,
    retry_intervals: Sequence[int],
    describe: str,
) -> bool:
    """One RQ job `job(id)` per id. False (logged, never raised) if Redis is not there."""
    ids = list(ids)
    if not ids:
        return True
    paused_until: float = app.extensions.get("plumbing.jobs.redis_pause", 0.0)
    if time.monotonic() < paused_until:
        log.warning("Redis was down moments ago: %d jobs wait for the sweep", len(ids))
        return False
    retry = Retry(max=len(retry_intervals), interval=list(retry_intervals))
    try:
        Queue(queue, connection=connection(app)).enqueue_many(
            [
                Queue.prepare_data(
                    job,
                    (job_id,),
                    timeout=timeout,
                    result_ttl=3600,
                    failure_ttl=7 * 24 * 3600,
                    retry=retry if retry_intervals else None,
                    description=describe.format(job_id),
                )
                for job_id in ids
            ]
        )
    except Exception as error:  # a request must never fail because Redis did
        app.extensions["plumbing.jobs.redis_pause"] = time.monotonic() + _REDIS_PAUSE_SECONDS
        log.warning(
            "could not enqueue %d jobs (%s: %s); they wait for the sweep",
            len(ids),
            type(error).__name__,
            error,
        )
        return False
    return True


def unpause(app: HasSettings) -> None:
    """The sweep always tries Redis, however recently it failed."""
    app.extensions.pop("plumbing.jobs.redis_pause", None)


# The sweep's heartbeat: when a worker last swept, so that /healthz can say when none has.
HEARTBEAT_KEY = "antre:sweep:last"
# A heartbeat older than this means no worker is sweeping (three sweeps missed).
SILENT_AFTER_SECONDS = 3 * SWEEP_SECONDS


def beat(app: HasSettings, now: datetime) -> None:
    """Note that a sweep ran (kept a day: a heartbeat missing altogether means none ever did)."""
    try:
        connection(app).set(HEARTBEAT_KEY, f"{now.timestamp():.0f}", ex=24 * 3600)
    except RedisError as error:  # the next sweep says it again
        log.warning("could not write the sweep's heartbeat (%s)", type(error).__name__)


def last_beat(app: HasSettings) -> datetime | None:
    """When a worker last swept, if one has in the last day. Raises RedisError."""
    raw = connection(app).get(HEARTBEAT_KEY)
    if raw is None:
        return None
    return datetime.fromtimestamp(float(raw), UTC)


def worker_connection(app: HasSettings) -> Redis:
    # No socket timeout: a worker blocks on BLPOP for minutes, which is not a failure.
    return Redis.from_url(app.config["REDIS_URL"], health_check_interval=30)


# Seconds before an RQ worker that quit on an error (Redis gone mid-job, a teardown that could
# not reach it) is started again: soon at first, then no faster than twice a minute.
RESTART_PAUSES: tuple[float, ...] = (1.0, 2.0, 5.0, 10.0, 30.0)
# A worker that ran this long before it quit starts again from the first pause.
_STEADY_SECONDS = 60.0


def run_worker(
    app: HasSettings,
    queue: str,
    sweep: Callable[[], object],
    *,
    burst: bool = False,
    sweep_every: float = SWEEP_SECONDS,
    restart_pauses: Sequence[float] = RESTART_PAUSES,
) -> bool:
    """An RQ worker for `queue`, with RQ's scheduler (for delayed retries) and `sweep` every
    `sweep_every` seconds (0: never). Jobs run in this process.

    RQ's worker quits on any error outside a job, such as Redis going away while it records a
    finished job. Unless it was asked to stop (SIGTERM, SIGINT) or runs in burst mode, it is
    started again here after a pause, for as long as it takes Redis to come back: a worker
    process never stays dead after an outage. (A killed process is for its supervisor,
    systemd or the like, to start again.)
    """
    redis = worker_connection(app)
    stop = threading.Event()
    if sweep_every > 0:
        _sweep_once(sweep)
    if not burst and sweep_every > 0:
        threading.Thread(
            target=_sweep_every, args=(sweep, sweep_every, stop), name="antre-sweep", daemon=True
        ).start()
    try:
        failures = 0
        while True:
            started = time.monotonic()
            try:
                worker = _Worker([Queue(queue, connection=redis)], connection=redis)
                worked = worker.work(burst=burst, with_scheduler=True)
            except (RedisError, OSError) as error:  # Redis not there to start or to stop with
                log.warning("the worker stopped on %s: %s", type(error).__name__, error)
                worked = False
            else:
                if worker.stop_asked:
                    return worked
            if burst:
                return worked
            if time.monotonic() - started > _STEADY_SECONDS:
                failures = 0
            pause = restart_pauses[min(failures, len(restart_pauses) - 1)]
            failures += 1
            log.warning("the worker quit on an error; starting it again in %g s", pause)
            if stop.wait(pause):
                return worked
    finally:
        stop.set()


class _Scheduler(RQScheduler):
    """RQ's scheduler process, which stops once the worker that started it is gone.

    RQ's loops for ever: after a `kill -9` of the worker it goes on alone, holding the
    scheduler lock, so that no new worker's scheduler moves the retries that wait their turn.
    Its heartbeat, once a second, now sees that its parent has changed and asks it to stop:
    it releases the lock and exits on its next turn."""

    _worker_pid = 0

    def start(self) -> Any:
        self._worker_pid = os.getpid()
        return super().start()  # type: ignore[no-untyped-call]

    def heartbeat(self) -> None:
        if self._worker_pid and os.getppid() != self._worker_pid:
            log.warning("the worker that started this scheduler is gone: stopping")
            self.request_stop()  # type: ignore[no-untyped-call]
        super().heartbeat()  # type: ignore[no-untyped-call]


class _Worker(SimpleWorker):
    """RQ's SimpleWorker that remembers a stop was asked for (SIGTERM, SIGINT), since RQ's own
    loop returns the same way after a stop and after quitting on an error; whose scheduler
    stops when the worker dies (`_Scheduler`); and that stops without waiting a minute for its
    command listener (`listener_seconds`)."""

    stop_asked = False

    # How long the thread that listens for RQ's commands (stop, kill a job) may wait before it
    # looks again at whether it should end. RQ waits 60 s; redis-py 8's `stop()` then waits for
    # the thread without a bound, and a listener that read the UNSUBSCRIBE's answer just before
    # it was told to stop waits those 60 s for a subscription that never comes: so did the
    # stopping worker, now and then (a burst worker, a SIGTERM at a deploy; rq#1613's kind).
    listener_seconds = 1.0

    def request_stop(self, signum: Any, frame: Any) -> None:
        self.stop_asked = True
        super().request_stop(signum, frame)  # type: ignore[no-untyped-call]

    def subscribe(self) -> None:
        # RQ's own steps (rq 3.0, BaseWorker.subscribe) with our wait.
        self.log.info("Worker %s: subscribing to channel %s", self.name, self.pubsub_channel_name)
        self.pubsub = self.connection.pubsub()
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        self.pubsub_thread = self.pubsub.run_in_thread(  # type: ignore[assignment]
            sleep_time=self.listener_seconds,
            daemon=True,
            exception_handler=self._pubsub_exception_handler,
        )

    def _start_scheduler(
        self,
        burst: bool = False,
        logging_level: str | None = "INFO",
        date_format: str = DEFAULT_LOGGING_DATE_FORMAT,
        log_format: str = DEFAULT_LOGGING_FORMAT,
    ) -> None:
        # RQ's own steps (rq 3.0, Worker._start_scheduler) with our scheduler class: RQ names
        # its class inside this method and offers no other way to choose it.
        self.scheduler = _Scheduler(
            self.queues,
            connection=self.connection,
            logging_level=logging_level if logging_level is not None else self.log.level,
            date_format=date_format,
            log_format=log_format,
            serializer=self.serializer,
        )
        self.scheduler.acquire_locks()  # type: ignore[no-untyped-call]
        if not self.scheduler.acquired_locks:
            return
        if not burst:
            self.scheduler.start()
            return
        try:
            self.scheduler.register_birth()
            self.scheduler.enqueue_scheduled_jobs()  # type: ignore[no-untyped-call]
        finally:
            self.scheduler.release_locks()  # type: ignore[no-untyped-call]
            self.scheduler.register_death()


def _sweep_once(sweep: Callable[[], object]) -> None:
    try:
        sweep()
    except Exception:  # Redis or the database away at start: the sweep thread tries again
        log.exception("the first sweep failed; the next is due in a minute")


def _sweep_every(sweep: Callable[[], object], seconds: float, stop: threading.Event) -> None:
    while not stop.wait(seconds):
        try:
            sweep()
        except Exception:
            log.exception("sweep failed; trying again in %g s", seconds)


# --- embedded runner -------------------------------------------------------------------------

# Do some jobs; for each, the seconds until it runs again, or None when it is done.
Work = Callable[[Context, list[int]], Mapping[int, float | None]]
Sweep = Callable[[Context, datetime], object]
Batch = Callable[[Context], int] | None  # how many jobs may be done together


class Runner:
    """The embedded default's job runner: one daemon thread and a timetable of (due, job id).

    Started on demand by the first job, it stops after a few idle seconds, unless `start` made
    it permanent (then it also sweeps every `sweep_every` seconds). It has its own connections,
    closed whenever its thread ends, and lives no longer than the app's database: whoever
    disposes of that engine (shutdown, a test's teardown) stops it. The jobs due together are
    done together, up to `batch` at a time (SQLite: one write lock for the lot). After a batch
    that was not full, the next waits `gather_seconds` for company: under a steady trickle of
    bookings the SMS then go several at a time, not one by one between the requests.
    """

    idle_seconds = 5.0
    gather_seconds = 0.25

    def __init__(self, app: HasSettings, work: Work, sweep: Sweep, batch: Batch = None) -> None:
        self.app = app
        self.database = Database(database_of(app).url, pool_size=2)
        self.context = Context(app.config, app.extensions, self.database)
        self.batch = (
            1  # until the thread asks `batch_of`: in a request, a bad setting must not raise
        )
        self._batch_of = batch
        self.work = work
        self.sweep = sweep
        self._due: list[tuple[float, int]] = []
        self._busy = False
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None
        self._sweep_every: float | None = None
        self._gather_until = 0.0  # no batch before this, unless one would be full
        self._stopping = False
        # Stopped, and its task in flight finished, when the app's engine goes: a job still
        # running after a shutdown (or a test's teardown) would write into whatever comes next.
        event.listen(database_of(app).engine, "engine_disposed", lambda _engine: self.stop())

    def submit(self, ids: Iterable[int], delay: float = 0.0) -> None:
        due = time.monotonic() + delay
        with self._changed:
            for job_id in ids:
                heapq.heappush(self._due, (due, job_id))
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
            self._thread = threading.Thread(target=self._run, name="antre-jobs", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        try:
            if self._batch_of is not None:
                try:
                    self.batch = max(1, self._batch_of(self.context))
                except Exception:  # the first job says what is wrong with the settings
                    log.exception("embedded runner: sending one job at a time")
            next_sweep = time.monotonic() if self._sweep_every else float("inf")
            while (task := self._next_task(next_sweep)) is not None:
                try:
                    if isinstance(task, str):  # "sweep"
                        next_sweep = time.monotonic() + (self._sweep_every or SWEEP_SECONDS)
                        self.sweep(self.context, utcnow())
                    else:
                        self._do(task)
                        if len(task) < self.batch:
                            self._gather_until = time.monotonic() + self.gather_seconds
                except Exception:
                    log.exception("embedded runner: %s failed; the sweep will pick it up", task)
                finally:
                    with self._changed:
                        self._busy = False
                        self._changed.notify_all()
        finally:
            self.database.dispose()

    def _next_task(self, next_sweep: float) -> list[int] | str | None:
        """The job ids due now (up to `batch`), "sweep", or None when the thread should end."""
        idle_since = time.monotonic()
        with self._changed:
            while not self._stopping:
                now = time.monotonic()
                if self._due and self._due[0][0] <= now and self._may_start(now):
                    self._busy = True
                    due: list[int] = []
                    while self._due and self._due[0][0] <= now and len(due) < self.batch:
                        job_id = heapq.heappop(self._due)[1]
                        if job_id not in due:
                            due.append(job_id)
                    return due
                if now >= next_sweep:
                    self._busy = True
                    return "sweep"
                idle = now - idle_since > self.idle_seconds
                if idle and not self._due and not self._sweep_every:
                    break
                first = max(self._due[0][0], self._gather_until) if self._due else None
                wake = min(first if first is not None else now + self.idle_seconds, next_sweep)
                self._changed.wait(max(0.001, min(wake - now, self.idle_seconds)))
            self._thread = None
            return None

    def _may_start(self, now: float) -> bool:
        """Whether a batch may start now: the gathering is over, or a full batch is due."""
        if now >= self._gather_until:
            return True
        return sum(1 for due, _job in self._due if due <= now) >= self.batch

    def _do(self, job_ids: list[int]) -> None:
        for job_id, again in self.work(self.context, job_ids).items():
            if again is not None:
                self.submit([job_id], delay=again)


def runner(app: HasSettings, work: Work, sweep: Sweep, batch: Batch = None) -> Runner:
    """This process's embedded runner for `app` (a new one after a fork)."""
    key = f"plumbing.jobs.runner.{os.getpid()}"
    found: Runner | None = app.extensions.get(key)
    if found is None:
        found = Runner(app, work, sweep, batch)
        app.extensions[key] = found
    return found
