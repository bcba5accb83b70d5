"""A database restart costs the requests in flight, not the ones after it (design §9).

A restart ends every server process; here they are ended one by one (pg_terminate_backend),
which is what the pooled connections see of a restart.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

import plumbing.db
from plumbing.db import Database

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg(postgres_database: str) -> Iterator[Database]:
    db = Database(postgres_database, pool_size=2)
    yield db
    db.dispose()


def answer(db: Database) -> int | None:
    return db.run(lambda s: s.execute(text("SELECT 1")).scalar())


def open_both(db: Database) -> None:
    """Two connections used and back in the pool."""
    with db.engine.connect() as first, db.engine.connect() as second:
        first.execute(text("SELECT 1"))
        second.execute(text("SELECT 1"))


def end_server_processes(url: str) -> int:
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as admin:
        ended = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()
    return int(ended[0]) if ended else 0


def test_a_connection_that_sat_idle_is_checked_and_replaced_before_use(
    pg: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_both(pg)
    assert end_server_processes(pg.url) >= 2
    monkeypatch.setattr(plumbing.db, "PING_AFTER_IDLE_SECONDS", 0.0)  # as if idle for long

    assert answer(pg) == 1
    assert answer(pg) == 1


def test_after_a_restart_one_request_fails_and_the_next_ones_succeed(pg: Database) -> None:
    open_both(pg)  # both just used: not pinged again
    assert end_server_processes(pg.url) >= 2

    with pytest.raises(OperationalError) as failed:
        answer(pg)
    assert failed.value.connection_invalidated
    # The disconnect made SQLAlchemy replace the whole pool: the other connection was dead too.
    assert answer(pg) == 1
    assert answer(pg) == 1


def test_a_database_that_never_answers_fails_a_request_in_seconds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A server that takes the connection and then says nothing (a hung host, a dropped route):
    the request fails with a database error instead of holding its web worker."""
    monkeypatch.setattr(plumbing.db, "CONNECT_TIMEOUT_SECONDS", 2)  # libpq's least
    with socket.create_server(("127.0.0.1", 0)) as silent:  # listens; never accepts or answers
        db = Database(f"postgresql+psycopg://antre@127.0.0.1:{silent.getsockname()[1]}/antre")
        failed: list[OperationalError] = []

        def ping() -> None:
            try:
                db.ping()
            except OperationalError as error:
                failed.append(error)

        request = threading.Thread(target=ping, daemon=True)
        request.start()
        request.join(timeout=30)
        assert not request.is_alive(), "still waiting on a server that never answers"
        assert failed and "timeout" in str(failed[0]).lower()
        db.dispose()
