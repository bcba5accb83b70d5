"""Checks on what staff type into the admin pages: pure functions, no database, no Flask.

Each check returns the value as it will be stored (spaces tidied, codes upper-cased) or raises
`Invalid` with a message for the person at the form: its English text is the gettext msgid
(texts/locale/*/booking.po), translated by the channel and filled in, as for `Refused`. The
forms run them field by field; the engine (booking/admin.py, booking/timetable.py) runs them
again, so a caller without a form cannot store what a form would refuse.

Names that patients read on their phones (facility, service, district) must be written in the
GSM 03.38 alphabet. texts/gsm.py would transliterate anything else at send time, but the
result can be longer than what was typed ("…" becomes "...", "Œ" becomes "OE") and so break
the length budget, or lose letters altogether (emoji, non-Latin scripts): the name on the
phone would not be the name in the console. Refusing says so at the one moment someone can
fix it.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import time
from functools import cache
from typing import Any
from zoneinfo import available_timezones

from booking import limits
from texts import N_
from texts.gsm import BASIC


class Invalid(ValueError):
    """Input a person can correct: which field, and what to do about it.

    `msgid` is the English text and the catalogs' key; `params` fill its `{placeholders}` after
    translation.
    """

    def __init__(self, field: str, msgid: str, **params: Any) -> None:
        super().__init__(field, msgid)
        self.field = field
        self.msgid = msgid
        self.params = params

    @property
    def message(self) -> str:
        """The English text, filled in: for the command line and the logs."""
        return self.msgid.format(**self.params)

    def __repr__(self) -> str:
        return f"Invalid({self.field!r}, {self.msgid!r}, {self.params!r})"


_SPACES = re.compile(r"\s+")
_SERVICE_CODE = re.compile(r"[A-Z0-9]+")
_PREFIX = re.compile(r"[A-Z]+")
_SYNONYM = re.compile(r"[a-z0-9]+(?: [a-z0-9]+)*")


def tidy(text: str | None) -> str:
    """One line, composed characters, single spaces, no spaces at the ends."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text or "")).strip()


def _required(field: str, text: str) -> None:
    if not text:
        raise Invalid(field, N_("Required."))


def _at_most(field: str, text: str, limit: int) -> None:
    if len(text) > limit:
        raise Invalid(
            field, N_("At most {limit} characters (now {length})."), limit=limit, length=len(text)
        )


def phone_name(field: str, text: str | None, limit: int) -> str:
    """A name patients read in USSD screens and SMS: GSM-7 letters only, within `limit`."""
    name = tidy(text)
    _required(field, name)
    _at_most(field, name, limit)
    outside = sorted({char for char in name if char not in BASIC})
    if outside:
        shown = " ".join(repr(char) for char in outside[:5])
        raise Invalid(field, N_("These characters cannot be sent by SMS: {shown}."), shown=shown)
    return name


def plain_text(field: str, text: str | None, limit: int, *, required: bool = True) -> str:
    """Text only staff read (a doctor's name, a holiday): printable, within `limit`."""
    value = tidy(text)
    if required:
        _required(field, value)
    _at_most(field, value, limit)
    if any(not char.isprintable() for char in value):
        raise Invalid(field, N_("Contains characters that cannot be shown."))
    return value


def rooms(text: str | None) -> str:
    """The rooms and counters staff call numbers to, one a line: each a short name, no twice."""
    names: list[str] = []
    for line in (text or "").splitlines():
        name = plain_text("rooms", line, limits.MAX_ROOM_NAME, required=False)
        if name and name.casefold() not in (known.casefold() for known in names):
            names.append(name)
    if len(names) > limits.MAX_ROOMS:
        raise Invalid("rooms", N_("At most {limit} rooms or counters."), limit=limits.MAX_ROOMS)
    return "\n".join(names)


def facility_name(text: str | None) -> str:
    return phone_name("name", text, limits.MAX_FACILITY_NAME)


def service_name(field: str, text: str | None) -> str:
    return phone_name(field, text, limits.MAX_SERVICE_NAME)


def name_field(language: str) -> str:
    """The field of a service's name in `language`, as refusals and the admin form call it."""
    return f"name_{language}"


