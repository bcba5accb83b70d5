"""The one question about a booking request we could not fully read, and its answer.

When the day, the service or (for a first-time sender) the facility is unclear, we ask once,
with digit choices, and keep the request for that phone for `PENDING_FOR`: the answer (a
digit, a day word, a service, the facility code alone) completes it. Two SMS at most.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from booking.availability import booking_days
from booking.facilities import facility_by_code
from booking.models import Facility, Service
from booking.words import date_words
from sms import replies
from sms.models import PendingRequest
from sms.parser import Book, DayWord, Digit, read_answer
from sms.replies import Reply
from sms.sender import Sender

PENDING_FOR = timedelta(minutes=10)
MAX_DAY_CHOICES = 4


@dataclass(frozen=True)
class Completed:
    """A pending request with the answer in it: book `request` at `facility` (on `on`)."""

    request: Book
    facility: Facility | None
    on: date | None = None


def waiting(db: Session, phone: str, now: datetime) -> PendingRequest | None:
    """The request this phone still owes us an answer for, if it is recent enough."""
    row = db.scalars(select(PendingRequest).where(PendingRequest.phone == phone)).first()
    if row is None or row.created_at < now - PENDING_FOR or row.created_at > now:
        return None
    return row


def forget(db: Session, phone: str) -> None:
    db.execute(delete(PendingRequest).where(PendingRequest.phone == phone))


def complete(
    db: Session, row: PendingRequest, text: str, words: Mapping[str, Sequence[str]]
) -> Completed | None:
    """The request completed by `text`, or None when `text` does not answer our question."""
    facility = db.get(Facility, row.facility_id) if row.facility_id is not None else None
    kept = _request(row)
    answer = read_answer(text, words)
    choices = [choice for choice in row.choices.split(",") if choice]
    if isinstance(answer, Digit):
        if not 1 <= answer.value <= len(choices):
            return None
        kept = replace(kept, card=answer.card or kept.card)
        chosen = choices[answer.value - 1]
        if row.asked == "day":
            on = date.fromisoformat(chosen) if chosen != "-" else None
            return Completed(replace(kept, unclear=()), facility, on=on)
        if row.asked == "service":
            return Completed(replace(kept, service=chosen), facility)
        return None
    if answer is None:
        return None
    merged = Book(
        service=answer.service or kept.service,
        day=answer.day or kept.day,
        facility_code=answer.facility_code or kept.facility_code,
        for_name=answer.for_name or kept.for_name,
        card=answer.card or kept.card,
        other_days=answer.other_days if answer.day else kept.other_days,
        unclear=kept.unclear if row.asked != "day" else answer.unclear,
    )
    if row.asked == "day" and answer.day is not None:
        return Completed(merged, facility)
    if row.asked == "service" and answer.service is not None:
        return Completed(merged, facility)
    if row.asked == "facility" and answer.facility_code is not None:
        return Completed(merged, facility_by_code(db, answer.facility_code))
    return None


# --- asking ----------------------------------------------------------------------------------


def ask_facility(db: Session, sender: Sender, request: Book, now: datetime) -> Reply:
    summary = " ".join(["ANTRE", request.service or "", _day_label(request.day, sender.language)])
    reply = Reply(
        replies.render(sender.language, replies.ASK_FACILITY, request=" ".join(summary.split()))
    )
    _keep(db, sender.phone, "facility", request, None, [], reply, now)
    return reply


def ask_again(row: PendingRequest, now: datetime) -> Reply:
    """The same question once more, for a reply that answers nothing (and is no command)."""
    row.created_at = now
    return Reply(row.question, understood=False)


def ask_service(
    db: Session,
    sender: Sender,
    facility: Facility,
    request: Book,
    services: Sequence[Service],
    day: date | None,
    now: datetime,
) -> Reply:
    """Which service, offering the facility's services by digit; the first unplaced word was
    the attempt at naming one, so it no longer makes the day unclear."""
    codes = [service.code for service in services]
    asked = replace(request, unclear=request.unclear[1:])
    language = sender.language
    items = [f"{n} {code}" for n, code in enumerate(codes, start=1)]
    when = date_words(day)[language] if day else replies.translate_word(language, replies.ANY_DAY)
    reply = Reply(
        replies.with_list(
            language, replies.ASK_SERVICE, "choices", items, facility=facility.name, day=when
        )
    )
    _keep(db, sender.phone, "service", asked, facility, codes, reply, now)
    return reply


def ask_day(
    db: Session, sender: Sender, facility: Facility, service: Service, request: Book, now: datetime
) -> Reply:
    language = sender.language
    days = booking_days(facility, now)[:MAX_DAY_CHOICES]
    labels = [_date_label(day, days[0], language) for day in days]
    items = [f"{n} {label}" for n, label in enumerate(labels, start=1)]
    reply = Reply(
        replies.with_list(
            language,
            replies.ASK_DAY,
            "choices",
            items,
            service=service.name(language),
            facility=facility.name,
        )
    )
    choices = [day.isoformat() for day in days]
    _keep(db, sender.phone, "day", replace(request, service=service.code), facility, choices,
          reply, now)  # fmt: skip
    return reply


def _date_label(day: date, today: date, language: str) -> str:
    if day == today:
        return replies.translate_word(language, replies.TODAY)
    if day == today + timedelta(days=1):
        return replies.translate_word(language, replies.TOMORROW)
    return date_words(day)[language]


def _day_label(day: DayWord | None, language: str) -> str:
    if day is None:
        return ""
    if day.kind == "today":
        return replies.translate_word(language, replies.TODAY)
    if day.kind == "tomorrow":
        return replies.translate_word(language, replies.TOMORROW)
    if day.kind == "date" and day.day:
        return f"{day.day}/{day.month}" if day.month else str(day.day)
    return ""


# --- the pending row -------------------------------------------------------------------------


def _keep(
    db: Session,
    phone: str,
    asked: str,
    request: Book,
    facility: Facility | None,
    choices: Sequence[str],
    question: Reply,
    now: datetime,
) -> None:
    forget(db, phone)
    db.add(
        PendingRequest(
            phone=phone,
            asked=asked,
            facility_id=facility.id if facility is not None else None,
            service=request.service or "",
            day=encode(request.day),
            unclear=" ".join(request.unclear)[:120],
            for_name=(request.for_name or "")[:30],
            bpjs_number=(request.card or "")[:13],
            choices=",".join(choices)[:240],
            question=question.body[:160],
            created_at=now,
        )
    )


def _request(row: PendingRequest) -> Book:
    return Book(
        service=row.service or None,
        day=decode(row.day),
        facility_code=None,
        for_name=row.for_name or None,
        unclear=tuple(row.unclear.split()),
        card=row.bpjs_number or None,
    )


def encode(day: DayWord | None) -> str:
    """A day word as a short string: "weekday:2::", "date::3:12"."""
    if day is None:
        return ""
    return ":".join([day.kind, *(str(part or "") for part in (day.weekday, day.day, day.month))])


def decode(text: str) -> DayWord | None:
    if not text:
        return None
    kind, weekday, day, month = text.split(":")
    return DayWord(
        kind,  # type: ignore[arg-type]
        weekday=int(weekday) if weekday else None,
        day=int(day) if day else None,
        month=int(month) if month else None,
    )
