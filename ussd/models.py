"""What the district office needs to see where USSD users give up (design §7)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from booking.models import Base


class UssdSession(Base):
    """One dialled session: who, when, how far it got and how it ended."""

    __tablename__ = "ussd_sessions"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)  # the gateway's sessionId
    phone: Mapped[str] = mapped_column(String(20), index=True)
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facilities.id"))
    network_code: Mapped[str | None] = mapped_column(String(10))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_screen: Mapped[str] = mapped_column(String(40))
    steps: Mapped[int] = mapped_column(Integer, default=0)
    outcome: Mapped[str] = mapped_column(String(16), default="open")  # open, finished, abandoned


class UssdStep(Base):
    """Every screen shown, in order, for the drop-off funnel."""

    __tablename__ = "ussd_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("ussd_sessions.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    screen: Mapped[str] = mapped_column(String(40))
    input_ok: Mapped[bool] = mapped_column(default=True)  # False: the screen was shown again
    # The drop-off record's own id (ussd.dropoff.Shown): a record that reaches the database
    # twice (Redis ran the pipeline but its reply came late, and the request wrote it too) is
    # written once. Empty in rows written before it existed.
    record_id: Mapped[str | None] = mapped_column(String(32), unique=True)


class UssdFlushedBatch(Base):
    """A batch of drop-off records written from Redis (ussd.buffer), kept to write it once.

    Inserted in the same transaction as the batch's rows: a flush retried after a crash between
    that commit and removing the batch from Redis finds it here and writes nothing twice.
    """

    __tablename__ = "ussd_flushed_batches"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    records: Mapped[int] = mapped_column(Integer)
    flushed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
