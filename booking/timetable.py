"""Weekly schedule templates and holidays, as facility admins keep them in the console.

Like booking/admin.py: a session in, nothing committed, every change one event with the staff
member as actor, `Invalid` for what the person at the form can fix. Templates only shape the
sessions generated from now on; sessions already generated keep their hours and bookings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from booking import limits, records, schedule
from booking import validation as check
from booking.clinic_sessions import cancel_session
from booking.clock import local_today
from booking.models import (
    ACTIVE,
    Booking,
    Channel,
    ClinicSession,
    Facility,
    Holiday,
    ScheduleTemplate,
    Service,
    SessionStatus,
)
from booking.validation import Invalid
from texts import N_

STAFF = Channel.STAFF.value
GENERATE_DAYS = 14


@dataclass(frozen=True)
class TemplateFields:
    weekday: int
    start_time: time | None
    end_time: time | None
    capacity: int | None
    doctor_name: str | None
    bpjs_doctor_code: str | None = None


@dataclass(frozen=True)
class Slot:
    """A template's fields once checked: what is stored."""

    weekday: int
    start_time: time
    end_time: time
    capacity: int
    doctor_name: str | None
    bpjs_doctor_code: str | None = None  # BPJS's kodedokter, for the sessions made from it


@dataclass(frozen=True)
class SessionOnDay:
    """A session still running on a day that became a holiday, and who is booked on it."""

    session: ClinicSession
    active_bookings: int


# --- templates -------------------------------------------------------------------------------


def clean_template(given: TemplateFields) -> Slot:
    start, end = check.hours(given.start_time, given.end_time)
    doctor = check.plain_text(
        "doctor_name", given.doctor_name, limits.MAX_DOCTOR_NAME, required=False
    )
    return Slot(
        weekday=check.weekday(given.weekday),
        start_time=start,
        end_time=end,
        capacity=check.capacity(given.capacity),
        doctor_name=doctor or None,
        bpjs_doctor_code=check.bpjs_doctor_code(given.bpjs_doctor_code),
    )


def add_template(
    db: Session, service_id: int, given: TemplateFields, *, actor: str, now: datetime
) -> ScheduleTemplate:
    service = _service(db, service_id)
    wanted = clean_template(given)
    _start_is_free(db, service.id, wanted, None)
    template = ScheduleTemplate(
        service_id=service.id,
        weekday=wanted.weekday,
        start_time=wanted.start_time,
        end_time=wanted.end_time,
        capacity=wanted.capacity,
        doctor_name=wanted.doctor_name,
        bpjs_doctor_code=wanted.bpjs_doctor_code,
        active=True,
    )
    db.add(template)
    db.flush()
    records.event(
        db,
        "template_created",
        actor=actor,
        channel=STAFF,
        now=now,
        detail={"service": service.id, "template": template.id, **_described(template)},
    )
    return template


def update_template(
    db: Session, template_id: int, given: TemplateFields, *, actor: str, now: datetime
) -> ScheduleTemplate:
    template = _template(db, template_id)
    wanted = clean_template(given)
    if template.active:
        _start_is_free(db, template.service_id, wanted, template.id)
    before = _described(template)
    template.weekday = wanted.weekday
    template.start_time = wanted.start_time
    template.end_time = wanted.end_time
    template.capacity = wanted.capacity
    template.doctor_name = wanted.doctor_name
    template.bpjs_doctor_code = wanted.bpjs_doctor_code
    after = _described(template)
    if after != before:
        records.event(
            db,
            "template_changed",
            actor=actor,
            channel=STAFF,
            now=now,
            detail={
                "service": template.service_id,
                "template": template.id,
                "from": before,
                "to": after,
            },
        )
    return template


def set_template_active(
    db: Session, template_id: int, active: bool, *, actor: str, now: datetime
) -> ScheduleTemplate:
    template = _template(db, template_id)
    if template.active == active:
        return template
    if active:
        _start_is_free(db, template.service_id, _fields(template), template.id)
    template.active = active
    records.event(
        db,
        "template_activated" if active else "template_deactivated",
        actor=actor,
        channel=STAFF,
        now=now,
        detail={"service": template.service_id, "template": template.id},
    )
    return template


def templates_of(db: Session, service_id: int) -> list[ScheduleTemplate]:
    return list(
        db.scalars(
            select(ScheduleTemplate)
            .where(ScheduleTemplate.service_id == service_id)
            .order_by(
                ScheduleTemplate.active.desc(),
                ScheduleTemplate.weekday,
                ScheduleTemplate.start_time,
            )
        )
    )


def _start_is_free(db: Session, service_id: int, wanted: Slot, own_id: int | None) -> None:
    """Two active templates starting together would make one session: generation keeps one."""
    clash = db.scalars(
        select(ScheduleTemplate).where(
            ScheduleTemplate.service_id == service_id,
            ScheduleTemplate.weekday == wanted.weekday,
            ScheduleTemplate.start_time == wanted.start_time,
            ScheduleTemplate.active.is_(True),
        )
    ).first()
    if clash is not None and clash.id != own_id:
        raise Invalid(
            "start_time", N_("An active template already starts on this day at this time.")
        )


def _service(db: Session, service_id: int) -> Service:
    service = db.get(Service, service_id)
    if service is None:
        raise Invalid("service", N_("No such service."))
    return service


def _template(db: Session, template_id: int) -> ScheduleTemplate:
    template = db.get(ScheduleTemplate, template_id)
    if template is None:
        raise Invalid("template", N_("No such template."))
    return template


def _fields(template: ScheduleTemplate) -> Slot:
    return Slot(
        template.weekday,
        template.start_time,
        template.end_time,
        template.capacity,
        template.doctor_name,
        template.bpjs_doctor_code,
    )


