"""The district figures: plain queries over the records Antre already keeps.

Everything here takes a SQLAlchemy session and a `Scope` and returns `Figures`: a list of
tables of plain values that the page, the CSV export, the JSON endpoint and the command line
all render. No phone number and no name ever leaves this module; phones are used only to join.

Attribution and periods:
- bookings belong to the facility of their service and to the day of the visit (`day`, already
  the facility's local date);
- USSD sessions belong to the facility the session was on (sessions that never chose one are
  seen only in the all-districts view) and to the local day they started;
- inbound SMS and outbound SMS without a booking belong to the facility the phone last used;
- moments are compared with the period's local midnights in the facilities' time zone.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, distinct, false, func, select, text, tuple_
from sqlalchemy.orm import Session

from booking.clock import zone
from booking.models import (
    Booking,
    BookingStatus,
    Channel,
    Event,
    Facility,
    Outbox,
    OutboxStatus,
    Phone,
    Service,
)
from figures.scrub import for_grouping
from sms.models import InboundSms
from texts import N_
from ussd.models import UssdSession, UssdStep

LONGEST_PERIOD = 366  # days
TOP_TEXTS = 10
DEFAULT_TIMEZONE = "Asia/Jakarta"

# The channels in the order the page shows them, with the words a district office uses.
CHANNELS: tuple[tuple[Channel, str], ...] = (
    (Channel.USSD, "USSD"),
    (Channel.SMS, "SMS"),
    (Channel.STAFF, "walk-in"),
    (Channel.API, "API"),
)

# The USSD path to a number, as screen ids of menus/tree.py (a test checks they exist).
FUNNEL: tuple[tuple[str, tuple[str, ...]], ...] = (
    (N_("dialled"), ()),
    (N_("saw the services"), ("service",)),
    (N_("chose a service"), ("when",)),
    (N_("chose a time"), ("confirm",)),
    (N_("got a number"), ("booked", "booked_for")),
)

Cell = str | int | float | None


@dataclass(frozen=True)
class Scope:
    """Which facilities and which days: a district (None: all), perhaps one facility."""

    start: date
    end: date  # inclusive
    district: str | None = None
    facility: str | None = None  # a facility code

    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]

    def problem(self) -> str | None:
        """Why this scope cannot be shown, in words for the person who asked, or None."""
        if self.end < self.start:
            return N_("the period ends before it starts")
        if (self.end - self.start).days + 1 > LONGEST_PERIOD:
            return f"the period is longer than {LONGEST_PERIOD} days"
        return None

    def as_dict(self) -> dict[str, str | None]:
        return {
            "district": self.district,
            "facility": self.facility,
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
        }


@dataclass(frozen=True)
class Column:
    name: str
    count: bool = True  # a count of people or messages: values 1-4 are hidden in exports


@dataclass
class Table:
    name: str  # the key in JSON and the CSV file name
    title: str
    columns: tuple[Column, ...]
    rows: list[tuple[Cell, ...]] = field(default_factory=list)

    def column(self, name: str) -> list[Cell]:
        index = [c.name for c in self.columns].index(name)
        return [row[index] for row in self.rows]

    def value(self, label: str, column: int = 1) -> Cell:
        """The cell in `column` of the row whose first cell is `label`."""
        for row in self.rows:
            if row[0] == label:
                return row[column]
        raise KeyError(label)


@dataclass
class Figures:
    scope: Scope
    timezone: str
    facilities: int
    tables: list[Table]

    def table(self, name: str) -> Table:
        for table in self.tables:
            if table.name == name:
                return table
        raise KeyError(name)


@dataclass(frozen=True)
class _Place:
    id: int
    code: str
    name: str
    district: str
    subdistrict: str
    timezone: str


def districts(db: Session) -> list[str]:
    return list(db.scalars(select(Facility.district).distinct().order_by(Facility.district)))


def facilities_of(db: Session, district: str | None) -> list[tuple[str, str]]:
    """(code, name) of the facilities of a district (all when None), for the page's picker."""
    query = select(Facility.code, Facility.name).order_by(Facility.code)
    if district is not None:
        query = query.where(Facility.district == district)
    return [(code, name) for code, name in db.execute(query)]


def district_of(db: Session, facility_id: int | None) -> str | None:
    if facility_id is None:
        return None
    return db.scalar(select(Facility.district).where(Facility.id == facility_id))


def code_of(db: Session, facility_id: int | None) -> str | None:
    if facility_id is None:
        return None
    return db.scalar(select(Facility.code).where(Facility.id == facility_id))


