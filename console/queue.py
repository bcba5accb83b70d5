"""The queue pages of the staff console: a facility's day, and one-click actions on it.

Each action parses its form, checks that the account may run the session's facility, calls the
engine in one transaction with the staff username as actor and channel "staff", and answers
with a redirect back to the page (post/redirect/get) and a flash message in the page's
language. An engine refusal becomes such a message; a form that cannot be read is answered 400
with the page and the form as typed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import login_required
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException

from booking import availability, clinic_sessions, search
from booking import queue as engine
from booking.clock import local_today, utcnow
from booking.commands import TakeNumber
from booking.errors import Reason, Refused
from booking.limits import LARGEST_ID
from booking.models import (
    Booking,
    Channel,
    ClinicSession,
    Facility,
    Person,
    Priority,
    Service,
    SessionStatus,
)
from booking.taking import MAX_NAME, take_number
from bpjs import calls
from console import board, messages
from console.auth import may_administer, require_facility, roles_required, staff
from console.forms import (
    ActionForm,
    CancelSessionForm,
    CapacityForm,
    PriorityForm,
    WalkInForm,
    first_error,
    new_request_key,
)
from console.models import Role
from console.problems import problem_page
from plumbing.db import database_of

blueprint = Blueprint("queue", __name__, template_folder="templates")

RUNNERS = (Role.STAFF, Role.FACILITY_ADMIN, Role.ADMIN)
ROOM_REMEMBERED_SECONDS = 400 * 24 * 3600  # a desk's browser keeps its room for good

T = TypeVar("T")


@dataclass(frozen=True)
class Target:
    """The session an action is about, and where its page is."""

    session_id: int
    facility_code: str
    day: date
    today: date
    status: SessionStatus
    service: dict[str, str]  # per language, for messages
    hours: str
    rooms: tuple[str, ...] = ()


# --- pages -----------------------------------------------------------------------------------


@blueprint.get("/console/")
@login_required
def home() -> ResponseReturnValue:
    """Staff land on their facility's day; admins pick a facility; district viewers see figures."""
    user = staff()
    if user.role == Role.DISTRICT_VIEWER:
        return redirect(url_for("figures.page"))
    with database_of(current_app).transaction() as db:
        if user.role == Role.ADMIN:
            wanted = request.args.get("facility", "").strip()[:8]
            if wanted and db.scalar(select(Facility.id).where(Facility.code == wanted)):
                return redirect(url_for("queue.facility", code=wanted))
            return render_template("console/facilities.html", facilities=board.facilities(db))
        code = (
            db.scalar(select(Facility.code).where(Facility.id == user.facility_id))
            if user.facility_id is not None
            else None
        )
    if code is None:
        return _problem(messages.NO_FACILITY, 403)
    return redirect(url_for("queue.facility", code=code))


@blueprint.get("/console/facility/<code>")
@roles_required(*RUNNERS)
def facility(code: str) -> ResponseReturnValue:
    return _page(code, request.args.get("day"))


def _page(
    code: str,
    day_asked: str | None,
    *,
    status: int = 200,
    problem: str | None = None,
    kept: tuple[int, Any] | None = None,
) -> ResponseReturnValue:
    """The facility's sessions on one day (today unless another booking day is asked)."""
    now = utcnow()
    with database_of(current_app).transaction() as db:
        place = db.scalars(select(Facility).where(Facility.code == code[:8])).first()
        if place is None:
            abort(404)
        require_facility(place.id)
        days = availability.booking_days(place, now)
        day = next((d for d in days if d.isoformat() == day_asked), None)
        if day is None and day_asked and request.method == "GET":
            # A typed or stale link: say so, rather than show today as if it were that day.
            flash(messages.say(messages.DAY_NOT_SHOWN, day=day_asked[:20]), "error")
            return redirect(url_for("queue.facility", code=place.code))
        day = day or days[0]
        cards = board.session_cards(db, place, day)
        ticket = _ticket(db, place, request.args.get("ticket"))
        bpjs_refused = calls.refused_bookings(db, board.booking_ids(cards))
        typed = request.args.get("q")
        hits, search_problem = _search(db, place, days, typed) if typed is not None else ([], None)
    return (
        render_template(
            "console/today.html",
            facility=place,
            day=day,
            days=days,
            today=days[0],
            cards=cards,
            ticket=ticket,
            bpjs_refused=bpjs_refused,
            search_text=(typed or "")[: search.MAX_TYPED],
            hits=hits[: search.LIMIT],
            more_hits=len(hits) > search.LIMIT,
            search_problem=search_problem,
            priorities=[p.value for p in Priority],
            problem=problem,
            kept=kept,
            may_administer=may_administer(staff(), place.id),
            rooms=place.room_names,
            room=chosen_room(place.code, place.room_names),
            name_limit=MAX_NAME,
            new_request_key=new_request_key,
            # Reloading a page that answered a POST would post again: only plain views reload.
            # It reloads itself (when nobody is typing) to show bookings made by phone.
            refresh_seconds=current_app.config["CONSOLE_REFRESH_SECONDS"]
            if status == 200
            else None,
        ),
        status,
    )


