"""Wrong passwords at both doors (the console's login form, the bridge's `GET /auth`): one
budget per account and per address, spent before the password is checked; names masked.

The race runs real threads against the app served over real HTTP with its Redis, and counts
the password checks where they happen, in `StaffUser.check_password`.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis

from antre import create_app
from antre import database_of as database
from console.models import Role, StaffUser
from plumbing.db import Database
from tests import staff
from tests.gateway_app import serving

RACERS = 100


def _console(client: FlaskClient, username: str, password: str) -> int:
    token = staff.csrf_token(client, "/console/login")
    form = {"username": username, "password": password, "csrf_token": token}
    return client.post("/console/login", data=form).status_code


def _bridge(client: FlaskClient, username: str, password: str) -> int:
    headers = {"x-username": username, "x-password": password}
    return client.get("/auth", headers=headers).status_code


@pytest.mark.slow
def test_a_hundred_parallel_wrong_passwords_get_ten_checks_across_both_doors(
    redis_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    staff.add_user(database(redis_app), "siti", Role.STAFF, facility=None)
    checks = Counter[str]()
    lock = threading.Lock()
    check_password = StaffUser.check_password

    def counted(user: StaffUser, password: str) -> bool:
        with lock:
            checks[password] += 1
        return check_password(user, password)

    monkeypatch.setattr(StaffUser, "check_password", counted)
    barrier = threading.Barrier(RACERS)

    with serving(redis_app) as url:
        page = requests.get(f"{url}/console/login", timeout=10)
        found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
        assert found
        form = {"username": "siti", "csrf_token": found.group(1)}
        # Sent by hand: with Redis the cookie is Secure, and requests keeps it off plain HTTP.
        cookie = {"Cookie": f"session={page.cookies['session']}"}

        def attempt(n: int) -> int:
            password = f"guess-{n}"
            barrier.wait(timeout=30)
            if n % 2:
                answer = requests.get(
                    f"{url}/auth",
                    headers={"x-username": "siti", "x-password": password},
                    timeout=30,
                )
            else:
                answer = requests.post(
                    f"{url}/console/login",
                    data={**form, "password": password},
                    headers=cookie,
                    timeout=30,
                    allow_redirects=False,
                )
            return answer.status_code

        with ThreadPoolExecutor(RACERS) as pool:
            statuses = Counter(pool.map(attempt, range(RACERS)))

    assert checks.total() == 10, checks
    assert statuses == {401: 10, 429: RACERS - 10}


def test_wrong_passwords_at_one_door_use_up_the_budget_of_the_other(
    app: Flask, demo: Database
) -> None:
    staff.add_user(demo, "siti", Role.STAFF, facility="1001")
    staff.add_user(demo, "budi", Role.STAFF, facility="1001")
    client = app.test_client()
    assert [_bridge(client, "siti", f"guess-{n}") for n in range(5)] == [401] * 5
    assert [_console(client, "siti", f"guess-{n}") for n in range(5)] == [401] * 5
    assert _console(client, "siti", staff.PASSWORD) == 429
    assert _bridge(client, "siti", staff.PASSWORD) == 429

    # And the other way round, for another account.
    assert [_console(client, "budi", f"guess-{n}") for n in range(10)] == [401] * 10
    assert _bridge(client, "budi", staff.PASSWORD) == 429


def test_right_passwords_give_their_attempt_back(app: Flask, demo: Database) -> None:
    """Only wrong passwords stay counted: a facility system that asks for a token before every
    request, or a nurse who logs in many times a day, is never held up by its own successes."""
    staff.add_user(demo, "siti", Role.STAFF, facility="1001")
    client = app.test_client()
    for _ in range(30):
        assert _bridge(client, "siti", staff.PASSWORD) == 200
        assert _console(app.test_client(), "siti", staff.PASSWORD) == 302
    assert [_bridge(client, "siti", f"guess-{n}") for n in range(10)] == [401] * 10
    assert _bridge(client, "siti", staff.PASSWORD) == 429


def test_a_password_typed_as_the_username_reaches_neither_the_log_nor_redis_in_clear(
    redis_app: Flask, redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    typed = "Kuda-Lumping-77"
    client = redis_app.test_client()
    caplog.set_level(logging.DEBUG)
    for _ in range(11):  # the eleventh is refused for too many attempts, and logged too
        _console(client, typed, "whatever")
        _bridge(client, typed, "whatever")
    logged = caplog.text
    keys = b" ".join(Redis.from_url(redis_url).keys("*")).decode()
    for clear in (typed, typed.casefold(), typed[:6]):
        assert clear not in logged
        assert clear not in keys
    assert keys  # the budget was counted in Redis
    assert "console login refused for Ku" in logged  # a masked name: staff can still tell
    assert "JKN bridge refused GET /auth for Ku" in logged
    assert "too many attempts" in logged


def test_without_redis_logging_in_goes_on_and_wrong_passwords_are_counted_in_memory(
    database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "TESTING": True,
            "SECRET_KEY": "test",
            "REDIS_URL": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    )
    app.instance_path = str(tmp_path / "instance")
    staff.add_user(database(app), "siti", Role.STAFF, facility=None)
    client = app.test_client()
    assert _console(client, "siti", staff.PASSWORD) == 302
    assert [_bridge(client, "siti", f"guess-{n}") for n in range(10)] == [401] * 10
    assert _console(app.test_client(), "siti", staff.PASSWORD) == 429
    assert "Redis did not answer (ConnectionError); counting in memory" in caplog.text
    database(app).dispose()
