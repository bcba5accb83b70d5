"""Drop-off records: every screen shown, and how each session ended (design §7).

A session that ends with `END` is finished. One that stops on a `CON` screen is abandoned
there: we learn it when the phone dials again, or when `close_stale` runs past the gateway's
session lifetime. `last_screen` says where people gave up.
"""

from __future__ import annotations

import functools
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, case, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert, ReturningInsert, Update

from ussd.models import UssdSession, UssdStep

OPEN, FINISHED, ABANDONED = "open", "finished", "abandoned"


def exists(db: Session, session_id: str) -> bool:
    """Whether this session has been recorded (a session the store forgot, or a twin's)."""
    found = db.execute(select(UssdSession.id).where(UssdSession.id == session_id)).first()
    return found is not None


@dataclass(frozen=True)
class Shown:
    """One screen shown in a session: a drop-off record, before it is written."""

    session_id: str
    phone: str
    network: str | None
    facility_id: int | None
    screen: str
    input_ok: bool
    finished: bool
    at: datetime
    first: bool  # the session's first request: the phone's older open sessions are left
    # Its own id, carried into Redis and to ussd_steps.record_id: written twice, counted once.
    record_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def as_record(self) -> dict[str, object]:
        # Spelled out: dataclasses.asdict deep-copies, a tenth of a first dial's CPU.
        return {
            "session_id": self.session_id,
            "phone": self.phone,
            "network": self.network,
            "facility_id": self.facility_id,
            "screen": self.screen,
            "input_ok": self.input_ok,
            "finished": self.finished,
            "at": self.at.isoformat(),
            "first": self.first,
            "record_id": self.record_id,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Shown:
        return cls(**{**record, "at": datetime.fromisoformat(record["at"])})


def record(db: Session, shown: list[Shown]) -> None:
    """Write screens shown, in the order shown: one request's, or a batch of many requests'.

    Written as a merge, so that the records of one session may arrive in any number of batches,
    some written by the request itself (no Redis) and some by a later flush (see ussd.buffer):
    a session's row is inserted or, if there, updated with the later of the two last screens,
    the earlier start, the sum of the steps; `finished` once any record says so. Plain
    statements, each run once per batch (executemany), not ORM objects: nothing reads them back.

    A record already written (same `record_id`: Redis ran the pipeline that kept it but its
    reply came late, so the request wrote it too) adds no step row and no step to its session.
    Its other effects on the session (last screen, start, outcome, older sessions left) are
    the same as when it was first written, so applying them again changes nothing; only the
    step count is taken back. Done after the fact rather than by inserting the steps first
    (the sessions must exist before their steps) so that the usual case, no record written
    before, costs no extra statement.
    """
    if not shown:
        return
    sessions: dict[str, dict[str, object]] = {}
    newest: dict[str, Shown] = {}  # per phone, its newest session's first request
    for one in shown:
        row = sessions.get(one.session_id)
        if row is None:
            row = sessions[one.session_id] = {
                "id": one.session_id,
                "phone": one.phone,
                "network_code": one.network,
                "started_at": one.at,
                "steps": 0,
                "outcome": OPEN,
            }
        row.update(facility_id=one.facility_id, last_seen_at=one.at, last_screen=one.screen[:40])
        row["steps"] = int(row["steps"]) + 1  # type: ignore[call-overload]
        if one.finished:
            row["outcome"] = FINISHED
        if one.first:
            newest[one.phone] = one
    statements = _statements(db.get_bind().dialect.name)
    db.execute(statements.merge, list(sessions.values()))
    if newest:
        # A phone dialling anew has left its earlier open sessions where they stopped. Only
        # those that started no later than the new one: records of an older session written
        # after a newer one's (Redis was down meanwhile) must not abandon the newer.
        db.execute(
            statements.abandon,
            [{"p": one.phone, "s": one.session_id, "at": one.at} for one in newest.values()],
        )
    added = db.scalars(
        statements.add_steps,
        [
            {
                "session_id": one.session_id,
                "at": one.at,
                "screen": one.screen[:40],
                "input_ok": one.input_ok,
                "record_id": one.record_id,
            }
            for one in shown
        ],
    ).all()
    written_before = Counter(one.session_id for one in shown) - Counter(added)
    if written_before:  # rare (a late Redis reply): built here, not kept
        table = _sessions()
        db.execute(
            update(table)
            .where(table.c.id == bindparam("s"))
            .values(steps=table.c.steps - bindparam("n")),
            [{"s": session_id, "n": n} for session_id, n in written_before.items()],
        )


def _sessions() -> Table:
    # The table, not the class: an ORM UPDATE with a list of parameters would be a bulk
    # update by primary key, not this statement run once per phone.
    return cast(Table, UssdSession.__table__)


@dataclass(frozen=True)
class _Statements:
    merge: Insert
    abandon: Update
    add_steps: ReturningInsert[Any]


@functools.cache
def _statements(dialect: str) -> _Statements:
    """The drop-off statements in the database's own dialect, made once: building the merge
    took a tenth of an embedded (no Redis) request's time, which writes them every time."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = _sessions()
    merge = insert(table)
    new, old = merge.excluded, table.c
    later = new.last_seen_at >= old.last_seen_at
    # INSERT … ON CONFLICT (id) DO UPDATE: a session's records may come in several batches.
    merge = merge.on_conflict_do_update(
        index_elements=[old.id],
        set_={
            "facility_id": case((later, new.facility_id), else_=old.facility_id),
            "last_screen": case((later, new.last_screen), else_=old.last_screen),
            "last_seen_at": case((later, new.last_seen_at), else_=old.last_seen_at),
            "started_at": case(
                (new.started_at < old.started_at, new.started_at), else_=old.started_at
            ),
            "steps": old.steps + new.steps,
            "outcome": case((new.outcome == FINISHED, FINISHED), else_=old.outcome),
        },
    )
    abandon = (
        update(table)
        .where(
            table.c.phone == bindparam("p"),
            table.c.outcome == OPEN,
            table.c.id != bindparam("s"),
            table.c.started_at <= bindparam("at"),
        )
        .values(outcome=ABANDONED)
    )
    steps = cast(Table, UssdStep.__table__)
    add_steps = (
        insert(steps)
        .on_conflict_do_nothing(index_elements=[steps.c.record_id])
        .returning(steps.c.session_id)
    )
    return _Statements(merge, abandon, add_steps)


def without_waiting_for_the_disk(db: Session) -> None:
    """Commit this transaction without waiting for PostgreSQL to flush it to disk.

    For requests that only record drop-off (most of them: menus, lists, a first dial): a
    crash may lose the last fraction of a second of those records, never a booking, and the
    request no longer waits for an fsync. Requests that book, cancel or remember a setting
    do not call this.
    """
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SET LOCAL synchronous_commit TO OFF"))


def close_stale(db: Session, now: datetime, lifetime: timedelta) -> int:
    """Mark as abandoned every open session the gateway has surely dropped; returns how many."""
    result = db.execute(
        update(UssdSession)
        .where(UssdSession.outcome == OPEN, UssdSession.last_seen_at < now - lifetime)
        .values(outcome=ABANDONED)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
