"""Schedule pages: a service's weekly templates, a facility's holidays, generating sessions.

Templates and holidays shape the sessions generated from now on. A holiday set on a day that
already has sessions does not cancel them by itself: the page lists them, with who is booked,
and one more button cancels them through the engine so that every patient gets the SMS.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from booking import admin, limits, timetable
from booking.clock import local_today, utcnow
from booking.models import ClinicSession, Facility, Holiday, ScheduleTemplate, Service
from booking.validation import Invalid
from console import bpjs_reference, messages
from console.admin import ADMINS, actor, owned, save, status
from console.admin_forms import WEEKDAYS, ActionForm, HolidayForm, TemplateForm
from console.auth import roles_required
from plumbing.db import database_of
from texts import N_

blueprint = Blueprint("schedule", __name__, template_folder="templates")
DAY_NAMES = dict(enumerate(WEEKDAYS))
SAVED_TEMPLATE = N_(
    "Template saved. Sessions already made keep their hours; make new ones with 'Generate'."
)


@blueprint.route("/console/admin/services/<int:service_id>/schedule", methods=["GET", "POST"])
@roles_required(*ADMINS)
def service(service_id: int) -> ResponseReturnValue:
    with database_of(current_app).transaction() as db:
        found = owned(db, Service, service_id)
    form = TemplateForm()
    if form.validate_on_submit():
        fields = _template_fields(form, found)
        added = save(
            form,
            lambda db: timetable.add_template(db, service_id, fields, actor=actor(), now=utcnow()),
        )
        if added is not None:
            flash(messages.say(SAVED_TEMPLATE))
            return redirect(url_for("schedule.service", service_id=service_id))
    week_doctors = _bpjs_week_doctors(found)
    with database_of(current_app).transaction() as db:
        sessions = timetable.upcoming_sessions(db, service_id, utcnow())
        page = render_template(
            "console/admin_schedule.html",
            service=found,
            facility=db.get_one(Facility, found.facility_id),
            templates=timetable.templates_of(db, service_id),
            sessions=sessions,
            form=form,
            day_names=DAY_NAMES,
            days=timetable.GENERATE_DAYS,
            bpjs_configured=bpjs_reference.configured(),
            bpjs_doctors=_bpjs_doctors(found, sessions),
            bpjs_week_doctors=week_doctors,
            bpjs_problem=bpjs_reference.problem(),
            bpjs_empty=bpjs_reference.empty_answers(),
        )
    return page, status(form)


def _bpjs_doctors(
    service: Service, sessions: list[ClinicSession]
) -> dict[date, list[bpjs_reference.Choice]]:
    """BPJS's doctors of the service's poli, for each day a session is on."""
    if not service.bpjs_poli_code:
        return {}
    days = sorted({session.day for session in sessions})
    return {day: bpjs_reference.doctors(service.bpjs_poli_code, day) for day in days}


def _bpjs_week_doctors(service: Service) -> list[bpjs_reference.Choice]:
    """BPJS's doctors of the service's poli in the coming week, for a weekly template."""
    if not service.bpjs_poli_code:
        return []
    with database_of(current_app).transaction() as db:
        timezone = db.get_one(Facility, service.facility_id).timezone
    return bpjs_reference.week_doctors(service.bpjs_poli_code, local_today(utcnow(), timezone))


def _bpjs_name(service: Service, code: str | None, choices: list[bpjs_reference.Choice]) -> str:
    """BPJS's name for the doctor code, cut to what a doctor field holds ("" if unknown)."""
    if not code or not service.bpjs_poli_code:
        return ""
    return (bpjs_reference.name_of(choices, code) or "")[: limits.MAX_DOCTOR_NAME]


@blueprint.post("/console/admin/sessions/<int:session_id>/bpjs-doctor")
@roles_required(*ADMINS)
def bpjs_doctor(session_id: int) -> ResponseReturnValue:
    with database_of(current_app).transaction() as db:
        session = owned(db, ClinicSession, session_id)
        service_id, day, has_name = session.service_id, session.day, bool(session.doctor_name)
        service = db.get_one(Service, service_id)
    form = ActionForm()
    if form.validate_on_submit():
        code = request.form.get("bpjs_doctor_code", "")
        # A session without a doctor's name takes BPJS's name for the code picked.
        name = None
        if code.strip() and not has_name and service.bpjs_poli_code:
            name = _bpjs_name(service, code, bpjs_reference.doctors(service.bpjs_poli_code, day))
        try:
            database_of(current_app).run(
                lambda db: admin.set_bpjs_doctor(
                    db, session_id, code, doctor_name=name or None, actor=actor(), now=utcnow()
                )
            )
        except Invalid as refused:
            flash(messages.invalid(refused), "error")
        else:
            flash(messages.say(messages.BPJS_DOCTOR_SAVED))
    return redirect(url_for("schedule.service", service_id=service_id))


@blueprint.route("/console/admin/templates/<int:template_id>/edit", methods=["GET", "POST"])
@roles_required(*ADMINS)
def edit_template(template_id: int) -> ResponseReturnValue:
    with database_of(current_app).transaction() as db:
        template = owned(db, ScheduleTemplate, template_id)
        found = db.get_one(Service, template.service_id)
    form = TemplateForm(obj=template)
    if form.validate_on_submit():
        fields = _template_fields(form, found)
        changed = save(
            form,
            lambda db: timetable.update_template(
                db, template_id, fields, actor=actor(), now=utcnow()
            ),
        )
        if changed is not None:
            flash(messages.say(SAVED_TEMPLATE))
            return redirect(url_for("schedule.service", service_id=found.id))
    page = render_template(
        "console/admin_template_form.html",
        form=form,
        template=template,
        service=found,
        bpjs_configured=bpjs_reference.configured(),
        bpjs_week_doctors=_bpjs_week_doctors(found),
        bpjs_problem=bpjs_reference.problem(),
        bpjs_empty=bpjs_reference.empty_answers(),
    )
    return page, status(form)


