"""The tables of the booking engine (design §3)."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    Time,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.associationproxy import AssociationProxy, association_proxy
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    attribute_keyed_dict,
    mapped_column,
    relationship,
    validates,
)

from booking import limits
from texts import DEFAULT_LANGUAGE

# Stable constraint names so that Alembic migrations read the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Channel(enum.StrEnum):
    USSD = "ussd"
    SMS = "sms"
    STAFF = "staff"
    API = "api"


class SessionStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class BookingStatus(enum.StrEnum):
    BOOKED = "booked"
    CHECKED_IN = "checked_in"
    CALLED = "called"
    SERVED = "served"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"
    CANCELLED_BY_FACILITY = "cancelled_by_facility"


# Waiting or in the room: these hold a place in the queue and count as people ahead.
ACTIVE = (BookingStatus.BOOKED, BookingStatus.CHECKED_IN, BookingStatus.CALLED)
WAITING = (BookingStatus.BOOKED, BookingStatus.CHECKED_IN)
CANCELLED = (BookingStatus.CANCELLED, BookingStatus.CANCELLED_BY_FACILITY)
_ACTIVE_SQL = "status IN ('booked', 'checked_in', 'called')"

# How a booking row is locked before its status changes (`with_for_update=`): FOR NO KEY
# UPDATE on PostgreSQL. Two changes of the same row still wait for each other, but an insert
# that refers to the booking (an SMS about it in the outbox) need not: with FOR UPDATE, two
# cancellations that each write an "almost your turn" SMS for the other's patient deadlock.
ROW_UPDATE: dict[str, Any] = {"key_share": True}


class Priority(enum.StrEnum):
    """Why a patient is called before their number comes: lansia, ibu hamil, disabilitas."""

    ELDERLY = "elderly"
    PREGNANT = "pregnant"
    DISABLED = "disabled"


class PriorityRule(enum.StrEnum):
    """How a facility calls its priority patients (booking.calling.calling_order)."""

    FIRST = "first"  # before every other waiting patient
    EVERY_NTH = "every_nth"  # one after every N-1 other patients called


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"  # written with the change; not yet handed to a worker
    QUEUED = "queued"  # a send job exists
    SENT = "sent"  # the gateway accepted it
    DELIVERED = "delivered"
    FAILED = "failed"


class UtcDateTime(TypeDecorator[datetime]):
    """An aware datetime stored in UTC and read back aware on every database.

    SQLite keeps no offset: without this, a moment given in WIB would be compared as if it
    were UTC, seven hours off.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: give every moment a time zone")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=UTC)


def _enum(cls: type[enum.Enum]) -> Enum:
    # Stored as plain strings: portable, readable in SQL, and a new value needs no type migration.
    return Enum(cls, native_enum=False, length=24, values_callable=lambda e: [m.value for m in e])


class Facility(Base):
    __tablename__ = "facilities"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    district: Mapped[str] = mapped_column(String(60), index=True)
    subdistrict: Mapped[str] = mapped_column(String(60), default="")
    timezone: Mapped[str] = mapped_column(String(40), default="Asia/Jakarta")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Rules a facility may want to set (design §3).
    days_ahead: Mapped[int] = mapped_column(Integer, default=1)
    cutoff_minutes: Mapped[int] = mapped_column(Integer, default=60)
    minutes_per_patient: Mapped[int] = mapped_column(Integer, default=10)
    people_per_phone_per_day: Mapped[int] = mapped_column(Integer, default=5)
    almost_turn_ahead: Mapped[int] = mapped_column(Integer, default=3)
    evening_reminder: Mapped[time | None] = mapped_column(Time, default=time(18, 0))
    morning_reminder: Mapped[time | None] = mapped_column(Time, default=time(6, 0))
    # No reminders between these local times (direct answers and same-day news still go).
    quiet_from: Mapped[time] = mapped_column(Time, default=time(21, 0))
    quiet_until: Mapped[time] = mapped_column(Time, default=time(6, 0))
    # The rooms and counters staff call a number to ("Loket 1", "Ruang Periksa 2"), one a line.
    rooms: Mapped[str] = mapped_column(Text, default="", server_default="")
    priority_rule: Mapped[PriorityRule] = mapped_column(
        _enum(PriorityRule), default=PriorityRule.FIRST
    )
    priority_every: Mapped[int] = mapped_column(Integer, default=3)  # the N of EVERY_NTH
    # An ESC/POS thermal printer on the facility's network ("host:port"); None: tickets print
    # through the browser's print dialog only.
    ticket_printer: Mapped[str | None] = mapped_column(String(80))

    services: Mapped[list[Service]] = relationship(back_populates="facility")

    @property
    def room_names(self) -> list[str]:
        return [line for line in self.rooms.splitlines() if line]

    @validates("name", "district")
    def _fits_a_phone_screen(self, key: str, value: str) -> str:
        limit = limits.MAX_FACILITY_NAME if key == "name" else limits.MAX_DISTRICT_NAME
        return limits.within(f"facility {key}", value, limit)


