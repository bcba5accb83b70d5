"""The bridge in the shape of Mobile JKN's FKTP queue web service (design §7).

A facility system (SIMRS) that already speaks BPJS's "antrean FKTP" web service reads and
writes Antre's queue with the code it has:

    GET  /auth                                   x-username, x-password  → token
    GET  /antrean/status/{kodepoli}/{tanggalperiksa}                     x-token, x-username
    GET  /antrean/sisapeserta/{nomorkartu}/{kodepoli}/{tanggalperiksa}   x-token, x-username
    POST /antrean                                JSON                    x-token, x-username
    PUT  /antrean/batal                          JSON                    x-token, x-username

Every answer is `{"response": …, "metadata": {"message": …, "code": …}}`: code 200 with
message "Ok" on success, code 201 with a readable Indonesian message otherwise, and then
`"response": null`. Metadata is spelled in lower case, as this web service (unlike PCare's
`metaData`) has it.

Decisions (from the public facility-side implementations of this web service we read, and the
published examples of its requests and answers):
- HTTP status. Mobile JKN and facility systems read `metadata.code`. Implementations answer
  a refused booking with code 201 in the envelope, over HTTP 200 (one mirrors it as HTTP 201);
  we answer every refusal about the queue over HTTP 200 (past date, unknown poli, second
  number, full session, bad card number …), so that a client which takes any other status
  for a broken connection still shows the message. The HTTP status speaks only where the
  request itself is at fault, which is also where those implementations differ most: a
  missing, forged or expired token and a wrong password are HTTP 401 (one implementation
  does the same; another answers HTTP 200 with code 401, which a client reading only `code`
  would take for a new code), an account tied to no facility is 403, a body that is not a
  JSON object or a field of the wrong JSON type is 400, an oversized body 413 — each with the
  same envelope and code 201. No request to these routes gets a 500; a wrong method or an
  unknown path gets Flask's 405/404.
- Token messages: "Token expired" for an old token of ours, "Token tidak valid" for anything
  else (forged, another purpose's signature, a user since deactivated, a changed password, or
  an x-username that is not the token's). Tokens live 12 hours (api/jkn_tokens.py); they and
  passwords are never stored or logged. Validation messages follow the usual wording ("Poli
  tidak ditemukan", "Format tanggal tidak sesuai, format yang benar adalah yyyy-mm-dd",
  "Nomor antrean hanya dapat diambil 1 kali pada tanggal dan poli yang sama", "Antrean tidak
  ditemukan"); all are in api/jkn_input.py, and engine refusals come from the id catalog.
- Wrong passwords at `GET /auth` spend from the console's budget (console/throttle.py): ten per
  account and fifty per address in 15 minutes, here and at the console's login together, then
  HTTP 429. A refused x-username is logged masked: it is sometimes the password.
- Counts are JSON numbers (totalantrean, sisaantrean, angkaantrean); nomorantrean is the
  ticket as printed ("A-012"); antreanpanggil is the number now called, "" before the first
  call (null shows as the word "null" in some clients). kodedokter is null: Antre keeps no
  BPJS doctor codes; the doctor's name and the practice hours come from the session.
- The facility is the staff user's: kodepoli is looked up among that facility's services only,
  by the service's code (UMUM, GIGI, KIA …) or by the BPJS poli code set on the service, so a
  user of facility X reaches nothing of facility Y ("Poli tidak ditemukan", or "Antrean tidak
  ditemukan" for a card booked there).
- A day with two sessions (morning, afternoon) is two queues, each numbered from 1. status
  speaks of the session running now, else the next one that day, else the last. POST books the
  session whose jampraktek ("08:00-12:00") it names, or the one that hours' start falls in;
  without jampraktek (or when its start falls in several) the first session that day with a
  place left. A jampraktek that matches no session is refused with the hours there are.
- One number per card, poli and day: a card holding an active number (waiting or in the room)
  for that poli and day gets code 201. A retried POST — the same card, poli, day, phone and
  jampraktek — answers the number it already got (the engine's idempotency key is derived from
  those fields and from how many of that card's numbers were cancelled, so that booking again
  after a cancellation is a new request and not a replay). Served or no-show numbers do not
  block a new one, as in every other channel.
- Personal data: the card number is stored as the person's BPJS number and nohp as their
  phone (the SMS receipt goes there); nik, keluhan, norm and kodedokter are checked for type
  and dropped, and so is the cancel reason (design §3: no more personal data than phone, name,
  BPJS number). A card booked from a phone is that phone's owner the first time; another card
  from the same phone is a family member named "Peserta <card>" (the protocol sends no name).
- A number booked here is a number like any other: the patient's phone gets Antre's SMS
  receipt and reminders, and the number is on the staff console and the waiting-room screen.
- A database that cannot be reached is answered with HTTP 503 and code 201 ("coba lagi"),
  never a 500; the log names the error's type only, since its text can hold a card number.
- PUT /antrean/batal cancels the card's active number as the patient would (until called);
  a number already cancelled (by the patient, or with its session) answers Ok again.

The views only parse, check access, call the engine and answer; bookings go through
booking.taking.take_number with channel api, in one transaction per request.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import DataError, SQLAlchemyError
from sqlalchemy.orm import Session

from api import jkn_queue, jkn_tokens
from api.jkn_input import MAX_BODY_BYTES, Invalid, Msg, json_object
from booking.clock import utcnow
from booking.errors import Refused
from console import throttle
from texts import translate

log = logging.getLogger(__name__)
blueprint = Blueprint("jkn", __name__)

_DENIED = {
    jkn_tokens.Problem.MISSING_CREDENTIALS: (Msg.AUTH_MISSING, 401),
    jkn_tokens.Problem.WRONG_CREDENTIALS: (Msg.AUTH_WRONG, 401),
    jkn_tokens.Problem.NO_FACILITY: (Msg.AUTH_NO_FACILITY, 403),
    jkn_tokens.Problem.PASSWORD_TO_CHANGE: (Msg.AUTH_PASSWORD_TO_CHANGE, 403),
    jkn_tokens.Problem.MISSING_TOKEN: (Msg.TOKEN_MISSING, 401),
    jkn_tokens.Problem.EXPIRED_TOKEN: (Msg.TOKEN_EXPIRED, 401),
    jkn_tokens.Problem.INVALID_TOKEN: (Msg.TOKEN_INVALID, 401),
}


def envelope(
    response: dict[str, Any] | None, message: str = Msg.OK, code: int = 200, status: int = 200
) -> ResponseReturnValue:
    return jsonify({"response": response, "metadata": {"message": message, "code": code}}), status


@blueprint.errorhandler(429)
def _too_many_attempts(_error: Exception) -> ResponseReturnValue:
    return envelope(None, Msg.AUTH_TOO_MANY, 201, 429)


@blueprint.get("/auth")
def auth() -> ResponseReturnValue:
    from plumbing.db import database_of

    username = request.headers.get("x-username", "").strip()
    password = request.headers.get("x-password", "")
    # The console's budget of wrong passwords, spent before the check (429 once it is spent).
    attempt = throttle.spend(username)
    try:
        with database_of(current_app).transaction() as db:
            user = jkn_tokens.log_in(db, username[:64], password)
            token = jkn_tokens.issue(current_app.config["SECRET_KEY"], user)
    except jkn_tokens.Denied as denied:
        if denied.problem in (
            jkn_tokens.Problem.NO_FACILITY,
            jkn_tokens.Problem.PASSWORD_TO_CHANGE,
        ):
            attempt.refund()  # the password was right
        return _denied(denied, throttle.masked(username))
    except SQLAlchemyError as error:
        attempt.refund()  # no password was checked
        return _unavailable(error)
    attempt.refund()
    return envelope({"token": token})


@blueprint.get("/antrean/status/<kodepoli>/<tanggalperiksa>")
def status(kodepoli: str, tanggalperiksa: str) -> ResponseReturnValue:
    return _answer(
        lambda db, caller, now, _: jkn_queue.status(db, caller, kodepoli, tanggalperiksa, now)
    )


@blueprint.get("/antrean/sisapeserta/<nomorkartu>/<kodepoli>/<tanggalperiksa>")
def remaining(nomorkartu: str, kodepoli: str, tanggalperiksa: str) -> ResponseReturnValue:
    return _answer(
        lambda db, caller, now, _: jkn_queue.remaining(
            db, caller, nomorkartu, kodepoli, tanggalperiksa, now
        )
    )


@blueprint.post("/antrean")
def take() -> ResponseReturnValue:
    region = str(current_app.config["DEFAULT_REGION"])
    return _answer(
        lambda db, caller, now, body: jkn_queue.take(db, caller, body, now, region=region),
        reads_body=True,
    )


@blueprint.put("/antrean/batal")
def cancel() -> ResponseReturnValue:
    return _answer(
        lambda db, caller, now, body: jkn_queue.cancel(db, caller, body, now), reads_body=True
    )


# The work of one request: its transaction, who asks, the clock and the JSON body ({} for GET).
Work = Callable[[Session, jkn_tokens.Caller, datetime, dict[str, Any]], dict[str, Any] | None]


def _answer(work: Work, *, reads_body: bool = False) -> ResponseReturnValue:
    """Check the token, then the body, run the work in one transaction, answer in the envelope."""
    from plumbing.db import database_of

    database = database_of(current_app)
    try:
        with database.transaction() as session:
            caller = jkn_tokens.check(
                session,
                current_app.config["SECRET_KEY"],
                request.headers.get("x-token", "").strip(),
                request.headers.get("x-username", "").strip(),
            )
        body = _body() if reads_body else {}
        now = utcnow()
        response = database.run(lambda session: work(session, caller, now, body))
    except jkn_tokens.Denied as denied:
        return _denied(denied)
    except Invalid as invalid:
        return envelope(None, invalid.message, 201, invalid.http_status)
    except Refused as refused:
        message = translate("id", refused.reason.message, **refused.params)
        return envelope(None, message, 201)
    except SQLAlchemyError as error:
        return _unavailable(error)
    return envelope(response)


def _body() -> dict[str, Any]:
    """The JSON object sent, never read past the size limit (a chunked body has no length)."""
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise Invalid(Msg.BODY_TOO_LARGE, 413, limit=MAX_BODY_BYTES)
    return json_object(request.stream.read(MAX_BODY_BYTES + 1))


def _unavailable(error: SQLAlchemyError) -> ResponseReturnValue:
    if isinstance(error, DataError):
        # Input the database cannot hold (a NUL character): the caller's to fix, not an outage.
        return envelope(None, Msg.UNSTORABLE, 201, 400)
    log.error("JKN bridge: the database failed (%s)", type(error).__name__)
    return envelope(None, Msg.UNAVAILABLE, 201, 503)


def _denied(denied: jkn_tokens.Denied, who: str = "") -> ResponseReturnValue:
    message, status_code = _DENIED[denied.problem]
    # The route, the reason and a masked name only: never the password, the token, a name in
    # clear (it is sometimes the password) or a card number.
    rule = request.url_rule.rule if request.url_rule is not None else "?"
    speaker = f" for {who}" if who else ""
    log.info("JKN bridge refused %s %s%s: %s", request.method, rule, speaker, denied.problem.name)
    return envelope(None, message, 201, status_code)
