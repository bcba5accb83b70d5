"""`/display/<facility code>`: the waiting-room screen, "Sekarang dilayani A-012" (no login)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session

from booking.calling import calling_order
from booking.clock import local_today, utcnow
from booking.errors import Refused
from booking.facilities import facility_by_code, services_of
from booking.models import (
    WAITING,
    Booking,
    BookingStatus,
    ClinicSession,
    Event,
    Facility,
    SessionStatus,
)
from console import messages
from console.calls import spoken_call, spoken_files
from plumbing.db import database_of
from texts.voice import every_file

blueprint = Blueprint("display", __name__, template_folder="templates")

VOICE = Path(__file__).resolve().parent / "static" / "voice"
VOICE_CACHE_SECONDS = 7 * 24 * 3600

NEXT_SHOWN = 4
REFRESH_SECONDS = 5
# A page of the screen: this many polis side by side, in this many rows. More polis than fit
# are shown a page at a time, each for PAGE_SECONDS.
COLUMNS = 3
ROWS = 2
PAGE_SECONDS = 10


@blueprint.get("/display/<code>")
def page(code: str) -> ResponseReturnValue:
    board = _board(code)
    return render_template(
        "display.html",
        board=board,
        refresh_seconds=REFRESH_SECONDS,
        columns=COLUMNS,
        rows=ROWS,
        page_seconds=PAGE_SECONDS,
    )


@blueprint.get("/display/<code>/now.json")
def now_json(code: str) -> ResponseReturnValue:
    return jsonify(_board(code))


@blueprint.get("/display/voice/<name>.wav")
def voice(name: str) -> ResponseReturnValue:
    """One of the sound files a TV without an Indonesian voice says calls with."""
    if name not in every_file():  # before the cache: it must hold only the files there are
        abort(404)
    sound = _sound(name)
    answer = Response(sound, mimetype="audio/wav")
    answer.cache_control.public = True
    answer.cache_control.max_age = VOICE_CACHE_SECONDS
    return answer


@cache
def _sound(name: str) -> bytes:
    # Read whole, once: a few kilobytes each, and a TV that stops a clip midway leaves no file
    # open behind it.
    return (VOICE / f"{name}.wav").read_bytes()


def _board(code: str) -> dict[str, Any]:
    with database_of(current_app).transaction() as db:
        try:
            facility = facility_by_code(db, code[:8])
        except Refused:
            abort(404)
        today = local_today(utcnow(), facility.timezone)
        services = [
            _service_line(db, facility, service.id, service.name("id"), today)
            for service in services_of(db, facility)
        ]
        return {
            "facility": facility.name,
            "code": facility.code,
            "timezone": facility.timezone,
            "services": services,
        }


def _service_line(
    db: Session, facility: Facility, service_id: int, name: str, today: Any
) -> dict[str, Any]:
    """Who is being served in the service's sessions today, and who is next."""
    every = db.scalars(
        select(ClinicSession)
        .where(ClinicSession.service_id == service_id, ClinicSession.day == today)
        .order_by(ClinicSession.start_time)
    ).all()
    sessions = [session for session in every if session.status != SessionStatus.CANCELLED]
    notice = None
    if every and not sessions:
        # The waiting room must learn it too, not only the patients who booked by phone.
        reason = every[-1].cancel_reason
        notice = (
            messages.say(messages.CANCELLED_TODAY_BECAUSE, reason=reason)
            if reason
            else messages.say(messages.CANCELLED_TODAY)
        )
    serving: str | None = None
    room: str | None = None
    call: dict[str, Any] | None = None
    upcoming: list[str] = []
    for session in sessions:
        # The number in the room, as the console shows it: a skipped patient is waiting again
        # and a served one has left, though the session still remembers the last call.
        in_room = db.scalars(
            select(Booking).where(
                Booking.session_id == session.id, Booking.status == BookingStatus.CALLED
            )
        ).first()
        if in_room is not None:
            serving = in_room.display
            room, call = _call(db, in_room, session.service.prefix, name)
        # In the order call next takes them, as the console lists them: skips and priority.
        waiting = db.scalars(
            select(Booking).where(Booking.session_id == session.id, Booking.status.in_(WAITING))
        ).all()
        upcoming += [
            booking.display
            for booking in calling_order(
                waiting,
                facility.priority_rule,
                facility.priority_every,
                session.calls_since_priority,
            )[:NEXT_SHOWN]
        ]
    return {
        "service": name,
        "now_serving": serving,
        "room": room,
        "next": upcoming[:NEXT_SHOWN],
        "notice": notice,
        "call": call,
    }


def _call(
    db: Session, booking: Booking, prefix: str, service: str
) -> tuple[str | None, dict[str, Any]]:
    """The latest call of the patient in the room: the room or counter it sent them to, its
    event (a new one is said aloud once, a repeated call is a new event), the sentence the
    waiting room hears and the sound files that say it."""
    latest = db.scalars(
        select(Event)
        .where(Event.booking_id == booking.id, Event.kind.in_(("called", "recalled")))
        .order_by(Event.id.desc())
        .limit(1)
    ).first()
    room = (latest.detail or {}).get("room") if latest is not None else None
    place = room or service
    files = spoken_files(prefix, booking.number, place)
    return room, {
        "key": latest.id if latest is not None else None,
        "text": spoken_call(prefix, booking.number, place),
        "audio": [url_for("display.voice", name=name) for name in files],
    }
