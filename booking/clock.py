"""Facility-local time: "today", "tomorrow" and cut-offs are where the facility is."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def utcnow() -> datetime:
    return datetime.now(UTC)


def local_now(now: datetime, timezone: str) -> datetime:
    return now.astimezone(zone(timezone))


def local_today(now: datetime, timezone: str) -> date:
    return local_now(now, timezone).date()


def at_local(day: date, clock: time, timezone: str) -> datetime:
    """The aware moment of a wall-clock time on a day in a facility's zone."""
    return datetime.combine(day, clock, tzinfo=zone(timezone))


def days_from_today(day: date, now: datetime, timezone: str) -> int:
    return (day - local_today(now, timezone)).days


def minutes(count: float) -> timedelta:
    return timedelta(minutes=count)
