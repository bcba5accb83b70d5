"""The app's Redis connection, created on first use (never at import or start-up)."""

from __future__ import annotations

from redis import Redis
from redis.exceptions import RedisError

from plumbing.db import HasSettings


def connection(app: HasSettings) -> Redis:
    client: Redis | None = app.extensions.get("antre.redis")
    if client is None:
        client = Redis.from_url(
            app.config["REDIS_URL"], socket_timeout=1.0, socket_connect_timeout=1.0
        )
        app.extensions["antre.redis"] = client
    return client


def ping_redis(app: HasSettings) -> str:
    try:
        connection(app).ping()
    except RedisError as error:
        return f"down: {type(error).__name__}"
    return "ok"
