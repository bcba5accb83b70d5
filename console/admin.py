"""Administration pages: facilities (admins), a facility's rules and services (its admins too).

Handlers parse the form, check who asks, call the engine (booking/admin.py) in one transaction
and answer. The weekly schedules and holidays are in console/admin_schedule.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms.fields.choices import SelectChoice

from booking import admin, facility_numbers, limits
from booking.clock import local_today, utcnow
from booking.models import (
    ClinicSession,
    Facility,
    FacilityNumber,
    Holiday,
    ScheduleTemplate,
    Service,
)
from booking.validation import Invalid
from console import bpjs_reference, messages
from console.admin_forms import (
    DEFAULT_GATEWAY,
    INDONESIAN_ZONES,
    FacilityForm,
    NumberForm,
    RulesForm,
    ServiceForm,
)
from console.auth import require_facility, roles_required, staff
from console.language import current_language
from console.models import Role
from gateways import GATEWAYS
from plumbing.db import database_of

blueprint = Blueprint("admin", __name__, template_folder="templates")
ADMINS = (Role.ADMIN, Role.FACILITY_ADMIN)
T = TypeVar("T")


# --- helpers the schedule pages share ---------------------------------------------------------


def save(form: FlaskForm, work: Callable[[Session], T]) -> T | None:
    """Run an engine change in one transaction; a refusal lands on the form field it names."""
    try:
        return database_of(current_app).run(work)
    except Invalid as refused:
        field = getattr(form, refused.field, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, messages.invalid(refused)]
        else:
            flash(messages.invalid(refused), "error")
        return None


def actor() -> str:
    return str(staff().username)


def owned(db: Session, model: type[T], row_id: int) -> T:
    """The row, if it exists (404) and belongs to a facility this account administers (403)."""
    if not 0 < row_id <= limits.LARGEST_ID:  # the database would refuse the number itself
        abort(404)
    row = db.get(model, row_id)
    if row is None:
        abort(404)
    require_facility(_facility_of(db, row), administer=True)
    return row


def _facility_of(db: Session, row: object) -> int:
    if isinstance(row, Facility):
        return row.id
    if isinstance(row, Service | Holiday | FacilityNumber):
        return row.facility_id
    if isinstance(row, ScheduleTemplate | ClinicSession):
        return db.get_one(Service, row.service_id).facility_id
    raise TypeError(f"no facility for {type(row).__name__}")


def status(form: FlaskForm) -> int:
    """400 when a submitted form is shown again with its errors, 200 otherwise."""
    return 400 if form.errors else 200


# --- index and facilities --------------------------------------------------------------------


@blueprint.get("/console/admin/")
@roles_required(*ADMINS)
def index() -> ResponseReturnValue:
    user = staff()
    if user.role != Role.ADMIN:
        require_facility(user.facility_id or 0, administer=True)
        return redirect(url_for("admin.facility", facility_id=user.facility_id))
    with database_of(current_app).transaction() as db:
        facilities = db.scalars(select(Facility).order_by(Facility.district, Facility.code)).all()
        return render_template("console/admin_index.html", facilities=facilities)


@blueprint.route("/console/admin/facilities/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_facility() -> ResponseReturnValue:
    form = FacilityForm(data={"timezone": "Asia/Jakarta", "active": True})
    if form.validate_on_submit():
        fields = _facility_fields(form)
        created = save(
            form, lambda db: admin.create_facility(db, fields, actor=actor(), now=utcnow())
        )
        if created is not None:
            flash(messages.say(messages.FACILITY_CREATED, name=created.name, code=created.code))
            return redirect(url_for("admin.facility", facility_id=created.id))
    return _facility_form(form, None)


@blueprint.route("/console/admin/facilities/<int:facility_id>/edit", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit_facility(facility_id: int) -> ResponseReturnValue:
    with database_of(current_app).transaction() as db:
        facility = owned(db, Facility, facility_id)
    form = FacilityForm(obj=facility)
    if form.validate_on_submit():
        fields = _facility_fields(form)
        changed = save(
            form,
            lambda db: admin.update_facility(db, facility_id, fields, actor=actor(), now=utcnow()),
        )
        if changed is not None:
            flash(messages.say(messages.SAVED, name=changed.name))
            return redirect(url_for("admin.facility", facility_id=facility_id))
    return _facility_form(form, facility)


def _facility_fields(form: FacilityForm) -> admin.FacilityFields:
    return admin.FacilityFields(
        code=form.code.data,
        name=form.name.data,
        district=form.district.data,
        subdistrict=form.subdistrict.data,
        timezone=form.timezone.data,
        active=bool(form.active.data),
        rooms=form.rooms.data or "",
    )


def _facility_form(form: FacilityForm, facility: Facility | None) -> ResponseReturnValue:
    page = render_template(
        "console/admin_facility_form.html",
        form=form,
        facility=facility,
        zones=INDONESIAN_ZONES,
        max_name=limits.MAX_FACILITY_NAME,
    )
    return page, status(form)


@blueprint.get("/console/admin/facilities/<int:facility_id>")
@roles_required(*ADMINS)
def facility(facility_id: int) -> ResponseReturnValue:
    with database_of(current_app).transaction() as db:
        found = owned(db, Facility, facility_id)
        services = db.scalars(
            select(Service)
            .where(Service.facility_id == found.id)
            .order_by(Service.active.desc(), Service.prefix)
        ).all()
        return render_template(
            "console/admin_facility.html",
            facility=found,
            services=services,
            numbers=facility_numbers.of_facility(db, found),
            number_form=_number_form(),
            is_admin=staff().role == Role.ADMIN,
        )


# --- the facility's own numbers --------------------------------------------------------------


def _number_form() -> NumberForm:
    form = NumberForm()
    form.gateway.choices = [
        SelectChoice("", messages.say(DEFAULT_GATEWAY)),
        *(SelectChoice(name, name) for name in GATEWAYS),
    ]
    return form


@blueprint.post("/console/admin/facilities/<int:facility_id>/numbers")
@roles_required(*ADMINS)
def add_number(facility_id: int) -> ResponseReturnValue:
    with database_of(current_app).transaction() as db:
        owned(db, Facility, facility_id)
    form = _number_form()
    if form.validate_on_submit():
        region = str(current_app.config["DEFAULT_REGION"])
        number, gateway = str(form.number.data), form.gateway.data or None

        def tie(db: Session) -> str:
            facility = db.get_one(Facility, facility_id)
            row = facility_numbers.add(
                db, number, facility, gateway=gateway, region=region, move=False
            )
            return row.number

        added = save(form, tie)
        if added is not None:
            flash(messages.say(messages.NUMBER_ADDED, number=added))
    for errors in form.errors.values():
        for error in errors:
            flash(str(error), "error")
    return redirect(url_for("admin.facility", facility_id=facility_id))


@blueprint.post("/console/admin/facility-numbers/<int:number_id>/remove")
@roles_required(*ADMINS)
def remove_number(number_id: int) -> ResponseReturnValue:
    form = FlaskForm()
    with database_of(current_app).transaction() as db:
        row = owned(db, FacilityNumber, number_id)
        facility_id, number = row.facility_id, row.number
        if form.validate_on_submit():
            db.delete(row)
            flash(messages.say(messages.NUMBER_REMOVED, number=number))
    return redirect(url_for("admin.facility", facility_id=facility_id))


# --- rules -----------------------------------------------------------------------------------


@blueprint.route("/console/admin/facilities/<int:facility_id>/rules", methods=["GET", "POST"])
@roles_required(*ADMINS)
def rules(facility_id: int) -> ResponseReturnValue:
    with database_of(current_app).transaction() as db:
        facility = owned(db, Facility, facility_id)
    form = RulesForm(obj=facility)
    if form.validate_on_submit():
        wanted = admin.Rules(
            days_ahead=form.days_ahead.data,
            cutoff_minutes=form.cutoff_minutes.data,
            minutes_per_patient=form.minutes_per_patient.data,
            people_per_phone_per_day=form.people_per_phone_per_day.data,
            almost_turn_ahead=form.almost_turn_ahead.data,
            evening_reminder=form.evening_reminder.data,
            morning_reminder=form.morning_reminder.data,
            quiet_from=form.quiet_from.data,
            quiet_until=form.quiet_until.data,
            priority_rule=form.priority_rule.data,
            priority_every=form.priority_every.data,
        )
        changed = save(
            form,
            lambda db: admin.update_rules(db, facility_id, wanted, actor=actor(), now=utcnow()),
        )
        if changed is not None:
            flash(messages.say(messages.RULES_SAVED))
            return redirect(url_for("admin.facility", facility_id=facility_id))
    page = render_template("console/admin_rules.html", form=form, facility=facility)
    return page, status(form)


# --- services --------------------------------------------------------------------------------


@blueprint.route(
    "/console/admin/facilities/<int:facility_id>/services/new", methods=["GET", "POST"]
)
@roles_required(*ADMINS)
def new_service(facility_id: int) -> ResponseReturnValue:
    with database_of(current_app).transaction() as db:
        facility = owned(db, Facility, facility_id)
    form = ServiceForm(data={"active": True})
    if form.validate_on_submit():
        fields = _service_fields(form)
        created = save(
            form,
            lambda db: admin.create_service(db, facility_id, fields, actor=actor(), now=utcnow()),
        )
        if created is not None:
            flash(messages.say(messages.SERVICE_CREATED, name=created.name(current_language())))
            return redirect(url_for("schedule.service", service_id=created.id))
    return _service_form(form, facility, None)


@blueprint.route("/console/admin/services/<int:service_id>/edit", methods=["GET", "POST"])
@roles_required(*ADMINS)
def edit_service(service_id: int) -> ResponseReturnValue:
    with database_of(current_app).transaction() as db:
        service = owned(db, Service, service_id)
        facility = db.get_one(Facility, service.facility_id)
    form = ServiceForm.of(service)
    if form.validate_on_submit():
        fields = _service_fields(form)
        changed = save(
            form,
            lambda db: admin.update_service(db, service_id, fields, actor=actor(), now=utcnow()),
        )
        if changed is not None:
            flash(messages.say(messages.SAVED, name=changed.name(current_language())))
            return redirect(url_for("admin.facility", facility_id=facility.id))
    return _service_form(form, facility, service)


def _service_fields(form: ServiceForm) -> admin.ServiceFields:
    return admin.ServiceFields(
        code=form.code.data,
        names=form.names(),
        prefix=form.prefix.data,
        bpjs_poli_code=form.bpjs_poli_code.data,
        synonyms=form.synonyms.data,
        active=bool(form.active.data),
    )


def _service_form(
    form: ServiceForm, facility: Facility, service: Service | None
) -> ResponseReturnValue:
    today = local_today(utcnow(), facility.timezone)
    page = render_template(
        "console/admin_service_form.html",
        form=form,
        facility=facility,
        service=service,
        max_name=limits.MAX_SERVICE_NAME,
        bpjs_configured=bpjs_reference.configured(),
        bpjs_poli=bpjs_reference.poli(today),
        bpjs_problem=bpjs_reference.problem(),
        bpjs_empty=bpjs_reference.empty_answers(),
    )
    return page, status(form)
