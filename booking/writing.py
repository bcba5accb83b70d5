"""The writes of a new booking: the counter rows, then the booking, its event and its receipt.

From the counter UPDATE to the commit the session's row stays locked and every other request
for that session waits, so that stretch is kept as short as the database allows: on
PostgreSQL the booking, its event and its receipt SMS are one INSERT statement (data-modifying
CTEs, one round trip); on SQLite, where one writer holds the whole database anyway, three.
The statements are Core (no unit of work to flush) and built once at import.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, Table, bindparam, cast, literal, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, attributes
from sqlalchemy.sql import Select
from sqlalchemy.sql.expression import ColumnElement

from booking.models import Base, ClinicSession, SessionStatus

SESSIONS: Table = Base.metadata.tables["clinic_sessions"]
BOOKINGS: Table = Base.metadata.tables["bookings"]
EVENTS: Table = Base.metadata.tables["events"]
OUTBOX: Table = Base.metadata.tables["outbox"]
PERSONS: Table = Base.metadata.tables["persons"]
SERVICE_DAYS: Table = Base.metadata.tables["service_days"]


@dataclass(frozen=True)
class Counter:
    number: int
    places_taken: int
    now_serving: int | None


# One atomic statement takes a place, so that under any concurrency capacity is never
# exceeded; the status is read under the same row lock, so a session cancelled a moment ago
# takes nothing.
_PLACE = (
    update(SESSIONS)
    .where(
        SESSIONS.c.id == bindparam("session_id"),
        SESSIONS.c.status == SessionStatus.OPEN,
        SESSIONS.c.places_taken < SESSIONS.c.capacity,
    )
    .values(places_taken=SESSIONS.c.places_taken + 1)
    .returning(SESSIONS.c.places_taken, SESSIONS.c.now_serving)
)


def _next_number(insert: Callable[[Table], Any]) -> Any:
    """The service's next number that day: the day's counter row, made by the first booking.

    One upsert, so two sessions of the service booking at once queue on that row and never
    give one number twice.
    """
    statement = insert(SERVICE_DAYS).values(
        service_id=bindparam("of_service"), day=bindparam("of_day"), last_number=1
    )
    return statement.on_conflict_do_update(
        index_elements=[SERVICE_DAYS.c.service_id, SERVICE_DAYS.c.day],
        set_={"last_number": SERVICE_DAYS.c.last_number + 1},
    ).returning(SERVICE_DAYS.c.last_number)


_SQLITE_NUMBER = _next_number(sqlite_insert)
_SESSION_LAST = (
    update(SESSIONS)
    .where(SESSIONS.c.id == bindparam("session_id"))
    .values(last_number=bindparam("n"))
)
# On PostgreSQL the number and the session's note of it are one statement (one round trip).
_PG_NUMBER_CTE = _next_number(pg_insert).cte("number")
_PG_NUMBER = (
    update(SESSIONS)
    .where(SESSIONS.c.id == bindparam("session_id"))
    .values(last_number=select(_PG_NUMBER_CTE.c.last_number).scalar_subquery())
    .returning(SESSIONS.c.last_number)
    .add_cte(_PG_NUMBER_CTE)
)


# Transaction-scoped advisory locks, one space per kind of key so that keys never collide.
PHONE_LOCKS = 1  # booking.writing.serialise_phone
DELIVERY_REPORT_LOCKS = 2  # sms.delivery: a gateway message id
_LOCK = text("SELECT pg_advisory_xact_lock(:space, hashtext(:key))")


def serialise(db: Session, space: int, key: str) -> None:
    """Run the transactions that name `key` in `space` one at a time, each until it ends.

    On PostgreSQL only: SQLite already runs one writing transaction at a time (BEGIN
    IMMEDIATE, plumbing.db).
    """
    connection = db.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(_LOCK, {"space": space, "key": key})


def serialise_phone(db: Session, phone: str) -> None:
    """Hold bookings of one phone one at a time until this transaction ends.

    The people-per-phone-per-day rule counts the phone's bookings of the day: two bookings
    for different names must not both count before either commits.
    """
    serialise(db, PHONE_LOCKS, phone)


def move_counter(db: Session, session: ClinicSession) -> Counter | None:
    """Take a place in `session` and the service's next number that day; None if the session
    is full or not open.

    The session's row is locked first, then the day's counter (the order every booking takes
    them in). The loaded session object is told the new values, so that it stays true in this
    transaction without being read again.
    """
    connection = db.connection()
    row = connection.execute(_PLACE, {"session_id": session.id}).first()
    if row is None:
        return None
    places_taken, now_serving = row
    keys = {"session_id": session.id, "of_service": session.service_id, "of_day": session.day}
    if connection.dialect.name == "postgresql":
        number = connection.execute(_PG_NUMBER, keys).scalar_one()
    else:
        number = connection.execute(_SQLITE_NUMBER, keys).scalar_one()
        connection.execute(_SESSION_LAST, {"session_id": session.id, "n": number})
    for key, value in (
        ("last_number", number),
        ("places_taken", places_taken),
        ("now_serving", now_serving),
    ):
        attributes.set_committed_value(session, key, value)
    return Counter(number, places_taken, now_serving)


@dataclass(frozen=True)
class Written:
    booking_id: int
    person_id: int
    outbox_id: int | None


def insert_booking(
    db: Session,
    booking: dict[str, Any],
    event: dict[str, Any],
    receipt: dict[str, Any] | None,
    new_person: dict[str, Any] | None,
) -> Written:
    """Insert the booking, its "booked" event, its receipt SMS and its new person (if any).

    `booking` has a person_id unless `new_person` is given; `event` and `receipt` leave out the
    booking_id, and the receipt its dedupe_key, "<kind>:<booking id>" as for every engine SMS.
    """
    connection = db.connection()
    if connection.dialect.name == "postgresql":
        statement = _PG_STATEMENTS[new_person is not None, receipt is not None]
        params = {f"bookings_{key}": value for key, value in booking.items()}
        for table, values in (("events", event), ("outbox", receipt), ("persons", new_person)):
            params.update((f"{table}_{key}", value) for key, value in (values or {}).items())
        row = connection.execute(statement, params).one()
        return Written(row[0], row[1], row[2] if receipt is not None else None)
    if new_person is not None:
        person_id = connection.execute(PERSONS.insert().returning(PERSONS.c.id), new_person)
        booking = {**booking, "person_id": person_id.scalar_one()}
    booking_id = connection.execute(
        BOOKINGS.insert().returning(BOOKINGS.c.id), booking
    ).scalar_one()
    connection.execute(EVENTS.insert(), {**event, "booking_id": booking_id})
    outbox_id = None
    if receipt is not None:
        dedupe_key = f"{receipt['kind']}:{booking_id}"
        outbox_id = connection.execute(
            OUTBOX.insert().returning(OUTBOX.c.id),
            {**receipt, "booking_id": booking_id, "dedupe_key": dedupe_key},
        ).scalar_one()
    return Written(booking_id, booking["person_id"], outbox_id)


# Columns each write gives (all but ids and the outbox columns a sender fills in later).
_PERSON_COLUMNS = ("phone", "name", "name_key", "bpjs_number")
_BOOKING_COLUMNS = (
    "session_id",
    "service_id",
    "day",
    "booked_by",
    "channel",
    "number",
    "display",
    "status",
    "confirmed",
    "skipped",
    "priority",
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


def _params(table: Table, columns: tuple[str, ...]) -> list[ColumnElement[Any]]:
    return [_param(table, column) for column in columns]


def _pg_statement(new_person: bool, receipt: bool) -> Select[Any]:
    """WITH person, booking, event[, outbox] inserts SELECT booking id, person id[, outbox id].

    PostgreSQL runs every data-modifying CTE of a statement, referenced or not, and checks the
    foreign keys between them at its end.
    """
    if new_person:
        person = (
            pg_insert(PERSONS)
            .values({column: _param(PERSONS, column) for column in _PERSON_COLUMNS})
            .returning(PERSONS.c.id)
            .cte("new_person")
        )
        person_id: ColumnElement[Any] = person.c.id
    else:
        person_id = _param(BOOKINGS, "person_id")
    new_booking = (
        pg_insert(BOOKINGS)
        .from_select(
            [*_BOOKING_COLUMNS, "person_id"],
            select(*_params(BOOKINGS, _BOOKING_COLUMNS), person_id),
        )
        .returning(BOOKINGS.c.id, BOOKINGS.c.person_id)
        .cte("new_booking")
    )
    booking_id = new_booking.c.id
    new_event = (
        pg_insert(EVENTS)
        .from_select(
            [*_EVENT_COLUMNS, "booking_id"],
            select(*_params(EVENTS, _EVENT_COLUMNS), booking_id),
        )
        .returning(EVENTS.c.id)
        .cte("new_event")
    )
    if not receipt:
        return select(booking_id, new_booking.c.person_id).add_cte(new_event)
    new_outbox = (
        pg_insert(OUTBOX)
        .from_select(
            [*_OUTBOX_COLUMNS, "booking_id", "dedupe_key"],
            select(
                *_params(OUTBOX, _OUTBOX_COLUMNS),
                booking_id,
                _param(OUTBOX, "kind") + literal(":") + cast(booking_id, String),
            ),
        )
        .returning(OUTBOX.c.id, OUTBOX.c.booking_id)
        .cte("new_outbox")
    )
    return (
        select(booking_id, new_booking.c.person_id, new_outbox.c.id)
        .join_from(new_booking, new_outbox, new_outbox.c.booking_id == booking_id)
        .add_cte(new_event)
    )


# Built once: executing the same statement object again reuses its compiled SQL.
_PG_STATEMENTS = {
    (new_person, receipt): _pg_statement(new_person, receipt)
    for new_person in (False, True)
    for receipt in (False, True)
}
