"""The BPJS tests' fixtures (a pytest plugin: `pytest_plugins = ("tests.bpjs_fixtures",)`):
the look-alike, an app configured for it, a session mapped to a BPJS poli and doctor, and the
demo puskesmas's facility admin logged in."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient

from antre.demo import seed
from booking.models import ClinicSession, Service
from console.models import Role
from plumbing.db import database_of as database
from tests import fake_bpjs, staff
from tests.helpers import app_for_tests, session_id, today


@pytest.fixture
def fake() -> Iterator[fake_bpjs.FakeBpjs]:
    with fake_bpjs.running() as found:
        yield found


@pytest.fixture
def bpjs_app(database_url: str, tmp_path: Path, fake: fake_bpjs.FakeBpjs) -> Iterator[Flask]:
    with app_for_tests(database_url, tmp_path, **fake_bpjs.settings(fake)) as made:
        yield made


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


@pytest.fixture
def admin(bpjs_app: Flask, sid: int, clock: time_machine.Coordinates) -> FlaskClient:
    """The demo puskesmas's facility admin, logged in."""
    staff.add_user(database(bpjs_app), "kepala", Role.FACILITY_ADMIN, facility="1001")
    return staff.log_in(bpjs_app.test_client(), "kepala")
