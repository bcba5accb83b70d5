"""One request of a USSD session: from the gateway's fields to the screen to answer with.

Per request: a retried request is answered from the store; otherwise, in one database
transaction (which, without Redis, also records the drop-off), the new input is walked from
the screen the store kept, or, when the store does not hold it (a redial, a lost store), the
whole path from the start. The store keeps the answer, the session's start and where its walk
stands, per phone the unfinished path for a redial, and with Redis the drop-off record for
ussd.buffer to write in a batch.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from menus.tree import TREE
from plumbing.db import Database
from texts import language_or_default, translate
from ussd import cache, dropoff, reads
from ussd.cache import Catalog
from ussd.context import Context, Turn
from ussd.hints import RESUMED
from ussd.render import render
from ussd.store import Put, Store
from ussd.walker import Kept, Outcome, Place, split, walk

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Request:
    session_id: str
    phone: str  # E.164
    text: str
    network: str | None = None


@dataclass(frozen=True)
class Reply:
    body: str  # without `CON `/`END `
    finished: bool


@dataclass(frozen=True)
class Needs:
    """What a USSD request works with, from whoever serves it (ussd.views: the Flask app)."""

    store: Store  # sessions between requests, copies of phones, drop-off records
    catalog: Catalog  # the process's copy of the facilities and their services
    database: Database
    clock: Callable[[], datetime]  # now, in UTC
    session_seconds: float  # how long the store keeps a session and its answers
    resume_seconds: float  # how long a redial may go on with an unfinished path


@dataclass(frozen=True)
class Start:
    """Where a session's walk starts: the settings it began with, and a resumed path."""

    language: str
    facility_id: int | None
    prefix: tuple[str, ...] = ()
    resumed: bool = False
    kept: Kept = field(default_factory=Kept)  # what the screens so far showed, as stored


