"""Drop-off records: every screen shown, and how each session ended (design §7).

A session that ends with `END` is finished. One that stops on a `CON` screen is abandoned
there: we learn it when the phone dials again, or when `close_stale` runs past the gateway's
session lifetime. `last_screen` says where people gave up.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import insert, select, text, update
from sqlalchemy.orm import Session

from ussd.models import UssdSession, UssdStep

OPEN, FINISHED, ABANDONED = "open", "finished", "abandoned"


def exists(db: Session, session_id: str) -> bool:
    """Whether this session has been recorded (a session the store forgot, or a twin's)."""
    found = db.execute(select(UssdSession.id).where(UssdSession.id == session_id)).first()
    return found is not None


def shown(
    db: Session,
    known: bool,
    *,
    session_id: str,
    phone: str,
    network: str | None,
    facility_id: int | None,
    screen: str,
    input_ok: bool,
    finished: bool,
    now: datetime,
) -> None:
    """Record one screen shown in a session; `known`: the session was recorded before.

    Plain statements, not ORM objects: this runs on every request, and nothing reads the rows
    back in it.
    """
    screen = screen[:40]
    if not known:
        abandon_others(db, phone, session_id)
        # A twin request racing to create the session fails here, and runs again.
        db.execute(
            insert(UssdSession).values(
                id=session_id,
                phone=phone,
                network_code=network,
                facility_id=facility_id,
                started_at=now,
                last_seen_at=now,
                last_screen=screen,
                steps=1,
                outcome=FINISHED if finished else OPEN,
            )
        )
    else:
        changes: dict[str, object] = {
            "facility_id": facility_id,
            "last_seen_at": now,
            "last_screen": screen,
            "steps": UssdSession.steps + 1,
        }
        if finished:
            changes["outcome"] = FINISHED
        db.execute(
            update(UssdSession)
            .where(UssdSession.id == session_id)
            .values(**changes)
            .execution_options(synchronize_session=False)
        )
    db.execute(
        insert(UssdStep).values(session_id=session_id, at=now, screen=screen, input_ok=input_ok)
    )


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
