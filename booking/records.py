"""The two things every change writes beside itself: an event and, often, an outbox SMS."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from booking.models import Booking, Event, Outbox, OutboxStatus
from texts.gsm import SEGMENT_SEPTETS, septets, to_gsm7

# Session.info key under which the ids of outbox rows written by a transaction are kept, so that
# the sender is told about them once that transaction has committed (see sms.outbox).
NEW_OUTBOX_IDS = "new_outbox_ids"
# ... and the ids of bookings inserted without the ORM, for parts that react to new numbers.
NEW_BOOKING_IDS = "new_booking_ids"


def event(
    db: Session,
    kind: str,
    *,
    actor: str,
    channel: str,
    now: datetime,
    booking: Booking | None = None,
    session_id: int | None = None,
    request_key: str | None = None,
    detail: dict[str, Any] | None = None,
) -> Event:
    row = Event(
        **event_values(
            kind,
            actor=actor,
            channel=channel,
            now=now,
            session_id=session_id
            if session_id is not None
            else (booking.session_id if booking else None),
            request_key=request_key,
            detail=detail,
        ),
        booking_id=booking.id if booking else None,
    )
    db.add(row)
    return row


def event_values(
    kind: str,
    *,
    actor: str,
    channel: str,
    now: datetime,
    session_id: int | None,
    request_key: str | None = None,
    detail: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An event row's columns but its booking: for `event` and for writes without the ORM."""
    return {
        "at": now,
        "kind": kind,
        "session_id": session_id,
        "actor": actor[:64],
        "channel": channel,
        "request_key": request_key,
        "detail": detail,
    }


def replayed(db: Session, request_key: str | None) -> Event | None:
    """The event an earlier request with this key caused, if any."""
    if not request_key:
        return None
    return db.scalars(select(Event).where(Event.request_key == request_key)).first()


def sms(
    db: Session,
    *,
    phone: str,
    body: str,
    kind: str,
    now: datetime,
    booking_id: int | None = None,
    dedupe_key: str | None = None,
    direct_answer: bool = False,
    route_gateway: str | None = None,
    route_number: str | None = None,
) -> Outbox | None:
    """Queue one SMS in the outbox; None if a message with this dedupe key was already written.

    The body must already fit one GSM-7 segment. A reply names its route (the gateway and the
    number the patient wrote to); other SMS leave from their booking's facility's own number.
    """
    if dedupe_key is not None and (
        db.scalar(select(Outbox.id).where(Outbox.dedupe_key == dedupe_key))
    ):
        return None
    row = Outbox(
        **sms_values(phone=phone, body=body, kind=kind, now=now, direct_answer=direct_answer),
        booking_id=booking_id,
        dedupe_key=dedupe_key,
        route_gateway=route_gateway,
        route_number=route_number[:32] if route_number else None,
    )
    db.add(row)
    return row


def sms_values(
    *, phone: str, body: str, kind: str, now: datetime, direct_answer: bool = False
) -> dict[str, Any]:
    """An outbox row's columns but its booking and dedupe key, the body made one segment."""
    return {
        "phone": phone,
        "body": one_segment(body),
        "kind": kind,
        "direct_answer": direct_answer,
        "status": OutboxStatus.PENDING,
        "attempts": 0,
        "created_at": now,
        "updated_at": now,
    }


def one_segment(body: str) -> str:
    """The body in GSM-7, cut to one segment if a template overflows."""
    body = to_gsm7(body)
    if septets(body) > SEGMENT_SEPTETS:
        # A template that overflows is a bug in our catalogs, never the user's problem: cut it
        # rather than pay for two segments, and let the length tests catch the template.
        body = body[: SEGMENT_SEPTETS - 3] + "..."
    return body


def outbox_written(db: Session, ids: list[int]) -> None:
    """Note outbox rows written without the ORM, so that the sender hears of them on commit."""
    db.info.setdefault(NEW_OUTBOX_IDS, set()).update(ids)


def booking_written(db: Session, booking_id: int) -> None:
    """Note a booking inserted without the ORM, for listeners that react to new numbers."""
    db.info.setdefault(NEW_BOOKING_IDS, set()).add(booking_id)
