"""Taking, reading and cancelling numbers, and running a session's queue, for facility systems.

Every change goes through the engine with the token's name as the actor and `api` as the
channel, so it lands in the event log like a change made at the front desk.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from api.answers import booking_out, session_out
from api.auth import require_facility
from api.schemas import (
    BookingOut,
    BookingPath,
    BookingsOut,
    KeyedActionIn,
    SessionPath,
    TakeNumberIn,
)
from api.spec import operation
from api.tokens import Client
from booking import queue
from booking.clock import utcnow
from booking.commands import CancelBooking, TakeNumber
from booking.errors import Reason, Refused
from booking.models import ACTIVE, Booking, BookingStatus, Channel, ClinicSession
from booking.taking import cancel_booking, take_number
from plumbing.db import database_of

CHANNEL = Channel.API

KEY_REUSED = (
    422,
    "IDEMPOTENCY_KEY_REUSED: the idempotency key was already used for a different request; "
    "send a new request with a new key.",
)


def request_key(client: Client, action: str, key: str | None) -> str | None:
    """Keys are the client's own: per token and per action, so no one else's key can match."""
    return f"api:{client.token_id}:{action}:{key}" if key else None


def answered_for(
    booking: Booking, *, booking_id: int | None = None, session_id: int | None = None
) -> Booking:
    """The booking the engine answered with, if it is the one the request named.

    The engine answers a key it has seen with the booking that key's first request changed,
    whatever this request names: a channel's own retries (an SMS "BATAL" sent again) must replay
    so. A key is the API client's own choice, though, and one it reused on another booking or
    session is its error (as for take): answering would hand it another patient and leave the
    one it named untouched. The engine writes nothing when it replays, so refusing here (which
    rolls the transaction back) changes nothing, and it holds for a twin that committed while
    this request waited too.
    """
    if (booking_id is not None and booking.id != booking_id) or (
        session_id is not None and booking.session_id != session_id
    ):
        raise Refused(Reason.IDEMPOTENCY_KEY_REUSED)
    return booking


def own_session(db: Session, client: Client, session_id: int) -> ClinicSession:
    session = db.get(ClinicSession, session_id)
    if session is None:
        raise Refused(Reason.SESSION_UNKNOWN)
    require_facility(client, session.service.facility_id)
    return session


def own_booking(db: Session, client: Client, booking_id: int) -> Booking:
    booking = db.get(Booking, booking_id)
    if booking is None:
        raise Refused(Reason.BOOKING_UNKNOWN)
    require_facility(client, booking.session.service.facility_id)
    return booking


@operation(
    "POST",
    "/api/bookings",
    summary="Take a number in a session",
    description="Books the next number (channel api). The patient gets the SMS receipt when "
    "a phone is given. The same idempotency key sent again with the same request answers with "
    "the same booking. The request is the same when session_id, the phone (as a number: "
    '"0812-3456-7890" is "+6281234567890"), the name (in any case) and bpjs_number are; sent '
    "with a different one, the key is refused with 422 IDEMPOTENCY_KEY_REUSED.",
    response=BookingOut,
    status=201,
    body=TakeNumberIn,
    body_required=True,
    idempotent=True,
    refusals=(404, 409, 422),
    notes=(
        (
            422,
            "IDEMPOTENCY_KEY_REUSED: the idempotency key was already used for a different "
            "request (another session, phone, name or BPJS number); send a new request with a "
            "new key.",
        ),
    ),
    # A phone that is no mobile number, a name of no letters: the engine's rules, not a shape.
    refused_though_valid=((422, "PHONE_INVALID"), (422, "NAME_INVALID")),
)
def take(client: Client, body: TakeNumberIn, key: str | None) -> BookingOut:
    now = utcnow()
    # The key is the client's own choice: sent with a request other than its first, the engine
    # refuses it rather than answer with another patient's booking (booking/taking.py,
    # _request_fingerprint, says which fields make two requests the same, and why).
    command = TakeNumber(
        session_id=body.session_id,
        phone=body.phone or None,
        channel=CHANNEL,
        name=body.name,
        bpjs_number=body.bpjs_number,
        request_key=request_key(client, "take", key),
        actor=client.name,
        key_chosen_by_caller=True,
    )

    def work(db: Session) -> BookingOut:
        own_session(db, client, body.session_id)
        return booking_out(db, take_number(db, command, now), now)

    return database_of(current_app).run(work)


@operation(
    "GET",
    "/api/bookings/{booking_id}",
    summary="A booking and where it stands (now serving, people ahead, expected time)",
    response=BookingOut,
    path_model=BookingPath,
)
def booking_status(client: Client, path: BookingPath) -> BookingOut:
    now = utcnow()
    return database_of(current_app).run(
        lambda db: booking_out(db, own_booking(db, client, path.booking_id), now)
    )


@operation(
    "POST",
    "/api/bookings/{booking_id}/cancel",
    summary="Cancel a booking (its place is freed; cancelling twice is cancelling once)",
    description="The same idempotency key sent again for the same booking answers as the first "
    "cancel did; sent for another booking, the key is refused with 422 IDEMPOTENCY_KEY_REUSED "
    "and nothing is cancelled.",
    response=BookingOut,
    path_model=BookingPath,
    body=KeyedActionIn,
    idempotent=True,
    refusals=(409,),
    notes=(KEY_REUSED,),
)
def cancel(client: Client, path: BookingPath, body: KeyedActionIn, key: str | None) -> BookingOut:
    now = utcnow()
    command = CancelBooking(
        booking_id=path.booking_id,
        channel=CHANNEL,
        actor=client.name,
        by_facility=True,  # the facility's own system, like its staff, may cancel a called one
        request_key=request_key(client, "cancel", key),
    )

    def work(db: Session) -> BookingOut:
        own_booking(db, client, path.booking_id)
        cancelled = answered_for(cancel_booking(db, command, now), booking_id=path.booking_id)
        return booking_out(db, cancelled, now)

    return database_of(current_app).run(work)


@operation(
    "GET",
    "/api/sessions/{session_id}/bookings",
    summary="Every booking of a session, by number, with where the active ones stand",
    response=BookingsOut,
    path_model=SessionPath,
)
def list_bookings(client: Client, path: SessionPath) -> BookingsOut:
    now = utcnow()

    def work(db: Session) -> BookingsOut:
        session = own_session(db, client, path.session_id)
        bookings = db.scalars(
            select(Booking)
            .options(joinedload(Booking.person))
            .where(Booking.session_id == session.id)
            .order_by(Booking.number)
        ).all()
        answers, active_before = [], 0
        for booking in bookings:  # by number: the active ones seen so far are the ones ahead
            answers.append(booking_out(db, booking, now, ahead=active_before))
            active_before += booking.status in ACTIVE
        return BookingsOut(session=session_out(session, now), bookings=answers)

    return database_of(current_app).run(work)


@operation(
    "POST",
    "/api/sessions/{session_id}/call-next",
    summary="Call the next number (whoever was in the room is marked served)",
    description="The same idempotency key sent again for the same session answers with the "
    "number that first call called; sent for another session, the key is refused with 422 "
    "IDEMPOTENCY_KEY_REUSED and no one is called.",
    response=BookingOut,
    path_model=SessionPath,
    body=KeyedActionIn,
    idempotent=True,
    refusals=(409,),
    notes=(KEY_REUSED,),
)
def call_next(
    client: Client, path: SessionPath, body: KeyedActionIn, key: str | None
) -> BookingOut:
    now = utcnow()

    def work(db: Session) -> BookingOut:
        own_session(db, client, path.session_id)
        called = queue.call_next(
            db,
            path.session_id,
            actor=client.name,
            channel=CHANNEL,
            now=now,
            request_key=request_key(client, "call-next", key),
        )
        return booking_out(db, answered_for(called, session_id=path.session_id), now)

    return database_of(current_app).run(work)


Finish = Callable[..., Booking]


def _finish(client: Client, booking_id: int, done: BookingStatus, mark: Finish) -> BookingOut:
    now = utcnow()

    def work(db: Session) -> BookingOut:
        booking = own_booking(db, client, booking_id)
        if booking.status != done:  # a repeated request finds it done: the same answer, once
            booking = mark(db, booking_id, actor=client.name, channel=CHANNEL, now=now)
        return booking_out(db, booking, now)

    return database_of(current_app).run(work)


@operation(
    "POST",
    "/api/bookings/{booking_id}/served",
    summary="The called patient was served",
    response=BookingOut,
    path_model=BookingPath,
    refusals=(409,),
)
def served(client: Client, path: BookingPath) -> BookingOut:
    return _finish(client, path.booking_id, BookingStatus.SERVED, queue.mark_served)


@operation(
    "POST",
    "/api/bookings/{booking_id}/no-show",
    summary="The called patient did not come",
    response=BookingOut,
    path_model=BookingPath,
    refusals=(409,),
)
def no_show(client: Client, path: BookingPath) -> BookingOut:
    return _finish(client, path.booking_id, BookingStatus.NO_SHOW, queue.mark_no_show)
