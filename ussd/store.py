"""Where USSD sessions live between requests: Redis with a TTL, or memory when there is none.

The store holds nothing the user cannot do without (answers for retried requests, the path of
an unfinished session): when Redis fails the memory store takes over, and a booking still goes
through.

Redis also takes two things memory never does: copies of database rows (`fills`, see
ussd.cache: another process could change the row and a memory copy would not know) and drop-off
records (`dropoff`, appended to `DROPOFF` for ussd.buffer to write to the database in batches).
`write` says whether the drop-off records were kept; if not, the caller writes them itself.
Redis keeps them only while the list holds fewer than a limit (USSD_DROPOFF_LIMIT): without a
worker to flush it, it does not grow for ever, and the records go to the database instead.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Sequence
from typing import Any, Protocol

from flask import Flask
from redis import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


# What one request writes at its end: (key, value, ttl in seconds) to put, and keys to delete.
Put = tuple[str, dict[str, Any], float]
DROPOFF = "ussd:dropoff"  # the list of drop-off records waiting for ussd.buffer.flush

# Append the records (ARGV[2:]) unless the list holds ARGV[1] already; 0 when not appended. A
# script, so that the check and the append are one step; sent whole with EVAL, not EVALSHA, as
# redis-py's pipelines ask Redis whether a registered script is loaded before each execute.
_PUSH = """
if redis.call('LLEN', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
return redis.call('RPUSH', KEYS[1], unpack(ARGV, 2))
"""


class Store(Protocol):
    def get(self, key: str) -> dict[str, Any] | None: ...

    def get_many(self, keys: list[str]) -> list[Any]: ...

    def put(self, key: str, value: dict[str, Any], ttl: float) -> None: ...

    def delete(self, key: str) -> None: ...

    def keeps_dropoff(self) -> bool:
        """Whether `write` is expected to keep drop-off records (Redis, not known to be down)."""
        ...

    def write(
        self,
        puts: list[Put],
        deletes: list[str],
        fills: Sequence[Put] = (),
        dropoff: Sequence[dict[str, Any]] = (),
    ) -> bool: ...


class MemoryStore:
    """A dict with expiry, for the embedded mode and for when Redis is down."""

    def __init__(self, limit: int = 100_000) -> None:
        self._items: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()
        self._limit = limit

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            if found[0] <= time.monotonic():
                del self._items[key]
                return None
        value: dict[str, Any] = json.loads(found[1])
        return value

    def get_many(self, keys: list[str]) -> list[Any]:
        return [self.get(key) for key in keys]

    def keeps_dropoff(self) -> bool:
        return False

    def write(
        self,
        puts: list[Put],
        deletes: list[str],
        fills: Sequence[Put] = (),
        dropoff: Sequence[dict[str, Any]] = (),
    ) -> bool:
        """Puts and deletes; neither copies of rows nor drop-off records (False: not kept)."""
        for key, value, ttl in puts:
            self.put(key, value, ttl)
        for key in deletes:
            self.delete(key)
        return not dropoff

    def put(self, key: str, value: dict[str, Any], ttl: float) -> None:
        text = json.dumps(value)
        with self._lock:
            if len(self._items) >= self._limit:
                self._purge()
            self._items[key] = (time.monotonic() + ttl, text)

    def delete(self, key: str) -> None:
        with self._lock:
            self._items.pop(key, None)

    def _purge(self) -> None:
        now = time.monotonic()
        for key in [key for key, (expires, _) in self._items.items() if expires <= now]:
            del self._items[key]
        while len(self._items) >= self._limit:  # still full: drop the oldest
            del self._items[next(iter(self._items))]


class RedisStore:
    """JSON values under keys with a TTL; errors are the caller's to handle."""

    def __init__(self, client: Redis, dropoff_limit: int = 100_000) -> None:
        self.client = client
        self.dropoff_limit = dropoff_limit

    def get(self, key: str) -> dict[str, Any] | None:
        raw = self.client.get(key)
        if raw is None:
            return None
        value: dict[str, Any] = json.loads(raw)
        return value

    def get_many(self, keys: list[str]) -> list[Any]:
        """One round trip for all of a request's reads."""
        return [None if raw is None else json.loads(raw) for raw in self.client.mget(keys)]

    def keeps_dropoff(self) -> bool:
        return True

    def put(self, key: str, value: dict[str, Any], ttl: float) -> None:
        self.client.set(key, json.dumps(value), px=_ms(ttl))

    def delete(self, key: str) -> None:
        self.client.delete(key)

    def write(
        self,
        puts: list[Put],
        deletes: list[str],
        fills: Sequence[Put] = (),
        dropoff: Sequence[dict[str, Any]] = (),
    ) -> bool:
        """One round trip for all of a request's writes; True: the drop-off records are kept
        (False: the list is full, see `_PUSH`).

        Not MULTI/EXEC (it costs a third more client CPU here, and cannot tell a lost reply
        either): the records go last, and Redis runs a pipeline's commands in order, so when a
        failure makes the caller write them to the database they were not appended before it,
        except if the reply to a pipeline Redis ran whole is what got lost (a late reply): then
        they reach the database twice, and their ids (ussd_steps.record_id) count them once.
        """
        pipeline = self.client.pipeline(transaction=False)
        for key, value, ttl in puts:
            pipeline.set(key, json.dumps(value), px=_ms(ttl))
        for key, value, ttl in fills:
            pipeline.set(key, json.dumps(value), px=_ms(ttl), nx=True)
        if deletes:
            pipeline.delete(*deletes)
        if dropoff:
            records = [json.dumps(one) for one in dropoff]
            pipeline.eval(_PUSH, 1, DROPOFF, self.dropoff_limit, *records)
        replies = pipeline.execute()
        return not dropoff or replies[-1] != 0


def _ms(ttl: float) -> int:
    return max(1, int(ttl * 1000))


class FallbackStore:
    """Redis first; on a Redis error, memory for a while, so a dead Redis costs one timeout."""

    def __init__(self, primary: RedisStore, fallback: MemoryStore, pause: float = 5.0) -> None:
        self.primary = primary
        self.fallback = fallback
        self.pause = pause
        self._down_until = 0.0

    def get(self, key: str) -> dict[str, Any] | None:
        return self._try(lambda store: store.get(key))  # type: ignore[no-any-return]

    def get_many(self, keys: list[str]) -> list[Any]:
        return self._try(lambda store: store.get_many(keys))  # type: ignore[no-any-return]

    def keeps_dropoff(self) -> bool:
        return time.monotonic() >= self._down_until

    def put(self, key: str, value: dict[str, Any], ttl: float) -> None:
        self._try(lambda store: store.put(key, value, ttl))

    def delete(self, key: str) -> None:
        self._try(lambda store: store.delete(key))

    def write(
        self,
        puts: list[Put],
        deletes: list[str],
        fills: Sequence[Put] = (),
        dropoff: Sequence[dict[str, Any]] = (),
    ) -> bool:
        return self._try(lambda store: store.write(puts, deletes, fills, dropoff))  # type: ignore[no-any-return]

    def _try(self, work: Any) -> Any:
        if time.monotonic() >= self._down_until:
            try:
                return work(self.primary)
            except (RedisError, OSError, ValueError) as error:
                log.warning("USSD store: Redis failed (%s); using memory", type(error).__name__)
                self._down_until = time.monotonic() + self.pause
        return work(self.fallback)


def store_of(app: Flask) -> Store:
    """The app's store, made on first use (nothing connects at start-up)."""
    store: Store | None = app.extensions.get("ussd.store")
    if store is None:
        if app.config["REDIS_URL"]:
            from plumbing.redis import connection

            redis = RedisStore(connection(app), app.config["USSD_DROPOFF_LIMIT"])
            store = FallbackStore(redis, MemoryStore())
        else:
            store = MemoryStore()
        app.extensions["ussd.store"] = store
    return store
