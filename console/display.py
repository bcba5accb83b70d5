"""`/display/<facility code>`: the waiting-room screen, "Sekarang dilayani A-012" (no login)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, jsonify, render_template
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from booking.clock import local_today, utcnow
from booking.errors import Refused
from booking.facilities import facility_by_code, services_of
from booking.models import WAITING, Booking, BookingStatus, ClinicSession, Event, SessionStatus
from console import messages
from console.calls import spoken_call
from plumbing.db import database

blueprint = Blueprint("display", __name__, template_folder="templates")

NEXT_SHOWN = 4
REFRESH_SECONDS = 5


@blueprint.get("/display/<code>")
def page(code: str) -> ResponseReturnValue:
    board = _board(code)
    return render_template("display.html", board=board, refresh_seconds=REFRESH_SECONDS)


@blueprint.get("/display/<code>/now.json")
def now_json(code: str) -> ResponseReturnValue:
    return jsonify(_board(code))


def _board(code: str) -> dict[str, Any]:
    with database(current_app).transaction() as db:
        try:
            facility = facility_by_code(db, code[:8])
        except Refused:
            abort(404)
        today = local_today(utcnow(), facility.timezone)
        services = [
            _service_line(db, service.id, service.name("id"), today)
            for service in services_of(db, facility)
        ]
        return {
            "facility": facility.name,
            "code": facility.code,
            "timezone": facility.timezone,
            "services": services,
        }


def _service_line(db: Session, service_id: int, name: str, today: Any) -> dict[str, Any]:
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
            call = _call(db, in_room, session.service.prefix, name)
        upcoming += db.scalars(
            select(Booking.display)
            .where(Booking.session_id == session.id, Booking.status.in_(WAITING))
            .order_by(Booking.skipped, Booking.number)
            .limit(NEXT_SHOWN)
        ).all()
    return {
        "service": name,
        "now_serving": serving,
        "next": upcoming[:NEXT_SHOWN],
        "notice": notice,
        "call": call,
    }


def _call(db: Session, booking: Booking, prefix: str, service: str) -> dict[str, Any]:
    """The latest call of the patient in the room: its event (a new one is said aloud once,
    a repeated call is a new event) and the sentence the waiting room hears."""
    key = db.scalar(
        select(func.max(Event.id)).where(
            Event.booking_id == booking.id, Event.kind.in_(("called", "recalled"))
        )
    )
    return {"key": key, "text": spoken_call(prefix, booking.number, service)}
