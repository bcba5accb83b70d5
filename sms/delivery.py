"""Delivery reports (`POST /sms/delivery`): the gateway tells us what became of an SMS.

Found by the gateway's message id; `Success` → delivered, `Failed`/`Rejected`/`Expired` →
failed with the reason, the in-between words keep the row sent. A report never moves a row
backwards (a late "Buffered" does not undo "delivered").
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from booking.models import Outbox, OutboxStatus
from gateways.africastalking import DELIVERY_STATUSES, delivery_status

log = logging.getLogger(__name__)

_LONGEST = {"id": 80, "status": 32, "phoneNumber": 32, "networkCode": 10, "failureReason": 100}


@dataclass(frozen=True)
class DeliveryReport:
    gateway_id: str
    status: OutboxStatus
    word: str  # the gateway's own status, e.g. "Buffered"
    failure_reason: str = ""
    retry_count: int = 0


def parse(form: Mapping[str, str]) -> DeliveryReport | str:
    """The report in Africa's Talking's form fields, or the reason it is malformed."""
    for field, longest in _LONGEST.items():
        if len(form.get(field, "")) > longest:
            return f"{field} is longer than {longest} characters"
    gateway_id = form.get("id", "").strip()
    word = form.get("status", "").strip()
    if not gateway_id:
        return "id is missing"
    if not word:
        return "status is missing"
    status = delivery_status(word)
    if status is None:
        return f"status {word!r} is not one of {', '.join(DELIVERY_STATUSES)}"
    retries = form.get("retryCount", "").strip() or "0"
    if not retries.isdigit() or len(retries) > 6:
        return "retryCount is not a whole number"
    return DeliveryReport(
        gateway_id, status, word, form.get("failureReason", "").strip(), int(retries)
    )


def record(db: Session, report: DeliveryReport, now: datetime) -> str:
    """Apply a report to its outbox row; returns what happened, for the log and the tests."""
    row = db.scalars(
        select(Outbox).where(Outbox.gateway_id == report.gateway_id).with_for_update()
    ).first()
    if row is None:
        log.info(
            "delivery report for unknown message %s (%s): ignored", report.gateway_id, report.word
        )
        return "unknown"
    if report.status is OutboxStatus.DELIVERED and row.status is not OutboxStatus.DELIVERED:
        row.status, row.error = OutboxStatus.DELIVERED, None
    elif report.status is OutboxStatus.FAILED and row.status is OutboxStatus.SENT:
        reason = report.failure_reason or report.word
        row.status, row.error = OutboxStatus.FAILED, f"delivery: {reason}"[:200]
    else:
        return "unchanged"
    row.updated_at = now
    log.info("outbox %d: %s by delivery report (%s)", row.id, row.status, report.word)
    return row.status.value
