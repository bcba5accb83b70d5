"""The SMS corpus (tests/sms_corpus.yaml) through the real inbound endpoint.

Each message is POSTed to `/sms/incoming` as Africa's Talking sends it, on a fresh copy of a
SQLite database made for its context (a returning sender, a reminder just sent, a question
just asked), and what happened is read back from the database: the booking made, the
cancellation, the question now waiting, the reply sent. tests/test_sms_corpus_endpoint.py
judges those against the corpus.

Run on its own, it counts what the figures page would show as "SMS not understood" after the
whole corpus: `python -m bench.sms_corpus`. It needs only the app's public parts, so a copy of
it outside any checkout (bench/sms.py would hide the `sms` package) also runs against an older
one: `PYTHONPATH=/path/to/checkout python /tmp/sms_corpus.py --corpus tests/sms_corpus.yaml`.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import time_machine
import yaml
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from booking.clock import local_today

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "sms_corpus.yaml"
NOW = datetime(2026, 11, 23, 0, 30, tzinfo=UTC)  # Monday 07:30 in Serang
BEFORE = NOW - timedelta(minutes=2)  # when the context was made
PHONE = "+6281234567890"
SHORT_CODE = "21345"
HELD_NAME = "Warsinah"  # the person the phone's standing booking A-012 is for
WIDE_WINDOW = 75  # days ahead: every date the corpus names can be booked, so its day is seen
FACILITIES = (
    ("1001", "Puskesmas Cipocok Jaya"),
    ("2001", "Puskesmas Walantaka"),
    ("3001", "Puskesmas Kramatwatu"),
)
SERVICE_NAMES = {
    "UMUM": "Poli Umum", "GIGI": "Poli Gigi", "KIA": "Poli KIA", "KB": "Poli KB",
    "IMUNISASI": "Poli Imunisasi", "LANSIA": "Poli Lansia", "TB": "Poli TB", "GIZI": "Poli Gizi",
    "MTBS": "Poli MTBS",
}  # fmt: skip
CONTEXTS = ("none", "after_reminder", "after_ask_facility", "after_ask_day")


def cases(path: Path = CORPUS) -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return loaded


@dataclass
class Outcome:
    """What one SMS did: `action` and the slots it filled, the reply, whether it was
    understood (as the inbound record, which the figures count, says)."""

    action: str
    reply: str | None
    understood: bool
    slots: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"action": self.action, **self.slots}


class Context:
    """One context's database, built once, and a working copy reset before every message."""

    def __init__(self, name: str, folder: Path, migrated: Path) -> None:
        from antre import create_app

        self.name = name
        self.template = folder / f"{name}.template.sqlite3"
        self.work = folder / f"{name}.sqlite3"
        shutil.copyfile(migrated, self.template)
        self.app: Flask = create_app(
            {
                "DATABASE_URL": f"sqlite:///{self.template}",
                "TESTING": True,
                "SECRET_KEY": "corpus",
                "REDIS_URL": None,
            }
        )
        self.app.instance_path = str(folder / "instance")
        _quiet(self.app)
        self.client = self.app.test_client()
        self.days_ahead = 1 if name == "after_ask_day" else WIDE_WINDOW
        with time_machine.travel(BEFORE, tick=False):
            self._build()
        self.baseline = self.not_understood()  # the context's own SMS, before any case
        self._dispose()
        self.app = create_app(
            {
                "DATABASE_URL": f"sqlite:///{self.work}",
                "TESTING": True,
                "SECRET_KEY": "corpus",
                "REDIS_URL": None,
            }
        )
        self.app.instance_path = str(folder / "instance")
        _quiet(self.app)
        self.client = self.app.test_client()

    # --- building the context ----------------------------------------------------------------

    def _build(self) -> None:
        from antre import database_of

        database = database_of(self.app)
        database.run(lambda s: _facilities(s, self.days_ahead))
        if self.name in ("none", "after_reminder"):
            database.run(_held_booking)
        if self.name != "after_ask_facility":
            self._post("JADWAL 1001")  # a returning sender: 1001 is remembered
        if self.name == "after_reminder":
            database.run(_reminder)
        if self.name == "after_ask_facility":
            self._post("ANTRE UMUM")  # a first-time sender: asked which puskesmas
        if self.name == "after_ask_day":
            self._post("ANTRE UMUM KAPAN")  # asked "1 hari ini, 2 besok"

    def _post(self, text: str) -> str:
        gateway_id = f"ATXid_{uuid.uuid4().hex}"
        form = {
            "from": PHONE,
            "to": SHORT_CODE,
            "text": text,
            "date": "2026-11-23 07:30:00",
            "id": gateway_id,
            "linkId": "",
            "networkCode": "51010",
        }
        response = self.client.post("/sms/incoming", data=form)
        assert response.status_code == 200, response.get_data(as_text=True)
        return gateway_id

    def _dispose(self) -> None:
        from antre import database_of

        database_of(self.app).dispose()

    # --- one message -------------------------------------------------------------------------

    def send(self, text: str) -> Outcome:
        """`text` from the phone on a fresh copy of this context, at NOW; what it did."""
        gateway_id = self.post(text)
        from antre import database_of

        return database_of(self.app).run(lambda s: _outcome(s, gateway_id))

    def post(self, text: str) -> str:
        """Only send `text` on a fresh copy (what the count needs, in any checkout)."""
        self._dispose()
        shutil.copyfile(self.template, self.work)
        with time_machine.travel(NOW, tick=False):
            return self._post(text)

    def not_understood(self) -> int:
        """The figures page's "not understood" count for today, every facility, as it stands."""
        from antre import database_of
        from figures.queries import Scope, compute

        today = local_today(NOW, "Asia/Jakarta")
        figures = database_of(self.app).run(lambda s: compute(s, Scope(today, today)))
        return int(figures.table("sms_inbound").value("not understood") or 0)

    def close(self) -> None:
        from antre import jobs

        jobs.runner(self.app).stop()
        self._dispose()


