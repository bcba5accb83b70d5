"""Inbound SMS: each gateway message once, and what we made of it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from booking.models import Base, UtcDateTime


class InboundSms(Base):
    __tablename__ = "inbound_sms"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The gateway's message id: unique, so a retried callback is answered once.
    gateway_id: Mapped[str] = mapped_column(String(80), unique=True)
    phone: Mapped[str] = mapped_column(String(32), index=True)
    to: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(String(480))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    network_code: Mapped[str | None] = mapped_column(String(10))
    command: Mapped[str] = mapped_column(String(24))  # the parsed command's kind, or "unknown"
    understood: Mapped[bool] = mapped_column(Boolean, default=True)
    reply_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))


class EarlyDeliveryReport(Base):
    """A delivery report for a message id we have not recorded yet.

    The gateway may call back before its own answer to the send has reached us and been
    stored; such a report waits here and is applied the moment the id is recorded (see
    `sms.delivery`). Reports for ids that never turn up are dropped after two days.
    """

    __tablename__ = "early_delivery_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    gateway_id: Mapped[str] = mapped_column(String(80), index=True)
    status: Mapped[str] = mapped_column(String(16))  # the OutboxStatus the report means
    word: Mapped[str] = mapped_column(String(32))  # the gateway's own word, e.g. "Success"
    failure_reason: Mapped[str] = mapped_column(String(100), default="")
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class PendingRequest(Base):
    """A booking request from one phone waiting for the answer to the one question we asked
    (which day, which service, which facility); the answer completes it, for a few minutes."""

    __tablename__ = "sms_pending_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(32), unique=True)
    asked: Mapped[str] = mapped_column(String(10))  # "day", "service" or "facility"
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facilities.id"))
    service: Mapped[str] = mapped_column(String(24), default="")  # a service code, or ""
    day: Mapped[str] = mapped_column(String(24), default="")  # a day word (sms.questions)
    unclear: Mapped[str] = mapped_column(String(120), default="")  # words still unplaced
    for_name: Mapped[str] = mapped_column(String(30), default="")
    bpjs_number: Mapped[str] = mapped_column(String(13), default="", server_default="")
    choices: Mapped[str] = mapped_column(String(240), default="")  # what digit n means
    question: Mapped[str] = mapped_column(String(160), default="")  # asked again if need be
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
