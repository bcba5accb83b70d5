"""What the BPJS tests share besides their fixtures (tests/bpjs_fixtures.py)."""

from __future__ import annotations

import time
from typing import Any

from flask import Flask
from sqlalchemy import select

from booking.models import BpjsCall, ClinicSession, Service
from plumbing.db import Database, database_of
from tests import fake_bpjs

CARD = "0001234567890"


def service_of(app: Flask, sid: int) -> Service:
    """The service of clinic session `sid`."""
    with database_of(app).transaction() as s:
        return s.get_one(ClinicSession, sid).service


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
