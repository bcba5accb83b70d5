"""Delivery reports (`POST /sms/delivery`): the gateway tells us what became of an SMS.

Found by the gateway's message id; `Success` → delivered, `Failed`/`Rejected`/`Expired` →
failed with the reason, the in-between words keep the row sent. A report never moves a row
backwards (a late "Buffered" does not undo "delivered").

The gateway can call back before its answer to the send has reached us and been stored (the
callback and the answer race). A report for an id we do not know yet is therefore kept, and
applied when the sender records that id; the two sides take the same lock per id, so that
one of them always sees the other's committed row.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from booking import writing
from booking.models import Outbox, OutboxStatus
from gateways.africastalking import DELIVERY_STATUSES, delivery_status
from sms.models import EarlyDeliveryReport

log = logging.getLogger(__name__)

# Long enough for any gateway to have answered the send (its own retries included); a report
# still unmatched by then is for a message that was not ours.
KEEP_EARLY_REPORTS = timedelta(days=2)

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
    """Apply a report to its outbox row, or keep it for the row that is about to get its id;
    returns what happened, for the log and the tests."""
    _serialise(db, report.gateway_id)
    row = db.scalars(
        select(Outbox).where(Outbox.gateway_id == report.gateway_id).with_for_update()
    ).first()
    if row is None:
        db.execute(
            delete(EarlyDeliveryReport).where(
                EarlyDeliveryReport.received_at < now - KEEP_EARLY_REPORTS
            )
        )
        db.add(
            EarlyDeliveryReport(
                gateway_id=report.gateway_id,
                status=report.status.value,
                word=report.word,
                failure_reason=report.failure_reason,
                received_at=now,
            )
        )
        log.info(
            "delivery report for unknown message %s (%s): kept until it is recorded",
            report.gateway_id,
            report.word,
        )
        return "kept"
    return _apply(row, report, now)


def apply_early_reports(db: Session, gateway_id: str, now: datetime) -> list[str]:
    """Apply the reports that came before `gateway_id` was recorded (in this transaction)."""
    _serialise(db, gateway_id)
    early = db.scalars(
        select(EarlyDeliveryReport)
        .where(EarlyDeliveryReport.gateway_id == gateway_id)
        .order_by(EarlyDeliveryReport.id)
    ).all()
    if not early:
        return []
    row = db.scalars(select(Outbox).where(Outbox.gateway_id == gateway_id)).first()
    if row is None:  # our claim had lapsed and the record wrote no id: keep them
        return []
    applied = []
    for kept in early:
        report = DeliveryReport(
            gateway_id, OutboxStatus(kept.status), kept.word, kept.failure_reason
        )
        applied.append(_apply(row, report, now))
        db.delete(kept)
    return applied


def _serialise(db: Session, gateway_id: str) -> None:
    """One transaction at a time per message id: the report's and the sender's."""
    writing.serialise(db, writing.DELIVERY_REPORT_LOCKS, gateway_id)


def _apply(row: Outbox, report: DeliveryReport, now: datetime) -> str:
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