def _described(template: ScheduleTemplate) -> dict[str, object]:
    return {
        "weekday": template.weekday,
        "start": template.start_time.strftime("%H:%M"),
        "end": template.end_time.strftime("%H:%M"),
        "capacity": template.capacity,
        "doctor": template.doctor_name,
        "bpjs_doctor": template.bpjs_doctor_code,
    }


# --- holidays --------------------------------------------------------------------------------


def add_holiday(
    db: Session,
    facility_id: int,
    day: date | None,
    name: str | None,
    *,
    actor: str,
    now: datetime,
) -> Holiday:
    facility = _facility(db, facility_id)
    title = check.plain_text("name", name, limits.MAX_HOLIDAY_NAME)
    if day is None:
        raise Invalid("day", N_("Give a date (YYYY-MM-DD)."))
    if day < local_today(now, facility.timezone):
        raise Invalid("day", N_("That date has passed."))
    taken = db.scalars(
        select(Holiday).where(Holiday.facility_id == facility.id, Holiday.day == day)
    ).first()
    if taken is not None:
        raise Invalid(
            "day",
            N_("{day} is already a holiday ({name})."),
            day=f"{day:%d/%m/%Y}",
            name=taken.name,
        )
    holiday = Holiday(facility_id=facility.id, day=day, name=title)
    db.add(holiday)
    db.flush()
    records.event(
        db,
        "holiday_added",
        actor=actor,
        channel=STAFF,
        now=now,
        detail={"facility": facility.code, "day": day.isoformat(), "name": title},
    )
    return holiday


def remove_holiday(db: Session, holiday_id: int, *, actor: str, now: datetime) -> Holiday:
    """Sessions are not brought back by this: generate them again if the day is open after all."""
    holiday = _holiday(db, holiday_id)
    facility = _facility(db, holiday.facility_id)
    db.delete(holiday)
    records.event(
        db,
        "holiday_removed",
        actor=actor,
        channel=STAFF,
        now=now,
        detail={"facility": facility.code, "day": holiday.day.isoformat(), "name": holiday.name},
    )
    return holiday


def holidays_of(db: Session, facility_id: int, since: date) -> list[Holiday]:
    return list(
        db.scalars(
            select(Holiday)
            .where(Holiday.facility_id == facility_id, Holiday.day >= since)
            .order_by(Holiday.day)
        )
    )


def sessions_on(db: Session, facility_id: int, day: date) -> list[SessionOnDay]:
    """The facility's sessions on a day that are not cancelled, with their active bookings."""
    active = (
        select(func.count())
        .where(Booking.session_id == ClinicSession.id, Booking.status.in_(ACTIVE))
        .scalar_subquery()
    )
    rows = db.execute(
        select(ClinicSession, active)
        .join(Service, ClinicSession.service_id == Service.id)
        .where(
            Service.facility_id == facility_id,
            ClinicSession.day == day,
            ClinicSession.status != SessionStatus.CANCELLED,
        )
        .order_by(Service.prefix, ClinicSession.start_time)
    ).all()
    return [SessionOnDay(session, int(count)) for session, count in rows]


def cancel_holiday_sessions(
    db: Session, holiday_id: int, *, actor: str, now: datetime
) -> tuple[int, int]:
    """Cancel the sessions still standing on a holiday; every booked patient gets the SMS.

    Through the engine's own cancel_session, so patients hear exactly what a doctor's absence
    would tell them, with the next open session offered. Returns (sessions, bookings).
    """
    holiday = _holiday(db, holiday_id)
    sessions = bookings = 0
    for standing in sessions_on(db, holiday.facility_id, holiday.day):
        affected = cancel_session(
            db,
            standing.session.id,
            reason=f"Libur: {holiday.name}",
            actor=actor,
            channel=STAFF,
            now=now,
            request_key=f"holiday:{holiday.facility_id}:{holiday.day}:{standing.session.id}",
        )
        sessions += 1
        bookings += len(affected)
    return sessions, bookings


def _holiday(db: Session, holiday_id: int) -> Holiday:
    holiday = db.get(Holiday, holiday_id)
    if holiday is None:
        raise Invalid("holiday", N_("No such holiday."))
    return holiday


def _facility(db: Session, facility_id: int) -> Facility:
    facility = db.get(Facility, facility_id)
    if facility is None:
        raise Invalid("facility", N_("No such facility."))
    return facility


# --- generating sessions ---------------------------------------------------------------------


def generate_sessions(
    db: Session, facility_id: int, *, actor: str, now: datetime, days: int = GENERATE_DAYS
) -> int:
    """Sessions for the next `days` days from today (facility time), holidays skipped."""
    facility = _facility(db, facility_id)
    start = local_today(now, facility.timezone)
    created = schedule.generate(db, start, days, facility_id=facility.id)
    records.event(
        db,
        "sessions_generated",
        actor=actor,
        channel=STAFF,
        now=now,
        detail={
            "facility": facility.code,
            "from": start.isoformat(),
            "days": days,
            "created": created,
        },
    )
    return created


def upcoming_sessions(
    db: Session, service_id: int, now: datetime, days: int = GENERATE_DAYS
) -> list[ClinicSession]:
    service = _service(db, service_id)
    today = local_today(now, service.facility.timezone)
    return list(
        db.scalars(
            select(ClinicSession)
            .where(
                ClinicSession.service_id == service.id,
                ClinicSession.day >= today,
                ClinicSession.day < today + timedelta(days=days),
            )
            .order_by(ClinicSession.day, ClinicSession.start_time)
        )
    )
