"""What the BPJS tests share: the look-alike, an app configured for it, a mapped session."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from antre import create_app
from antre.demo import seed
from booking.models import BpjsCall, ClinicSession, Service
from plumbing.db import Database, database
from tests import fake_bpjs
from tests.helpers import session_id, today

CARD = "0001234567890"


@pytest.fixture
def fake() -> Iterator[fake_bpjs.FakeBpjs]:
    with fake_bpjs.running() as found:
        yield found


@pytest.fixture
def bpjs_app(database_url: str, tmp_path: Path, fake: fake_bpjs.FakeBpjs) -> Iterator[Flask]:
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "TESTING": True,
            "SECRET_KEY": "test",
            "REDIS_URL": None,
            **fake_bpjs.settings(fake),
        }
    )
    app.instance_path = str(tmp_path / "instance")
    yield app
    database(app).dispose()


@pytest.fixture
def sid(bpjs_app: Flask, now: datetime) -> int:
    """Today's first Poli Umum session at the demo puskesmas, mapped to BPJS poli 001."""
    db = database(bpjs_app)
    db.run(lambda s: seed(s, now))
    found = session_id(db, day=today(now))
    with db.transaction() as s:
        session = s.get_one(ClinicSession, found)
        session.bpjs_doctor_code, session.doctor_name = "123", "dr. Śri Wahyuni"
        s.get_one(Service, session.service_id).bpjs_poli_code = "001"
    return found


def delivered(app: Flask, fake: fake_bpjs.FakeBpjs, count: int) -> list[tuple[str, dict[str, Any]]]:
    """The calls BPJS accepted, once `count` have come (the sender is a thread)."""
    deadline = time.monotonic() + 10
    while len(fake.calls) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)  # and no more after them
    return list(fake.calls)


def statuses(db: Database) -> list[tuple[str, str]]:
    with db.transaction() as s:
        return [(c.path, c.status) for c in s.scalars(select(BpjsCall).order_by(BpjsCall.id))]


def wait_for(db: Database, wanted: list[tuple[str, str]]) -> None:
    deadline = time.monotonic() + 10
    while statuses(db) != wanted:
        assert time.monotonic() < deadline, statuses(db)
        time.sleep(0.05)