def _quiet(app: Flask) -> None:
    """Replies stay in the outbox: nobody sends them (no gateway is asked anything)."""
    outbox = app.extensions.get("sms.outbox")
    if outbox is not None:
        outbox.hand_over = None


def _facilities(db: Session, days_ahead: int) -> None:
    """Facilities 1001, 2001, 3001 with the parser's default services, open every day."""
    from booking import schedule
    from booking.models import Facility, ScheduleTemplate, Service
    from sms.parser import DEFAULT_SERVICES

    for code, name in FACILITIES:
        facility = Facility(
            code=code,
            name=name,
            district="Kota Serang",
            subdistrict=name.split(" ", 1)[1],
            timezone="Asia/Jakarta",
            days_ahead=days_ahead,
        )
        db.add(facility)
        db.flush()
        for prefix, (service_code, words) in zip(
            "ABCDEFGHI", DEFAULT_SERVICES.items(), strict=True
        ):
            service = Service(
                facility_id=facility.id,
                code=service_code,
                names={
                    "id": SERVICE_NAMES.get(service_code, service_code),
                    "en": service_code.title(),
                },
                prefix=prefix,
                synonyms=",".join(words),
            )
            db.add(service)
            db.flush()
            for weekday in range(7):
                db.add(
                    ScheduleTemplate(
                        service_id=service.id,
                        weekday=weekday,
                        start_time=time(8),
                        end_time=time(12),
                        capacity=40,
                    )
                )
    db.flush()
    schedule.generate(db, NOW.date(), days_ahead + 1)


def _umum_tomorrow(db: Session) -> int:
    from booking.models import ClinicSession, Facility, Service

    return db.scalars(
        select(ClinicSession.id)
        .join(Service, ClinicSession.service_id == Service.id)
        .join(Facility, Service.facility_id == Facility.id)
        .where(
            Facility.code == "1001",
            Service.code == "UMUM",
            ClinicSession.day == NOW.date() + timedelta(days=1),
        )
    ).one()