def _search(
    db: Session, place: Facility, days: list[date], typed: str
) -> tuple[list[board.Hit], str | None]:
    """The bookings of the booking days that match what the desk typed (one more than shown,
    to say there are more), or why nothing was looked for."""
    try:
        found = search.search(db, place.id, days, typed, limit=search.LIMIT + 1)
    except search.Unclear:
        return [], messages.say(messages.SEARCH_UNCLEAR)
    return [board.Hit.of(one) for one in found], None


def _ticket(db: Session, place: Facility, raw: str | None) -> board.Patient | None:
    """The walk-in just registered, shown large; only a booking of this facility."""
    if not raw or not (raw.isascii() and raw.isdigit()) or int(raw) > LARGEST_ID:
        return None
    row = db.execute(
        select(Booking, Person)
        .join(Person, Booking.person_id == Person.id)
        .join(Service, Booking.service_id == Service.id)
        .where(Booking.id == int(raw), Service.facility_id == place.id)
    ).first()
    return board.Patient.of(row[0], row[1]) if row is not None else None


# --- actions on the queue --------------------------------------------------------------------


@blueprint.post("/console/sessions/<int:session_id>/call-next")
@roles_required(*RUNNERS)
def call_next(session_id: int) -> ResponseReturnValue:
    target = _session_target(session_id)
    form = ActionForm()
    if not form.validate():
        return _invalid(target, form)
    if target.day != target.today:
        flash(messages.say(messages.NOT_TODAY), "error")
        return _back(target)
    key = _key(form, "call-next", session_id)
    room = chosen_room(target.facility_code, target.rooms)
    called = _run(
        lambda db: _called_words(
            engine.call_next(db, session_id, request_key=key, now=utcnow(), room=room, **_who())
        )
    )
    if called is not None:
        flash(messages.say(messages.CALLED, **called), "success")
    return _back(target)


def _room_cookie(code: str) -> str:
    return f"antre_room_{code}"


def chosen_room(code: str, rooms: Sequence[str]) -> str | None:
    """The room or counter this browser calls numbers to, if it is still one of the
    facility's; None: to the service itself."""
    wanted = request.cookies.get(_room_cookie(code))
    return wanted if wanted in rooms else None


@blueprint.post("/console/facility/<code>/room")
@roles_required(*RUNNERS)
def choose_room(code: str) -> ResponseReturnValue:
    """Chosen once at a desk's browser: every call from it goes to that room or counter."""
    with database_of(current_app).transaction() as db:
        place = db.scalars(select(Facility).where(Facility.code == code[:8])).first()
        if place is None:
            abort(404)
        require_facility(place.id)
        rooms = place.room_names
    form = ActionForm()
    back = redirect(url_for("queue.facility", code=place.code), 303)
    room = request.form.get("room", "")
    if not form.validate() or (room and room not in rooms):
        flash(messages.say(messages.ROOM_UNKNOWN), "error")
        return back
    if room:
        flash(messages.say(messages.ROOM_CHOSEN, room=room), "success")
        back.set_cookie(
            _room_cookie(place.code),
            room,
            max_age=ROOM_REMEMBERED_SECONDS,
            httponly=True,
            samesite="Lax",
        )
    else:
        flash(messages.say(messages.NO_ROOM_CHOSEN), "success")
        back.delete_cookie(_room_cookie(place.code))
    return back


