"""`GET /healthz`: is the database (and Redis, when configured) answering, and is a worker
sweeping?

503 when the database or Redis is down: the web cannot work. With Redis it also says when a
worker last swept (`worker`): a worker that has not swept for three minutes makes the status
"degraded" (still 200: bookings go on, their SMS wait in the outbox), and `GET /healthz/worker`
503, for a monitor that reads only status codes. It also says how many USSD drop-off records
wait in Redis for the worker's flush (`ussd_dropoff_waiting`).
"""

from __future__ import annotations

from contextlib import suppress

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from booking.clock import utcnow
from plumbing.db import database_of
from plumbing.jobs import SILENT_AFTER_SECONDS, last_beat

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz() -> ResponseReturnValue:
    checks: dict[str, str] = {}
    counts: dict[str, int] = {}
    try:
        database_of(current_app).ping()
        checks["database"] = "ok"
    except SQLAlchemyError as error:
        checks["database"] = f"down: {type(getattr(error, 'orig', None) or error).__name__}"
    redis_url = current_app.config["REDIS_URL"]
    if redis_url:
        from plumbing.redis import ping_redis

        checks["redis"] = ping_redis(current_app)
        if checks["redis"] == "ok":
            from plumbing.redis import connection
            from ussd.buffer import waiting

            with suppress(RedisError):  # Redis went since the ping: the next look will say
                counts["ussd_dropoff_waiting"] = waiting(connection(current_app))
    else:
        checks["redis"] = "not configured (embedded mode)"
    healthy = all(value == "ok" or value.startswith("not configured") for value in checks.values())
    worker = _worker() if redis_url and checks["redis"] == "ok" else None
    status = "down" if not healthy else "degraded" if worker and worker != "ok" else "ok"
    body = {"status": status, **checks, **({"worker": worker} if worker else {}), **counts}
    return jsonify(body), 200 if healthy else 503


@blueprint.get("/healthz/worker")
def worker_health() -> ResponseReturnValue:
    """200 while a worker sweeps; 503 when none has for three minutes (or Redis is down)."""
    if not current_app.config["REDIS_URL"]:
        return jsonify({"worker": "embedded (in-process)"}), 200
    try:
        worker = _worker()
    except RedisError as error:
        return jsonify({"worker": f"unknown: Redis down ({type(error).__name__})"}), 503
    return jsonify({"worker": worker}), 200 if worker == "ok" else 503


def _worker() -> str:
    """ "ok", or what is wrong: no worker has ever swept, or none has for a while."""
    try:
        last = last_beat(current_app)
    except RedisError as error:
        return f"unknown: {type(error).__name__}"
    if last is None:
        return "no sweep in the last day: is a worker running?"
    silent = (utcnow() - last).total_seconds()
    if silent > SILENT_AFTER_SECONDS:
        return f"no sweep for {silent:.0f} s: is a worker running?"
    return "ok"
