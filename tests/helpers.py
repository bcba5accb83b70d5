"""Small builders the engine tests share."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from booking.commands import TakeNumber
from booking.models import Booking, Channel, ClinicSession, Facility, Service
from booking.taking import take_number
from plumbing.db import Database


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