def _held_booking(db: Session) -> None:
    """A-012 for tomorrow's Poli Umum at 1001, for someone this phone books for."""
    from booking.commands import TakeNumber
    from booking.models import Channel
    from booking.taking import take_number

    session_id = _umum_tomorrow(db)
    for n in range(11):
        take_number(db, TakeNumber(session_id, f"+62813000000{n:02d}", Channel.USSD), BEFORE)
    take_number(db, TakeNumber(session_id, PHONE, Channel.SMS, name=HELD_NAME), BEFORE)


def _reminder(db: Session) -> None:
    """The evening reminder about A-012, sent a little while ago."""
    from booking import notices, records
    from booking.models import Booking

    held = db.scalars(select(Booking).where(Booking.booked_by == PHONE)).one()
    records.sms(
        db,
        phone=PHONE,
        body="Pengingat A-012 besok. Balas 1 jika datang, 9 untuk batal.",
        kind=notices.EVENING_REMINDER,
        now=NOW - timedelta(minutes=30),
        booking_id=held.id,
        dedupe_key=f"corpus-reminder:{held.id}",
    )


# --- reading back what happened --------------------------------------------------------------


def _outcome(db: Session, gateway_id: str) -> Outcome:
    from booking.models import Booking, BookingStatus, Facility, Outbox, Phone
    from sms.models import InboundSms

    inbound = db.scalars(select(InboundSms).where(InboundSms.gateway_id == gateway_id)).one()
    reply_row = db.scalars(select(Outbox).where(Outbox.dedupe_key == f"reply:{gateway_id}")).first()
    reply = reply_row.body if reply_row is not None else None
    done = _Reading(inbound.understood, reply)
    phone = db.get(Phone, PHONE)
    remembered = db.get(Facility, phone.facility_id) if phone and phone.facility_id else None

    bookings = list(db.scalars(select(Booking).where(Booking.booked_by == PHONE)))
    new = [b for b in bookings if b.person.name != HELD_NAME]  # the context holds only A-012
    held = next((b for b in bookings if b.person.name == HELD_NAME), None)
    if new:
        booking = new[-1]
        return done.outcome(
            "book",
            service=booking.session.service.code,
            date=booking.day,
            facility=booking.session.service.facility.code,
            name=booking.person.name or None,
            card=booking.person.bpjs_number or None,
            count=len(new),
        )
    if held is not None and held.status != BookingStatus.BOOKED:
        return done.outcome("cancel", ticket=held.display)
    if held is not None and getattr(held, "confirmed", False):
        return done.outcome("confirm", ticket=held.display)
    pending = _pending(db)
    if pending is not None:
        facility = db.get(Facility, pending.facility_id) if pending.facility_id else None
        return done.outcome(
            f"ask_{pending.asked}",
            service=pending.service or None,
            day=_day_label(pending.day),
            facility=facility.code if facility else None,
            name=pending.for_name or None,
        )
    kind = inbound.command
    if _outside_window(db, reply):
        return done.outcome("refused", outside_window=True)
    if _card_invalid(reply):
        return done.outcome("card_invalid")
    if kind == "cancel":
        asked = held is not None and reply is not None and held.display in reply
        return done.outcome("cancel", ticket=held.display if asked else None, asked=True)
    if not inbound.understood or kind in ("unknown", "digit", "answer"):
        return done.outcome("not_understood")
    if kind == "book":
        return done.outcome("refused", outside_window=False)
    names = {"setlanguage": "language", "checkin": "checkin"}
    slots: dict[str, Any] = {}
    if kind == "schedule":
        slots["facility"] = remembered.code if remembered else None
    if kind == "setlanguage":
        slots["language"] = phone.language if phone else None
    return done.outcome(names.get(kind, kind), **slots)


