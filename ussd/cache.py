"""Copies of rarely-changing rows, so that a first dial or a plain menu step reads no database.

Two copies, each with a stated bound on how stale it can be:

- **A phone's settings** (language, remembered facility), in Redis under `ussd:phone:<number>`,
  read in the request's one MGET and filled at its end (SET NX, in the same pipeline). Every
  change made through our code (USSD, SMS, the engine: any ORM write to a `Phone` row) puts a
  short-lived tombstone there once its transaction commits, so the next request reads the row
  again. The tombstone also stops a request that read the old row just before that commit from
  filling the old value back (its NX fails while the tombstone lives, `TOMBSTONE_SECONDS`).
  An invalidation that cannot reach Redis is kept and sent with the next one. Changes made
  outside our code (plain SQL) are seen within `PHONE_SECONDS`: a day, so that a phone that
  dials daily finds its copy (about 150 bytes of Redis per phone). Never kept in the memory
  store: another process could change the row and this one would not know.
- **Facility names and their active services, and which facility a code names**, per
  process, for `CATALOG_SECONDS`. Every ORM
  change to a facility or service (the admin pages, bulk UPDATEs included) empties this
  process's copy at commit and bumps `ussd:catalog` in Redis; every request reads that number in
  its MGET, and a process that sees it move empties its copy. Without Redis, or for changes
  made outside our code, a copy is at most `CATALOG_SECONDS` old.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from flask import Flask
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from booking.errors import Reason, Refused
from booking.models import Facility, Phone, Service, ServiceName, name_in
from plumbing.db import after_commit, database_of

log = logging.getLogger(__name__)
_untold_lock = threading.Lock()

CATALOG_KEY = "ussd:catalog"
CATALOG_SECONDS = 30.0
PHONE_SECONDS = 24 * 3600.0
# Longer than any request can run (gunicorn's timeout is 30 s): a request that read a phone's
# row before a change committed cannot outlive the tombstone and copy the old row back.
TOMBSTONE_SECONDS = 60.0
REDIS_PAUSE_SECONDS = 5.0


def phone_key(number: str) -> str:
    return f"ussd:phone:{number}"


@dataclass(frozen=True)
class Settings:
    """What the menu needs of a phone's row: None for each when the phone has no row."""

    known: bool
    language: str | None
    facility_id: int | None

    def as_record(self) -> dict[str, Any]:
        return {"known": self.known, "language": self.language, "facility_id": self.facility_id}


def settings_from(record: dict[str, Any] | None) -> Settings | None:
    """The cached settings, or None for a miss (nothing there, or a tombstone)."""
    if record is None or "known" not in record:
        return None
    return Settings(bool(record["known"]), record.get("language"), record.get("facility_id"))


def settings_of(row: Phone | None) -> Settings:
    if row is None:
        return Settings(False, None, None)
    return Settings(True, row.language, row.facility_id)


@dataclass(frozen=True)
class ServiceCard:
    id: int
    names: dict[str, str]  # {language: name}, as Service.names

    def name(self, language: str) -> str:
        return name_in(self.names, language)  # the same rule as Service.name


@dataclass(frozen=True)
class FacilityCard:
    id: int
    name: str
    services: tuple[ServiceCard, ...]  # the active ones, in the order the menu lists them


@dataclass(frozen=True)
class CodeCard:
    """What a facility code names: booking.facilities.facility_by_code's answer, as data."""

    code: str
    facility_id: int | None  # None: no facility has this code
    active: bool = False
    name: str = ""

    def facility(self) -> int:
        """The facility's id, or the engine's refusal (the same as facility_by_code's)."""
        if self.facility_id is None:
            raise Refused(Reason.FACILITY_UNKNOWN, code=self.code[:8])
        if not self.active:
            raise Refused(Reason.FACILITY_CLOSED, facility=self.name)
        return self.facility_id


class Catalog:
    """This process's copy of facility cards and codes, each for CATALOG_SECONDS at most."""

    def __init__(self, seconds: float = CATALOG_SECONDS) -> None:
        self.seconds = seconds
        self._cards: dict[int, tuple[float, FacilityCard | None]] = {}
        self._codes: dict[str, tuple[float, CodeCard]] = {}
        self._version: object = None
        self._generation = 0  # moves whenever the copy is emptied
        self._lock = threading.Lock()

    def check(self, version: object) -> None:
        """Empty the copy if Redis says a facility or service changed since it was made."""
        if version != self._version:
            with self._lock:
                self._version = version
                self._empty()

    def forget(self) -> None:
        with self._lock:
            self._empty()

    def facility(self, db: Session, facility_id: int) -> FacilityCard | None:
        found = self._cards.get(facility_id)
        if found is not None and found[0] > time.monotonic():
            return found[1]
        generation = self._generation
        card = load_card(db, facility_id)
        with self._lock:
            # Read before a change was announced: keep it for this request only.
            if generation == self._generation:
                self._cards[facility_id] = (time.monotonic() + self.seconds, card)
        return card

    def code(self, db: Session, code: str) -> CodeCard:
        """What a facility code names; a code no facility has is kept too (any new facility,
        like any change to one, empties the copy)."""
        found = self._codes.get(code)
        if found is not None and found[0] > time.monotonic():
            return found[1]
        generation = self._generation
        card = load_code(db, code)
        with self._lock:
            if generation == self._generation:
                self._codes[code] = (time.monotonic() + self.seconds, card)
        return card

    def _empty(self) -> None:
        self._cards = {}
        self._codes = {}
        self._generation += 1