def respond(needs: Needs, request: Request) -> Reply:
    now = needs.clock()
    store, catalog = needs.store, needs.catalog
    answer_key = f"ussd:answer:{request.session_id}:{_digest(request.text)}"
    session_key = f"ussd:session:{request.session_id}"
    resume_key = f"ussd:resume:{request.phone}"
    phone_key = cache.phone_key(request.phone)
    # One round trip for everything a request may need from the store: with Redis, a first
    # dial or a plain menu step needs nothing else (no database round trip, see ussd.cache).
    cached, record, saved, phone, version = store.get_many(
        [answer_key, session_key, resume_key, phone_key, cache.CATALOG_KEY]
    )
    if cached is not None:
        return Reply(str(cached["body"]), bool(cached["finished"]))
    catalog.check(version)
    inputs = split(request.text)
    resume = _resumable(saved, needs.resume_seconds, now) if record is None and not inputs else None
    # With Redis, drop-off records go there with the session (one pipeline), and the worker
    # writes them in batches (ussd.buffer); without it they are written here, as before.
    buffered = store.keeps_dropoff()
    loaded: list[cache.Settings] = []  # the phone's settings, if read from the database

    def work(db: Session) -> tuple[Reply, Start, Outcome, dropoff.Shown]:
        loaded.clear()  # a retried transaction reads again
        # A session the store does not know with inputs: its first request with digits dialled
        # with the code, or one whose session the store forgot (then earlier requests ran its
        # inputs but the last). Asked of the database, which knows only sessions whose records
        # are written: without Redis, all of them; with Redis, those a flush or a request that
        # could not reach Redis wrote. So with Redis, a session whose state Redis lost before a
        # flush is taken as new (its inputs walked as if dialled with the code); walking them
        # again books nothing twice: a booking keyed by session and path (ussd.actions.request_key)
        # is made once.
        # Without inputs it is a first request. With one input the answer changes nothing but
        # the drop-off record's `first` (the start and the live input are the same either
        # way), so the database is asked only when there are more: a dial with digits
        # (`*123*1001#`) is then taken as the first request it nearly always is.
        known = record is not None or (len(inputs) > 1 and dropoff.exists(db, request.session_id))
        turn = Turn(db=db, now=now, session_key=request.session_id, catalog=catalog)
        settings = cache.settings_from(phone)
        if settings is None and record is None:
            settings = cache.settings_of(reads.phone(turn, request.phone))
            loaded.append(settings)
        start, live_from = _start(request, inputs, record, resume, known, settings)
        ctx = Context(request.phone, start.language, start.facility_id)
        outcome = walk(TREE, turn, ctx, [*start.prefix, *inputs], live_from, start.kept)
        hint = outcome.hint
        if start.resumed and not inputs and not hint:
            hint = translate(outcome.place.context.language, RESUMED)
        place = outcome.place
        body = render(TREE, turn, place.screen, place.context, place.page, hint)
        shown = dropoff.Shown(
            session_id=request.session_id,
            phone=request.phone,
            network=request.network,
            facility_id=place.context.facility_id,
            screen=place.screen,
            input_ok=not hint or hint == translate(place.context.language, RESUMED),
            finished=outcome.finished,
            at=now,
            first=not known,
        )
        if turn.changed:
            loaded.clear()  # perhaps changed by this very request: let the next one read it
        if not buffered:
            dropoff.record(db, [shown])
            if not turn.changed:
                dropoff.without_waiting_for_the_disk(db)
        return Reply(body, outcome.finished), start, outcome, shown

    # With the drop-off record going to Redis only a live action writes (a booking, a
    # setting): on SQLite such a step then takes no write lock unless it does write.
    reply, start, outcome, shown = needs.database.run(work, reads_first=buffered)
    puts, deletes = _kept(needs, request, inputs, start, outcome, now)
    if saved is None:  # nothing to delete (as far as this request could see): one command less
        deletes = [key for key in deletes if key != resume_key]
    puts.append(
        (answer_key, {"body": reply.body, "finished": reply.finished}, needs.session_seconds)
    )
    fills = [(phone_key, one.as_record(), cache.PHONE_SECONDS) for one in loaded]
    records = [shown.as_record()] if buffered else []
    kept = store.write(puts, deletes, fills, records)
    if buffered and not kept:
        # Also after a late reply, when Redis kept the record after all: its id counts it once.
        _record_now(needs.database, shown)
    return reply


def _record_now(database: Database, shown: dropoff.Shown) -> None:
    """Redis failed to take a drop-off record: write it to the database instead."""

    def write(db: Session) -> None:
        dropoff.record(db, [shown])
        dropoff.without_waiting_for_the_disk(db)

    try:
        database.run(write)
    except SQLAlchemyError:
        # The answer may carry a booking already committed: it must still reach the phone.
        log.exception("USSD drop-off record lost: neither Redis nor the database took it")


def _start(
    request: Request,
    inputs: list[str],
    record: dict[str, Any] | None,
    resume: dict[str, Any] | None,
    known: bool,
    settings: cache.Settings | None,
) -> tuple[Start, int]:
    """The session's start, and from which input on the walk may change things.

    `settings`: the phone's remembered ones; None only when the store holds the session.
    """
    if record is not None:
        prefix = tuple(record.get("prefix", ()))
        seen = _common(record.get("last", []), inputs)
        walked = len(prefix) + len(inputs)
        start = Start(
            language_or_default(record.get("language")),
            record.get("facility_id"),
            prefix,
            kept=_kept_of(record, len(prefix) + seen, walked, request.phone),
        )
        return start, min(len(start.prefix) + seen, max(walked - 1, 0))
    assert settings is not None
    remembered = Start(language_or_default(settings.language), settings.facility_id)
    if known:
        # The store lost this session: only the newest input is new (the gateway adds one).
        return remembered, max(len(inputs) - 1, 0)
    if resume is not None:
        prefix = tuple(str(part) for part in resume["trail"])
        return Start(resume["language"], resume["facility_id"], prefix, resumed=True), len(prefix)
    return remembered, 0  # a first request: everything dialled with the code is new