def compute(db: Session, scope: Scope) -> Figures:
    """Every figure of the page for one scope."""
    if db.get_bind().dialect.name == "postgresql":
        # The sorts behind the medians and the funnel's distinct counts stay in memory.
        db.execute(text("SET LOCAL work_mem = '64MB'"))
    places = _places(db, scope)
    everywhere = scope.district is None and scope.facility is None
    ids = [p.id for p in places]
    timezone = _timezone(places)
    lo, hi = _moments(scope, timezone)

    counts = _booking_counts(db, scope, ids, everywhere)
    per_place = _booking_counts_per_facility(db, scope, ids, everywhere)
    waits, wait_all = _median_waits(db, scope, ids, everywhere)
    tables = [
        _bookings_by_channel(counts),
        _bookings_by_day(scope, counts),
        _cancellations(counts, wait_all),
        _per_facility(places, per_place, waits),
        *_ussd(db, ids, everywhere, lo, hi),
        *_sms_not_understood(db, ids, everywhere, lo, hi),
        _delivery_failures(db, ids, everywhere, lo, hi),
    ]
    return Figures(scope, timezone, len(places), tables)


def _places(db: Session, scope: Scope) -> list[_Place]:
    query = select(
        Facility.id,
        Facility.code,
        Facility.name,
        Facility.district,
        Facility.subdistrict,
        Facility.timezone,
    ).order_by(Facility.district, Facility.code)
    if scope.district is not None:
        query = query.where(Facility.district == scope.district)
    if scope.facility is not None:
        query = query.where(Facility.code == scope.facility)
    return [_Place(*row) for row in db.execute(query)]


def _timezone(places: list[_Place]) -> str:
    zones = Counter(p.timezone for p in places)
    return zones.most_common(1)[0][0] if zones else DEFAULT_TIMEZONE


