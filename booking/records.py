"""The two things every change writes beside itself: an event and, often, an outbox SMS."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from booking.models import Booking, Event, Outbox
from texts.gsm import SEGMENT_SEPTETS, septets, to_gsm7


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
        at=now,
        kind=kind,
        booking_id=booking.id if booking else None,
        session_id=session_id
        if session_id is not None
        else (booking.session_id if booking else None),
        actor=actor[:64],
        channel=channel,
        request_key=request_key,
        detail=detail,
    )
    db.add(row)
    return row


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
    check_duplicate: bool = True,
) -> Outbox | None:
    """Queue one SMS in the outbox; None if a message with this dedupe key was already written.

    The body must already fit one GSM-7 segment.
    """
    if (
        check_duplicate
        and dedupe_key is not None
        and db.scalar(select(Outbox.id).where(Outbox.dedupe_key == dedupe_key))
    ):
        return None
    body = to_gsm7(body)
    if septets(body) > SEGMENT_SEPTETS:
        # A template that overflows is a bug in our catalogs, never the user's problem: cut it
        # rather than pay for two segments, and let the length tests catch the template.
        body = body[: SEGMENT_SEPTETS - 3] + "..."
    row = Outbox(
        phone=phone,
        body=body,
        kind=kind,
        booking_id=booking_id,
        dedupe_key=dedupe_key,
        direct_answer=direct_answer,
        created_at=now,
        updated_at=now,
    )
    db.add(row)
    return row
