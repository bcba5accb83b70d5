"""The figures page in the staff console and its CSV export; who is asking, and what they
may see, for these and for the API's JSON (api/figures.py).

Each handler parses the request, checks who is asking, runs the queries in one transaction
and renders. Exports (CSV and JSON) write a `figures_exported` event in that transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as BaseResponse

from booking import records
from booking.clock import local_today, utcnow
from booking.models import Facility
from figures import charts, export
from figures.access import Allowed, Place, decide
from figures.queries import Figures, Scope, compute, districts, facilities_of
from plumbing.db import database_of
from texts import N_

blueprint = Blueprint("figures", __name__, template_folder="templates")

DEFAULT_DAYS = 30
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)


class BadRequest(Exception):
    """A request we cannot answer, with words for the person who made it."""

    status = 400


class NotYours(BadRequest):
    status = 403

    def __init__(self) -> None:
        super().__init__(N_("these figures are not yours to see"))


@dataclass(frozen=True)
class Viewer:
    """What the figures need to know of a logged-in account, whatever class the login uses."""

    username: str
    role: str
    district: str | None
    facility_id: int | None
    active: bool


def current_viewer() -> Viewer | None:
    """The logged-in staff account, or None (also while no login manager is registered)."""
    if not hasattr(current_app, "login_manager"):
        return None
    from flask_login import current_user

    if not current_user or not current_user.is_authenticated:
        return None
    return Viewer(
        username=str(getattr(current_user, "username", current_user.get_id())),
        role=str(getattr(current_user, "role", "")),
        district=getattr(current_user, "district", None),
        facility_id=getattr(current_user, "facility_id", None),
        active=bool(getattr(current_user, "active", current_user.is_active)),
    )


def _date(name: str, default: date) -> date:
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    try:
        value = date.fromisoformat(raw[:10])
    except ValueError:
        raise BadRequest(f"{name} must be a date like 2026-11-23") from None
    if not EARLIEST <= value <= LATEST:
        raise BadRequest(f"{name} must be between {EARLIEST} and {LATEST}")
    return value


def _text(name: str) -> str | None:
    raw = request.args.get(name, "").strip()
    if len(raw) > 60:
        raise BadRequest(f"{name} is too long")
    if not raw.isprintable():
        raise BadRequest(f"{name} holds characters that cannot be part of a name")
    return raw or None


def scope_for(db: Session, user: Viewer) -> Scope:
    """The scope asked for, narrowed to what this account may see; BadRequest or 403."""
    today = local_today(utcnow(), current_app.config.get("DEFAULT_TIMEZONE", "Asia/Jakarta"))
    end = _date("to", today)
    start = _date("from", end - timedelta(days=DEFAULT_DAYS - 1))
    district, facility = _text("district"), _text("facility")
    own = None
    if user.facility_id is not None:
        row = db.get(Facility, user.facility_id)
        own = Place(row.code, row.district) if row is not None else None
    facility_district = None
    if facility is not None:
        facility_district = db.scalar(select(Facility.district).where(Facility.code == facility))
        if district is not None and facility_district != district:
            # The page's district was changed while a facility of another was still chosen.
            facility, facility_district = None, None
    allowed: Allowed | None = decide(user, own, district, facility, facility_district)
    if allowed is None:
        raise NotYours()
    scope = Scope(start, end, allowed.district, allowed.facility)
    problem = scope.problem()
    if problem:
        raise BadRequest(problem)
    return scope


def log_export(db: Session, user: Viewer, scope: Scope, form: str, channel: str) -> None:
    records.event(
        db,
        "figures_exported",
        actor=user.username,
        channel=channel,
        now=utcnow(),
        detail={**scope.as_dict(), "format": form},
    )


@blueprint.get("/console/figures")
def page() -> BaseResponse | tuple[str, int] | str:
    user = current_viewer()
    if user is None:
        view = getattr(getattr(current_app, "login_manager", None), "login_view", None)
        if view:
            return redirect(url_for(view, next=request.full_path))
        return "Log in to the staff console to see the figures.", 401
    try:
        with database_of(current_app).transaction() as db:
            scope = scope_for(db, user)
            figures = compute(db, scope)
            choices = _choices(db, user, scope)
    except BadRequest as error:
        # The words of a fixed refusal are in the catalog; those naming a field stay English.
        page = render_template("figures.html", error=gettext(str(error)), figures=None, **_blank())
        return page, error.status
    return render_template(
        "figures.html",
        error=None,
        figures=figures,
        scope=scope,
        per_day_chart=charts.bookings_per_day(figures.table("bookings_by_day"), gettext),
        funnel_chart=charts.funnel(figures.table("ussd_funnel"), gettext),
        query=_query(scope),
        **choices,
    )


def _blank() -> dict[str, Any]:
    return {"scope": None, "query": {}, "districts": [], "facilities": [], "can_pick": False}


def _choices(db: Session, user: Viewer, scope: Scope) -> dict[str, Any]:
    role = user.role
    return {
        "districts": districts(db) if role == "admin" else [scope.district],
        "facilities": facilities_of(db, scope.district)
        if role in ("admin", "district_viewer")
        else [],
        "can_pick": role == "admin",
    }


def _query(scope: Scope) -> dict[str, str]:
    query = {"from": scope.start.isoformat(), "to": scope.end.isoformat()}
    if scope.district:
        query["district"] = scope.district
    if scope.facility:
        query["facility"] = scope.facility
    return query


@blueprint.get("/console/figures.csv")
def csv_export() -> Response | tuple[str, int]:
    user = current_viewer()
    if user is None:
        return "Log in to the staff console to export the figures.", 401
    try:
        wanted = _text("table")
        with database_of(current_app).transaction() as db:
            scope = scope_for(db, user)
            figures = compute(db, scope)
            if wanted is not None and wanted not in {t.name for t in figures.tables}:
                raise BadRequest(f"there is no table called {wanted!r}")
            log_export(db, user, scope, f"csv:{wanted or 'all'}", "staff")
    except BadRequest as error:
        return str(error), error.status
    if wanted:
        body = export.table_csv(figures.table(wanted), gettext)
    else:
        body = export.figures_csv(figures, gettext)
    name = _file_name(figures, wanted)
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _file_name(figures: Figures, table: str | None) -> str:
    scope = figures.scope
    where = scope.facility or scope.district or "all"
    safe = "".join(c if c.isalnum() else "-" for c in where).strip("-").lower() or "all"
    return f"antre-{safe}-{scope.start}-{scope.end}{'-' + table if table else ''}.csv"
