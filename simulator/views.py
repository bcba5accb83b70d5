"""`/simulator`: the page, and the list of SMS one phone received."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from booking.errors import Refused
from booking.models import Outbox
from booking.phones import normalise
from plumbing.db import database_of

blueprint = Blueprint(
    "simulator",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/simulator/static",
)

SHORT_CODE = "*123#"
SMS_NUMBER = "12345"  # the number patients text; the simulator's SMS go "to" it
INBOX_SIZE = 20


def enabled() -> bool:
    """On in the embedded default (no Redis); `ANTRE_SIMULATOR` forces it either way."""
    setting = current_app.config.get("SIMULATOR")
    if setting is None or setting == "":
        return not current_app.config.get("REDIS_URL")
    return str(setting).strip().lower() in ("1", "true", "yes", "on")


@blueprint.before_request
def only_when_enabled() -> None:
    if not enabled():
        abort(404)


@blueprint.get("/simulator")
def page() -> ResponseReturnValue:
    return render_template(
        "simulator.html",
        short_code=SHORT_CODE,
        sms_number=SMS_NUMBER,
        callback_key=current_app.config.get("CALLBACK_KEY") or "",
    )


@blueprint.get("/simulator/inbox")
def inbox() -> ResponseReturnValue:
    """The SMS a phone received, newest first (what the gateway sent or would send)."""
    try:
        phone = normalise(request.args.get("phone", ""), current_app.config["DEFAULT_REGION"])
    except Refused:
        return jsonify(error="phone: not a mobile number"), 400
    with database_of(current_app).transaction() as db:
        rows = db.scalars(
            select(Outbox).where(Outbox.phone == phone).order_by(Outbox.id.desc()).limit(INBOX_SIZE)
        ).all()
        messages = [
            {
                "id": row.id,
                "at": row.created_at.isoformat(),
                "body": row.body,
                "status": row.status.value,
                "kind": row.kind,
            }
            for row in rows
        ]
    return jsonify(phone=phone, messages=messages)


def home() -> ResponseReturnValue:
    """`/`: the simulator when it is on (the embedded default), else the health check."""
    if enabled():
        return redirect(url_for("simulator.page"))
    return redirect(url_for("health.healthz"))
