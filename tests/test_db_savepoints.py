"""What a transaction announces when it commits, with savepoints inside it.

SQLAlchemy tells the session's after_commit/after_rollback listeners about savepoints too; a
refused booking rolls its savepoint back while the rest of the request still commits.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from redis import Redis
from sqlalchemy import create_engine, func, select

from booking.models import Outbox, Phone
from plumbing.db import database_of as database
from tests.test_ussd_replays import PHONE, make_app, seeded
from ussd.cache import phone_key
from ussd.phone import Handset, through_app


def test_outbox_rows_are_announced_only_once_other_connections_can_see_them(
    database_url: str, tmp_path: Path, now: datetime, clock: None
) -> None:
    app = make_app(database_url, None, tmp_path)
    other = create_engine(database_url)
    seen: list[tuple[list[int], int]] = []

    def hand_over(ids: list[int]) -> None:
        with other.connect() as connection:
            visible = connection.scalar(
                select(func.count()).select_from(Outbox).where(Outbox.id.in_(ids))
            )
        seen.append((ids, visible or 0))

    try:
        seeded(app, now)
        app.extensions["sms.outbox"].hand_over = hand_over
        # A booking by USSD runs the engine in a savepoint, and writes a receipt.
        assert Handset(through_app(app), PHONE).dial("*123*1001*1*1*1*1#").startswith("END")
        assert seen and all(visible == len(ids) for ids, visible in seen), seen
    finally:
        other.dispose()
        database(app).dispose()


def test_a_setting_committed_beside_a_refused_booking_reaches_the_cache(
    database_url: str, redis_url: str, tmp_path: Path, now: datetime, clock: None
) -> None:
    app = make_app(database_url, redis_url, tmp_path)
    redis = Redis.from_url(redis_url)
    try:
        seeded(app, now)
        assert Handset(through_app(app), PHONE).dial("*123*1001*1*1*1*1#").startswith("END")
        redis.delete(phone_key(PHONE))  # the booking's tombstone, as if it had run out
        Handset(through_app(app), PHONE).dial()  # copies the phone's settings into Redis
        assert redis.exists(phone_key(PHONE))
        # English, then the same booking again in the same dial: the engine refuses it (its
        # savepoint rolls back) while the language change commits.
        refused = Handset(through_app(app), PHONE).dial("*123*5*2*1*1*1*1#")
        assert refused.startswith("CON You already have number A-001")
        with database(app).transaction() as s:
            assert s.scalar(select(Phone.language).where(Phone.number == PHONE)) == "en"
        redis.delete(f"ussd:resume:{PHONE}")  # as if the two-minute resume window had passed
        assert "Take a queue number" in Handset(through_app(app), PHONE).dial()
    finally:
        redis.close()
        database(app).dispose()
