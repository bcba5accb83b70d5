"""Demo data: a few real-sounding puskesmas in Banten with sessions today and tomorrow."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from booking.clock import local_today
from booking.models import ClinicSession, Facility, ScheduleTemplate, Service


@dataclass(frozen=True)
class DemoService:
    code: str
    names: dict[str, str]  # {language: name}
    prefix: str
    synonyms: str
    hours: tuple[tuple[time, time], ...]


MORNING = (time(8, 0), time(12, 0))
AFTERNOON = (time(13, 0), time(16, 0))
SERVICES = (
    DemoService(
        "UMUM",
        {"id": "Poli Umum", "en": "General clinic"},
        "A",
        "umum,general,dokter,bp",
        (MORNING, AFTERNOON),
    ),
    DemoService(
        "GIGI", {"id": "Poli Gigi", "en": "Dental clinic"}, "B", "gigi,dental,dentist", (MORNING,)
    ),
    DemoService(
        "KIA",
        {"id": "Poli KIA", "en": "Mother and child"},
        "C",
        "kia,ibu,anak,hamil,bidan,kb",
        (MORNING,),
    ),
)
FACILITIES = (
    ("1001", "Puskesmas Cipocok Jaya", "Kota Serang", "Cipocok Jaya"),
    ("2001", "Puskesmas Walantaka", "Kota Serang", "Walantaka"),
    ("2101", "Puskesmas Pandeglang", "Kabupaten Pandeglang", "Pandeglang"),
    ("2102", "Puskesmas Labuan", "Kabupaten Pandeglang", "Labuan"),
    ("2201", "Puskesmas Rangkasbitung", "Kabupaten Lebak", "Rangkasbitung"),
    ("2301", "Puskesmas Ciputat", "Kota Tangerang Selatan", "Ciputat"),
)
DEFAULT_CAPACITY = 40
# Where staff call numbers to: the registration counters, then the rooms of the polis.
ROOMS = ("Loket 1", "Loket 2", "Ruang Periksa 1", "Ruang Periksa 2", "Ruang Gigi", "Ruang KIA")


def seed(db: Session, now: datetime, capacity: int | None = None, extra_facilities: int = 0) -> int:
    """Create (or complete) the demo; safe to run again. Returns how many facilities exist."""
    rows = list(FACILITIES)
    rows += [
        (str(1002 + n), f"Puskesmas Uji {1002 + n}", "Kota Serang", "Uji")
        for n in range(extra_facilities)
    ]
    for code, name, district, subdistrict in rows:
        facility = db.scalars(select(Facility).where(Facility.code == code)).first()
        if facility is None:
            facility = Facility(
                code=code,
                name=name,
                district=district,
                subdistrict=subdistrict,
                timezone="Asia/Jakarta",
                rooms="\n".join(ROOMS),
            )
            db.add(facility)
            db.flush()
        for spec in SERVICES:
            _seed_service(db, facility, spec, now, capacity)
    return db.scalar(select(func.count()).select_from(Facility)) or 0


def _seed_service(
    db: Session, facility: Facility, spec: DemoService, now: datetime, capacity: int | None
) -> None:
    service = db.scalars(
        select(Service).where(Service.facility_id == facility.id, Service.code == spec.code)
    ).first()
    if service is None:
        service = Service(
            facility_id=facility.id,
            code=spec.code,
            names=spec.names,
            prefix=spec.prefix,
            synonyms=spec.synonyms,
        )
        db.add(service)
        db.flush()
        for weekday in range(6):  # Monday to Saturday, as most puskesmas
            for start, end in spec.hours:
                db.add(
                    ScheduleTemplate(
                        service_id=service.id,
                        weekday=weekday,
                        start_time=start,
                        end_time=end,
                        capacity=DEFAULT_CAPACITY,
                    )
                )
    today = local_today(now, facility.timezone)
    for day in (today, today + timedelta(days=1)):
        for start, end in spec.hours:
            session = db.scalars(
                select(ClinicSession).where(
                    ClinicSession.service_id == service.id,
                    ClinicSession.day == day,
                    ClinicSession.start_time == start,
                )
            ).first()
            if session is None:
                db.add(
                    ClinicSession(
                        service_id=service.id,
                        day=day,
                        start_time=start,
                        end_time=end,
                        capacity=capacity or DEFAULT_CAPACITY,
                        doctor_name="dr. Rina Marlina" if spec.code == "UMUM" else None,
                    )
                )
            elif capacity is not None and capacity >= session.places_taken:
                session.capacity = capacity
