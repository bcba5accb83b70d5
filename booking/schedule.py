"""Weekly templates become dated sessions; holidays are skipped."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from booking.models import ClinicSession, Holiday, ScheduleTemplate, Service


def generate(db: Session, start: date, days: int, *, facility_id: int | None = None) -> int:
    """Create the sessions the active templates describe for `days` days from `start`.

    Idempotent: a session that already exists (same service, day, start) is left as it is,
    so re-running never touches bookings. Returns how many sessions were created. With
    `facility_id`, only that facility's (what its admin may ask for from the console).
    """
    end = start + timedelta(days=days)
    query = (
        select(ScheduleTemplate, Service)
        .join(Service, ScheduleTemplate.service_id == Service.id)
        .where(ScheduleTemplate.active.is_(True), Service.active.is_(True))
    )
    if facility_id is not None:
        query = query.where(Service.facility_id == facility_id)
    templates = db.execute(query).all()
    holidays = {
        (facility_id, day)
        for facility_id, day in db.execute(
            select(Holiday.facility_id, Holiday.day).where(Holiday.day >= start, Holiday.day < end)
        )
    }
    existing = {
        (service_id, day, start_time)
        for service_id, day, start_time in db.execute(
            select(ClinicSession.service_id, ClinicSession.day, ClinicSession.start_time).where(
                ClinicSession.day >= start, ClinicSession.day < end
            )
        )
    }
    created = 0
    for offset in range(days):
        day = start + timedelta(days=offset)
        for template, service in templates:
            key = (service.id, day, template.start_time)
            if day.weekday() != template.weekday or key in existing:
                continue
            if (service.facility_id, day) in holidays:
                continue
            db.add(
                ClinicSession(
                    service_id=service.id,
                    day=day,
                    start_time=template.start_time,
                    end_time=template.end_time,
                    doctor_name=template.doctor_name,
                    bpjs_doctor_code=template.bpjs_doctor_code,
                    capacity=template.capacity,
                )
            )
            existing.add(key)
            created += 1
    return created
