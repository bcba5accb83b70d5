"""Sending one outbox row: claim it, hand it to the gateway, record what happened.

Never twice. A sender first claims the row in its own committed transaction (an UPDATE that
only matches a row that is pending or queued and not claimed, so of two racing senders exactly
one matches), then calls the gateway, then records the outcome in a second transaction. A row
is claimed while its `gateway` is set and its status is still pending or queued.

A sender that dies between the claim and the record (a killed worker, a database lost for
longer than `RECORD_PAUSES`) leaves the row claimed, and nobody knows whether the gateway took
it. We choose at-most-once: such a row is never claimed again; once its lease has passed,
`fail_in_doubt` marks it failed "in doubt". A patient missing one SMS is better than two
patients' phones buzzing twice for every hiccup. The one exception is the one the design asks
for: a gateway that does not answer within the timeout is tried again (it may, rarely, have
sent the message).

Which gateway, from which number: a reply leaves through the gateway its SMS came in on, from
the number it was sent to (the row's route); any other SMS about a booking from the first own
number of the booking's facility, through the gateway that carries it; the rest through the
default gateway. Every attempt at one row gives the gateway the same message id of ours, so a
gateway that takes client ids can refuse a copy.

Several rows can go together (`send_many`, which the embedded runner uses for the rows due at
once): their claims in one transaction, their outcomes in another, so that on SQLite a burst of
SMS takes two write locks instead of two per SMS.

Nothing here knows RQ or threads: `antre.jobs` runs `send_one` from a job and `send_many` from
the embedded runner, and schedules the next attempt of a row that answers RETRY.
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session

from booking import facility_numbers, failed_sms
from booking.clock import utcnow
from booking.failed_sms import EXPIRE_WITH_THE_SESSION, IN_DOUBT, PENDING_GRACE, session_over
from booking.models import Outbox, OutboxStatus
from gateways import Switchboard
from gateways.contract import Outcome, SendResult
from plumbing.db import Database
from sms import delivery

log = logging.getLogger(__name__)

# Seconds to wait before the 2nd, 3rd … attempt; one more attempt than there are intervals:
# eight attempts over nearly three hours, so that a gateway down for an hour or two loses
# nothing. An SMS about a booking whose session is over by then is not sent at all (`_claim`).
RETRY_INTERVALS: tuple[int, ...] = (10, 60, 300, 900, 1800, 3600, 3600)
_OPEN = (OutboxStatus.PENDING, OutboxStatus.QUEUED)

# Seconds between tries at recording the outcomes, when the database server went away after
# the gateway had the SMS (a restart, a failover): it is often back within seconds, and an
# outcome written late keeps the gateway's id (for its delivery report) and the cost, where one
# lost leaves the row "in doubt" after the lease. 7.5 s of pauses, and five connects that a
# refusing server answers at once (an unreachable one takes the 5 s connect timeout each:
# ≈ 32 s): within the shortest lease (64 s, `Policy.lease`) after a quarter of it for the
# sending, so no sweep takes the claim for dead meanwhile; and within the embedded runner's
# 10 s wait at a stop while the server refuses. (An RQ job that its timeout stops in the last
# try leaves the row in doubt, as before.) Not on SQLite, whose errors here (a write lock held
# past the 30 s busy timeout, a full disk) are not over in seconds.
RECORD_PAUSES: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0)


@dataclass(frozen=True)
class Policy:
    intervals: tuple[int, ...] = RETRY_INTERVALS
    timeout_seconds: float = 10.0

    @property
    def max_attempts(self) -> int:
        return len(self.intervals) + 1

    def delay_after(self, attempt: int) -> int:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        return self.intervals[min(attempt, len(self.intervals)) - 1] if self.intervals else 0

    @property
    def lease(self) -> timedelta:
        """How long a claim may last before its row is in doubt: well past any timeout."""
        return timedelta(seconds=4 * self.timeout_seconds + 60)


class Step(enum.StrEnum):
    SENT = "sent"
    FAILED = "failed"
    RETRY = "retry"  # the row is queued again; the caller schedules the next attempt
    SKIPPED = "skipped"  # another sender has it, or it is done: nothing was sent


@dataclass(frozen=True)
class Report:
    step: Step
    attempt: int = 0
    detail: str = ""


@dataclass(frozen=True)
class _Claim:
    outbox_id: int
    phone: str
    body: str
    attempt: int
    message_id: str  # ours, the same on every attempt
    gateway: str  # the gateway that has the claim
    sender: str | None  # the number it leaves from, where the gateway can choose


def send_one(
    database: Database,
    gateways: Switchboard,
    outbox_id: int,
    policy: Policy = Policy(),
    clock: Callable[[], datetime] = utcnow,
) -> Report:
    """Send outbox row `outbox_id` once if nobody else has or is; record the outcome."""
    return send_many(database, gateways, [outbox_id], policy, clock)[outbox_id]


def send_many(
    database: Database,
    gateways: Switchboard,
    outbox_ids: Collection[int],
    policy: Policy = Policy(),
    clock: Callable[[], datetime] = utcnow,
) -> dict[int, Report]:
    """`send_one` for each row, with the claims in one transaction and the outcomes in one:
    on SQLite, two write locks for the lot instead of two per SMS. Keep a batch short enough
    to send well within a claim's lease (`batch_size`)."""
    reports = {outbox_id: Report(Step.SKIPPED) for outbox_id in outbox_ids}
    with database.transaction() as session:
        now = clock()
        claims = [  # in id order: two PostgreSQL senders claiming alike cannot deadlock
            claim
            for outbox_id in sorted(reports)
            if (claim := _claim(session, outbox_id, gateways, now)) is not None
        ]
    if not claims:
        return reports
    sent: list[tuple[_Claim, SendResult]] = []
    for claim in claims:
        gateway = gateways.pick(claim.gateway)
        try:
            result = gateway.send(
                claim.phone, claim.body, message_id=claim.message_id, sender=claim.sender
            )
        except Exception:  # a gateway's bug: its row stays claimed, in doubt, as after a crash
            log.exception("outbox %d: the %s gateway raised", claim.outbox_id, gateway.name)
            reports[claim.outbox_id] = Report(Step.SKIPPED, claim.attempt, "the gateway raised")
            break
        sent.append((claim, result))
    # The rows after one that raised were never handed to a gateway: released.
    unsent = claims[len(sent) + 1 :]
    for pause in (*RECORD_PAUSES, None):
        try:  # recording twice changes nothing: each update matches only its unrecorded claim
            with database.transaction() as session:
                now = clock()
                for claim, result in sent:
                    reports[claim.outbox_id] = _record(session, claim, result, policy, now)
                for claim in unsent:
                    _release(session, claim, now)
            break
        except (OperationalError, InterfaceError) as error:
            if pause is None or database.is_sqlite:
                raise
            log.warning(
                "outbox: %d outcomes not recorded (%s); trying again in %g s",
                len(sent) + len(unsent),
                type(error.orig).__name__,
                pause,
            )
            time.sleep(pause)
    for claim, _result in sent:
        report = reports[claim.outbox_id]
        log.info(
            "outbox %d attempt %d: %s (%s)",
            claim.outbox_id,
            report.attempt,
            report.step,
            report.detail,
        )
    return reports