def _kept(
    needs: Needs,
    request: Request,
    inputs: list[str],
    start: Start,
    outcome: Outcome,
    now: datetime,
) -> tuple[list[Put], list[str]]:
    """What the store keeps after a request: the session's start, and the path for a redial."""
    record = {
        "language": start.language,
        "facility_id": start.facility_id,
        "prefix": list(start.prefix),
        "last": inputs,
        "shown": {str(index): list(values) for index, values in outcome.kept.shown.items()},
        "again": sorted(outcome.kept.again),
        "skip": sorted(outcome.kept.skip),
        "stack": [_place_record(place) for place in outcome.kept.stack],
        "walked": outcome.kept.walked,
    }
    puts: list[Put] = [(f"ussd:session:{request.session_id}", record, needs.session_seconds)]
    resume_key = f"ussd:resume:{request.phone}"
    if outcome.finished or not outcome.trail:
        return puts, [resume_key]
    ctx = outcome.place.context
    resume = {
        "trail": list(outcome.trail),
        "language": ctx.language,
        "facility_id": ctx.facility_id,
        "at": now.timestamp(),
    }
    puts.append((resume_key, resume, needs.resume_seconds))
    return puts, []


def _kept_of(record: dict[str, Any], upto: int, length: int, phone: str) -> Kept:
    """What the record says of the inputs that are still the same (`upto` of the `length`
    inputs of the path now); and, when those are all the record's walk went through and the
    path has more, the screens that walk ended on, to go on from (else: from the start)."""
    shown = {
        int(index): tuple(str(value) for value in values)
        for index, values in dict(record.get("shown", {})).items()
        if int(index) <= upto
    }
    again = frozenset(int(index) for index in record.get("again", ()) if int(index) < upto)
    skip = frozenset(int(index) for index in record.get("skip", ()) if int(index) < upto)
    stack: tuple[Place, ...] = ()
    before = record.get("walked")
    if record.get("stack") and before == upto < length:
        stack = tuple(_place_of(one, phone) for one in record["stack"])
    return Kept(shown, again, skip, stack, upto if stack else 0)


# Context fields kept in the store under their earlier names, so that the instances of the
# version before read a record this one wrote (and the other way round) during a deploy.
_STORED_AS = {"clinic_session_id": "session_id"}
_NAMED = {stored: name for name, stored in _STORED_AS.items()}


def _place_record(place: Place) -> dict[str, Any]:
    """A screen of the walk as the store keeps it: the phone is the request's own."""
    # A Context holds plain values only: read its fields as they are (asdict's deep copy of
    # each one cost a few percent of a journey's CPU).
    context = {
        _STORED_AS.get(one.name, one.name): value
        for one in fields(place.context)
        if one.name != "phone" and (value := getattr(place.context, one.name)) not in (None, "")
    }
    return {
        "screen": place.screen,
        "context": context,
        "page": place.page,
        "input": place.input,
        "index": place.index,
    }


def _place_of(record: dict[str, Any], phone: str) -> Place:
    context = {_NAMED.get(name, name): value for name, value in record["context"].items()}
    return Place(
        screen=str(record["screen"]),
        context=Context(
            phone=phone,
            language=str(context.pop("language")),
            facility_id=context.pop("facility_id", None),
            **context,
        ),
        page=int(record["page"]),
        input=record["input"],
        index=int(record["index"]),
    )


def _resumable(
    resume: dict[str, Any] | None, seconds: float, now: datetime
) -> dict[str, Any] | None:
    if resume is None:
        return None
    age = now.timestamp() - float(resume.get("at", 0))
    return resume if 0 <= age <= seconds else None


def _common(before: list[str], now: list[str]) -> int:
    count = 0
    for old, new in zip(before, now, strict=False):
        if old != new:
            break
        count += 1
    return count


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]
