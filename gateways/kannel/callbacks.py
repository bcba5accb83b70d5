"""Kannel's callbacks: inbound SMS (`/sms/kannel/incoming`) and delivery reports
(`/sms/kannel/delivery`).

Inbound: smsbox's sms-service calls `get-url` with `id=%I&ts=%T&sender=%p&to=%P&message=%a`
(deploy/kannel/kannel.conf), by GET or POST. We answer an empty 200: with `omit-empty = true`
Kannel then sends nothing itself, and our reply goes through the outbox like every other SMS.
`%I` is Kannel's id for the message: a retried call carries the same one.

Delivery reports: the `dlr-url` we gave with each message, carrying our id, and `%d`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from booking.models import OutboxStatus
from gateways.contract import Answer, DeliveryReport, Heard, Inbound, Request, clean, refused

NAME = "kannel"
MAX_TEXT = 480
MAX_ID = 64
MAX_PHONE = 32
EMPTY = Answer(200, "")

# Kannel's delivery-report types (%d).
DELIVERY_STATUSES: dict[str, tuple[OutboxStatus, str]] = {
    "1": (OutboxStatus.DELIVERED, "delivered"),
    "2": (OutboxStatus.FAILED, "undelivered"),
    "4": (OutboxStatus.SENT, "buffered"),
    "8": (OutboxStatus.SENT, "accepted by the SMSC"),
    "16": (OutboxStatus.FAILED, "rejected by the SMSC"),
}


def _fields(request: Request) -> Mapping[str, str]:
    return request.form if request.method == "POST" and request.form else request.args


def incoming(request: Request, _settings: Mapping[str, Any]) -> Heard:
    fields = _fields(request)
    values = {name: clean(fields.get(name)) for name in ("id", "sender", "to", "message")}
    for name, value in values.items():
        if value is None:
            return refused(400, f"missing field '{name}'")
    kannel_id, sender, to, text = (str(values[name]) for name in ("id", "sender", "to", "message"))
    if not kannel_id.strip():
        return refused(400, "empty field 'id'")
    if len(kannel_id) > MAX_ID:
        return refused(400, f"field 'id' is longer than {MAX_ID} characters")
    if not sender.strip():
        return refused(400, "empty field 'sender'")
    for name, value in (("sender", sender), ("to", to)):
        if len(value) > MAX_PHONE:
            return refused(400, f"field '{name}' is longer than {MAX_PHONE} characters")
    inbound = Inbound(
        key=f"{NAME}:{kannel_id.strip()}",
        gateway=NAME,
        sender=sender.strip(),
        to=to.strip(),
        text=text[:MAX_TEXT],
    )
    return Heard(EMPTY, inbound=(inbound,))


def delivery(request: Request, _settings: Mapping[str, Any]) -> Heard:
    fields = _fields(request)
    message_id = (clean(fields.get("id")) or "").strip()
    kind = (fields.get("status") or "").strip()
    if not message_id:
        return refused(400, "id is missing")
    if len(message_id) > 80:
        return refused(400, "id is longer than 80 characters")
    found = DELIVERY_STATUSES.get(kind)
    if found is None:
        return refused(400, f"status {kind[:8]!r} is not one of {', '.join(DELIVERY_STATUSES)}")
    status, word = found
    answer = (clean(fields.get("answer")) or "").strip()[:100]
    reason = answer or word if status is OutboxStatus.FAILED else ""
    return Heard(EMPTY, reports=(DeliveryReport(message_id, status, word, reason),))