@dataclass
class _Reading:
    understood: bool
    reply: str | None

    def outcome(self, action: str, **slots: Any) -> Outcome:
        return Outcome(action, self.reply, self.understood, slots)


def _pending(db: Session) -> Any:
    try:
        from sms.models import PendingRequest
    except ImportError:  # a checkout from before questions were asked
        return None
    row = db.scalars(select(PendingRequest).where(PendingRequest.phone == PHONE)).first()
    return row if row is not None and _aware(row.created_at) >= NOW else None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _day_label(encoded: str) -> str:
    """The corpus's name for a day a pending request keeps ("tomorrow", "monday", "03-12")."""
    if not encoded:
        return "none"
    kind, weekday, day, month = encoded.split(":")
    if kind == "weekday":
        return WEEKDAYS[int(weekday)]
    if kind == "date":
        return f"{int(day):02d}-{int(month):02d}" if month else f"{int(day):02d}-??"
    return kind


WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def _outside_window(db: Session, reply: str | None) -> bool:
    """Whether the reply is the refusal of a day the facility does not book yet."""
    from booking.availability import outside_window
    from booking.models import Facility
    from sms import replies

    facility = db.scalars(select(Facility).where(Facility.code == "1001")).one()
    return reply == replies.refusal("id", outside_window(facility, NOW))


def _card_invalid(reply: str | None) -> bool:
    """Whether the reply is the refusal of a card number that is not 13 digits."""
    from sms import replies

    template = getattr(replies, "CARD_INVALID", None)  # older checkouts read no card
    if template is None or reply is None:
        return False
    return any(reply == replies.render("id", template, count=n) for n in range(40))


def date_of(label: str, today: date) -> date | None:
    """The date a corpus day label means, seen from `today` ("none": the first bookable day)."""
    if label in ("today", "none"):
        return today
    if label == "tomorrow":
        return today + timedelta(days=1)
    if label == "day_after":
        return today + timedelta(days=2)
    if label in WEEKDAYS:
        return today + timedelta(days=(WEEKDAYS.index(label) - today.weekday()) % 7)
    day, month = label.split("-")
    if month == "??":
        found = today.replace(day=int(day)) if int(day) >= today.day else None
        if found is None:
            year, next_month = (
                (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
            )
            found = date(year, next_month, int(day))
        return found
    candidate = date(today.year, int(month), int(day))
    return candidate if (today - candidate).days <= 180 else candidate.replace(year=today.year + 1)


@contextmanager
def contexts(folder: Path) -> Iterator[dict[str, Context]]:
    """Every context's database, under `folder`."""
    from antre import migrate

    migrated = folder / "migrated.sqlite3"
    migrate.upgrade(f"sqlite:///{migrated}")
    built = {name: Context(name, folder, migrated) for name in CONTEXTS}
    try:
        yield built
    finally:
        for context in built.values():
            context.close()


def run(corpus: list[dict[str, Any]], folder: Path) -> list[tuple[dict[str, Any], Outcome]]:
    with contexts(folder) as built:
        return [
            (case, built[case.get("context") or "none"].send(str(case["text"]))) for case in corpus
        ]


def main(argv: list[str]) -> None:
    """Each corpus SMS on its context's fresh copy; the figures page's "SMS not understood"
    for the day, summed over the messages (the context's own set-up SMS not counted)."""
    counted = Counter[str]()
    with tempfile.TemporaryDirectory() as folder, contexts(Path(folder)) as built:
        corpus = Path(argv[argv.index("--corpus") + 1]) if "--corpus" in argv else CORPUS
        for case in cases(corpus):
            context = built[case.get("context") or "none"]
            context.post(str(case["text"]))
            counted[case["class"]] += context.not_understood() - context.baseline
            counted["all"] += 1
    total = counted.pop("all")
    for name, n in sorted(counted.items()):
        print(f"{name:22}{n:>4}")
    print(f"{total} SMS sent; SMS not understood on the figures page: {sum(counted.values())}")


if __name__ == "__main__":
    main(sys.argv[1:])
