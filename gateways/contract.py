"""The one small interface every SMS gateway meets: a name, and `send` that never raises.

A gateway answers every message with one of three outcomes. It never raises for anything the
gateway or the network did (timeouts, HTTP errors, refusals); those are outcomes. It raises
only for our own bugs.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol


class Outcome(enum.StrEnum):
    SENT = "sent"  # the gateway took the message: it is the gateway's to deliver now
    RETRY = "retry"  # nothing was taken (or the gateway hung): send it again later
    FAILED = "failed"  # refused for good (invalid or blacklisted number): never again


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    status: str  # the gateway's own word for what happened, kept in logs and `outbox.error`
    gateway_id: str | None = None
    cost: str | None = None


class Gateway(Protocol):
    name: str

    def send(self, phone: str, body: str) -> SendResult:
        """Send one SMS of one segment to one E.164 number."""
        ...


def mask(secret: str | None) -> str:
    """A secret as logs may show it: enough to tell two keys apart, never enough to use one."""
    if not secret:
        return "(none)"
    if len(secret) < 12:
        return "***"
    return f"{secret[:4]}…({len(secret)} chars)"


def mask_phone(phone: str) -> str:
    """+6281234567890 → +62812*****890: the network is visible, the person is not."""
    if len(phone) <= 8:
        return "*" * len(phone)
    return phone[:6] + "*" * (len(phone) - 9) + phone[-3:]
