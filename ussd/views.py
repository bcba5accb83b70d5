"""`POST /ussd`: Africa's Talking's USSD callback. Parse, answer, add `CON `/`END `."""

from __future__ import annotations

import logging
import re

from flask import Blueprint, Flask, current_app, request
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import SQLAlchemyError

from booking.clock import utcnow
from booking.errors import Refused
from booking.phones import normalise
from menus.tree import TREE
from menus.validate import Names, check
from plumbing.callbacks import require_callback_key
from plumbing.db import database_of
from texts import N_, translate
from texts.gsm import to_gsm7
from ussd import cache
from ussd.actions import ACTIONS
from ussd.cache import catalog_of
from ussd.conversation import Needs, Request, respond
from ussd.lists import ITEMS
from ussd.render import LIMIT
from ussd.store import store_of
from ussd.words import WORDS

log = logging.getLogger(__name__)
blueprint = Blueprint("ussd", __name__)

SESSION_ID = re.compile(r"[\w.:\-]{1,80}")
NETWORK = re.compile(r"\w{1,10}")
MAX_TEXT = 4000
BUSY = N_("Sorry, the service is busy. Please dial again in a minute.")
PLAIN = {"Content-Type": "text/plain; charset=utf-8"}


@blueprint.record_once
def _check_menu(state: BlueprintSetupState) -> None:
    """A broken menu stops start-up, not a caller halfway through a booking."""
    check(TREE, Names(actions=set(ACTIONS), items=set(ITEMS), words=set(WORDS)))


@blueprint.post("/ussd")
@require_callback_key
def callback() -> ResponseReturnValue:
    parsed = parse(request.form, current_app.config["DEFAULT_REGION"])
    if isinstance(parsed, str):
        return f"bad request: {parsed}\n", 400, PLAIN
    needs = needs_of(current_app)
    # What an earlier commit could not tell Redis of changed rows, said before they are read.
    cache.tell_untold(current_app)
    try:
        reply = respond(needs, parsed)
    except SQLAlchemyError:
        log.exception("USSD request failed on the database")
        return "END " + translate("id", BUSY), 200, PLAIN
    body = to_gsm7(reply.body)
    if len(body) > LIMIT - 4:
        log.warning("USSD screen over %d characters cut: %r", LIMIT, body)
        body = body[: LIMIT - 4]
    return ("END " if reply.finished else "CON ") + body, 200, PLAIN


def needs_of(app: Flask) -> Needs:
    """What a USSD request works with, from the app's settings and the parts it made."""
    return Needs(
        store=store_of(app),
        catalog=catalog_of(app),
        database=database_of(app),
        clock=utcnow,
        session_seconds=float(app.config["USSD_SESSION_TTL_SECONDS"]),
        resume_seconds=float(app.config["USSD_RESUME_SECONDS"]),
    )


def parse(form: dict[str, str] | object, region: str) -> Request | str:
    """The gateway's fields as a Request, or a one-line reason why they cannot be used."""
    get = getattr(form, "get")  # noqa: B009 - a MultiDict or a plain dict
    missing = [
        name for name in ("sessionId", "phoneNumber", "serviceCode", "text") if get(name) is None
    ]
    if missing:
        return f"missing field {', '.join(missing)}"
    session_id = str(get("sessionId")).strip()
    if not SESSION_ID.fullmatch(session_id):
        return "sessionId must be 1 to 80 letters, digits or . : _ -"
    if len(str(get("serviceCode"))) > 40:
        return "serviceCode is too long"
    text = str(get("text"))
    if len(text) > MAX_TEXT:
        return f"text is longer than {MAX_TEXT} characters"
    try:
        phone = normalise(str(get("phoneNumber")), region)
    except Refused:
        return "phoneNumber is not a mobile phone number"
    network = str(get("networkCode") or "").strip()
    return Request(
        session_id=session_id,
        phone=phone,
        text=text,
        network=network if NETWORK.fullmatch(network) else None,
    )
