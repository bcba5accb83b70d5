"""Africa's Talking's SMS callbacks: `POST /sms/incoming` and `POST /sms/delivery`.

Inbound SMS carry `from`, `to`, `text`, `date`, `id`, `linkId`, `networkCode`. We use our own
clock rather than `date`, and never `linkId` (it is for premium subscriptions; our replies are
ordinary SMS from the outbox). Delivery reports carry `id`, `status`, `phoneNumber`,
`networkCode`, `failureReason`, `retryCount`; `DELIVERY_STATUSES` maps `status` to ours.
Africa's Talking does not sign callbacks: the callback key in the URL protects them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from booking.models import OutboxStatus
from gateways.contract import OK, DeliveryReport, Heard, Inbound, Request, clean, refused

NAME = "africastalking"
MAX_TEXT = 480  # longer texts are cut here and still answered
MAX_ID = 80
MAX_PHONE = 32

# Final words move the row; the others keep it sent.
DELIVERY_STATUSES: dict[str, OutboxStatus] = {
    "Success": OutboxStatus.DELIVERED,
    "Failed": OutboxStatus.FAILED,
    "Rejected": OutboxStatus.FAILED,
    "Expired": OutboxStatus.FAILED,
    "Sent": OutboxStatus.SENT,
    "Submitted": OutboxStatus.SENT,
    "Buffered": OutboxStatus.SENT,
    "AbsentSubscriber": OutboxStatus.SENT,  # the network keeps trying until it expires
}

_LONGEST = {"id": 80, "status": 32, "phoneNumber": 32, "networkCode": 10, "failureReason": 100}


def delivery_status(word: str) -> OutboxStatus | None:
    """Our status for a delivery report's `status`; None if Africa's Talking never sends it."""
    return DELIVERY_STATUSES.get(word)


def incoming(request: Request, _settings: Mapping[str, Any]) -> Heard:
    form = request.form
    fields = {name: clean(form.get(name)) for name in ("id", "from", "to", "text")}
    for name, value in fields.items():
        if value is None:
            return refused(400, f"missing field '{name}'")
    gateway_id, sender, to, text = (str(fields[name]) for name in ("id", "from", "to", "text"))
    if not gateway_id.strip():
        return refused(400, "empty field 'id'")
    if len(gateway_id) > MAX_ID:
        return refused(400, f"field 'id' is longer than {MAX_ID} characters")
    for name, value in (("from", sender), ("to", to)):
        if not value.strip():
            return refused(400, f"empty field '{name}'")
        if len(value) > MAX_PHONE:
            return refused(400, f"field '{name}' is longer than {MAX_PHONE} characters")
    network = (clean(form.get("networkCode")) or "").strip()[:10]
    inbound = Inbound(
        # Africa's Talking's ids ("ATXid_…") are unique across its accounts: kept as they are,
        # as they were before other gateways came.
        key=gateway_id.strip(),
        gateway=NAME,
        sender=sender.strip(),
        to=to.strip(),
        text=text[:MAX_TEXT],
        network_code=network or None,
    )
    return Heard(OK, inbound=(inbound,))


def delivery(request: Request, _settings: Mapping[str, Any]) -> Heard:
    form = request.form
    for name, longest in _LONGEST.items():
        if len(form.get(name, "")) > longest:
            return refused(400, f"{name} is longer than {longest} characters")
    gateway_id = form.get("id", "").strip()
    word = form.get("status", "").strip()
    if not gateway_id:
        return refused(400, "id is missing")
    if not word:
        return refused(400, "status is missing")
    status = delivery_status(word)
    if status is None:
        return refused(400, f"status {word!r} is not one of {', '.join(DELIVERY_STATUSES)}")
    retries = form.get("retryCount", "").strip() or "0"
    if not retries.isdigit() or len(retries) > 6:
        return refused(400, "retryCount is not a whole number")
    reason = clean(form.get("failureReason", "")) or ""
    return Heard(OK, reports=(DeliveryReport(gateway_id, status, word, reason.strip()),))