class FacilityNumber(Base):
    """A number patients text that belongs to one facility: its long number, a short code, or
    its own Android phone. An SMS to it needs no facility code, and the facility's SMS leave
    from it, through the gateway that carries it."""

    __tablename__ = "facility_numbers"

    id: Mapped[int] = mapped_column(primary_key=True)
    # As gateways give it in an inbound SMS's "to": E.164 for a phone number, digits for a
    # short code, "android" for the Android phone of the deployment (booking.lines).
    number: Mapped[str] = mapped_column(String(32), unique=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    gateway: Mapped[str | None] = mapped_column(String(24))  # None: the default gateway

    facility: Mapped[Facility] = relationship()


class Service(Base):
    __tablename__ = "services"
    __table_args__ = (UniqueConstraint("facility_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"))
    code: Mapped[str] = mapped_column(String(16))
    prefix: Mapped[str] = mapped_column(String(2))
    bpjs_poli_code: Mapped[str | None] = mapped_column(String(8))
    synonyms: Mapped[str] = mapped_column(String(200), default="")  # comma-separated, for SMS
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    facility: Mapped[Facility] = relationship(back_populates="services")
    # Its name in each language of texts.LANGUAGES, one row each: a new language is data.
    # Loaded with the service (one more SELECT per batch), since pages read a service's name
    # after its transaction has ended.
    name_rows: Mapped[dict[str, ServiceName]] = relationship(
        collection_class=attribute_keyed_dict("language"),
        cascade="all, delete-orphan",
        lazy="selectin",
    )
    # {"id": "Poli Gigi", "en": "Dental clinic"}: read and set as a plain dict.
    names: AssociationProxy[dict[str, str]] = association_proxy(
        "name_rows",
        "name",
        creator=lambda language, name: ServiceName(language=language, name=name),
    )

    def name(self, language: str) -> str:
        return name_in(self.names, language)


class ServiceName(Base):
    """A service's name in one language, as patients read it on their phones."""

    __tablename__ = "service_names"

    service_id: Mapped[int] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), primary_key=True
    )
    language: Mapped[str] = mapped_column(String(8), primary_key=True)
    name: Mapped[str] = mapped_column(String(40))

    @validates("name")
    def _fits_a_phone_screen(self, _key: str, value: str) -> str:
        label = f"service name in {self.language}"
        return limits.within(label, value, limits.MAX_SERVICE_NAME)


def name_in(names: Mapping[str, str], language: str) -> str:
    """A name in `language`, or in the default language when it has none in that one."""
    return names.get(language) or names.get(DEFAULT_LANGUAGE) or next(iter(names.values()), "")