def _moments(scope: Scope, timezone: str) -> tuple[datetime, datetime]:
    """The period as [first local midnight, the midnight after the last day), in UTC."""
    tz = zone(timezone)
    lo = datetime.combine(scope.start, time(0), tzinfo=tz).astimezone(UTC)
    hi = datetime.combine(scope.end + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    return lo, hi


def _in_facilities(column: Any, ids: list[int], everywhere: bool) -> ColumnElement[bool] | None:
    if everywhere:
        return None
    if not ids:
        return false()
    result: ColumnElement[bool] = column.in_(ids)
    return result


def _present(*conditions: ColumnElement[bool] | None) -> list[ColumnElement[bool]]:
    return [c for c in conditions if c is not None]


def _most_first(counts: Counter[str]) -> list[tuple[Cell, ...]]:
    """(label, count) rows, the largest count first, ties in alphabetical order."""
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [(label, n) for label, n in ordered]


# --- bookings --------------------------------------------------------------------------------

_Counts = dict[tuple[date, Channel, BookingStatus], int]


def _booking_scope(scope: Scope, ids: list[int], everywhere: bool) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [Booking.day >= scope.start, Booking.day <= scope.end]
    if not everywhere:
        services = select(Service.id).where(Service.facility_id.in_(ids))
        conditions.append(Booking.service_id.in_(services) if ids else false())
    return conditions


def _booking_counts(db: Session, scope: Scope, ids: list[int], everywhere: bool) -> _Counts:
    query = (
        select(Booking.day, Booking.channel, Booking.status, func.count())
        .where(*_booking_scope(scope, ids, everywhere))
        .group_by(Booking.day, Booking.channel, Booking.status)
    )
    return {(day, channel, status): n for day, channel, status, n in db.execute(query)}


def _booking_counts_per_facility(
    db: Session, scope: Scope, ids: list[int], everywhere: bool
) -> dict[int, Counter[tuple[Channel, BookingStatus]]]:
    query = (
        select(Service.facility_id, Booking.channel, Booking.status, func.count())
        .join(Service, Booking.service_id == Service.id)
        .where(*_booking_scope(scope, ids, everywhere))
        .group_by(Service.facility_id, Booking.channel, Booking.status)
    )
    result: dict[int, Counter[tuple[Channel, BookingStatus]]] = defaultdict(Counter)
    for facility_id, channel, status, n in db.execute(query):
        result[facility_id][(channel, status)] += n
    return result


def _median_waits(
    db: Session, scope: Scope, ids: list[int], everywhere: bool
) -> tuple[dict[int, float], float | None]:
    """Median minutes from booking to being called, per facility and over the whole scope."""
    conditions = [*_booking_scope(scope, ids, everywhere), Booking.called_at.is_not(None)]
    if db.get_bind().dialect.name == "postgresql":
        seconds = func.extract("epoch", Booking.called_at - Booking.created_at)
        median = func.percentile_cont(0.5).within_group(seconds)
        # One pass for both: per facility, and the grand total (the row whose facility is NULL).
        rows = db.execute(
            select(Service.facility_id, median)
            .join(Service, Booking.service_id == Service.id)
            .where(*conditions)
            .group_by(func.grouping_sets(tuple_(Service.facility_id), tuple_()))
        ).all()
        waits = {f: _minutes(value) for f, value in rows if f is not None}
        overall = [value for f, value in rows if f is None and value is not None]
        return waits, _minutes(overall[0]) if overall else None
    # SQLite has no percentile function; an embedded install has few enough rows for Python.
    by_place: dict[int, list[float]] = defaultdict(list)
    pairs = db.execute(
        select(Service.facility_id, Booking.created_at, Booking.called_at)
        .join(Service, Booking.service_id == Service.id)
        .where(*conditions)
    )
    for facility_id, created, called in pairs:
        if called is not None:
            by_place[facility_id].append((called - created).total_seconds())
    every = [s for values in by_place.values() for s in values]
    waits = {f: _minutes(statistics.median(values)) for f, values in by_place.items()}
    return waits, _minutes(statistics.median(every)) if every else None


def _minutes(seconds: float) -> float:
    return round(float(seconds) / 60, 1)


def _bookings_by_channel(counts: _Counts) -> Table:
    by_channel = Counter[Channel]()
    for (_day, channel, _status), n in counts.items():
        by_channel[channel] += n
    table = Table(
        "bookings_by_channel",
        N_("Bookings by channel"),
        (Column(N_("channel"), False), Column(N_("bookings"))),
    )
    for channel, label in CHANNELS:
        table.rows.append((label, by_channel[channel]))
    table.rows.append((N_("all"), sum(by_channel.values())))
    return table


def _bookings_by_day(scope: Scope, counts: _Counts) -> Table:
    per_day: dict[date, Counter[Channel]] = defaultdict(Counter)
    for (day, channel, _status), n in counts.items():
        per_day[day][channel] += n
    columns = (
        Column(N_("day"), False),
        *(Column(label) for _c, label in CHANNELS),
        Column(N_("all")),
    )
    table = Table("bookings_by_day", N_("Bookings per day by channel"), columns)
    for day in scope.days():
        found = per_day.get(day, Counter())
        values = [found[channel] for channel, _label in CHANNELS]
        table.rows.append((day.isoformat(), *values, sum(values)))
    return table


def _cancellations(counts: _Counts, median_wait: float | None) -> Table:
    by_status = Counter[BookingStatus]()
    for (_day, _channel, status), n in counts.items():
        by_status[status] += n
    table = Table(
        "cancellations",
        N_("Cancellations, no-shows and waiting"),
        (Column("", False), Column(N_("value"))),
    )
    table.rows += [
        (N_("bookings"), sum(by_status.values())),
        (N_("cancelled by the patient"), by_status[BookingStatus.CANCELLED]),
        (N_("cancelled by the facility"), by_status[BookingStatus.CANCELLED_BY_FACILITY]),
        (N_("no-shows"), by_status[BookingStatus.NO_SHOW]),
        (N_("served"), by_status[BookingStatus.SERVED]),
    ]
    # A median is not a count of people: it is never hidden as "<5".
    table.rows.append((N_("median minutes from booking to being called"), median_wait))
    return table


def _per_facility(
    places: list[_Place],
    per_place: dict[int, Counter[tuple[Channel, BookingStatus]]],
    waits: dict[int, float],
) -> Table:
    columns = (
        Column(N_("code"), False),
        Column(N_("facility"), False),
        Column(N_("district"), False),
        Column(N_("bookings")),
        *(Column(label) for _c, label in CHANNELS),
        Column(N_("cancelled by patient")),
        Column(N_("cancelled by facility")),
        Column(N_("no-shows")),
        Column(N_("median wait (min)"), False),
    )
    table = Table("facilities", N_("Per facility"), columns)
    for place in places:
        found = per_place.get(place.id, Counter())
        channels = Counter[Channel]()
        statuses = Counter[BookingStatus]()
        for (channel, status), n in found.items():
            channels[channel] += n
            statuses[status] += n
        table.rows.append(
            (
                place.code,
                place.name,
                place.district,
                sum(channels.values()),
                *(channels[channel] for channel, _label in CHANNELS),
                statuses[BookingStatus.CANCELLED],
                statuses[BookingStatus.CANCELLED_BY_FACILITY],
                statuses[BookingStatus.NO_SHOW],
                waits.get(place.id),
            )
        )
    return table


# --- USSD ------------------------------------------------------------------------------------


def _ussd(db: Session, ids: list[int], everywhere: bool, lo: datetime, hi: datetime) -> list[Table]:
    conditions = _present(
        UssdSession.started_at >= lo,
        UssdSession.started_at < hi,
        _in_facilities(UssdSession.facility_id, ids, everywhere),
    )
    outcomes = db.execute(
        select(UssdSession.outcome, UssdSession.last_screen, func.count())
        .where(*conditions)
        .group_by(UssdSession.outcome, UssdSession.last_screen)
    ).all()
    started = sum(n for _o, _s, n in outcomes)
    finished = sum(n for outcome, _s, n in outcomes if outcome == "finished")
    stopped = Counter[str]()
    for outcome, screen, n in outcomes:
        if outcome != "finished":
            stopped[screen] += n

    sessions = Table(
        "ussd_sessions", N_("USSD sessions"), (Column("", False), Column(N_("sessions")))
    )
    sessions.rows += [
        (N_("started"), started),
        (N_("finished"), finished),
        (N_("unfinished"), started - finished),
    ]
    stops = Table(
        "ussd_stopped_at",
        N_("Where unfinished USSD sessions stopped"),
        (Column(N_("screen"), False), Column(N_("sessions"))),
    )
    stops.rows += _most_first(stopped)

    screens = [s for _label, group in FUNNEL for s in group]
    reached: dict[str, int] = dict(
        db.execute(
            select(UssdStep.screen, func.count(distinct(UssdStep.session_id)))
            .join(UssdSession, UssdStep.session_id == UssdSession.id)
            .where(UssdStep.screen.in_(screens), *conditions)
            .group_by(UssdStep.screen)
        ).all()
    )
    funnel = Table(
        "ussd_funnel",
        N_("USSD funnel: sessions that got this far"),
        (Column(N_("step"), False), Column(N_("sessions"))),
    )
    for label, group in FUNNEL:
        funnel.rows.append((label, sum(reached.get(s, 0) for s in group) if group else started))
    return [sessions, funnel, stops]


# --- SMS -------------------------------------------------------------------------------------


def _phone_in_facilities(
    phone_column: Any, ids: list[int], everywhere: bool
) -> ColumnElement[bool] | None:
    if everywhere:
        return None
    if not ids:
        return false()
    result: ColumnElement[bool] = phone_column.in_(
        select(Phone.number).where(Phone.facility_id.in_(ids))
    )
    return result


def _sms_not_understood(
    db: Session, ids: list[int], everywhere: bool, lo: datetime, hi: datetime
) -> list[Table]:
    conditions = _present(
        InboundSms.received_at >= lo,
        InboundSms.received_at < hi,
        _phone_in_facilities(InboundSms.phone, ids, everywhere),
    )
    totals: dict[bool, int] = dict(
        db.execute(
            select(InboundSms.understood, func.count())
            .where(*conditions)
            .group_by(InboundSms.understood)
        ).all()
    )
    received = sum(totals.values())
    summary = Table("sms_inbound", N_("SMS received"), (Column("", False), Column(N_("messages"))))
    summary.rows += [
        (N_("received"), received),
        (N_("understood"), totals.get(True, 0)),
        (N_("not understood"), totals.get(False, 0)),
    ]
    texts = Counter[str]()
    raw = db.execute(
        select(InboundSms.text, func.count())
        .where(InboundSms.understood.is_(False), *conditions)
        .group_by(InboundSms.text)
    )
    for message, n in raw:
        texts[for_grouping(message)] += n
    common = Table(
        "sms_not_understood",
        N_("Most common SMS not understood (phone numbers and names removed)"),
        (Column(N_("text"), False), Column(N_("messages"))),
    )
    common.rows += _most_first(texts)[:TOP_TEXTS]
    return [summary, common]


def _delivery_failures(
    db: Session, ids: list[int], everywhere: bool, lo: datetime, hi: datetime
) -> Table:
    query = select(Outbox.error, func.count()).where(
        Outbox.status == OutboxStatus.FAILED,
        Outbox.created_at >= lo,
        Outbox.created_at < hi,
    )
    if not everywhere:
        # The facility of the booking the SMS is about, else the one its phone last used.
        query = (
            query.outerjoin(Booking, Outbox.booking_id == Booking.id)
            .outerjoin(Service, Booking.service_id == Service.id)
            .outerjoin(Phone, Outbox.phone == Phone.number)
            .where(func.coalesce(Service.facility_id, Phone.facility_id).in_(ids or [-1]))
        )
    reasons = Counter[str]()
    for error, n in db.execute(query.group_by(Outbox.error)):
        reasons[for_grouping(error or "unknown", upper=False)] += n
    table = Table(
        "delivery_failures",
        N_("SMS delivery failures by reason"),
        (Column(N_("reason"), False), Column(N_("messages"))),
    )
    table.rows += _most_first(reasons)
    table.rows.append((N_("all"), sum(reasons.values())))
    return table


def exports_logged(db: Session) -> int:
    """How many exports the event log holds (for tests and the page's footer)."""
    return db.scalar(select(func.count()).where(Event.kind == "figures_exported")) or 0
