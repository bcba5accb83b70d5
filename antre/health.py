"""`GET /healthz`: is the database (and Redis, when configured) answering?

With Redis it also says how many USSD drop-off records wait there for the worker's flush
(`ussd_dropoff_waiting`): a number that keeps growing means no worker is flushing them.
"""

from __future__ import annotations

from contextlib import suppress

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from plumbing.db import database

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz() -> ResponseReturnValue:
    checks: dict[str, str] = {}
    counts: dict[str, int] = {}
    try:
        database(current_app).ping()
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
    body = {"status": "ok" if healthy else "down", **checks, **counts}
    return jsonify(body), 200 if healthy else 503