def _called_words(booking: Booking) -> dict[str, str]:
    # Read inside the transaction: the person is loaded while the session is open.
    return {"number": booking.display, "name": board.Patient.of(booking, booking.person).label}


Act = Callable[[Session, int, str | None], Booking]


def _booking_action(booking_id: int, name: str, act: Act, message: str) -> ResponseReturnValue:
    """Served, no-show, skip, arrived: one click on one number."""
    target = _booking_target(booking_id)
    form = ActionForm()
    if not form.validate():
        return _invalid(target, form)
    key = _key(form, name, booking_id)
    number = _run(lambda db: act(db, booking_id, key).display)
    if number is not None:
        flash(messages.say(message, number=number), "success")
    return _back(target)


@blueprint.post("/console/bookings/<int:booking_id>/served")
@roles_required(*RUNNERS)
def served(booking_id: int) -> ResponseReturnValue:
    def act(db: Session, booking_id: int, key: str | None) -> Booking:
        return engine.mark_served(db, booking_id, request_key=key, now=utcnow(), **_who())

    return _booking_action(booking_id, "served", act, messages.SERVED)


@blueprint.post("/console/bookings/<int:booking_id>/no-show")
@roles_required(*RUNNERS)
def no_show(booking_id: int) -> ResponseReturnValue:
    def act(db: Session, booking_id: int, key: str | None) -> Booking:
        return engine.mark_no_show(db, booking_id, request_key=key, now=utcnow(), **_who())

    return _booking_action(booking_id, "no-show", act, messages.NO_SHOW)


@blueprint.post("/console/bookings/<int:booking_id>/skip")
@roles_required(*RUNNERS)
def skip(booking_id: int) -> ResponseReturnValue:
    def act(db: Session, booking_id: int, key: str | None) -> Booking:
        return engine.skip(db, booking_id, request_key=key, now=utcnow(), **_who())

    return _booking_action(booking_id, "skip", act, messages.SKIPPED)


@blueprint.post("/console/bookings/<int:booking_id>/recall")
@roles_required(*RUNNERS)
def recall(booking_id: int) -> ResponseReturnValue:
    def act(db: Session, booking_id: int, key: str | None) -> Booking:
        # Each press is heard once more in the waiting room: no request key to replay.
        return engine.recall(db, booking_id, now=utcnow(), **_who())

    return _booking_action(booking_id, "recall", act, messages.RECALLED)


@blueprint.post("/console/bookings/<int:booking_id>/arrived")
@roles_required(*RUNNERS)
def arrived(booking_id: int) -> ResponseReturnValue:
    def act(db: Session, booking_id: int, key: str | None) -> Booking:
        # Arriving twice is arriving once: check_in needs no request key.
        return engine.check_in(db, booking_id, now=utcnow(), **_who())

    return _booking_action(booking_id, "arrived", act, messages.CHECKED_IN)


@blueprint.post("/console/bookings/<int:booking_id>/priority")
@roles_required(*RUNNERS)
def priority(booking_id: int) -> ResponseReturnValue:
    """Mark a waiting patient a priority patient (lansia, ibu hamil, disabilitas), or not."""
    target = _booking_target(booking_id)
    form = PriorityForm()
    if not form.validate():
        return _invalid(target, form)
    wanted = Priority(form.priority.data) if form.priority.data else None
    number = _run(
        lambda db: engine.mark_priority(db, booking_id, wanted, now=utcnow(), **_who()).display
    )
    if number is not None:
        message = messages.PRIORITY_MARKED if wanted else messages.PRIORITY_CLEARED
        flash(messages.say(message, number=number), "success")
    return _back(target)


