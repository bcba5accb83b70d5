"""The BPJS page: what a facility told BPJS's Antrean FKTP, what waits, what BPJS refused.

Staff see each call (add / panggil / batal) with its booking, state and BPJS's own words, and
retry a refused one once its cause is fixed (a card corrected, a poli mapped): the retry puts it
back to pending and the sender takes it once the transaction has committed (bpjs.calls.retry).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm

from booking.clock import local_now, utcnow
from booking.models import Booking, BpjsCall, Facility
from bpjs import calls
from bpjs.settings import claim_seconds, credentials
from console import messages
from console.admin import ADMINS, owned
from console.auth import require_facility, roles_required
from plumbing.db import database_of

blueprint = Blueprint("bpjs_calls", __name__, template_folder="templates")

# What staff read for each state, in the page's language.
STATES = {
    calls.PENDING: messages.lazy(messages.BPJS_WAITING),
    calls.SENDING: messages.lazy(messages.BPJS_SENDING),
    calls.SENT: messages.lazy(messages.BPJS_SENT),
    calls.REFUSED: messages.lazy(messages.BPJS_REFUSED),
}
KINDS = {calls.ADD: "add", calls.PANGGIL: "panggil", calls.BATAL: "batal"}


@dataclass(frozen=True)
class Row:
    call: BpjsCall
    booking: Booking
    when: str  # made at, the facility's local time
    stuck: bool  # "sending" for longer than a live sender takes: the sweep will free it


@blueprint.get("/console/admin/facilities/<int:facility_id>/bpjs")
@roles_required(*ADMINS)
def page(facility_id: int) -> ResponseReturnValue:
    with database_of(current_app).transaction() as db:
        facility = owned(db, Facility, facility_id)
        now, held = utcnow(), timedelta(seconds=claim_seconds(current_app.config))
        rows = [
            Row(
                call,
                booking,
                when=f"{local_now(call.created_at, facility.timezone):%d/%m %H:%M}",
                stuck=calls.is_stale(call, now, held),
            )
            for call, booking in calls.of_facility(db, facility.id)
        ]
        return render_template(
            "console/bpjs_calls.html",
            facility=facility,
            rows=rows,
            states=STATES,
            kinds=KINDS,
            refused=calls.REFUSED,
            configured=credentials(current_app.config) is not None,
        )


@blueprint.post("/console/admin/bpjs-calls/<int:call_id>/retry")
@roles_required(*ADMINS)
def retry(call_id: int) -> ResponseReturnValue:
    form = FlaskForm()
    with database_of(current_app).transaction() as db:
        facility_id = calls.facility_of_call(db, call_id)
        if facility_id is None:
            abort(404)
        require_facility(facility_id, administer=True)
        if form.validate_on_submit():
            if calls.retry(db, call_id) is None:
                flash(messages.say(messages.BPJS_NOT_REFUSED), "error")
            else:
                flash(messages.say(messages.BPJS_SENT_AGAIN))
    return redirect(url_for("bpjs_calls.page", facility_id=facility_id))
