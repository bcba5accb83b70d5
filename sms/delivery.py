"""Delivery reports, from any gateway: the gateway tells us what became of an SMS.

Found by the gateway's message id (each gateway's callback has read its own words into a
`DeliveryReport`): delivered, or failed with the reason, or an in-between word that keeps the
row sent. A report never moves a row backwards (a late "Buffered" does not undo "delivered").

The gateway can call back before its answer to the send has reached us and been stored (the
callback and the answer race). A report for an id we do not know yet is therefore kept, and
applied when the sender records that id; the two sides take the same lock per id, so that
one of them always sees the other's committed row.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from booking import writing
from booking.models import Outbox, OutboxStatus
from gateways.contract import DeliveryReport
from sms.models import EarlyDeliveryReport

log = logging.getLogger(__name__)

# Long enough for any gateway to have answered the send (its own retries included); a report
# still unmatched by then is for a message that was not ours.
KEEP_EARLY_REPORTS = timedelta(days=2)


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
                gateway_id=report.gateway_id[:80],
                status=report.status.value,
                word=report.word[:32],
                failure_reason=report.failure_reason[:100],
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
