"""The calls a change makes to BPJS, written beside it, and sending one booking's calls in order.

Which change makes which call (a booking whose person has a BPJS card, at a service mapped to
a BPJS poli):

- a new number → `antrean/add`, unless it came from Mobile JKN through the bridge (an actor
  "jkn:…"): BPJS made it and knows it;
- checked in or served → `antrean/panggil` status 1 (hadir), once per booking; a no-show →
  status 2 (tidak hadir); `waktu` is the change's time in epoch milliseconds;
- cancelled by the patient, or by the facility (a cancelled session cancels each number) →
  `antrean/batal` with `alasan`, unless Mobile JKN cancelled it through the bridge.

`write_calls` runs from the session's own flush and commit listeners (antre.bpjs), so a call
row is in the same transaction as its change and rolls back with it. `send_booking` sends a
booking's calls oldest first: each is claimed ("sending", committed) before it goes, so none
goes twice; BPJS unreachable leaves it pending and stops there, so a later call never
overtakes it; a refusal (code ≠ 200) is final and keeps BPJS's message.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from booking.clock import utcnow
from booking.models import Booking, BpjsCall, ClinicSession, Event, Service
from booking.records import NEW_BOOKING_IDS
from bpjs.client import Client, Unreachable

log = logging.getLogger(__name__)

# session.info key: the bookings whose calls this transaction wrote, to send once it commits.
NEW_CALL_BOOKINGS = "new_bpjs_call_bookings"
ADD, PANGGIL, BATAL = "antrean/add", "antrean/panggil", "antrean/batal"
HADIR, TIDAK_HADIR = 1, 2
PENDING, SENDING, SENT, REFUSED = "pending", "sending", "sent", "refused"
BRIDGE_ACTOR = "jkn:"  # api.jkn's actors: the bookings Mobile JKN itself made
KETERANGAN = "Peserta harap datang 30 menit sebelum jam praktek"
STALE_MESSAGE = "Pengirim berhenti; dikirim lagi / The sender stopped; sent again"
_BY_PATIENT = "Dibatalkan oleh pasien"
_BY_FACILITY = "Dibatalkan oleh faskes"
_PANGGIL = {"checked_in": HADIR, "served": HADIR, "no_show": TIDAK_HADIR}
_BATAL = ("cancelled", "cancelled_by_facility")


def write_calls(db: Session) -> None:
    """Add the call rows for the changes this session is about to flush or commit."""
    with db.no_autoflush:
        for booking_id in sorted(db.info.pop(NEW_BOOKING_IDS, ())):
            _new_number(db, booking_id)
        for row in [row for row in db.new if isinstance(row, Event)]:
            if row.booking_id is not None and (row.kind in _PANGGIL or row.kind in _BATAL):
                _changed(db, row)


def _reported(db: Session, booking_id: int) -> tuple[Booking, str] | None:
    """The booking and its card, if BPJS is to hear of it."""
    booking = db.get(Booking, booking_id)
    if booking is None or not booking.person.bpjs_number:
        return None
    if not booking.session.service.bpjs_poli_code:
        return None
    return booking, booking.person.bpjs_number


def _new_number(db: Session, booking_id: int) -> None:
    found = _reported(db, booking_id)
    if found is None:
        return
    booking, card = found
    actor = db.scalar(
        select(Event.actor).where(Event.booking_id == booking_id, Event.kind == "booked")
    )
    if actor is not None and actor.startswith(BRIDGE_ACTOR):
        return
    session, service = booking.session, booking.session.service
    _write(db, booking, ADD, add_body(booking, session, service, card), booking.created_at)


def add_body(
    booking: Booking, session: ClinicSession, service: Service, card: str
) -> dict[str, Any]:
    phone = booking.booked_by or ""
    return {
        "nomorkartu": card,
        "nik": "",  # Antre keeps no NIK (design §3); the card is BPJS's key for the patient
        "nohp": "0" + phone[3:] if phone.startswith("+62") else phone,
        "kodepoli": service.bpjs_poli_code,
        "namapoli": service.name("id"),
        # Antre keeps no medical record numbers: a SIMRS sends its own (the SIMRS-Khanza antrean
        # form seen sends the registration's record number); Antre has none to send.
        "norm": "",
        "tanggalperiksa": session.day.isoformat(),
        "kodedokter": _doctor_code(session.bpjs_doctor_code),
        "namadokter": session.doctor_name or "",
        "jampraktek": f"{session.start_time:%H:%M}-{session.end_time:%H:%M}",
        "nomorantrean": booking.display,
        "angkaantrean": booking.number,
        "keterangan": KETERANGAN,
    }


def _doctor_code(code: str | None) -> int | str:
    # BPJS's reference read gives kodedokter as a number, and the implementations send it so.
    if code and code.isdigit():
        return int(code)
    return code or ""


def _changed(db: Session, event: Event) -> None:
    assert event.booking_id is not None
    found = _reported(db, event.booking_id)
    if found is None:
        return
    booking, card = found
    base = {
        "tanggalperiksa": booking.day.isoformat(),
        "kodepoli": booking.session.service.bpjs_poli_code,
        "nomorkartu": card,
    }
    if event.kind in _PANGGIL:
        status = _PANGGIL[event.kind]
        if status == HADIR and _already(db, booking.id, PANGGIL):
            return  # checked in, then served: BPJS hears "hadir" once
        waktu = int(event.at.timestamp() * 1000)
        _write(db, booking, PANGGIL, {**base, "status": status, "waktu": waktu}, event.at)
    elif not event.actor.startswith(BRIDGE_ACTOR):
        if event.kind == "cancelled_by_facility":
            alasan = booking.session.cancel_reason or _BY_FACILITY
        else:
            alasan = _BY_PATIENT
        _write(db, booking, BATAL, {**base, "alasan": alasan[:100]}, event.at)


def _already(db: Session, booking_id: int, path: str) -> bool:
    pending = any(
        isinstance(row, BpjsCall) and row.booking_id == booking_id and row.path == path
        for row in db.new
    )
    return (
        pending
        or db.scalar(
            select(BpjsCall.id).where(BpjsCall.booking_id == booking_id, BpjsCall.path == path)
        )
        is not None
    )


def _write(db: Session, booking: Booking, path: str, body: dict[str, Any], now: datetime) -> None:
    db.add(
        BpjsCall(
            booking_id=booking.id,
            path=path,
            body=body,
            status=PENDING,
            attempts=0,
            created_at=now,
            updated_at=now,
        )
    )
    db.info.setdefault(NEW_CALL_BOOKINGS, set()).add(booking.id)


# --- sending ---------------------------------------------------------------------------------


class Outcome(enum.Enum):
    DONE = "done"  # nothing left to send (sent or refused)
    RETRY = "retry"  # BPJS unreachable: try again later
    BUSY = "busy"  # another sender has this booking's oldest call


@dataclass(frozen=True)
class Report:
    outcome: Outcome
    sent: int = 0
    refused: int = 0
    detail: str = ""


def send_booking(sessions: sessionmaker[Session], client: Client, booking_id: int) -> Report:
    """Send a booking's pending calls oldest first, each at most once."""
    sent = refused = 0
    while True:
        with sessions.begin() as db:
            call = db.scalars(
                select(BpjsCall)
                .where(BpjsCall.booking_id == booking_id, BpjsCall.status.in_((PENDING, SENDING)))
                .order_by(BpjsCall.id)
                .limit(1)
                .with_for_update()
            ).first()
            if call is None:
                return Report(Outcome.DONE, sent, refused)
            if call.status == SENDING:
                return Report(Outcome.BUSY, sent, refused)
            call_id, path, body = call.id, call.path, dict(call.body)
            claim = call.attempts + 1  # this sender's claim: its finish names it
            # The claim is a compare-and-set, so two senders cannot both have a call even
            # where FOR UPDATE means nothing (SQLite).
            now = utcnow()
            claimed = db.execute(
                update(BpjsCall)
                .where(BpjsCall.id == call_id, BpjsCall.status == PENDING)
                .values(status=SENDING, attempts=claim, updated_at=now, claimed_at=now)
                .execution_options(synchronize_session=False)
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                return Report(Outcome.BUSY, sent, refused)
        try:
            answer = client.call("POST", path, body)
        except Unreachable as error:
            finish(sessions, call_id, claim, PENDING, None, str(error))
            return Report(Outcome.RETRY, sent, refused, str(error))
        if answer.ok:
            sent += 1
            finish(sessions, call_id, claim, SENT, answer.code, answer.message)
        else:
            refused += 1
            finish(sessions, call_id, claim, REFUSED, answer.code, answer.message)


def finish(
    sessions: sessionmaker[Session],
    call_id: int,
    claim: int,
    status: str,
    code: int | None,
    message: str,
) -> None:
    """Record the outcome, if the claim is still this sender's (the sweep may have freed it)."""
    with sessions.begin() as db:
        finished = db.execute(
            update(BpjsCall)
            .where(BpjsCall.id == call_id, BpjsCall.status == SENDING, BpjsCall.attempts == claim)
            .values(status=status, code=code, message=message[:200], updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if finished.rowcount != 1:  # type: ignore[attr-defined]
            log.warning("BPJS call %s: outcome %s came after its claim was freed", call_id, status)


def free_stale(db: Session, now: datetime, older_than: timedelta) -> list[int]:
    """Calls left "sending" by a sender that died, back to pending; their bookings.

    `older_than` is longer than any live sender holds a claim (the client's whole-call
    deadline and a margin), so a claim freed here belongs to no one: a live sender's call has
    ended by then, and its finish names its claim, so a late one changes nothing.
    """
    stale = (
        select(BpjsCall.id, BpjsCall.booking_id)
        .where(BpjsCall.status == SENDING)
        .where(func.coalesce(BpjsCall.claimed_at, BpjsCall.updated_at) < now - older_than)
    )
    found = db.execute(stale).all()
    if not found:
        return []
    db.execute(
        update(BpjsCall)
        .where(BpjsCall.id.in_([call_id for call_id, _ in found]), BpjsCall.status == SENDING)
        .values(status=PENDING, message=STALE_MESSAGE, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return sorted({booking_id for _, booking_id in found})


def is_stale(call: BpjsCall, now: datetime, older_than: timedelta) -> bool:
    """A call some sender claimed longer ago than a live one holds a claim (for the BPJS page)."""
    claimed = call.claimed_at or call.updated_at
    return call.status == SENDING and claimed < now - older_than


def waiting_bookings(db: Session) -> list[int]:
    """Bookings with calls still pending (for the sweep to hand over again)."""
    return list(
        db.scalars(select(BpjsCall.booking_id).where(BpjsCall.status == PENDING).distinct())
    )


def retry(db: Session, call_id: int) -> int | None:
    """Put a refused call back to pending (an admin fixed the cause); its booking's id.

    The booking is handed over to the sender once the transaction commits.
    """
    call = db.get(BpjsCall, call_id)
    if call is None or call.status != REFUSED:
        return None
    call.status, call.updated_at = PENDING, utcnow()
    db.info.setdefault(NEW_CALL_BOOKINGS, set()).add(call.booking_id)
    return call.booking_id


def facility_of_call(db: Session, call_id: int) -> int | None:
    """The facility whose booking made this call (who may see and retry it)."""
    return db.scalar(
        select(Service.facility_id)
        .join(Booking, Booking.service_id == Service.id)
        .join(BpjsCall, BpjsCall.booking_id == Booking.id)
        .where(BpjsCall.id == call_id)
    )


def of_facility(db: Session, facility_id: int, limit: int = 200) -> list[tuple[BpjsCall, Booking]]:
    """A facility's calls for staff: those still to go or refused first, then the newest."""
    unsettled = case((BpjsCall.status.in_((PENDING, SENDING, REFUSED)), 0), else_=1)
    rows = db.execute(
        select(BpjsCall, Booking)
        .join(Booking, BpjsCall.booking_id == Booking.id)
        .join(Service, Booking.service_id == Service.id)
        .where(Service.facility_id == facility_id)
        .order_by(unsettled, BpjsCall.id.desc())
        .limit(limit)
    )
    return [(call, booking) for call, booking in rows]


def refused_bookings(db: Session, booking_ids: list[int]) -> set[int]:
    """Which of these bookings have a call BPJS refused (the queue page's badge)."""
    if not booking_ids:
        return set()
    return set(
        db.scalars(
            select(BpjsCall.booking_id).where(
                BpjsCall.booking_id.in_(booking_ids), BpjsCall.status == REFUSED
            )
        )
    )