def load_card(db: Session, facility_id: int) -> FacilityCard | None:
    name = db.scalar(select(Facility.name).where(Facility.id == facility_id))
    if name is None:
        return None
    # The same list as booking.facilities.services_of: active services, by prefix.
    rows = db.execute(
        select(Service.id, ServiceName.language, ServiceName.name)
        .join(ServiceName, ServiceName.service_id == Service.id)
        .where(Service.facility_id == facility_id, Service.active.is_(True))
        .order_by(Service.prefix, Service.id)
    )
    names: dict[int, dict[str, str]] = {}
    for service_id, language, service_name in rows:
        names.setdefault(service_id, {})[language] = service_name
    cards = tuple(ServiceCard(service_id, found) for service_id, found in names.items())
    return FacilityCard(facility_id, name, cards)


def load_code(db: Session, code: str) -> CodeCard:
    row = db.execute(
        select(Facility.id, Facility.active, Facility.name).where(Facility.code == code)
    ).first()
    if row is None:
        return CodeCard(code, None)
    return CodeCard(code, row.id, bool(row.active), row.name)


def catalog_of(app: Flask) -> Catalog:
    found: Catalog | None = app.extensions.get("ussd.catalog")
    if found is None:
        found = app.extensions.setdefault("ussd.catalog", Catalog())
    return found


# --- hearing of changes ----------------------------------------------------------------------

# session.info key: what a transaction changed of the rows these copies hold.
CHANGED_ROWS = "ussd.cache.changed_rows"


class Changed:
    """Rows of a committed transaction that the copies may hold.

    `phones`: the numbers of Phone rows added, changed or deleted; `catalog`: a facility or a
    service was (a bulk UPDATE or DELETE of either counts too, without knowing which rows).
    """

    def __init__(self) -> None:
        self.phones: set[str] = set()
        self.catalog = False

    def __bool__(self) -> bool:
        return bool(self.phones) or self.catalog


def init_app(app: Flask) -> None:
    """Empty the copies when our own code changes the rows they copy: once the change has
    committed, since a copy emptied before could be filled again from the old rows by a
    request reading meanwhile."""

    def changed(rows: Changed) -> None:
        if rows.catalog:
            catalog_of(app).forget()
        if app.config.get("REDIS_URL") and (rows.catalog or rows.phones):
            _tell_redis(app, rows)

    database = database_of(app)
    event.listen(database.sessions, "after_flush", _note_changed_rows)
    event.listen(database.sessions, "do_orm_execute", _note_bulk_changes)
    after_commit(database, CHANGED_ROWS, changed)


def _changed(session: Session) -> Changed:
    found: Changed | None = session.info.get(CHANGED_ROWS)
    if found is None:
        found = session.info[CHANGED_ROWS] = Changed()
    return found


def _note_changed_rows(session: Session, _context: Any) -> None:
    for row in (*session.new, *session.dirty, *session.deleted):
        if isinstance(row, Phone):
            _changed(session).phones.add(row.number)
        elif isinstance(row, Facility | Service | ServiceName):
            _changed(session).catalog = True


def _note_bulk_changes(state: Any) -> None:
    """`session.execute(update(Facility)…)` changes rows without loading them: note it too."""
    if not (state.is_update or state.is_delete):
        return  # every SELECT and INSERT passes here: leave at once
    if state.bind_mapper is not None and state.bind_mapper.class_ in (
        Facility,
        Service,
        ServiceName,
    ):
        _changed(state.session).catalog = True


def _tell_redis(app: Flask, rows: Changed) -> None:
    from plumbing.redis import connection

    with _untold_lock:  # what could not be said before is said with this
        untold: Changed = app.extensions.setdefault("ussd.cache.untold", Changed())
        untold.phones |= rows.phones
        untold.catalog = untold.catalog or rows.catalog
        # After a failure leave Redis alone a moment: a commit should not wait a timeout each time.
        if time.monotonic() < app.extensions.get("ussd.cache.redis_pause", 0.0):
            return
        app.extensions["ussd.cache.untold"] = Changed()
    try:
        pipeline = connection(app).pipeline(transaction=False)
        if untold.catalog:
            pipeline.incr(CATALOG_KEY)
        for number in untold.phones:
            pipeline.set(phone_key(number), "{}", px=int(TOMBSTONE_SECONDS * 1000))
        pipeline.execute()
    except Exception as error:  # a committed change must not fail because Redis did
        with _untold_lock:
            app.extensions["ussd.cache.redis_pause"] = time.monotonic() + REDIS_PAUSE_SECONDS
            again: Changed = app.extensions["ussd.cache.untold"]
            again.phones |= untold.phones
            again.catalog = again.catalog or untold.catalog
        log.warning(
            "could not tell Redis of changed phones or facilities (%s); trying again with the"
            " next change or USSD request",
            type(error).__name__,
        )


def tell_untold(app: Flask) -> None:
    """Per USSD request: say what an earlier failure left unsaid, once Redis is back."""
    untold: Changed | None = app.extensions.get("ussd.cache.untold")
    if untold is not None and (untold.phones or untold.catalog):
        _tell_redis(app, Changed())
