"""The database: one engine per app, and the unit of work that owns every transaction."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import create_engine, event, make_url, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, DisconnectionError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from booking.models import Facility, Outbox, Phone, Service
from booking.records import NEW_OUTBOX_IDS

log = logging.getLogger(__name__)
T = TypeVar("T")

# session.info key: what a transaction changed that copies elsewhere (caches) may hold.
CHANGED_ROWS = "antre.changed_rows"


class Changed:
    """Rows of a committed transaction that caches may hold copies of (see `on_rows_committed`).

    `phones`: the numbers of Phone rows added, changed or deleted; `catalog`: a facility or a
    service was (a bulk UPDATE or DELETE of either counts too, without knowing which rows).
    """

    def __init__(self) -> None:
        self.phones: set[str] = set()
        self.catalog = False


# A database that does not answer (a host gone, packets dropped) fails a request in seconds
# instead of holding its web worker for as long as TCP takes to give up; the URL's own
# `?connect_timeout=` wins.
CONNECT_TIMEOUT_SECONDS = 5

# PostgreSQL errors worth running the whole request again for: the retry sees the winner's row.
_RETRYABLE_PG = {"40001", "40P01"}  # serialization failure, deadlock


class Database:
    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            self.engine = create_engine(
                url,
                connect_args={"check_same_thread": False, "timeout": 30},
                pool_size=pool_size,
                max_overflow=50,
            )
            _serialise_sqlite_writers(self.engine)
        else:
            self.engine = create_engine(
                url,
                pool_size=pool_size,
                max_overflow=20,
                pool_timeout=10,
                connect_args=_connect_timeout(url),
            )
            _ping_idle_connections(self.engine)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        # Called with the ids of outbox rows once the transaction that wrote them has
        # committed (the sender is told only about rows that really exist).
        self.on_outbox_committed: Callable[[list[int]], None] | None = None
        event.listen(self.sessions, "after_flush", _note_new_outbox_rows)
        event.listen(self.sessions, "after_commit", self._announce_outbox_rows)
        event.listen(self.sessions, "after_rollback", _forget_outbox_rows)
        # Called with what a transaction changed of the rows caches copy (phones' settings,
        # facilities, services), once it has committed: a cache emptied before the commit
        # could be filled again from the old rows by a request reading meanwhile.
        self.on_rows_committed: Callable[[Changed], None] | None = None
        event.listen(self.sessions, "after_flush", _note_changed_rows)
        event.listen(self.sessions, "do_orm_execute", _note_bulk_changes)
        event.listen(self.sessions, "after_commit", self._announce_changed_rows)
        event.listen(self.sessions, "after_rollback", _forget_changed_rows)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One transaction: committed if the block ends normally, rolled back otherwise."""
        with self.sessions() as session, session.begin():
            yield session

    def run(self, work: Callable[[Session], T], attempts: int = 4) -> T:
        """Run `work` in a transaction, again from the start if it lost a race.

        A lost race is a unique key taken by a concurrent twin (the same idempotency key, the
        same new person) or a deadlock; running the request again sees the winner's rows and
        answers from them.
        """
        for attempt in range(1, attempts + 1):
            try:
                with self.transaction() as session:
                    return work(session)
            except (IntegrityError, OperationalError) as error:
                if attempt == attempts or not _retryable(error):
                    raise
                log.info("retrying after a lost race (%s)", type(error.orig).__name__)
                time.sleep(0.005 * attempt)
        raise AssertionError("unreachable")

    # SQLAlchemy sends after_commit and after_rollback for savepoints too (a refused booking
    # rolls its savepoint back): only the outermost transaction's end may announce or forget.

    def _announce_outbox_rows(self, session: Session) -> None:
        if session.in_nested_transaction():
            return  # a savepoint released: the real commit announces
        ids = session.info.pop(NEW_OUTBOX_IDS, None)
        if ids and self.on_outbox_committed is not None:
            self.on_outbox_committed(sorted(ids))

    def _announce_changed_rows(self, session: Session) -> None:
        if session.in_nested_transaction():
            return
        changed: Changed | None = session.info.pop(CHANGED_ROWS, None)
        if changed is not None and self.on_rows_committed is not None:
            self.on_rows_committed(changed)

    def ping(self) -> None:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()


def _connect_timeout(url: str) -> dict[str, Any]:
    if "connect_timeout" in make_url(url).query:
        return {}
    return {"connect_timeout": CONNECT_TIMEOUT_SECONDS}


def _note_new_outbox_rows(session: Session, _context: Any) -> None:
    ids = [row.id for row in session.new if isinstance(row, Outbox)]
    if ids:
        session.info.setdefault(NEW_OUTBOX_IDS, set()).update(ids)


def _forget_outbox_rows(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint rolled back: the rest of the transaction may still commit
    session.info.pop(NEW_OUTBOX_IDS, None)


def _changed(session: Session) -> Changed:
    found: Changed | None = session.info.get(CHANGED_ROWS)
    if found is None:
        found = session.info[CHANGED_ROWS] = Changed()
    return found


def _note_changed_rows(session: Session, _context: Any) -> None:
    for row in (*session.new, *session.dirty, *session.deleted):
        if isinstance(row, Phone):
            _changed(session).phones.add(row.number)
        elif isinstance(row, Facility | Service):
            _changed(session).catalog = True


def _note_bulk_changes(state: Any) -> None:
    """`session.execute(update(Facility)…)` changes rows without loading them: note it too."""
    if not (state.is_update or state.is_delete):
        return  # every SELECT and INSERT passes here: leave at once
    if state.bind_mapper is not None and state.bind_mapper.class_ in (Facility, Service):
        _changed(state.session).catalog = True


def _forget_changed_rows(session: Session) -> None:
    if session.in_nested_transaction():
        return
    session.info.pop(CHANGED_ROWS, None)


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
    """Make every SQLite transaction take the write lock at BEGIN.

    pysqlite's default deferred BEGIN lets two transactions read, then both try to write and
    one fails with "database is locked" no matter the timeout. BEGIN IMMEDIATE makes them
    queue instead (up to the busy timeout), which is what the counter row needs.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
