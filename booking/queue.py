"""The queue as staff run it: check in, call next, served, no-show, skip, priority.

Who is called next is `booking.calling.calling_order`'s, as the queue page, the waiting-room
screen and the people-ahead count read it too.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from booking import records, reminders
from booking.calling import calling_order
from booking.errors import Reason, Refused
from booking.models import (
    ROW_UPDATE,
    WAITING,
    Booking,
    BookingStatus,
    ClinicSession,
    Event,
    Facility,
    Priority,
    Service,
)


def call_next(
    db: Session,
    session_id: int,
    *,
    actor: str,
    channel: str,
    now: datetime,
    request_key: str | None = None,
    room: str | None = None,
) -> Booking:
    """Finish whoever is in the room (served) and call the next waiting number, to `room` (a
    room or counter of the facility) or, without one, to the service itself.

    One click for the nurse; who comes next is `calling_order`'s.
    """
    earlier = _replayed(db, request_key)
    if earlier is not None:
        return earlier
    # FOR NO KEY UPDATE, not FOR UPDATE: calls still queue on the session, but the key-share
    # lock that a served/no-show event's foreign key takes on it does not wait, so finishing a
    # patient and calling the next cannot deadlock.
    session = db.get(ClinicSession, session_id, with_for_update=ROW_UPDATE)
    if session is None:
        raise Refused(Reason.SESSION_UNKNOWN)
    if request_key is not None:
        # A twin with the same key (a double click) may have committed while we waited for the
        # lock: answer with its call rather than calling the next patient too.
        earlier = _replayed(db, request_key)
        if earlier is not None:
            return earlier
    for current in db.scalars(
        select(Booking).where(
            Booking.session_id == session_id, Booking.status == BookingStatus.CALLED
        )
    ):
        _finish(
            db,
            current,
            BookingStatus.SERVED,
            actor=actor,
            channel=channel,
            now=now,
            calling_next=True,  # the call below announces the movement once
        )
    rule, every = db.execute(
        select(Facility.priority_rule, Facility.priority_every)
        .join(Service, Service.facility_id == Facility.id)
        .where(Service.id == session.service_id)
    ).one()
    waiting = db.scalars(
        select(Booking).where(Booking.session_id == session_id, Booking.status.in_(WAITING))
    ).all()
    order = calling_order(waiting, rule, every, session.calls_since_priority)
    if not order:
        raise Refused(Reason.NOTHING_WAITING)
    following = order[0]
    following.status = BookingStatus.CALLED
    following.called_at = now
    session.now_serving = following.number
    session.calls_since_priority = (
        0 if following.priority is not None else session.calls_since_priority + 1
    )
    records.event(
        db,
        "called",
        actor=actor,
        channel=channel,
        now=now,
        booking=following,
        request_key=request_key,
        detail={"room": room} if room else None,
    )
    reminders.announce_queue_movement(db, session_id, now)
    return following


def mark_served(
    db: Session,
    booking_id: int,
    *,
    actor: str,
    channel: str,
    now: datetime,
    request_key: str | None = None,
) -> Booking:
    booking, done = _called_once(db, booking_id, request_key)
    if done:
        return booking
    return _finish(
        db,
        booking,
        BookingStatus.SERVED,
        actor=actor,
        channel=channel,
        now=now,
        request_key=request_key,
    )


def mark_no_show(
    db: Session,
    booking_id: int,
    *,
    actor: str,
    channel: str,
    now: datetime,
    request_key: str | None = None,
) -> Booking:
    booking, done = _called_once(db, booking_id, request_key)
    if done:
        return booking
    return _finish(
        db,
        booking,
        BookingStatus.NO_SHOW,
        actor=actor,
        channel=channel,
        now=now,
        request_key=request_key,
    )


def skip(
    db: Session,
    booking_id: int,
    *,
    actor: str,
    channel: str,
    now: datetime,
    request_key: str | None = None,
) -> Booking:
    """The called patient is not there: back to waiting, called again after the others."""
    booking, done = _called_once(db, booking_id, request_key)
    if done:
        return booking
    booking.status = BookingStatus.BOOKED
    booking.skipped = True
    records.event(
        db,
        "skipped",
        actor=actor,
        channel=channel,
        now=now,
        booking=booking,
        request_key=request_key,
    )
    reminders.announce_queue_movement(db, booking.session_id, now)
    return booking


def recall(db: Session, booking_id: int, *, actor: str, channel: str, now: datetime) -> Booking:
    """Call the patient in the room once more (the waiting room hears the number again)."""
    booking = _called(db, booking_id)
    # To the same room as the call it repeats.
    call = db.scalars(
        select(Event)
        .where(Event.booking_id == booking.id, Event.kind == "called")
        .order_by(Event.id.desc())
        .limit(1)
    ).first()
    records.event(
        db,
        "recalled",
        actor=actor,
        channel=channel,
        now=now,
        booking=booking,
        detail=call.detail if call is not None else None,
    )
    return booking


def check_in(db: Session, booking_id: int, *, actor: str, channel: str, now: datetime) -> Booking:
    """The patient has arrived at the facility."""
    booking = db.get(Booking, booking_id, with_for_update=ROW_UPDATE)
    if booking is None:
        raise Refused(Reason.BOOKING_UNKNOWN)
    if booking.status == BookingStatus.BOOKED:
        booking.status = BookingStatus.CHECKED_IN
        records.event(db, "checked_in", actor=actor, channel=channel, now=now, booking=booking)
    elif booking.status not in (BookingStatus.CHECKED_IN, BookingStatus.CALLED):
        raise Refused(Reason.NO_ACTIVE_BOOKING)
    return booking


def mark_priority(
    db: Session,
    booking_id: int,
    priority: Priority | None,
    *,
    actor: str,
    channel: str,
    now: datetime,
) -> Booking:
    """Mark a waiting patient as a priority patient at arrival (None: not one after all)."""
    found = db.get(Booking, booking_id)
    if found is None:
        raise Refused(Reason.BOOKING_UNKNOWN)
    # The session's row first, as call next takes it: a mark made while a desk calls next
    # waits for that call, so the patient is chosen with the mark or without it, and the
    # count of calls since the last priority patient stays true.
    db.get(ClinicSession, found.session_id, with_for_update=ROW_UPDATE, populate_existing=True)
    booking = db.get_one(Booking, booking_id, with_for_update=ROW_UPDATE, populate_existing=True)
    if booking.status not in WAITING:
        raise Refused(Reason.NO_ACTIVE_BOOKING)
    if booking.priority != priority:
        booking.priority = priority
        detail = {"priority": priority.value if priority is not None else None}
        records.event(
            db, "priority", actor=actor, channel=channel, now=now, booking=booking, detail=detail
        )
        # The order changed: whoever it brought near their turn is told, as after a call.
        reminders.announce_queue_movement(db, booking.session_id, now)
    return booking


def _replayed(db: Session, request_key: str | None) -> Booking | None:
    """The booking an earlier request with this key changed (a double click answers once)."""
    earlier = records.replayed(db, request_key)
    if earlier is None or earlier.booking_id is None:
        return None
    return db.get_one(Booking, earlier.booking_id)


def _called_once(db: Session, booking_id: int, request_key: str | None) -> tuple[Booking, bool]:
    """The called booking to act on, or (True) the one a request with this key already did."""
    earlier = _replayed(db, request_key)
    if earlier is not None:
        return earlier, True
    try:
        return _called(db, booking_id), False
    except Refused:
        # A twin with the same key may have committed while we waited for the row lock.
        earlier = _replayed(db, request_key)
        if earlier is not None:
            return earlier, True
        raise


def _called(db: Session, booking_id: int) -> Booking:
    booking = db.get(Booking, booking_id, with_for_update=ROW_UPDATE)
    if booking is None:
        raise Refused(Reason.BOOKING_UNKNOWN)
    if booking.status != BookingStatus.CALLED:
        raise Refused(Reason.NOT_CALLED, number=booking.display)
    return booking


def _finish(
    db: Session,
    booking: Booking,
    status: BookingStatus,
    *,
    actor: str,
    channel: str,
    now: datetime,
    calling_next: bool = False,
    request_key: str | None = None,
) -> Booking:
    booking.status = status
    booking.finished_at = now
    records.event(
        db,
        status.value,
        actor=actor,
        channel=channel,
        now=now,
        booking=booking,
        request_key=request_key,
    )
    if not calling_next:
        reminders.announce_queue_movement(db, booking.session_id, now)
    return booking