def facility_code(text: str | None) -> str:
    code = tidy(text)
    low, high = limits.MIN_FACILITY_CODE_DIGITS, limits.MAX_FACILITY_CODE_DIGITS
    if not (code.isascii() and code.isdigit() and low <= len(code) <= high):
        raise Invalid("code", N_("Code: {low} to {high} digits, e.g. 1001."), low=low, high=high)
    return code


def service_code(text: str | None) -> str:
    code = tidy(text).upper()
    limit = limits.MAX_SERVICE_CODE
    if not (code.isascii() and _SERVICE_CODE.fullmatch(code) and len(code) <= limit):
        raise Invalid(
            "code",
            N_("Code: letters A-Z and digits, no spaces, at most {limit}, e.g. GIGI."),
            limit=limit,
        )
    return code


def prefix(text: str | None) -> str:
    value = tidy(text).upper()
    limit = limits.MAX_PREFIX
    if not (value.isascii() and _PREFIX.fullmatch(value) and len(value) <= limit):
        raise Invalid("prefix", N_("Ticket prefix: 1 to {limit} letters A-Z, e.g. A."), limit=limit)
    return value


def bpjs_doctor_code(text: str | None) -> str | None:
    """Optional: BPJS's kodedokter for a session's doctor (BPJS's reference gives numbers)."""
    code = tidy(text).upper()
    if not code:
        return None
    if not (code.isascii() and _SERVICE_CODE.fullmatch(code) and len(code) <= 16):
        raise Invalid(
            "bpjs_doctor_code",
            N_("BPJS doctor code: letters and digits, at most {limit}."),
            limit=16,
        )
    return code


def bpjs_poli_code(text: str | None) -> str | None:
    """Optional: the poli code the facility's BPJS system uses for this service."""
    code = tidy(text).upper()
    if not code:
        return None
    limit = limits.MAX_BPJS_POLI_CODE
    if not (code.isascii() and _SERVICE_CODE.fullmatch(code) and len(code) <= limit):
        raise Invalid(
            "bpjs_poli_code",
            N_("BPJS poli code: letters and digits, at most {limit}."),
            limit=limit,
        )
    return code


def synonyms(text: str | None) -> str:
    """Words patients may text for a service, comma-separated, as the SMS parser reads them."""
    found: list[str] = []
    for piece in (text or "").split(","):
        word = tidy(piece).casefold()
        if not word:
            continue
        if (
            not word.isascii()
            or not _SYNONYM.fullmatch(word)
            or len(word) > limits.MAX_SYNONYM
            or len(word.split()) > limits.MAX_SYNONYM_WORDS
        ):
            raise Invalid(
                "synonyms",
                N_(
                    "'{word}': each word letters a-z or digits, at most {letters} characters "
                    "and {words} words."
                ),
                word=word[:30],
                letters=limits.MAX_SYNONYM,
                words=limits.MAX_SYNONYM_WORDS,
            )
        if word not in found:
            found.append(word)
    joined = ",".join(found)
    _at_most("synonyms", joined, limits.MAX_SYNONYMS)
    return joined


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def timezone(text: str | None) -> str:
    name = tidy(text)
    if name not in _zones():
        raise Invalid(
            "timezone",
            N_(
                "Unknown IANA time zone; e.g. Asia/Jakarta (WIB), Asia/Makassar (WITA), "
                "Asia/Jayapura (WIT)."
            ),
        )
    return name


def number(field: str, value: int | None, low: int, high: int) -> int:
    if value is None or not low <= value <= high:
        raise Invalid(field, N_("A number from {low} to {high}."), low=low, high=high)
    return value


def capacity(value: int | None) -> int:
    return number("capacity", value, limits.MIN_CAPACITY, limits.MAX_CAPACITY)


def weekday(value: int | None) -> int:
    return number("weekday", value, 0, 6)


def hours(start: time | None, end: time | None) -> tuple[time, time]:
    if start is None:
        raise Invalid("start_time", N_("Give a start time (HH:MM)."))
    if end is None:
        raise Invalid("end_time", N_("Give an end time (HH:MM)."))
    if end <= start:
        raise Invalid("end_time", N_("The end must be after the start."))
    return start, end


def in_window(clock: time, start: time, end: time) -> bool:
    """Whether a wall-clock time falls in [start, end), a window that may pass midnight."""
    if start <= end:
        return start <= clock < end
    return clock >= start or clock < end
