"""A facility's own numbers: the numbers patients text that belong to one facility.

An SMS that arrives on one needs no facility code, and the facility's SMS (replies, receipts,
reminders) leave from it, through the gateway that carries it. A number is kept as gateways
give it in an inbound SMS's "to", made comparable: E.164 for a phone number (a facility's
long number or its Android phone's SIM), the digits of a short code, or a lower-case name for
a line that has no number we can know ("android": the deployment's Android phone).
"""

from __future__ import annotations

import re

import phonenumbers
from sqlalchemy import select
from sqlalchemy.orm import Session

from booking.models import Booking, Facility, FacilityNumber, Service
from booking.validation import Invalid
from texts import N_

_SHORT_CODE = re.compile(r"\d{3,15}")
# Lines whose number we cannot know: the deployment's Android phone (gateways/android).
LINE_NAMES = frozenset({"android"})
_SEPARATORS = re.compile(r"[\s().-]")


def number_key(raw: str, region: str = "ID") -> str:
    """The number as it is stored and compared; Invalid when it is none of the three kinds."""
    text = _SEPARATORS.sub("", (raw or "").strip())[:32]
    if text.startswith("+") or len(text) > 6:
        try:
            parsed = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            parsed = None
        if parsed is not None and phonenumbers.is_valid_number(parsed):
            return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    if _SHORT_CODE.fullmatch(text):
        return text
    if text.lower() in LINE_NAMES:
        return text.lower()
    raise Invalid(
        "number", N_("A phone number, a short code, or android (the facility's Android phone).")
    )


def find(db: Session, raw: str, region: str = "ID") -> FacilityNumber | None:
    """The facility number an SMS was sent to, if it is one of ours."""
    try:
        key = number_key(raw, region)
    except Invalid:
        return None
    return db.scalars(select(FacilityNumber).where(FacilityNumber.number == key)).first()


def add(
    db: Session,
    raw: str,
    facility: Facility,
    *,
    gateway: str | None = None,
    region: str = "ID",
    move: bool = True,
) -> FacilityNumber:
    """Tie a number to a facility. A number another facility has moves only with `move` (the
    operator's command may; a facility's admin page may not take another's number)."""
    key = number_key(raw, region)
    row = db.scalars(select(FacilityNumber).where(FacilityNumber.number == key)).first()
    if row is not None and row.facility_id != facility.id and not move:
        raise Invalid("number", N_("This number belongs to another facility."))
    if row is None:
        row = FacilityNumber(number=key, facility_id=facility.id, gateway=gateway)
        db.add(row)
    else:
        row.facility_id, row.gateway = facility.id, gateway
    db.flush()
    return row


def remove(db: Session, raw: str, region: str = "ID") -> bool:
    row = find(db, raw, region)
    if row is None:
        return False
    db.delete(row)
    db.flush()
    return True


def of_facility(db: Session, facility: Facility) -> list[FacilityNumber]:
    return list(
        db.scalars(
            select(FacilityNumber)
            .where(FacilityNumber.facility_id == facility.id)
            .order_by(FacilityNumber.id)
        )
    )


def every(db: Session) -> list[FacilityNumber]:
    return list(db.scalars(select(FacilityNumber).order_by(FacilityNumber.id)))


def for_booking(db: Session, booking_id: int) -> FacilityNumber | None:
    """The first number of the facility a booking is at: where its SMS leave from."""
    return db.scalars(
        select(FacilityNumber)
        .join(Service, Service.facility_id == FacilityNumber.facility_id)
        .join(Booking, Booking.service_id == Service.id)
        .where(Booking.id == booking_id)
        .order_by(FacilityNumber.id)
        .limit(1)
    ).first()
