"""The database: one engine per app, the unit of work that owns every transaction, and the one
way to hear what a transaction committed (`after_commit`)."""

from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Protocol, TypeVar

from sqlalchemy import create_engine, event, make_url, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, DisconnectionError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)
T = TypeVar("T")


# A database that does not answer (a host gone, packets dropped) fails a request in seconds
# instead of holding its web worker for as long as TCP takes to give up; the URL's own
# `?connect_timeout=` wins.
CONNECT_TIMEOUT_SECONDS = 5

# PostgreSQL errors worth running the whole request again for: the retry sees the winner's row.
_RETRYABLE_PG = {"40001", "40P01"}  # serialization failure, deadlock

# How long a SQLite writer waits for the write lock before "database is locked".
BUSY_TIMEOUT_SECONDS = 30.0

# Whether SQLite's BEGIN in this thread may be deferred (see Database.run's `reads_first`).
_DEFERRED_BEGIN: ContextVar[bool] = ContextVar("antre_sqlite_deferred_begin", default=False)


class Database:
    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        # A failed statement's error names the statement, not its values: they are phone
        # numbers, names, card numbers and SMS bodies, and errors are logged.
        if self.is_sqlite:
            self.engine = create_engine(
                url,
                hide_parameters=True,
                connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_SECONDS},
                pool_size=pool_size,
                max_overflow=50,
            )
            _serialise_sqlite_writers(self.engine)
        else:
            self.engine = create_engine(
                url,
                hide_parameters=True,
                pool_size=pool_size,
                max_overflow=20,
                pool_timeout=10,
                connect_args=_connect_timeout(url),
            )
            _ping_idle_connections(self.engine)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One transaction: committed if the block ends normally, rolled back otherwise."""
        with self.sessions() as session, session.begin():
            yield session

    def run(self, work: Callable[[Session], T], attempts: int = 4, reads_first: bool = False) -> T:
        """Run `work` in a transaction, again from the start if it lost a race.

        A lost race is a unique key taken by a concurrent twin (the same idempotency key, the
        same new person) or a deadlock; running the request again sees the winner's rows and
        answers from them.

        `reads_first`: `work` most likely only reads (a USSD menu step). On SQLite its
        transaction then begins deferred and takes no write lock, so such steps run beside a
        writer instead of queueing behind it. Should it write after all and SQLite refuse the
        upgrade ("database is locked": another writer committed or holds the lock), it runs
        again with the lock taken at BEGIN, as every other transaction does. PostgreSQL: no
        difference.
        """
        deferred = reads_first and self.is_sqlite
        for attempt in range(1, attempts + 1):
            token = _DEFERRED_BEGIN.set(deferred)
            try:
                with self.transaction() as session:
                    return work(session)
            except (IntegrityError, OperationalError) as error:
                if attempt == attempts or not _retryable(error):
                    raise
                log.info("retrying after a lost race (%s)", type(error.orig).__name__)
                if deferred and "database is locked" in str(error.orig):
                    deferred = False  # it writes: queue for the lock like any writer
                    continue
                time.sleep(0.005 * attempt)
            finally:
                _DEFERRED_BEGIN.reset(token)
        raise AssertionError("unreachable")

    def ping(self) -> None:
        """A read, which on SQLite neither takes the write lock nor queues for it."""
        token = _DEFERRED_BEGIN.set(True)
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        finally:
            _DEFERRED_BEGIN.reset(token)

    def dispose(self) -> None:
        self.engine.dispose()


def after_commit(database: Database, key: str, announce: Callable[[Any], None]) -> None:
    """Once the outermost transaction has committed, call `announce` with what it kept under
    `session.info[key]`; forget it when the transaction rolls back.

    A part that reacts to commits (the SMS hand-off, the USSD caches) notes what it needs
    under a key of its own, from a listener of its own, and calls this from its own
    `init_app`: a second subscriber never replaces the first. Announced only after the commit,
    so that nobody hears of rows that do not exist, or refills a cache from the old ones.
    SQLAlchemy sends after_commit and after_rollback for savepoints too (a refused booking
    rolls its savepoint back): only the outermost transaction's end announces or forgets.
    """

    def committed(session: Session) -> None:
        if session.in_nested_transaction():
            return  # a savepoint released: the real commit announces
        found = session.info.pop(key, None)
        if found:
            announce(found)

    def rolled_back(session: Session) -> None:
        if session.in_nested_transaction():
            return  # a savepoint rolled back: the rest of the transaction may still commit
        session.info.pop(key, None)

    event.listen(database.sessions, "after_commit", committed)
    event.listen(database.sessions, "after_rollback", rolled_back)


def database_of(app: HasSettings) -> Database:
    """The app's database (or a job context's)."""
    found: Database = app.extensions["antre.database"]
    return found


class HasSettings(Protocol):
    """The Flask app, or a background job's context: settings and what is built from them."""

    config: Any
    extensions: dict[str, Any]