@blueprint.post("/console/sessions/<int:session_id>/walk-in")
@roles_required(*RUNNERS)
def walk_in(session_id: int) -> ResponseReturnValue:
    """A patient at the desk (or on the phone) gets a number in the same queue as USSD and
    SMS bookings: in this session, or in its service's session on another bookable day."""
    target = _session_target(session_id)
    form = WalkInForm()
    if not form.validate():
        return _invalid(target, form)
    wanted_day = _day(form.day.data) if form.day.data else target.day
    key = _key(form, "walk-in", session_id)

    def book(db: Session) -> Booking:
        now = utcnow()
        session = db.get_one(ClinicSession, session_id)
        if wanted_day is None:  # shaped like a date, but none ("2026-02-30")
            raise availability.outside_window(session.service.facility, now)
        chosen = availability.desk_session_on(db, session, wanted_day, now)
        command = TakeNumber(
            session_id=chosen.id,
            phone=(form.phone.data or "").strip() or None,
            channel=Channel.STAFF,
            name=form.name.data or "",
            bpjs_number=form.bpjs.data or None,
            request_key=key,
            actor=staff().username,
            priority=Priority(form.priority.data) if form.priority.data else None,
        )
        return _with_person(take_number(db, command, now))

    try:
        booking = database_of(current_app).run(book)
    except Refused as refused:
        # Keep what was typed: the nurse corrects one field instead of asking again.
        typo = refused.reason in (Reason.NAME_INVALID, Reason.PHONE_INVALID)
        return _page(
            target.facility_code,
            target.day.isoformat(),
            status=400 if typo else 409,
            problem=messages.refusal(refused),
            kept=(session_id, form),
        )
    words = {"name": booking.person.name, "number": booking.display}
    if booking.day == target.today:
        flash(messages.say(messages.WALK_IN, **words), "ticket")
    else:
        flash(
            messages.say(messages.WALK_IN_ON_DAY, day=f"{booking.day:%d/%m/%Y}", **words), "ticket"
        )
    # To the page of the day the number is for, where it is shown large to print.
    day = booking.day.isoformat() if booking.day != target.today else None
    return redirect(
        url_for("queue.facility", code=target.facility_code, day=day, ticket=booking.id), 303
    )


def _day(typed: str) -> date | None:
    try:
        return date.fromisoformat(typed)
    except ValueError:
        return None


def _with_person(booking: Booking) -> Booking:
    booking.person  # noqa: B018 - load it while the session is open, for the message
    return booking


# --- actions on a session --------------------------------------------------------------------


@blueprint.post("/console/sessions/<int:session_id>/cancel")
@roles_required(*RUNNERS)
def cancel_session(session_id: int) -> ResponseReturnValue:
    """Doctor absent: every waiting patient is cancelled and told by SMS (the engine writes it)."""
    target = _session_target(session_id)
    form = CancelSessionForm()
    if not form.validate():
        return _invalid(target, form)
    words = {"service": target.service, "time": target.hours}
    if target.status == SessionStatus.CANCELLED:
        flash(messages.say(messages.ALREADY_CANCELLED, **words), "info")
        return _back(target)
    if form.confirmed.data != "1":
        return _confirm_cancel(target, form)
    key = _key(form, "cancel", session_id)

    def cancel(db: Session) -> int:
        clinic_sessions.cancel_session(
            db, session_id, reason=form.reason.data or "", request_key=key, now=utcnow(), **_who()
        )
        # Counted from the rows, not from the engine's answer: a replayed double click gets an
        # empty list back but must read the same as the first click.
        return board.told_of_cancellation(db, session_id)

    told = _run(cancel)
    if told is not None:
        flash(messages.say_count(messages.SESSION_CANCELLED, told, **words), "success")
    return _back(target)


def _confirm_cancel(target: Target, form: CancelSessionForm) -> ResponseReturnValue:
    """The "are you sure?" page: what cancelling would do, and the same form to confirm it.

    It carries the first form's request key on, so that a double click on "yes" cancels once.
    """
    with database_of(current_app).transaction() as db:
        cancelled, told = board.cancellation_reach(db, target.session_id)
    question = messages.say(
        messages.CANCEL_SESSION_QUESTION,
        service=target.service,
        time=target.hours,
        day=target.day.strftime("%d/%m/%Y"),
        cancelled=cancelled,
        told=told,
    )
    return render_template(
        "console/cancel_session.html",
        target=target,
        question=question,
        reason=form.reason.data or "",
        request_key=form.key() or new_request_key(),
    )


