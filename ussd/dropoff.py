"""Drop-off records: every screen shown, and how each session ended (design §7).

A session that ends with `END` is finished. One that stops on a `CON` screen is abandoned
there: we learn it when the phone dials again, or when `close_stale` runs past the gateway's
session lifetime. `last_screen` says where people gave up.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import text, update
from sqlalchemy.orm import Session

from ussd.models import UssdSession, UssdStep

OPEN, FINISHED, ABANDONED = "open", "finished", "abandoned"


def shown(
    db: Session,
    row: UssdSession | None,
    *,
    session_id: str,
    phone: str,
    network: str | None,
    facility_id: int | None,
    screen: str,
    input_ok: bool,
    finished: bool,
    now: datetime,
) -> UssdSession:
    """Record one screen shown in a session; `row` is the session's row, None on its first."""
    if row is None:
        abandon_others(db, phone, session_id)
        row = UssdSession(
            id=session_id,
            phone=phone,
            network_code=network,
            started_at=now,
            steps=0,
            outcome=OPEN,
        )
        db.add(row)
    row.facility_id = facility_id
    row.last_seen_at = now
    row.last_screen = screen[:40]
    row.steps = (row.steps or 0) + 1
    if finished:
        row.outcome = FINISHED
    db.flush()  # a twin request racing to create the session fails here and runs again
    db.add(UssdStep(session_id=session_id, at=now, screen=screen[:40], input_ok=input_ok))
    return row


def without_waiting_for_the_disk(db: Session) -> None:
    """Commit this transaction without waiting for PostgreSQL to flush it to disk.

    For requests that only record drop-off (most of them: menus, lists, a first dial): a
    crash may lose the last fraction of a second of those records, never a booking, and the
    request no longer waits for an fsync. Requests that book, cancel or remember a setting
    do not call this.
    """
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SET LOCAL synchronous_commit TO OFF"))


def abandon_others(db: Session, phone: str, keep: str) -> None:
    """A phone dialling anew has left its earlier open sessions where they stopped."""
    db.execute(
        update(UssdSession)
        .where(UssdSession.phone == phone, UssdSession.outcome == OPEN, UssdSession.id != keep)
        .values(outcome=ABANDONED)
        .execution_options(synchronize_session=False)
    )


def close_stale(db: Session, now: datetime, lifetime: timedelta) -> int:
    """Mark as abandoned every open session the gateway has surely dropped; returns how many."""
    result = db.execute(
        update(UssdSession)
        .where(UssdSession.outcome == OPEN, UssdSession.last_seen_at < now - lifetime)
        .values(outcome=ABANDONED)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
