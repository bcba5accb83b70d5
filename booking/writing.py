"""The writes of a new booking: the counter row, then the booking, its event and its receipt.

From the counter UPDATE to the commit the session's row stays locked and every other request
for that session waits, so that stretch is kept as short as the database allows: on
PostgreSQL the booking, its event and its receipt SMS are one INSERT statement (data-modifying
CTEs, one round trip); on SQLite, where one writer holds the whole database anyway, three.
The statements are Core (no unit of work to flush) and built once at import.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, Table, bindparam, cast, literal, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session, attributes
from sqlalchemy.sql import Insert
from sqlalchemy.sql.expression import ColumnElement

from booking.models import Base, ClinicSession, SessionStatus

SESSIONS: Table = Base.metadata.tables["clinic_sessions"]
BOOKINGS: Table = Base.metadata.tables["bookings"]
EVENTS: Table = Base.metadata.tables["events"]
OUTBOX: Table = Base.metadata.tables["outbox"]
PERSONS: Table = Base.metadata.tables["persons"]


@dataclass(frozen=True)
class Counter:
    number: int
    places_taken: int
    now_serving: int | None


# One atomic statement moves the number and the places together, so that under any
# concurrency a number is never given twice and capacity is never exceeded; the status is read
# under the same row lock, so a session cancelled a moment ago takes nothing.
_COUNTER = (
    update(SESSIONS)
    .where(
        SESSIONS.c.id == bindparam("session_id"),
        SESSIONS.c.status == SessionStatus.OPEN,
        SESSIONS.c.places_taken < SESSIONS.c.capacity,
    )
    .values(last_number=SESSIONS.c.last_number + 1, places_taken=SESSIONS.c.places_taken + 1)
    .returning(SESSIONS.c.last_number, SESSIONS.c.places_taken, SESSIONS.c.now_serving)
)


def move_counter(db: Session, session: ClinicSession) -> Counter | None:
    """Take the next number of `session` (a ClinicSession); None if it is full or not open.

    The loaded session object is told the new values, so that it stays true in this
    transaction without being read again.
    """
    row = db.connection().execute(_COUNTER, {"session_id": session.id}).first()
    if row is None:
        return None
    number, places_taken, now_serving = row
    for key, value in (
        ("last_number", number),
        ("places_taken", places_taken),
        ("now_serving", now_serving),
    ):
        attributes.set_committed_value(session, key, value)
    return Counter(number, places_taken, now_serving)


def insert_booking(
    db: Session,
    booking: dict[str, Any],
    event: dict[str, Any],
    receipt: dict[str, Any] | None,
) -> tuple[int, int | None]:
    """Insert the booking, its "booked" event and its receipt (if any): (booking id, outbox id).

    `event` and `receipt` leave out booking_id (and the receipt its dedupe_key, which is
    "<kind>:<booking id>" as for every engine SMS); both are filled in here.
    """
    connection = db.connection()
    if connection.dialect.name == "postgresql":
        if receipt is None:
            found = connection.execute(_PG_WITHOUT_RECEIPT, _prefixed(booking, event)).one()
            return found[0], None
        params = _prefixed(booking, event, receipt)
        booking_id, outbox_id = connection.execute(_PG_WITH_RECEIPT, params).one()
        return booking_id, outbox_id
    booking_id = connection.execute(
        BOOKINGS.insert().returning(BOOKINGS.c.id), booking
    ).scalar_one()
    connection.execute(EVENTS.insert(), {**event, "booking_id": booking_id})
    if receipt is None:
        return booking_id, None
    dedupe_key = f"{receipt['kind']}:{booking_id}"
    outbox_id = connection.execute(
        OUTBOX.insert().returning(OUTBOX.c.id),
        {**receipt, "booking_id": booking_id, "dedupe_key": dedupe_key},
    ).scalar_one()
    return booking_id, outbox_id


# Columns each write gives (all but ids and the outbox columns a sender fills in later).
_BOOKING_COLUMNS = (
    "session_id",
    "service_id",
    "day",
    "person_id",
    "booked_by",
    "channel",
    "number",
    "display",
    "status",
    "confirmed",
    "skipped",
    "created_at",
)
_EVENT_COLUMNS = ("at", "kind", "session_id", "actor", "channel", "request_key", "detail")
_OUTBOX_COLUMNS = (
    "phone",
    "body",
    "kind",
    "direct_answer",
    "status",
    "attempts",
    "created_at",
    "updated_at",
)


def _param(table: Table, column: str) -> ColumnElement[Any]:
    return bindparam(f"{table.name}_{column}", type_=table.c[column].type)


def _prefixed(
    booking: dict[str, Any], event: dict[str, Any], receipt: dict[str, Any] | None = None
) -> dict[str, Any]:
    params = {f"bookings_{key}": value for key, value in booking.items()}
    params.update((f"events_{key}", value) for key, value in event.items())
    if receipt is not None:
        params.update((f"outbox_{key}", value) for key, value in receipt.items())
    return params


def _pg_statements() -> tuple[Insert, Insert]:
    new_booking = (
        pg_insert(BOOKINGS)
        .values({column: _param(BOOKINGS, column) for column in _BOOKING_COLUMNS})
        .returning(BOOKINGS.c.id)
        .cte("new_booking")
    )
    booking_id = new_booking.c.id
    new_event = (
        pg_insert(EVENTS)
        .from_select(
            [*_EVENT_COLUMNS, "booking_id"],
            select(*(_param(EVENTS, c) for c in _EVENT_COLUMNS), booking_id),
        )
        .cte("new_event")
    )
    with_receipt = (
        pg_insert(OUTBOX)
        .from_select(
            [*_OUTBOX_COLUMNS, "booking_id", "dedupe_key"],
            select(
                *(_param(OUTBOX, c) for c in _OUTBOX_COLUMNS),
                booking_id,
                _param(OUTBOX, "kind") + literal(":") + cast(booking_id, String),
            ),
        )
        .returning(OUTBOX.c.booking_id, OUTBOX.c.id)
        .add_cte(new_event)
    )
    # Without a receipt the statement still has to insert the event: a trivial final INSERT
    # is not possible, so the event is the main statement and returns the booking's id.
    without_receipt = (
        pg_insert(EVENTS)
        .from_select(
            [*_EVENT_COLUMNS, "booking_id"],
            select(*(_param(EVENTS, c) for c in _EVENT_COLUMNS), booking_id),
        )
        .returning(EVENTS.c.booking_id)
    )
    return with_receipt, without_receipt


_PG_WITH_RECEIPT, _PG_WITHOUT_RECEIPT = _pg_statements()