def batch_size(gateways: Switchboard, policy: Policy, most: int = 64) -> int:
    """How many rows one `send_many` may take: as many as the slowest gateway can answer, at
    its timeout, within a quarter of a claim's lease (so that no claim of the batch could be
    thought in doubt before it is recorded); `most` for gateways that never wait (console)."""
    if gateways.timeout <= 0:
        return most
    return max(1, min(most, int(policy.lease.total_seconds() / 4 // gateways.timeout)))


def _claim(session: Session, outbox_id: int, gateways: Switchboard, now: datetime) -> _Claim | None:
    row = session.execute(
        select(
            Outbox.booking_id,
            Outbox.kind,
            Outbox.attempts,
            Outbox.created_at,
            Outbox.route_gateway,
            Outbox.route_number,
        ).where(Outbox.id == outbox_id, Outbox.status.in_(_OPEN), Outbox.gateway.is_(None))
    ).first()
    if row is None:
        return None
    retry = row.attempts > 0  # a first attempt follows the writing at once: never late
    late = retry and row.kind in EXPIRE_WITH_THE_SESSION
    if late and session_over(session, row.booking_id, now):
        # A reminder retried past the appointment only confuses: given up, and said so. (A
        # receipt still goes: it is the patient's record of the booking.)
        session.execute(
            update(Outbox)
            .where(Outbox.id == outbox_id, Outbox.status.in_(_OPEN), Outbox.gateway.is_(None))
            .values(status=OutboxStatus.FAILED, error=TOO_LATE, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        log.info("outbox %d: not sent, the session is over", outbox_id)
        return None
    route_gateway, sender = row.route_gateway, row.route_number
    if route_gateway is None and sender is None and row.booking_id is not None:
        own = facility_numbers.for_booking(session, row.booking_id)
        if own is not None:
            route_gateway, sender = own.gateway, own.number
    gateway = gateways.pick(route_gateway).name
    # Of two senders racing past the read, exactly one matches here.
    claimed = session.execute(
        update(Outbox)
        .where(Outbox.id == outbox_id, Outbox.status.in_(_OPEN), Outbox.gateway.is_(None))
        .values(gateway=gateway, attempts=Outbox.attempts + 1, updated_at=now)
        .returning(Outbox.phone, Outbox.body, Outbox.attempts)
        .execution_options(synchronize_session=False)
    ).first()
    if claimed is None:
        return None
    return _Claim(
        outbox_id,
        claimed.phone,
        claimed.body,
        claimed.attempts,
        message_id=message_id(outbox_id, row.created_at),
        gateway=gateway,
        sender=sender,
    )


TOO_LATE = "too late: the session is over"


def message_id(outbox_id: int, created_at: datetime) -> str:
    """Our id for an outbox row's SMS: the row's id, and its birth so that a database made anew
    never repeats an id a gateway still remembers."""
    return f"antre-{outbox_id}-{int(created_at.timestamp()):x}"


def _record(
    session: Session, claim: _Claim, result: SendResult, policy: Policy, now: datetime
) -> Report:
    mine = and_(  # this claim's, not a later one's: each claim counts one more attempt
        Outbox.id == claim.outbox_id,
        Outbox.gateway == claim.gateway,
        Outbox.gateway_id.is_(None),
        Outbox.attempts == claim.attempt,
    )
    if result.outcome is Outcome.RETRY and claim.attempt < policy.max_attempts:
        # Release the claim: the next attempt (or the sweep, if that is lost) claims it again.
        values: dict[str, object] = {
            "status": OutboxStatus.QUEUED,
            "gateway": None,
            "error": _short(f"attempt {claim.attempt}: {result.status}"),
        }
        where = and_(mine, Outbox.status.in_(_OPEN))
        step = Step.RETRY
    elif result.outcome is Outcome.SENT:
        values = {
            "status": OutboxStatus.SENT,
            "gateway_id": result.gateway_id,
            "cost": result.cost,
            "error": None,
        }
        # A claim that outlived its lease was marked failed "in doubt": the truth wins.
        where = and_(mine, Outbox.status.in_((*_OPEN, OutboxStatus.FAILED)))
        step = Step.SENT
    else:
        reason = result.status
        if result.outcome is Outcome.RETRY:
            reason = f"gave up after {claim.attempt} attempts: {result.status}"
        values = {"status": OutboxStatus.FAILED, "error": _short(reason)}
        where = and_(mine, Outbox.status.in_((*_OPEN, OutboxStatus.FAILED)))
        step = Step.FAILED
    session.execute(
        update(Outbox)
        .where(where)
        .values(updated_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    if step is Step.SENT and result.gateway_id:
        delivery.apply_early_reports(session, result.gateway_id, now)
    return Report(step, claim.attempt, result.status)


def _release(session: Session, claim: _Claim, now: datetime) -> None:
    """Undo a claim whose row was never handed to a gateway: the next sweep hands it over
    again (aged past both of `rows_to_hand_over`'s waits, as `fail_in_doubt` does)."""
    session.execute(
        update(Outbox)
        .where(
            Outbox.id == claim.outbox_id,
            Outbox.gateway == claim.gateway,
            Outbox.gateway_id.is_(None),
            Outbox.attempts == claim.attempt,
            Outbox.status.in_(_OPEN),
        )
        .values(gateway=None, attempts=Outbox.attempts - 1, updated_at=now - timedelta(days=1))
        .execution_options(synchronize_session=False)
    )


def rows_to_hand_over(
    database: Database, now: datetime, policy: Policy, limit: int = 1000
) -> list[int]:
    """Rows that should be with a sender but may not be: pending past the grace period, or
    queued for a retry whose job has been gone longer than the longest backoff."""
    queued_grace = timedelta(seconds=max(policy.intervals, default=0)) + policy.lease
    with database.transaction() as session:
        ids = session.scalars(
            select(Outbox.id)
            .where(
                Outbox.gateway.is_(None),
                or_(
                    and_(
                        Outbox.status == OutboxStatus.PENDING,
                        Outbox.updated_at < now - PENDING_GRACE,
                    ),
                    and_(
                        Outbox.status == OutboxStatus.QUEUED,
                        Outbox.updated_at < now - queued_grace,
                    ),
                ),
            )
            .order_by(Outbox.id)
            .limit(limit)
        ).all()
    return list(ids)


def fail_in_doubt(
    database: Database, now: datetime, policy: Policy, refusing_copies: Collection[str] = ()
) -> int:
    """Settle the rows whose sender died mid-send. Through a gateway that refuses a second
    message with our id (`refusing_copies`), the row is simply sent again: the gateway drops
    the copy if it had the first. Through any other, at-most-once: marked failed "in doubt",
    never sent again (`antre sms resend --in-doubt` can, knowingly). Returns how many failed."""
    stale = and_(
        Outbox.status.in_(_OPEN),
        Outbox.gateway.is_not(None),
        Outbox.gateway_id.is_(None),
        Outbox.updated_at < now - policy.lease,
    )
    with database.transaction() as session:
        if refusing_copies:
            again = session.execute(
                update(Outbox)
                .where(stale, Outbox.gateway.in_(list(refusing_copies)))
                .values(
                    status=OutboxStatus.QUEUED,
                    gateway=None,
                    error="in doubt: sent again with the same id, which the gateway refuses twice",
                    updated_at=now - timedelta(days=1),  # the sweep hands it over at once
                )
                .execution_options(synchronize_session=False)
            )
            if again.rowcount:  # type: ignore[attr-defined]
                log.warning("%d outbox rows in doubt: sent again", again.rowcount)  # type: ignore[attr-defined]
        result = session.execute(
            update(Outbox)
            .where(stale)
            .values(status=OutboxStatus.FAILED, error=IN_DOUBT, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    count: int = result.rowcount  # type: ignore[attr-defined]
    if count:
        log.warning("%d outbox rows in doubt (sender died mid-send): marked failed", count)
    return count


def failed(database: Database, since: datetime, facility_id: int | None = None) -> list[Outbox]:
    """Rows that failed since `since`, newest first (booking.failed_sms.failed)."""
    with database.transaction() as session:
        return failed_sms.failed(session, since, facility_id=facility_id)


def resend(
    database: Database, ids: Collection[int], now: datetime, *, in_doubt: bool = False
) -> list[int]:
    """Make failed rows pending again, in one transaction (booking.failed_sms.resend)."""
    return database.run(lambda session: failed_sms.resend(session, ids, now, in_doubt_too=in_doubt))


def _short(text: str) -> str:
    return text[:200]