@blueprint.post("/console/sessions/<int:session_id>/capacity")
@roles_required(*RUNNERS)
def capacity(session_id: int) -> ResponseReturnValue:
    target = _session_target(session_id, administer=True)
    form = CapacityForm()
    if not form.validate():
        return _invalid(target, form)
    wanted = form.value()
    changed = _run(
        lambda db: clinic_sessions.change_capacity(db, session_id, wanted, now=utcnow(), **_who())
    )
    if changed is not None:
        flash(
            messages.say(
                messages.CAPACITY_CHANGED,
                service=target.service,
                time=target.hours,
                capacity=wanted,
            ),
            "success",
        )
    return _back(target)


# --- the pieces every action shares ----------------------------------------------------------


def _who() -> dict[str, str]:
    return {"actor": staff().username, "channel": Channel.STAFF.value}


def _key(form: ActionForm, action: str, target_id: int) -> str | None:
    """The engine's idempotency key for this rendered form.

    Scoped to the account, the action and its target, so a key copied from another form can
    only ever replay what this account did there.
    """
    token = form.key()
    return f"console:{staff().id}:{action}:{target_id}:{token}" if token else None


def _run(work: Callable[[Session], T]) -> T | None:
    """Run an engine call in one transaction; a refusal becomes a message and None."""
    try:
        return database_of(current_app).run(work)
    except Refused as refused:
        flash(messages.refusal(refused), "error")
        return None


def _session_target(session_id: int, *, administer: bool = False) -> Target:
    """The session, after checking that this account may act on its facility (404, 403)."""
    if session_id > LARGEST_ID:
        abort(404)
    with database_of(current_app).transaction() as db:
        row = db.execute(
            select(ClinicSession, Service, Facility)
            .join(Service, ClinicSession.service_id == Service.id)
            .join(Facility, Service.facility_id == Facility.id)
            .where(ClinicSession.id == session_id)
        ).first()
    if row is None:
        abort(404)
    session, service, place = row
    require_facility(place.id, administer=administer)
    return Target(
        session_id=session.id,
        facility_code=place.code,
        day=session.day,
        today=local_today(utcnow(), place.timezone),
        status=session.status,
        service=dict(service.names),
        hours=f"{session.start_time:%H:%M}",
        rooms=tuple(place.room_names),
    )


def _booking_target(booking_id: int) -> Target:
    if booking_id > LARGEST_ID:
        abort(404)
    with database_of(current_app).transaction() as db:
        session_id = db.scalar(select(Booking.session_id).where(Booking.id == booking_id))
    if session_id is None:
        abort(404)
    return _session_target(session_id)


def _back(target: Target, **more: Any) -> ResponseReturnValue:
    """Back to the page the action came from (303: the browser follows with a GET)."""
    day = target.day.isoformat() if target.day != target.today else None
    return redirect(url_for("queue.facility", code=target.facility_code, day=day, **more), 303)


def _invalid(target: Target, form: ActionForm) -> ResponseReturnValue:
    return _page(
        target.facility_code,
        target.day.isoformat(),
        status=400,
        problem=first_error(form),
        kept=(target.session_id, form),
    )


def _problem(msgid: str, status: int) -> ResponseReturnValue:
    return problem_page(msgid, status)


@blueprint.errorhandler(CSRFError)
def _form_expired(error: CSRFError) -> ResponseReturnValue:
    return _problem(messages.FORM_EXPIRED, 400)


@blueprint.errorhandler(403)
def _forbidden(error: HTTPException) -> ResponseReturnValue:
    return _problem(messages.NOT_YOURS, 403)


@blueprint.errorhandler(404)
def _not_found(error: HTTPException) -> ResponseReturnValue:
    return _problem(messages.NOT_FOUND, 404)
