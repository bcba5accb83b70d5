"""The API's requests and answers as pydantic models: they validate, and they are the document.

Requests are strict (no "12" for 12, no unknown fields), so that what the OpenAPI document
promises is exactly what is accepted. Answers are built through the same models.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from booking.models import BookingStatus, Channel, SessionStatus

MAX_ID = 2**31 - 1  # the databases' integer: a larger id names nothing, and must not reach SQL


def _digits_only(value: object) -> object:
    """Text (a path or query value) must be written as digits: no "12.0", no " 12". A JSON
    number with nothing after the point (12.0, 1.2e1) is the integer JSON Schema says it is."""
    if isinstance(value, str) and not re.fullmatch(r"[0-9]{1,10}", value):
        raise ValueError("must be a whole number written in digits")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _iso_date_only(value: object) -> object:
    """Text must be YYYY-MM-DD (pydantic alone would also take "0" as a timestamp)."""
    if isinstance(value, str) and not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        raise ValueError("must be a date written YYYY-MM-DD")
    return value


# The constraints before the validator: so the JSON schema says minimum and maximum (after it,
# pydantic writes "ge" and "le", which JSON Schema does not know, and the document allowed any).
Id = Annotated[int, Field(ge=1, le=MAX_ID), BeforeValidator(_digits_only)]
IsoDate = Annotated[date, BeforeValidator(_iso_date_only)]
RequestKey = Annotated[
    str,
    StringConstraints(min_length=1, max_length=100, pattern=r"^[!-~]+$"),
    Field(
        description="Any printable ASCII up to 100 characters (a UUID is a good choice). "
        "The same key sent again with the same request answers with what the first request "
        "did, and does it once.",
        examples=["5f0c1a9e-7a53-4d43-9d0e-2b3f6a7c8d90"],
    ),
]
HourMinute = Annotated[str, Field(pattern=r"^[0-2][0-9]:[0-5][0-9]$", examples=["08:00"])]


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- requests --------------------------------------------------------------------------------


class FacilityPath(Request):
    code: Annotated[str, StringConstraints(min_length=1, max_length=8), Field(examples=["1001"])]


class SessionPath(Request):
    session_id: Annotated[Id, Field(examples=[1])]


class BookingPath(Request):
    booking_id: Annotated[Id, Field(examples=[1])]


class SessionsQuery(Request):
    day: IsoDate | None = Field(
        default=None,
        description="One date (YYYY-MM-DD, the facility's local date). Default: every day "
        "the facility takes bookings for (today and tomorrow).",
    )
    service: Annotated[str, StringConstraints(min_length=1, max_length=16)] | None = Field(
        default=None, description="Only this service's sessions (its code, e.g. UMUM)."
    )


class TakeNumberIn(Request):
    session_id: Annotated[Id, Field(examples=[1])]
    phone: Annotated[str, StringConstraints(max_length=32)] | None = Field(
        default=None,
        description="The patient's mobile, for the SMS receipt and reminders. Omit for a "
        "patient without a phone (then a name is needed).",
        examples=["+6281234567890"],
    )
    name: Annotated[str, StringConstraints(max_length=60)] = Field(
        default="",
        description="The patient's name; empty when the phone's owner is the patient.",
        examples=["Siti Aminah"],
    )
    bpjs_number: Annotated[str, StringConstraints(pattern=r"^[0-9]{13}$")] | None = Field(
        default=None, description="The 13-digit BPJS card number.", examples=["0001234567890"]
    )
    idempotency_key: RequestKey | None = Field(
        default=None, description="Or the Idempotency-Key header."
    )


class KeyedActionIn(Request):
    idempotency_key: RequestKey | None = Field(
        default=None, description="Or the Idempotency-Key header."
    )


# --- answers ---------------------------------------------------------------------------------


class FacilityOut(Answer):
    code: str
    name: str
    district: str
    timezone: str = Field(description="IANA time zone: days and times are local to it.")


class ServiceOut(Answer):
    code: str = Field(examples=["UMUM"])
    name_id: str
    name_en: str
    prefix: str = Field(description="Ticket prefix, e.g. A for A-012.")
    bpjs_poli_code: str | None


class ServicesOut(Answer):
    facility: FacilityOut
    services: list[ServiceOut]


class SessionOut(Answer):
    id: int
    service: str = Field(description="The service's code.")
    day: date
    start_time: HourMinute
    end_time: HourMinute
    doctor_name: str | None
    capacity: int
    places_taken: int
    places_left: int
    status: SessionStatus
    now_serving: str | None = Field(description="The number being served, e.g. A-007.")
    bookable: bool = Field(description="Whether the session takes a booking now.")


class SessionsOut(Answer):
    facility: str
    days: list[date]
    sessions: list[SessionOut]


class PositionOut(Answer):
    now_serving: str | None
    ahead: int = Field(description="Active bookings with a lower number.")
    expected_at: datetime = Field(description="When the patient is expected to be called.")


class BookingOut(Answer):
    id: int
    session_id: int
    facility: str
    service: str
    day: date
    number: int
    display: str = Field(examples=["A-012"])
    status: BookingStatus
    channel: Channel
    name: str
    phone: str | None
    bpjs_number: str | None
    created_at: datetime
    called_at: datetime | None
    finished_at: datetime | None
    position: PositionOut | None = Field(description="Where it stands; null once not active.")


class BookingsOut(Answer):
    session: SessionOut
    bookings: list[BookingOut]


class FieldProblem(Answer):
    field: str = Field(description="Where the problem is, e.g. session_id or body.")
    problem: str


class ErrorBody(Answer):
    code: str = Field(
        description="Stable machine code: the engine's refusals (SESSION_FULL, "
        "ALREADY_BOOKED, ...) and the API's own (UNAUTHENTICATED, FORBIDDEN, ...)."
    )
    message: str = Field(description="For a person; English, or Indonesian when asked.")
    fields: list[FieldProblem] | None = None


class ErrorOut(Answer):
    error: ErrorBody


class FiguresScope(Answer):
    district: str | None
    facility: str | None
    from_: date = Field(alias="from")
    to: date


class FiguresTable(Answer):
    title: str
    columns: list[str]
    rows: list[dict[str, str | int | float | None]] = Field(
        description='One object per row, keyed by column; counts from 1 to 4 read "<5".'
    )


class FiguresOut(Answer):
    scope: FiguresScope
    timezone: str
    facilities: int
    small_counts: str
    tables: dict[str, FiguresTable]


class FiguresQuery(Request):
    """The figures' query, as its page sends it (an empty value means the default)."""

    from_: IsoDate | Literal[""] | None = Field(
        default=None,
        alias="from",
        description="First day (local); default 30 days back. The period is at most 366 days.",
    )
    to: IsoDate | Literal[""] | None = Field(
        default=None, description="Last day (local), not before the first; default today."
    )
    district: Annotated[str, StringConstraints(max_length=60)] | None = None
    facility: Annotated[str, StringConstraints(max_length=60)] | None = None
