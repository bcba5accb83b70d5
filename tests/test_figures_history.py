"""A known history for the figures tests (no tests here: the builder the figures tests share).

Two districts: "Kota Uji" (facilities 9001 and 9002) and "Kabupaten Lain" (9101). The period
of interest is Friday 20 to Sunday 22 November 2026 (WIB); a few rows fall just outside it, or
outside the district, so that every filter is tested. The expected figures are worked out by
hand in test_figures.py.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.orm import Session

from booking.models import (
    Booking,
    BookingStatus,
    Channel,
    ClinicSession,
    Facility,
    Outbox,
    OutboxStatus,
    Person,
    Phone,
    Service,
)
from plumbing.db import Database
from sms.models import InboundSms
from ussd.models import UssdSession, UssdStep

WIB = timedelta(hours=7)
FRI, SAT, SUN = date(2026, 11, 20), date(2026, 11, 21), date(2026, 11, 22)
THU, MON = date(2026, 11, 19), date(2026, 11, 23)
P1, P2, P3, P4 = "+6281100000001", "+6281100000002", "+6281100000003", "+6281100000004"

S, C, CF, NS, B = (
    BookingStatus.SERVED,
    BookingStatus.CANCELLED,
    BookingStatus.CANCELLED_BY_FACILITY,
    BookingStatus.NO_SHOW,
    BookingStatus.BOOKED,
)
U, M, W, A = Channel.USSD, Channel.SMS, Channel.STAFF, Channel.API

# (facility, day, channel, status, minutes from booking to being called or None)
BOOKINGS: list[tuple[str, date, Channel, BookingStatus, int | None]] = [
    ("9001", FRI, U, S, 10),
    ("9001", FRI, U, S, 20),
    ("9001", FRI, U, S, 30),
    ("9001", FRI, U, C, None),
    ("9001", FRI, U, NS, 40),
    ("9001", FRI, U, B, None),
    ("9001", FRI, M, S, 50),
    ("9001", FRI, M, CF, None),
    ("9001", FRI, W, S, 5),
    ("9001", SAT, U, CF, None),
    ("9001", SAT, U, CF, None),
    ("9001", SAT, A, S, 60),
    ("9001", SUN, M, B, None),
    ("9001", SUN, M, B, None),
    ("9001", SUN, M, B, None),
    ("9002", SAT, U, S, 15),
    ("9002", SAT, U, S, 25),
    ("9002", SAT, U, NS, 35),
    ("9002", SAT, U, C, None),
    ("9002", SAT, W, S, 1),
    ("9002", SAT, W, S, 3),
    # outside the period
    ("9001", THU, U, S, 7),
    ("9001", MON, M, B, None),
    # outside the district
    *[("9101", FRI, U, S, 100) for _ in range(5)],
]


def utc(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """A WIB wall-clock moment as an aware UTC datetime."""
    return datetime.combine(day, time(hour, minute, second), tzinfo=UTC) - WIB


def build(db: Database) -> None:
    db.run(_build)


def _build(s: Session) -> None:
    facilities: dict[str, Facility] = {}
    services: dict[str, Service] = {}
    for code, district in (("9001", "Kota Uji"), ("9002", "Kota Uji"), ("9101", "Kabupaten Lain")):
        facility = Facility(
            code=code, name=f"Puskesmas {code}", district=district, subdistrict=f"Kec {code}"
        )
        s.add(facility)
        s.flush()
        service = Service(
            facility_id=facility.id,
            code="UMUM",
            names={"id": "Poli Umum", "en": "General"},
            prefix="A",
        )
        s.add(service)
        s.flush()
        facilities[code], services[code] = facility, service

    for phone, code in ((P1, "9001"), (P2, "9002"), (P3, "9101")):
        s.add(Phone(number=phone, facility_id=facilities[code].id))

    sessions: dict[tuple[str, date], ClinicSession] = {}
    first_booking: dict[str, Booking] = {}
    for n, (code, day, channel, status, wait) in enumerate(BOOKINGS):
        key = (code, day)
        if key not in sessions:
            sessions[key] = ClinicSession(
                service_id=services[code].id,
                day=day,
                start_time=time(8),
                end_time=time(12),
                capacity=100,
            )
            s.add(sessions[key])
            s.flush()
        session = sessions[key]
        session.last_number += 1
        person = Person(phone=None, name=f"Pasien {n}", name_key=f"pasien {n}")
        s.add(person)
        s.flush()
        created = utc(day, 7)
        booking = Booking(
            session_id=session.id,
            service_id=services[code].id,
            day=day,
            person_id=person.id,
            booked_by=P1 if channel is not W else None,
            channel=channel,
            number=session.last_number,
            display=f"A-{session.last_number:03d}",
            status=status,
            created_at=created,
            called_at=created + timedelta(minutes=wait) if wait is not None else None,
        )
        s.add(booking)
        s.flush()
        first_booking.setdefault(code, booking)

    _ussd(s, facilities)
    _inbound(s)
    _outbox(s, first_booking)


def _ussd(s: Session, facilities: dict[str, Facility]) -> None:
    path = ["main", "service", "when", "confirm"]
    # (id, facility, started, outcome, screens shown)
    rows: list[tuple[str, str | None, datetime, str, list[str]]] = [
        ("s1", "9001", utc(FRI, 9), "finished", [*path, "booked"]),
        ("s2", "9001", utc(FRI, 10), "finished", [*path, "booked"]),
        ("s3", "9002", utc(SAT, 9), "finished", [*path, "name", "booked_for"]),
        # the first moment of the period (00:00 WIB on Friday is 17:00 UTC on Thursday)
        ("s4", "9001", utc(FRI, 0), "finished", [*path, "booked"]),
        ("s5", "9001", utc(FRI, 11), "abandoned", ["main", "service", "when"]),
        ("s6", "9001", utc(SUN, 23, 59, 59), "abandoned", ["main", "service", "when", "when"]),
        ("s7", "9002", utc(SAT, 12), "abandoned", ["main", "service"]),
        ("s8", "9002", utc(SAT, 13), "open", path),
        # never chose a facility: only in the all-districts view
        ("s9", None, utc(FRI, 9), "abandoned", ["welcome"]),
        # the last second before the period
        ("s10", "9001", utc(THU, 23, 59, 59), "abandoned", ["main"]),
        # another district
        ("s11", "9101", utc(FRI, 9), "finished", [*path, "booked"]),
    ]
    for sid, code, started, outcome, screens in rows:
        s.add(
            UssdSession(
                id=sid,
                phone=P1,
                facility_id=facilities[code].id if code else None,
                started_at=started,
                last_seen_at=started + timedelta(seconds=len(screens) * 10),
                last_screen=screens[-1],
                steps=len(screens),
                outcome=outcome,
            )
        )
        s.flush()
        for i, screen in enumerate(screens):
            s.add(
                UssdStep(
                    session_id=sid,
                    at=started + timedelta(seconds=10 * i),
                    screen=screen,
                    input_ok=not (i and screens[i - 1] == screen),
                )
            )


def _inbound(s: Session) -> None:
    rows: list[tuple[str, str, bool, datetime]] = [
        (P1, "halo", False, utc(FRI, 9)),
        (P1, "HALO ", False, utc(FRI, 10)),
        (P1, "ANTRE UMUM", True, utc(FRI, 11)),
        (P1, "tolong telp 0812-3456-7890", False, utc(SAT, 9)),
        (P1, "ANTRE GIGI UNTUK Siti Aminah", False, utc(SAT, 10)),
        (P2, "halo", False, utc(SAT, 9)),
        (P2, "Halo", False, utc(SAT, 10)),
        (P2, "antre untuk Budi", False, utc(SUN, 9)),
        (P2, "CEK", True, utc(SUN, 10)),
        (P3, "halo", False, utc(FRI, 9)),  # another district
        (P4, "halo", False, utc(FRI, 9)),  # a phone that never chose a facility
        (P1, "halo", False, utc(MON, 0)),  # the first moment after the period
    ]
    for n, (phone, text, understood, at) in enumerate(rows):
        s.add(
            InboundSms(
                gateway_id=f"in-{n}",
                phone=phone,
                to="12345",
                text=text,
                received_at=at,
                command="booking" if understood else "unknown",
                understood=understood,
            )
        )


def _outbox(s: Session, first_booking: dict[str, Booking]) -> None:
    failed, delivered = OutboxStatus.FAILED, OutboxStatus.DELIVERED
    rows: list[tuple[str, str | None, OutboxStatus, str | None, datetime]] = [
        (P1, "9001", failed, "delivery: DeliveryFailure", utc(FRI, 9)),
        (P1, "9001", failed, "delivery: DeliveryFailure", utc(FRI, 10)),
        (P1, "9001", failed, "delivery: AbsentSubscriber", utc(SAT, 9)),
        (P1, "9001", delivered, None, utc(SAT, 9)),
        (P1, "9001", delivered, None, utc(SAT, 10)),
        (P2, "9002", failed, "delivery: DeliveryFailure", utc(SAT, 9)),
        (P1, None, failed, "gateway refused +6281234567890", utc(SUN, 9)),
        (P4, None, failed, "delivery: DeliveryFailure", utc(SUN, 9)),  # no facility
        (P3, "9101", failed, "delivery: Rejected", utc(FRI, 9)),  # another district
        (P1, "9001", failed, "delivery: DeliveryFailure", utc(MON, 0)),  # after the period
    ]
    for phone, code, status, error, at in rows:
        s.add(
            Outbox(
                phone=phone,
                body="Antre",
                kind="receipt",
                booking_id=first_booking[code].id if code else None,
                status=status,
                error=error,
                created_at=at,
                updated_at=at,
            )
        )
