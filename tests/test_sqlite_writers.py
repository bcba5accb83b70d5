"""SQLite's writers queue on a file lock beside the database (plumbing.db._WriterQueue).

Each `Database` here is what a gunicorn worker or the embedded sender has: its own engine on
the one file. The lock is looked at from outside with a descriptor of the test's own.
"""

from __future__ import annotations

import fcntl
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError

from plumbing.db import Database


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "antre.sqlite3"


@pytest.fixture
def databases(path: Path) -> Iterator[list[Database]]:
    made = [Database(f"sqlite:///{path}") for _ in range(2)]
    with made[0].transaction() as s:
        s.execute(text("CREATE TABLE counter (n INTEGER NOT NULL)"))
        s.execute(text("INSERT INTO counter VALUES (0)"))
    yield made
    for database in made:
        database.dispose()


def queue_is_free(path: Path) -> bool:
    fd = os.open(f"{path}-writers", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)  # and with it the lock, had we got it
    return True


def test_a_write_transaction_holds_the_queue_until_it_ends(
    databases: list[Database], path: Path
) -> None:
    first, _ = databases
    with first.transaction() as s:
        s.execute(text("UPDATE counter SET n = n + 1"))
        assert not queue_is_free(path)
    assert queue_is_free(path)
    with pytest.raises(ZeroDivisionError), first.transaction() as s:
        s.execute(text("UPDATE counter SET n = n + 1"))
        1 / 0  # noqa: B018  a transaction that rolls back lets go too
    assert queue_is_free(path)


def test_the_next_writer_begins_when_the_first_ends_and_sees_what_it_wrote(
    databases: list[Database], path: Path
) -> None:
    first, second = databases
    began = threading.Event()
    seen: list[int] = []

    def write() -> None:
        with second.transaction() as s:
            s.execute(text("UPDATE counter SET n = n + 1"))
            began.set()
            seen.append(s.execute(text("SELECT n FROM counter")).scalar_one())

    with first.transaction() as s:
        s.execute(text("UPDATE counter SET n = n + 1"))
        waiting = threading.Thread(target=write)
        waiting.start()
        assert not began.wait(0.3)  # queued behind the first
    waiting.join(timeout=5)
    assert began.is_set() and seen == [2]
    assert queue_is_free(path)


def test_a_read_only_step_does_not_queue(databases: list[Database]) -> None:
    first, second = databases
    with first.transaction() as s:
        s.execute(text("UPDATE counter SET n = n + 1"))
        # In another thread, as a second worker's menu step would be.
        read: list[int] = []
        reader = threading.Thread(
            target=lambda: read.append(
                second.run(
                    lambda r: r.execute(text("SELECT n FROM counter")).scalar_one(),
                    reads_first=True,
                )
            )
        )
        reader.start()
        reader.join(timeout=5)
        assert read == [0]  # answered while the writer held the lock, from before its write


def test_a_second_write_in_the_same_thread_does_not_wait_for_itself(
    databases: list[Database],
) -> None:
    """Nested writes on two engines never worked on SQLite ("database is locked" after the
    busy timeout); the queue must not turn that into a thread waiting for ever."""
    first, second = databases

    @event.listens_for(second.engine, "connect")
    def _short_timeout(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout=100")

    outcome: list[str] = []

    def nested() -> None:
        with first.transaction() as s:
            s.execute(text("UPDATE counter SET n = n + 1"))
            try:
                with second.transaction() as inner:
                    inner.execute(text("UPDATE counter SET n = n + 1"))
            except OperationalError as error:
                outcome.append(str(error.orig))

    thread = threading.Thread(target=nested, daemon=True)
    thread.start()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert outcome == ["database is locked"]


def test_without_a_place_for_the_queue_sqlites_own_lock_still_serves(
    path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    os.mkdir(f"{path}-writers")  # the lock file cannot be made
    database = Database(f"sqlite:///{path}")
    try:
        with caplog.at_level(logging.WARNING, logger="plumbing.db"):
            with database.transaction() as s:
                s.execute(text("CREATE TABLE counter (n INTEGER NOT NULL)"))
            with database.transaction() as s:
                s.execute(text("INSERT INTO counter VALUES (1)"))
        assert ["no writer queue" in record.message for record in caplog.records] == [True]
        with database.transaction() as s:
            assert s.execute(text("SELECT n FROM counter")).scalar_one() == 1
    finally:
        database.dispose()


def test_a_dead_writers_place_in_the_queue_is_given_up_by_the_kernel(
    databases: list[Database], path: Path
) -> None:
    # A worker that holds the lock, in a process of its own, killed mid-transaction.
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_AND_WAIT, f"sqlite:///{path}"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parent.parent,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "holding\n"
        assert not queue_is_free(path)
    finally:
        holder.kill()
        holder.wait(timeout=10)
        if holder.stdout is not None:
            holder.stdout.close()
    assert queue_is_free(path)
    first, _ = databases
    with first.transaction() as s:
        assert s.execute(text("SELECT n FROM counter")).scalar_one() == 0  # rolled back


HOLD_AND_WAIT = """
import sys, time
from sqlalchemy import text
from plumbing.db import Database
with Database(sys.argv[1]).transaction() as s:
    s.execute(text("UPDATE counter SET n = n + 1"))
    print("holding", flush=True)
    time.sleep(60)
"""


def test_a_writer_stuck_at_the_head_makes_the_others_fail_not_hang(
    databases: list[Database], path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("plumbing.db.BUSY_TIMEOUT_SECONDS", 0.3)
    first, _ = databases
    stuck = os.open(f"{path}-writers", os.O_RDWR)
    try:
        fcntl.flock(stuck, fcntl.LOCK_EX)  # another process's writer, holding on
        started = time.monotonic()
        with pytest.raises(OperationalError, match="database is locked"), first.transaction() as s:
            s.execute(text("UPDATE counter SET n = n + 1"))
        assert 0.3 <= time.monotonic() - started < 5
        first.ping()  # a health check reads: it neither queues nor fails
    finally:
        os.close(stuck)
    with first.transaction() as s:  # and once it lets go, writers go on
        s.execute(text("UPDATE counter SET n = n + 1"))
