"""The one small interface every SMS gateway meets, in both directions.

Out: `Gateway.send` answers every message with one of three outcomes and never raises for
anything the gateway or the network did (timeouts, HTTP errors, refusals): those are outcomes.
It raises only for our own bugs.

In: a gateway's callbacks (`Callback`) read one HTTP request, in the gateway's own field names
and with its own checks (a signature, a replay window), into gateway-neutral records: inbound
SMS (`Inbound`) and delivery reports (`DeliveryReport`), plus the answer the gateway expects.
`sms/` acts on the records and never sees a gateway's field names.

A gateway is one folder that registers itself in `gateways/__init__.py` with a `Registration`:
its name, its settings (defaults, named without the `ANTRE_` prefix), whether the settings
configure it, how to build it, and its callbacks.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from booking.models import OutboxStatus


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
    timeout: float  # seconds a send may wait for the gateway; 0 for one that never waits
    # Whether the gateway keeps our message id and refuses a second message with it: then a
    # send whose answer was lost can safely be made again (see sms.sending.fail_in_doubt).
    refuses_copies: bool

    def send(
        self, phone: str, body: str, *, message_id: str | None = None, sender: str | None = None
    ) -> SendResult:
        """Send one SMS of one segment to one E.164 number.

        `message_id` is ours, the same on every attempt at one outbox row: a gateway that
        accepts a client's id sends it, so that it can refuse a second copy. `sender` is the
        number to send from (a facility's own number) where the gateway can choose one.
        """
        ...


# --- callbacks -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Inbound:
    """An SMS a phone sent us, in no gateway's words."""

    key: str  # unique across gateways and deliveries of the same SMS: a retry finds it again
    gateway: str  # the gateway it came through; the reply goes back through it
    sender: str  # as the gateway gave it: E.164, a national number, a short code or a name
    to: str  # the number it was sent to (a facility's own number, a short code), or ""
    text: str
    network_code: str | None = None


@dataclass(frozen=True)
class DeliveryReport:
    """What became of an SMS we sent, found by the id the gateway gave it (or we gave it)."""

    gateway_id: str
    status: OutboxStatus  # DELIVERED or FAILED move the row; SENT keeps it as it is
    word: str  # the gateway's own status, e.g. "Buffered"
    failure_reason: str = ""


@dataclass(frozen=True)
class Request:
    """One HTTP request to a callback, without the web framework."""

    method: str
    args: Mapping[str, str]  # the query string
    form: Mapping[str, str]  # a form body
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True)
class Answer:
    status: int
    body: str = ""
    content_type: str = "text/plain"


OK = Answer(200, "ok\n")


@dataclass(frozen=True)
class Heard:
    """What a callback made of a request: records to act on, and the answer to give.

    A refused request (a forged signature, a missing field) is an `Answer` with a 4xx status
    and no records: nothing is booked.
    """

    answer: Answer
    inbound: tuple[Inbound, ...] = ()
    reports: tuple[DeliveryReport, ...] = ()


def refused(status: int, reason: str) -> Heard:
    return Heard(Answer(status, f"bad request: {reason}\n" if status == 400 else f"{reason}\n"))


@dataclass(frozen=True)
class Callback:
    """One URL a gateway calls: `read` turns a request there into records and an answer."""

    path: str
    methods: tuple[str, ...]
    read: Callable[[Request, Mapping[str, Any]], Heard]


@dataclass(frozen=True)
class Registration:
    name: str
    settings: Mapping[str, Any]  # its settings and their defaults, e.g. {"KANNEL_USERNAME": None}
    configured: Callable[[Mapping[str, Any]], bool]  # whether the settings name this gateway
    build: Callable[[Mapping[str, Any]], Gateway]  # raises ValueError naming a missing setting
    callbacks: tuple[Callback, ...] = field(default=())


def require(settings: Mapping[str, Any], gateway: str, names: tuple[str, ...]) -> None:
    """Raise ValueError naming every one of `names` (without `ANTRE_`) the settings lack."""
    missing = [f"ANTRE_{name}" for name in names if not settings.get(name)]
    if missing:
        raise ValueError(f"SMS_GATEWAY={gateway} needs {', '.join(missing)}")


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


def short(text: str, limit: int = 120) -> str:
    """A gateway's words, one line, short enough for a log line and `outbox.error`."""
    return " ".join(text.split())[:limit]


def clean(value: str | None) -> str | None:
    """Text a callback carried, without NUL (PostgreSQL cannot store it; nobody types it)."""
    return None if value is None else value.replace("\x00", "")