class ScheduleTemplate(Base):
    """A weekly practice slot from which sessions are generated."""

    __tablename__ = "schedule_templates"
    __table_args__ = (
        # One active template per service, weekday and start, kept by the database too: a
        # double-clicked "add" must not leave a hidden twin that goes on generating the slot
        # after the visible one is changed.
        Index(
            "uq_schedule_templates_active_slot",
            "service_id",
            "weekday",
            "start_time",
            unique=True,
            sqlite_where=text("active"),
            postgresql_where=text("active"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)  # 0 = Monday
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)
    capacity: Mapped[int] = mapped_column(Integer)
    doctor_name: Mapped[str | None] = mapped_column(String(60))
    bpjs_doctor_code: Mapped[str | None] = mapped_column(String(16))  # copied into its sessions
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    service: Mapped[Service] = relationship()


class Holiday(Base):
    __tablename__ = "holidays"
    __table_args__ = (UniqueConstraint("facility_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"))
    day: Mapped[date] = mapped_column(Date)
    name: Mapped[str] = mapped_column(String(60), default="")


class ClinicSession(Base):
    """A practice session of one service on one date: the queue that numbers belong to."""

    __tablename__ = "clinic_sessions"
    __table_args__ = (UniqueConstraint("service_id", "day", "start_time"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    day: Mapped[date] = mapped_column(Date, index=True)
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)
    doctor_name: Mapped[str | None] = mapped_column(String(60))
    capacity: Mapped[int] = mapped_column(Integer)
    status: Mapped[SessionStatus] = mapped_column(_enum(SessionStatus), default=SessionStatus.OPEN)
    cancel_reason: Mapped[str | None] = mapped_column(String(160))
    bpjs_doctor_code: Mapped[str | None] = mapped_column(String(16))  # BPJS's kodedokter
    # The counter row: capacity is checked against places_taken by one atomic UPDATE, so that
    # it holds under any concurrency. The number itself comes from the service's day
    # (ServiceDay); last_number is the last one this session gave.
    last_number: Mapped[int] = mapped_column(Integer, default=0)
    places_taken: Mapped[int] = mapped_column(Integer, default=0)
    now_serving: Mapped[int | None] = mapped_column(Integer)
    # Other patients called since the last priority patient: whose turn the next call is under
    # the "every Nth" rule. Changed only under the session's row lock, by call_next.
    calls_since_priority: Mapped[int] = mapped_column(Integer, default=0)

    service: Mapped[Service] = relationship()


class ServiceDay(Base):
    """The numbers of one service on one day: every session of that day draws from this one
    counter, so the afternoon goes on from the morning and no patient holds a twin of A-001."""

    __tablename__ = "service_days"

    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class Phone(Base):
    """What we remember about a phone number: its language, its facility, its opt-out."""

    __tablename__ = "phones"

    number: Mapped[str] = mapped_column(String(20), primary_key=True)  # E.164
    language: Mapped[str] = mapped_column(String(5), default="id")
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facilities.id"))
    reminders_off: Mapped[bool] = mapped_column(Boolean, default=False)


class Person(Base):
    """A patient: the phone owner (name_key '') or someone the phone books for."""

    __tablename__ = "persons"
    __table_args__ = (UniqueConstraint("phone", "name_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str | None] = mapped_column(String(20))  # None: a walk-in without a phone
    name: Mapped[str] = mapped_column(String(60), default="")
    name_key: Mapped[str] = mapped_column(String(60), default="")
    bpjs_number: Mapped[str | None] = mapped_column(String(13), index=True)


class Booking(Base):
    __tablename__ = "bookings"
    __table_args__ = (
        # The number a patient holds is the service's on that day, whichever session gave it.
        UniqueConstraint("service_id", "day", "number"),
        # One active booking per person per service per day, enforced by the database too,
        # so that two racing requests cannot both pass the check.
        Index(
            "uq_bookings_active_person_service_day",
            "person_id",
            "service_id",
            "day",
            unique=True,
            sqlite_where=text(_ACTIVE_SQL),
            postgresql_where=text(_ACTIVE_SQL),
        ),
        Index("ix_bookings_booked_by_day", "booked_by", "day"),
        Index("ix_bookings_session_status_number", "session_id", "status", "number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("clinic_sessions.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    day: Mapped[date] = mapped_column(Date)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    booked_by: Mapped[str | None] = mapped_column(String(20))  # E.164; None for a walk-in
    channel: Mapped[Channel] = mapped_column(_enum(Channel))
    number: Mapped[int] = mapped_column(Integer)
    display: Mapped[str] = mapped_column(String(8))
    status: Mapped[BookingStatus] = mapped_column(
        _enum(BookingStatus), default=BookingStatus.BOOKED
    )
    confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    skipped: Mapped[bool] = mapped_column(Boolean, default=False)
    priority: Mapped[Priority | None] = mapped_column(_enum(Priority))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    called_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    session: Mapped[ClinicSession] = relationship()
    person: Mapped[Person] = relationship()


def display_number(prefix: str, number: int) -> str:
    """The number as printed on the ticket and spoken in the waiting room: "A-012"."""
    return f"{prefix}-{number:03d}"


class Event(Base):
    """Every state change: what, to which booking or session, by whom, through which channel.

    `request_key` makes every entry point idempotent: the change a key caused is recorded once
    (unique), and a second request with that key is answered from it.
    """

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    kind: Mapped[str] = mapped_column(String(32))
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id"), index=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("clinic_sessions.id"), index=True)
    actor: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    request_key: Mapped[str | None] = mapped_column(String(160), unique=True)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Outbox(Base):
    """An outbound SMS, written in the same transaction as the change that caused it."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), index=True)
    body: Mapped[str] = mapped_column(String(160))
    kind: Mapped[str] = mapped_column(String(32))
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id"), index=True)
    # At most one message per purpose (e.g. "reminder-evening:42"): a second scan or a retried
    # request cannot write it again.
    dedupe_key: Mapped[str | None] = mapped_column(String(160), unique=True)
    direct_answer: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[OutboxStatus] = mapped_column(
        _enum(OutboxStatus), default=OutboxStatus.PENDING, index=True
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # The sender's claim: the name of the gateway that has the row (see sms.sending).
    gateway: Mapped[str | None] = mapped_column(String(24))
    gateway_id: Mapped[str | None] = mapped_column(String(80), index=True)
    # Where it leaves from, for a reply: the gateway the SMS came in on and the number it was
    # sent to. None: the booking's facility's own number, else the default gateway.
    route_gateway: Mapped[str | None] = mapped_column(String(24))
    route_number: Mapped[str | None] = mapped_column(String(32))
    cost: Mapped[str | None] = mapped_column(String(24))
    error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class BpjsCall(Base):
    """A call to BPJS's Antrean FKTP service (antrean/add, /panggil, /batal), written in the same
    transaction as the change that causes it and sent in id order per booking, once."""

    __tablename__ = "bpjs_calls"
    __table_args__ = (Index("ix_bpjs_calls_booking_status", "booking_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"))
    path: Mapped[str] = mapped_column(String(32))  # "antrean/add"
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    # pending → sending (claimed by a sender) → sent, or refused (BPJS's code ≠ 200: final).
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    code: Mapped[int | None] = mapped_column(Integer)  # BPJS's metadata.code
    message: Mapped[str | None] = mapped_column(String(200))  # BPJS's words, or why not sent
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # When the sender now holding it (status "sending") claimed it; the sweep frees a claim
    # older than any live sender can take (bpjs.calls.free_stale).
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
