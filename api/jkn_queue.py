"""What the bridge's requests do to the queue: find the poli, read, book, cancel.

No Flask here: each function takes the request's transaction, the caller and the clock, and
returns the `response` part of the envelope, or raises Invalid / Refused for a code 201.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, time
from typing import Any

from sqlalchemy.orm import Session

from api import jkn_input
from api.jkn_input import Invalid, Msg
from api.jkn_tokens import Caller
from booking import cards, records
from booking.availability import first_with_room, places_left
from booking.clock import at_local, days_from_today, local_now
from booking.commands import CancelBooking, TakeNumber
from booking.models import (
    ACTIVE,
    CANCELLED,
    Booking,
    BookingStatus,
    Channel,
    ClinicSession,
    Facility,
    Service,
    SessionStatus,
    display_number,
)
from booking.phones import normalise
from booking.position import Position, position
from booking.taking import cancel_booking, take_number


def status(
    db: Session, caller: Caller, kodepoli: str, tanggal: str, now: datetime
) -> dict[str, Any]:
    """GET /antrean/status: the poli's queue on a day (the session running now, or next)."""
    service = _service(db, caller, kodepoli)
    day = _not_past(service.facility, jkn_input.day(tanggal), now)
    session = _current_session(db, service, day, now)
    figures = cards.queue_figures(db, session.id)
    return {
        "namapoli": service.name("id"),
        "totalantrean": figures.total,
        "sisaantrean": figures.waiting,
        "antreanpanggil": _called(session, service),
        "keterangan": Msg.PLACES_LEFT.format(left=places_left(session), capacity=session.capacity),
        "kodedokter": None,
        "namadokter": session.doctor_name or "",
        "jampraktek": _hours(session),
    }


def remaining(
    db: Session, caller: Caller, nomorkartu: str, kodepoli: str, tanggal: str, now: datetime
) -> dict[str, Any]:
    """GET /antrean/sisapeserta: where the card's number stands."""
    card = jkn_input.card(nomorkartu)
    service = _service(db, caller, kodepoli)
    day = _not_past(service.facility, jkn_input.day(tanggal), now)
    booking = cards.standing(cards.card_bookings(db, card, service.id, day))
    if booking is None:
        raise Invalid(Msg.NOT_FOUND)
    session = booking.session
    if booking.status in ACTIVE:
        where = position(db, booking, now)
        ahead = where.ahead
        note = Msg.BEING_CALLED if booking.status == BookingStatus.CALLED else _expected(where)
    else:
        ahead = 0
        note = Msg.NO_SHOW if booking.status == BookingStatus.NO_SHOW else Msg.SERVED
    return {
        "nomorantrean": booking.display,
        "namapoli": service.name("id"),
        "sisaantrean": ahead,
        "antreanpanggil": _called(session, service),
        "keterangan": note,
    }


def take(
    db: Session, caller: Caller, body: dict[str, Any], now: datetime, *, region: str
) -> dict[str, Any]:
    """POST /antrean: a number for the card, through the one engine (channel api)."""
    wanted = jkn_input.take_request(body)
    service = _service(db, caller, wanted.poli)
    facility = service.facility
    day = _not_past(facility, wanted.day, now)
    if days_from_today(day, now, facility.timezone) > facility.days_ahead:
        raise Invalid(Msg.DATE_TOO_FAR, days=facility.days_ahead)
    phone = normalise(wanted.phone, region)
    bookings = cards.card_bookings(db, wanted.card, service.id, day)
    key = _request_key(
        service, day, wanted.card, phone, wanted.hours_text, cards.finished_count(bookings)
    )
    earlier = records.replayed(db, key)
    if earlier is not None and earlier.booking_id is not None:
        return _taken(db, db.get_one(Booking, earlier.booking_id), now)
    if any(booking.status in ACTIVE for booking in bookings):
        raise Invalid(Msg.DUPLICATE)
    session = _session_to_book(db, service, day, wanted.hours, now)
    command = TakeNumber(
        session_id=session.id,
        phone=phone,
        channel=Channel.API,
        name=_patient_name(db, phone, wanted.card),
        bpjs_number=wanted.card,
        request_key=key,
        actor=f"jkn:{caller.username}",
    )
    return _taken(db, take_number(db, command, now), now)


def cancel(db: Session, caller: Caller, body: dict[str, Any], now: datetime) -> None:
    """PUT /antrean/batal: the card's active number is cancelled, as the patient would."""
    wanted = jkn_input.cancel_request(body)
    service = _service(db, caller, wanted.poli)
    day = _not_past(service.facility, wanted.day, now)
    bookings = cards.card_bookings(db, wanted.card, service.id, day)
    active = next((booking for booking in bookings if booking.status in ACTIVE), None)
    if active is None:
        if bookings and bookings[0].status in CANCELLED:
            return None  # cancelling twice is cancelling once
        raise Invalid(Msg.NOT_FOUND)
    command = CancelBooking(
        booking_id=active.id, channel=Channel.API, actor=f"jkn:{caller.username}"
    )
    cancel_booking(db, command, now)
    return None