@blueprint.post("/console/admin/templates/<int:template_id>/active")
@roles_required(*ADMINS)
def template_active(template_id: int) -> ResponseReturnValue:
    with database_of(current_app).transaction() as db:
        template = owned(db, ScheduleTemplate, template_id)
    form = ActionForm()
    if form.validate_on_submit():
        wanted = request.form.get("active") == "1"
        done = save(
            form,
            lambda db: timetable.set_template_active(
                db, template_id, wanted, actor=actor(), now=utcnow()
            ),
        )
        if done is not None:
            flash(
                messages.say(SAVED_TEMPLATE)
                if wanted
                else messages.say(messages.TEMPLATE_DEACTIVATED)
            )
    return redirect(url_for("schedule.service", service_id=template.service_id))


def _template_fields(form: TemplateForm, service: Service) -> timetable.TemplateFields:
    code, name = form.bpjs_doctor_code.data, form.doctor_name.data
    if (code or "").strip() and not (name or "").strip():
        # The doctor picked from BPJS's list, the name left empty: BPJS's name for them.
        name = _bpjs_name(service, code, _bpjs_week_doctors(service))
    return timetable.TemplateFields(
        weekday=form.weekday.data,
        start_time=form.start_time.data,
        end_time=form.end_time.data,
        capacity=form.capacity.data,
        doctor_name=name,
        bpjs_doctor_code=code,
    )


# --- holidays --------------------------------------------------------------------------------


@blueprint.route("/console/admin/facilities/<int:facility_id>/holidays", methods=["GET", "POST"])
@roles_required(*ADMINS)
def holidays(facility_id: int) -> ResponseReturnValue:
    with database_of(current_app).transaction() as db:
        facility = owned(db, Facility, facility_id)
    form = HolidayForm()
    if form.validate_on_submit():
        day, name = form.day.data, form.name.data
        added = save(
            form,
            lambda db: timetable.add_holiday(
                db, facility_id, day, name, actor=actor(), now=utcnow()
            ),
        )
        if added is not None:
            flash(
                messages.say(messages.HOLIDAY_ADDED, day=f"{added.day:%d/%m/%Y}", name=added.name)
            )
            _warn_if_sessions_stand(facility_id, added)
            return redirect(url_for("schedule.holidays", facility_id=facility_id))
    today = local_today(utcnow(), facility.timezone)
    with database_of(current_app).transaction() as db:
        upcoming = [
            (holiday, timetable.sessions_on(db, facility_id, holiday.day))
            for holiday in timetable.holidays_of(db, facility_id, today)
        ]
        page = render_template(
            "console/admin_holidays.html",
            facility=facility,
            holidays=upcoming,
            form=form,
        )
    return page, status(form)


def _warn_if_sessions_stand(facility_id: int, holiday: Holiday) -> None:
    with database_of(current_app).transaction() as db:
        standing = timetable.sessions_on(db, facility_id, holiday.day)
    if standing:
        sessions, patients = len(standing), sum(item.active_bookings for item in standing)
        flash(
            messages.say(messages.HOLIDAY_SESSIONS_STAND, sessions=sessions, patients=patients),
            "error",
        )


@blueprint.post("/console/admin/holidays/<int:holiday_id>/remove")
@roles_required(*ADMINS)
def remove_holiday(holiday_id: int) -> ResponseReturnValue:
    with database_of(current_app).transaction() as db:
        holiday = owned(db, Holiday, holiday_id)
    form = ActionForm()
    if form.validate_on_submit():
        removed = save(
            form, lambda db: timetable.remove_holiday(db, holiday_id, actor=actor(), now=utcnow())
        )
        if removed is not None:
            flash(messages.say(messages.HOLIDAY_REMOVED, day=f"{removed.day:%d/%m/%Y}"))
    return redirect(url_for("schedule.holidays", facility_id=holiday.facility_id))


@blueprint.post("/console/admin/holidays/<int:holiday_id>/cancel-sessions")
@roles_required(*ADMINS)
def cancel_holiday_sessions(holiday_id: int) -> ResponseReturnValue:
    with database_of(current_app).transaction() as db:
        holiday = owned(db, Holiday, holiday_id)
    form = ActionForm()
    if form.validate_on_submit():
        done = save(
            form,
            lambda db: timetable.cancel_holiday_sessions(
                db, holiday_id, actor=actor(), now=utcnow()
            ),
        )
        if done is not None:
            sessions, bookings = done
            flash(messages.say(messages.HOLIDAY_CANCELLED, sessions=sessions, bookings=bookings))
    return redirect(url_for("schedule.holidays", facility_id=holiday.facility_id))


# --- generating ------------------------------------------------------------------------------


@blueprint.post("/console/admin/facilities/<int:facility_id>/generate")
@roles_required(*ADMINS)
def generate(facility_id: int) -> ResponseReturnValue:
    with database_of(current_app).transaction() as db:
        owned(db, Facility, facility_id)
    form = ActionForm()
    if form.validate_on_submit():
        created = save(
            form,
            lambda db: timetable.generate_sessions(db, facility_id, actor=actor(), now=utcnow()),
        )
        if created is not None:
            flash(messages.say(messages.GENERATED, count=created, days=timetable.GENERATE_DAYS))
    return _back(form.back.data, url_for("admin.facility", facility_id=facility_id))


def _back(wanted: str | None, default: str) -> Response:
    """Back to the admin page the button was on; never anywhere else (no open redirect)."""
    if wanted and wanted.startswith("/console/admin/") and "//" not in wanted:
        return redirect(wanted)
    return redirect(default)
