"""`POST /sms/incoming` and `POST /sms/delivery`: Africa's Talking's SMS callbacks."""

from __future__ import annotations

from flask import Blueprint, current_app, request
from flask.typing import ResponseReturnValue

from antre.callbacks import require_callback_key

blueprint = Blueprint("sms", __name__)


# --- POST /sms/incoming: an SMS from a patient -----------------------------------------------


@blueprint.post("/sms/incoming")
@require_callback_key
def incoming_sms() -> ResponseReturnValue:
    """An SMS in: acted on and answered through the outbox in one transaction, then 200."""
    from antre import database
    from booking.clock import utcnow
    from sms import incoming

    try:
        message = incoming.from_form(request.form)
    except incoming.Malformed as error:
        return f"bad request: {error}\n", 400, {"Content-Type": "text/plain"}
    now = utcnow()
    ours = [str(current_app.config.get("AT_SENDER") or "")]
    region = str(current_app.config["DEFAULT_REGION"])
    database(current_app).run(
        lambda session: incoming.receive(session, message, now, own_numbers=ours, region=region)
    )
    return "ok\n", 200, {"Content-Type": "text/plain"}


# --- POST /sms/delivery: delivery reports ----------------------------------------------------


@blueprint.post("/sms/delivery")
@require_callback_key
def delivery_report() -> ResponseReturnValue:
    """Africa's Talking's delivery report: 200 at once; the outbox row follows its SMS."""
    from antre import database
    from booking.clock import utcnow
    from sms import delivery

    report = delivery.parse(request.form)
    if isinstance(report, str):
        return f"bad request: {report}\n", 400, {"Content-Type": "text/plain"}
    database(current_app).run(lambda session: delivery.record(session, report, utcnow()))
    return "ok\n", 200, {"Content-Type": "text/plain"}
