"""One request of a USSD session: from the gateway's fields to the screen to answer with.

Per request: a retried request is answered from the store; otherwise the whole path is walked
from the start in one database transaction (which also records the drop-off), and the store
keeps the answer, the session's start, and, per phone, the unfinished path for a redial.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from antre import database
from menus.tree import TREE
from texts import language_or_default, translate
from ussd import dropoff, reads
from ussd.context import Context, Turn
from ussd.hints import RESUMED
from ussd.render import render
from ussd.store import Put, store_of
from ussd.walker import Outcome, split, walk


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
class Start:
    """Where a session's walk starts: the settings it began with, and a resumed path."""

    language: str
    facility_id: int | None
    prefix: tuple[str, ...] = ()
    resumed: bool = False


def respond(app: Flask, request: Request, now: datetime) -> Reply:
    store = store_of(app)
    answer_key = f"ussd:answer:{request.session_id}:{_digest(request.text)}"
    session_key = f"ussd:session:{request.session_id}"
    resume_key = f"ussd:resume:{request.phone}"
    # One round trip for everything a request may need from the store.
    cached, record, resume = store.get_many([answer_key, session_key, resume_key])
    if cached is not None:
        return Reply(str(cached["body"]), bool(cached["finished"]))
    inputs = split(request.text)
    resume = _resumable(resume, app, now) if record is None and not inputs else None

    def work(db: Session) -> tuple[Reply, Start, Outcome]:
        known = dropoff.exists(db, request.session_id)
        turn = Turn(db=db, now=now, session_key=request.session_id)
        start, live_from = _start(turn, request, inputs, record, resume, known)
        ctx = Context(request.phone, start.language, start.facility_id)
        outcome = walk(TREE, turn, ctx, [*start.prefix, *inputs], live_from)
        hint = outcome.hint
        if start.resumed and not inputs and not hint:
            hint = translate(outcome.place.context.language, RESUMED)
        place = outcome.place
        body = render(TREE, turn, place.screen, place.context, place.page, hint)
        dropoff.shown(
            db,
            known,
            session_id=request.session_id,
            phone=request.phone,
            network=request.network,
            facility_id=place.context.facility_id,
            screen=place.screen,
            input_ok=not hint or hint == translate(place.context.language, RESUMED),
            finished=outcome.finished,
            now=now,
        )
        if not turn.changed:
            dropoff.without_waiting_for_the_disk(db)
        return Reply(body, outcome.finished), start, outcome

    reply, start, outcome = database(app).run(work)
    puts, deletes = _kept(app, request, inputs, start, outcome, now)
    puts.append((answer_key, {"body": reply.body, "finished": reply.finished}, _ttl(app)))
    store.write(puts, deletes)
    return reply


def _start(
    turn: Turn,
    request: Request,
    inputs: list[str],
    record: dict[str, Any] | None,
    resume: dict[str, Any] | None,
    known: bool,
) -> tuple[Start, int]:
    """The session's start, and from which input on the walk may change things."""
    if record is not None:
        start = Start(
            language_or_default(record.get("language")),
            record.get("facility_id"),
            tuple(record.get("prefix", ())),
        )
        seen = _common(record.get("last", []), inputs)
        walked = len(start.prefix) + len(inputs)
        return start, min(len(start.prefix) + seen, max(walked - 1, 0))
    phone = reads.phone(turn, request.phone)
    settings = Start(
        language_or_default(phone.language if phone else None),
        phone.facility_id if phone else None,
    )
    if known:
        # The store lost this session: only the newest input is new (the gateway adds one).
        return settings, max(len(inputs) - 1, 0)
    if resume is not None:
        prefix = tuple(str(part) for part in resume["trail"])
        return Start(resume["language"], resume["facility_id"], prefix, resumed=True), len(prefix)
    return settings, 0  # a first request: everything dialled with the code is new


def _kept(
    app: Flask,
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
    }
    puts: list[Put] = [(f"ussd:session:{request.session_id}", record, _ttl(app))]
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
    puts.append((resume_key, resume, float(app.config["USSD_RESUME_SECONDS"])))
    return puts, []


def _resumable(resume: dict[str, Any] | None, app: Flask, now: datetime) -> dict[str, Any] | None:
    if resume is None:
        return None
    age = now.timestamp() - float(resume.get("at", 0))
    return resume if 0 <= age <= float(app.config["USSD_RESUME_SECONDS"]) else None


def _common(before: list[str], now: list[str]) -> int:
    count = 0
    for old, new in zip(before, now, strict=False):
        if old != new:
            break
        count += 1
    return count


def _ttl(app: Flask) -> float:
    return float(app.config["USSD_SESSION_TTL_SECONDS"])


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]
