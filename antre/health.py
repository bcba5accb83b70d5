"""`GET /healthz`: is the database (and Redis, when configured) answering?"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import SQLAlchemyError

from antre import database

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz() -> ResponseReturnValue:
    checks: dict[str, str] = {}
    try:
        database(current_app).ping()
        checks["database"] = "ok"
    except SQLAlchemyError as error:
        checks["database"] = f"down: {type(getattr(error, 'orig', None) or error).__name__}"
    redis_url = current_app.config["REDIS_URL"]
    if redis_url:
        from antre.redis import ping_redis

        checks["redis"] = ping_redis(current_app)
    else:
        checks["redis"] = "not configured (embedded mode)"
    healthy = all(value == "ok" or value.startswith("not configured") for value in checks.values())
    return jsonify(status="ok" if healthy else "down", **checks), 200 if healthy else 503
