"""Fixtures: the app on real databases (SQLite file and PostgreSQL), real Redis, a fixed clock.

PostgreSQL and Redis come from ANTRE_TEST_POSTGRES_URL / ANTRE_TEST_REDIS_URL (defaults: the
local servers). Where one is not reachable its tests skip, naming it — unless
ANTRE_REQUIRE_SERVICES=1 (CI), which turns the skip into a failure.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from flask import Flask
from sqlalchemy import create_engine, text

from antre import database_of as database
from antre import migrate
from antre.demo import seed
from antre.schema import metadata
from plumbing.db import Database
from tests.helpers import app_for_tests

pytest_plugins = ["tests.browser"]  # the live app and headless Chromium of test_browser_*.py

POSTGRES_URL = os.environ.get(
    "ANTRE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("ANTRE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
REQUIRE_SERVICES = os.environ.get("ANTRE_REQUIRE_SERVICES", "") in ("1", "true", "yes")

# Monday 23 November 2026, 07:30 in Serang (WIB): the morning sessions are open for booking.
MONDAY_MORNING = datetime(2026, 11, 23, 0, 30, tzinfo=UTC)


def service_missing(name: str, error: Exception) -> None:
    message = f"{name} not reachable: {error}"
    if REQUIRE_SERVICES:
        pytest.fail(message + " (ANTRE_REQUIRE_SERVICES is set)")
    pytest.skip(message)


# --- no internet -----------------------------------------------------------------------------

_real_connect = socket.socket.connect


def _local_only(self: socket.socket, address: object) -> object:
    if isinstance(address, tuple) and address:
        host = str(address[0])
        try:
            if not ipaddress.ip_address(host).is_loopback:
                raise OSError(f"tests may not reach the network ({host})")
        except ValueError:
            if host != "localhost":
                raise OSError(f"tests may not reach the network ({host})") from None
    return _real_connect(self, address)  # type: ignore[arg-type]


@pytest.fixture(autouse=True, scope="session")
def no_internet() -> Iterator[None]:
    socket.socket.connect = _local_only  # type: ignore[method-assign]
    yield
    socket.socket.connect = _real_connect  # type: ignore[method-assign]


# --- databases -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file, copied for each test (migrating each time is slow)."""
    path = tmp_path_factory.mktemp("template") / "antre.sqlite3"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test run, migrated once."""
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"antre_test_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:
        admin.dispose()
        service_missing("PostgreSQL", error)
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    migrate.upgrade(url)
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _empty_postgres(url: str) -> None:
    engine = create_engine(url)
    tables = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """Each test that asks for it runs twice: on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "antre.sqlite3"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_database")
    _empty_postgres(url)
    return url


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    with app_for_tests(database_url, tmp_path) as made:
        yield made


@pytest.fixture
def db(app: Flask) -> Database:
    return database(app)


@pytest.fixture
def now() -> datetime:
    return MONDAY_MORNING


@pytest.fixture
def clock(now: datetime) -> Iterator[time_machine.Coordinates]:
    """The wall clock at `now`, running on from there (modules that need it frozen at `now`
    have a `clock` of their own)."""
    with time_machine.travel(now, tick=True) as traveller:
        yield traveller


@pytest.fixture
def demo(db: Database, now: datetime) -> Database:
    """The demo puskesmas, with sessions today (Monday) and tomorrow."""
    db.run(lambda session: seed(session, now))
    return db


# --- redis -----------------------------------------------------------------------------------


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A real Redis, emptied before and after the test (database 15 by default)."""
    from redis import Redis
    from redis.exceptions import RedisError

    client = Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.flushdb()
    except RedisError as error:
        service_missing("Redis", error)
    yield REDIS_URL
    client.flushdb()
    client.close()


@pytest.fixture
def redis_app(database_url: str, redis_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The app as in production: a real database and a real Redis."""
    with app_for_tests(database_url, tmp_path, REDIS_URL=redis_url) as made:
        yield made