def _service(db: Session, caller: Caller, kodepoli: str) -> Service:
    """The poli among the caller's facility's services: another facility's never resolves."""
    code = jkn_input.poli(kodepoli)
    facility = db.get_one(Facility, caller.facility_id)
    if not facility.active:
        raise Invalid(Msg.FACILITY_CLOSED)
    service = cards.service_by_code(db, facility.id, code)
    if service is None:
        raise Invalid(Msg.POLI_UNKNOWN)
    return service


def _not_past(facility: Facility, day: date, now: datetime) -> date:
    if days_from_today(day, now, facility.timezone) < 0:
        raise Invalid(Msg.DATE_PAST)
    return day


def _current_session(db: Session, service: Service, day: date, now: datetime) -> ClinicSession:
    sessions = cards.sessions_on(db, service, day)
    if not sessions:
        raise Invalid(Msg.NO_SCHEDULE, poli=service.name("id"), day=f"{day:%d-%m-%Y}")
    held = [session for session in sessions if session.status != SessionStatus.CANCELLED]
    if not held:
        reason = sessions[0].cancel_reason or "-"
        raise Invalid(
            Msg.SCHEDULE_CANCELLED, poli=service.name("id"), day=f"{day:%d-%m-%Y}", reason=reason
        )
    timezone = service.facility.timezone
    running_or_next = (s for s in held if at_local(s.day, s.end_time, timezone) > now)
    return next(running_or_next, held[-1])


def _session_to_book(
    db: Session, service: Service, day: date, hours: tuple[time, time] | None, now: datetime
) -> ClinicSession:
    """The session named by jampraktek, else the first that day with a place left."""
    sessions = cards.sessions_on(db, service, day)
    if not sessions:
        raise Invalid(Msg.NO_SCHEDULE, poli=service.name("id"), day=f"{day:%d-%m-%Y}")
    if hours is not None:
        for session in sessions:
            if (session.start_time, session.end_time) == hours:
                return session
        holding = [s for s in sessions if s.start_time <= hours[0] < s.end_time]
        if len(holding) == 1:
            return holding[0]
        if not holding:
            raise Invalid(
                Msg.HOURS_UNKNOWN,
                hours=f"{hours[0]:%H:%M}-{hours[1]:%H:%M}",
                poli=service.name("id"),
                known=", ".join(_hours(session) for session in sessions),
            )
    return first_with_room(db, service, day, now)


def _patient_name(db: Session, phone: str, card: str) -> str:
    """Who the card is to the engine, which knows people by phone and name.

    The card this phone booked before keeps its person; a first card is the phone's owner;
    another card is a family member, named by the card since the protocol sends no name.
    """
    known = cards.person_for_card(db, phone, card)
    if known is not None:
        return known.name
    owner = cards.phone_owner(db, phone)
    if owner is None or owner.bpjs_number in (None, card):
        return ""
    return f"Peserta {card}"


def _request_key(
    service: Service, day: date, card: str, phone: str, hours: str, finished: int
) -> str:
    """The same request sent again maps to the same key; a new one after the card's number was
    cancelled, served or marked no-show does not (it must book again, not replay the old one).

    Made of the request's own fields (card, phone, poli, day, hours), unlike an API client's
    Idempotency-Key: another card or phone is another key, so a different request never finds
    another patient's number by it. Only nik, keluhan, norm and kodedokter are left out, and
    they are not kept."""
    parts = (str(service.id), day.isoformat(), card, phone, "".join(hours.split()), str(finished))
    return "jkn:" + hashlib.sha256("|".join(parts).encode()).hexdigest()[:40]


def _taken(db: Session, booking: Booking, now: datetime) -> dict[str, Any]:
    where = position(db, booking, now)
    service = booking.session.service
    return {
        "nomorantrean": booking.display,
        "angkaantrean": booking.number,
        "namapoli": service.name("id"),
        "sisaantrean": where.ahead,
        "antreanpanggil": where.now_serving or "",
        "keterangan": _expected(where),
    }


def _expected(where: Position) -> str:
    timezone = where.booking.session.service.facility.timezone
    local = local_now(where.expected_at, timezone)
    return Msg.EXPECTED.format(time=f"{local:%H:%M}", zone=local.tzname() or "")


def _called(session: ClinicSession, service: Service) -> str:
    if session.now_serving is None:
        return ""
    return display_number(service.prefix, session.now_serving)


def _hours(session: ClinicSession) -> str:
    return f"{session.start_time:%H:%M}-{session.end_time:%H:%M}"
