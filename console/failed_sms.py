"""The failed-SMS page: a facility's SMS that gave up (all of them for an admin), and sending
one or all again, by the same rules as `antre sms resend` (booking/failed_sms.py): a send in
doubt only when asked for, a reminder after its session never."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from booking import failed_sms, limits
from booking.clock import utcnow
from booking.models import Outbox
from console import messages
from console.auth import require_facility, roles_required, staff
from console.models import Role
from gateways.contract import mask_phone
from plumbing.db import database_of

blueprint = Blueprint("failed_sms", __name__, template_folder="templates")
HOURS = (24, 72, 168)  # the periods the page offers; the first is the command's default


def _scope() -> int | None:
    """The facility whose SMS this account sees; None: every facility's (an admin)."""
    user = staff()
    if user.role == Role.ADMIN:
        return None
    require_facility(user.facility_id or 0, administer=True)
    return user.facility_id


def _hours() -> int:
    hours = request.values.get("hours", type=int)
    return hours if hours in HOURS else HOURS[0]


@blueprint.get("/console/admin/sms/failed")
@roles_required(Role.ADMIN, Role.FACILITY_ADMIN)
def page() -> ResponseReturnValue:
    facility_id, hours = _scope(), _hours()
    since = utcnow() - timedelta(hours=hours)
    with database_of(current_app).transaction() as db:
        rows = [
            {
                "id": row.id,
                "phone": mask_phone(row.phone),
                "kind": row.kind,
                "when": row.updated_at,
                "why": row.error or "",
                "in_doubt": failed_sms.in_doubt(row),
            }
            for row in failed_sms.failed(db, since, facility_id=facility_id)
        ]
    return render_template("console/admin_failed_sms.html", rows=rows, hours=hours, periods=HOURS)


@blueprint.post("/console/admin/sms/failed/<int:outbox_id>/resend")
@roles_required(Role.ADMIN, Role.FACILITY_ADMIN)
def resend_one(outbox_id: int) -> ResponseReturnValue:
    facility_id = _scope()
    if not 0 < outbox_id <= limits.LARGEST_ID:
        abort(404)
    with database_of(current_app).transaction() as db:
        row = db.get(Outbox, outbox_id)
        if row is None:
            abort(404)
        if facility_id is not None:  # another facility's SMS, or one about no booking
            require_facility(failed_sms.facility_of(db, row) or 0, administer=True)
    return _resend([outbox_id], facility_id)


@blueprint.post("/console/admin/sms/failed/resend")
@roles_required(Role.ADMIN, Role.FACILITY_ADMIN)
def resend_all() -> ResponseReturnValue:
    facility_id, hours = _scope(), _hours()
    since = utcnow() - timedelta(hours=hours)
    with database_of(current_app).transaction() as db:
        ids = [row.id for row in failed_sms.failed(db, since, facility_id=facility_id)]
    return _resend(ids, facility_id)


def _resend(ids: list[int], facility_id: int | None) -> ResponseReturnValue:
    in_doubt_too = request.form.get("in_doubt") == "1"
    now = utcnow()
    again = database_of(current_app).run(
        lambda db: failed_sms.resend(
            db, ids, now, in_doubt_too=in_doubt_too, facility_id=facility_id
        )
    )
    left = len(set(ids)) - len(again)
    flash(messages.say(messages.SMS_RESENT, count=len(again), left=left))
    return redirect(url_for("failed_sms.page", hours=_hours()))