def _connect_timeout(url: str) -> dict[str, Any]:
    if "connect_timeout" in make_url(url).query:
        return {}
    return {"connect_timeout": CONNECT_TIMEOUT_SECONDS}


def _retryable(error: DBAPIError) -> bool:
    if isinstance(error, IntegrityError):
        return True
    code = getattr(error.orig, "sqlstate", None)
    if code in _RETRYABLE_PG:
        return True
    return "database is locked" in str(error.orig)


# A pooled connection idle for longer than this is pinged before it is used again, so that a
# database restarted meanwhile costs no request. One returned a moment ago is not: the ping is
# a round trip, a fifth of a booking's. Should the database go away in that moment, the request
# on it fails like any in flight, and SQLAlchemy, seeing the disconnect, replaces every pooled
# connection, so the next requests succeed.
PING_AFTER_IDLE_SECONDS = 1.0


def _ping_idle_connections(engine: Engine) -> None:
    """pool_pre_ping, but only for connections that sat idle (SQLAlchemy's custom recipe)."""

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return  # just connected, or just used
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            # The pool drops this connection and checks out another (a new one if need be).
            raise DisconnectionError() from error


def _serialise_sqlite_writers(engine: Engine) -> None:
    """Make every SQLite transaction take the write lock at BEGIN (but see Database.run's
    `reads_first`), writers queueing for it on a file lock.

    pysqlite's default deferred BEGIN lets two transactions read, then both try to write and
    one fails with "database is locked" no matter the timeout. BEGIN IMMEDIATE makes them
    queue instead (up to the busy timeout), which is what the counter row needs.

    SQLite's own queue is a busy handler that sleeps 1, 2, 5, 10 … 100 ms between tries, so a
    writer often sleeps on after the lock is free: at 8 phones booking at once the slowest
    answers took 0.4-0.5 s. Python's sqlite3 cannot set another busy handler; so writers
    first take an exclusive `flock` on a file beside the database (`<file>-writers`), trying
    again every millisecond at most (`_WriterQueue.join`): 0.12-0.15 s with a blocking flock
    (BENCHMARKS.md). The kernel lets go of a dead process's lock. It is an addition, not the
    lock: a process that does not take it (the sqlite3 shell, Alembic's own engine) still
    queues on SQLite's.
    """
    path = make_url(str(engine.url)).database
    writers = _WriterQueue(f"{path}-writers") if path and path != ":memory:" else None

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_SECONDS * 1000)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if _DEFERRED_BEGIN.get():
            connection.exec_driver_sql("BEGIN")
            return
        if writers is not None:
            writers.join(connection.connection.info)
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    if writers is not None:
        # Back in the pool means the transaction is over (committed or rolled back).
        event.listen(engine, "checkin", lambda _dbapi, record: writers.leave(record.info))
        event.listen(engine, "close", lambda _dbapi, record: writers.forget(record.info))
        # A connection taken out of the pool for good must not keep its place for ever.
        event.listen(engine, "detach", lambda _dbapi, record: writers.forget(record.info))


# Thread id -> the writer queue it is at the head of: a second write transaction in the same
# thread (on another engine of the same file) must not wait for it, and queues on SQLite's lock.
_AT_HEAD: dict[int, str] = {}


class _WriterQueue:
    """An exclusive `flock` on one file, taken by each connection on its own descriptor (so
    that threads of one process queue too), until the connection is back in the pool.

    It is tried, not waited for: a blocking `flock` cannot time out, and a writer stuck inside
    its transaction must make the others fail after SQLite's busy timeout ("database is
    locked", as without the queue), not hang every worker and /healthz for ever. Between tries
    a waiter sleeps 0.1 ms, doubling to 1 ms: it starts well within a millisecond of the lock's
    release, where SQLite's busy handler, after 100 ms of waiting, sleeps 25-100 ms."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.usable = True

    def join(self, info: dict[str, Any]) -> None:
        thread = threading.get_ident()
        if not self.usable or _AT_HEAD.get(thread) == self.path:
            return
        fd = info.get(_FD)
        if fd is None:
            try:
                fd = info[_FD] = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError as error:
                self.usable = False
                log.warning("no writer queue at %s (%s): SQLite's own lock only", self.path, error)
                return
        _take(fd, BUSY_TIMEOUT_SECONDS)
        info[_HELD_BY] = thread
        _AT_HEAD[thread] = self.path

    def leave(self, info: dict[str, Any]) -> None:
        thread = info.pop(_HELD_BY, None)
        if thread is not None:
            _AT_HEAD.pop(thread, None)
            fcntl.flock(info[_FD], fcntl.LOCK_UN)

    def forget(self, info: dict[str, Any]) -> None:
        self.leave(info)
        fd = info.pop(_FD, None)
        if fd is not None:
            os.close(fd)


_FD, _HELD_BY = "antre.writers.fd", "antre.writers.held_by"


def _take(fd: int, timeout: float) -> None:
    pause, deadline = 0.0001, time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise OperationalError(
                    "BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked")
                ) from None
            time.sleep(pause)
            pause = min(2 * pause, 0.001)
