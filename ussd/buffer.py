"""Drop-off records buffered in Redis and written to the database in batches.

Why: with Redis, every USSD request appends its drop-off record (ussd.dropoff.Shown) to the
list `ussd:dropoff` in the pipeline that saves its session, instead of writing two rows and
committing: a first dial or a menu step then makes no database round trip at all.

How a flush writes them, at most `BATCH` at a time:
1. a Lua script moves records from the head of `ussd:dropoff` to a list of their own,
   `ussd:dropoff:batch:<id>`, and notes the id in `ussd:dropoff:pending`, all at once;
2. one transaction inserts the id into `ussd_flushed_batches` and writes the records
   (ussd.dropoff.record, a merge: records of a session may be split over batches);
3. the batch is removed from Redis.
A crash before 2 commits leaves the batch pending: the next flush writes it, before new ones.
A crash between 2 and 3: the next flush finds the id in `ussd_flushed_batches` and only removes
the batch. Two flushes at once: the second's insert of the same id waits for the first's
commit, then fails, and it writes nothing. So every record is written once.

Who flushes: the worker's sweep, every minute (`antre worker`, or RQ's cron with
`antre.jobs.sweep_outbox`), not requests: a minute's records at full load is a few thousand rows, a
second or so of work that would land on one caller's response time. The figures are then at
most a minute or so behind the phones. A flush writes at most `BATCHES_PER_FLUSH` batches, so a
backlog drains over several sweeps. If Redis cannot take a record, or the list holds
USSD_DROPOFF_LIMIT records already (no worker is flushing), the request writes it to the
database itself (ussd.conversation); without Redis it always does. A record that reaches the
database both ways (a late reply from Redis) is written once: see ussd.dropoff.record.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from datetime import datetime, timedelta

from flask import Flask
from redis import Redis
from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from booking.clock import utcnow
from plumbing.db import Database, database_of
from plumbing.redis import connection
from ussd import dropoff
from ussd.models import UssdFlushedBatch
from ussd.store import DROPOFF

log = logging.getLogger(__name__)

BATCH = 1000  # records per transaction (and below Lua's limit on unpack's arguments)
# Batches one flush writes at most (a few seconds' work): a backlog (the worker was away) is
# written over several sweeps, and each sweep's reminders and SMS are not held up behind it.
BATCHES_PER_FLUSH = 20
PENDING = "ussd:dropoff:pending"
KEEP_BATCH_IDS = timedelta(days=7)  # far longer than any retry takes to come

_CLAIM = """
local items = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[2]) - 1)
if #items == 0 then return 0 end
redis.call('RPUSH', KEYS[2], unpack(items))
redis.call('LTRIM', KEYS[1], #items, -1)
redis.call('SADD', KEYS[3], ARGV[1])
return #items
"""


def batch_key(batch_id: str) -> str:
    return f"ussd:dropoff:batch:{batch_id}"


def flush(
    database: Database,
    redis: Redis,
    now: datetime | None = None,
    batch: int = BATCH,
    batches: int = BATCHES_PER_FLUSH,
) -> int:
    """Write what waits in Redis to the database; returns the number of records written.

    Stops after `batches` batches, or after the records that were there when it started, so
    that neither a backlog nor a steady stream of new ones can keep it going for long.
    """
    now = now or utcnow()
    written = 0
    # Batches a crashed flush left come first, oldest first (ids start with the time).
    left = sorted(_text(member) for member in redis.smembers(PENDING))[:batches]
    for batch_id in left:
        written += _write(database, redis, batch_id, now)
    claim = redis.register_script(_CLAIM)
    for _round in range(min(int(redis.llen(DROPOFF)) // batch + 1, batches - len(left))):
        batch_id = f"{time.time_ns():020d}-{secrets.token_hex(4)}"
        if not claim(keys=[DROPOFF, batch_key(batch_id), PENDING], args=[batch_id, batch]):
            break
        written += _write(database, redis, batch_id, now)
    with database.transaction() as session:
        session.execute(
            delete(UssdFlushedBatch).where(UssdFlushedBatch.flushed_at < now - KEEP_BATCH_IDS)
        )
    return written


def _write(database: Database, redis: Redis, batch_id: str, now: datetime) -> int:
    """Write one claimed batch once, then remove it from Redis. Returns the records written."""
    written = _write_once(database, redis, batch_id, now)
    pipeline = redis.pipeline(transaction=True)
    pipeline.delete(batch_key(batch_id))
    pipeline.srem(PENDING, batch_id)
    pipeline.execute()
    return written


def _write_once(database: Database, redis: Redis, batch_id: str, now: datetime) -> int:
    """The batch's records in one transaction with its id, unless that id is there already."""
    shown = []
    for raw in redis.lrange(batch_key(batch_id), 0, -1):
        try:
            shown.append(dropoff.Shown.from_record(json.loads(raw)))
        except (ValueError, TypeError, KeyError):
            log.warning("drop-off record skipped, not understood: %r", raw[:200])
    try:
        with database.transaction() as session:
            # First: a twin flush of the same batch waits here for this one, then fails.
            session.execute(
                insert(UssdFlushedBatch).values(id=batch_id, records=len(shown), flushed_at=now)
            )
            dropoff.record(session, shown)
    except IntegrityError:
        with database.transaction() as session:
            done = session.scalar(
                select(UssdFlushedBatch.id).where(UssdFlushedBatch.id == batch_id)
            )
        if done is None:
            raise
        return 0  # written before, by a flush that crashed before removing it, or by a twin
    return len(shown)


def flush_app(app: Flask, now: datetime | None = None) -> int:
    """`flush` with the app's database and Redis; 0 without Redis (nothing is buffered)."""
    if not app.config.get("REDIS_URL"):
        return 0
    written = flush(database_of(app), connection(app), now)
    if written:
        log.info("drop-off: %d records written from Redis", written)
    return written


def waiting(redis: Redis) -> int:
    """Records not yet written (pending batches counted too), for the health page and tests."""
    pending = [batch_key(_text(member)) for member in redis.smembers(PENDING)]
    return int(redis.llen(DROPOFF)) + sum(int(redis.llen(key)) for key in pending)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
