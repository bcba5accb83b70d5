"""Small builders the engine tests share."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select

from antre import create_app
from booking.commands import TakeNumber
from booking.models import Booking, Channel, ClinicSession, Facility, Service
from booking.taking import take_number
from plumbing.db import Database
from plumbing.db import database_of as database


@contextmanager
def app_for_tests(database_url: str, tmp_path: Path, **settings: Any) -> Iterator[Flask]:
    """The app on `database_url` as the tests run it, with `settings` over the defaults."""
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "TESTING": True,
            "SECRET_KEY": "test",
            "REDIS_URL": None,
            **settings,
        }
    )
    app.instance_path = str(tmp_path / "instance")
    yield app
    database(app).dispose()


def session_id(
    db: Database, *, facility: str = "1001", service: str = "UMUM", day: date, start: time = time(8)
) -> int:
    with db.transaction() as s:
        found = s.scalar(
            select(ClinicSession.id)
            .join(Service, ClinicSession.service_id == Service.id)
            .join(Facility, Service.facility_id == Facility.id)
            .where(
                Facility.code == facility,
                Service.code == service,
                ClinicSession.day == day,
                ClinicSession.start_time == start,
            )
        )
    assert found is not None, f"no {service} session at {facility} on {day} {start}"
    return found


def today(now: datetime) -> date:
    return (now + timedelta(hours=7)).date()  # the demo puskesmas are in WIB (UTC+7)


def take(
    db: Database,
    sid: int,
    phone: str | None,
    now: datetime,
    *,
    name: str = "",
    key: str | None = None,
    channel: Channel = Channel.USSD,
) -> Booking:
    command = TakeNumber(session_id=sid, phone=phone, channel=channel, name=name, request_key=key)
    return db.run(lambda s: take_number(s, command, now))


def set_capacity(db: Database, sid: int, capacity: int) -> None:
    with db.transaction() as s:
        s.get_one(ClinicSession, sid).capacity = capacity
