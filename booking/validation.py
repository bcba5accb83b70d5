"""Checks on what staff type into the admin pages: pure functions, no database, no Flask.

Each check returns the value as it will be stored (spaces tidied, codes upper-cased) or raises
`Invalid` with a message for the person at the form, in Indonesian and English as the console
speaks. The forms run them field by field; the engine (booking/admin.py, booking/timetable.py)
runs them again, so a caller without a form cannot store what a form would refuse.

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
from zoneinfo import available_timezones

from booking import limits
from texts.gsm import BASIC


class Invalid(ValueError):
    """Input a person can correct: which field, and what to do about it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


_SPACES = re.compile(r"\s+")
_SERVICE_CODE = re.compile(r"[A-Z0-9]+")
_PREFIX = re.compile(r"[A-Z]+")
_SYNONYM = re.compile(r"[a-z0-9]+(?: [a-z0-9]+)*")


def tidy(text: str | None) -> str:
    """One line, composed characters, single spaces, no spaces at the ends."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text or "")).strip()


def _required(field: str, text: str) -> None:
    if not text:
        raise Invalid(field, "Wajib diisi. / Required.")


def _at_most(field: str, text: str, limit: int) -> None:
    if len(text) > limit:
        raise Invalid(
            field,
            f"Paling banyak {limit} karakter (sekarang {len(text)}). / "
            f"At most {limit} characters (now {len(text)}).",
        )


def phone_name(field: str, text: str | None, limit: int) -> str:
    """A name patients read in USSD screens and SMS: GSM-7 letters only, within `limit`."""
    name = tidy(text)
    _required(field, name)
    _at_most(field, name, limit)
    outside = sorted({char for char in name if char not in BASIC})
    if outside:
        shown = " ".join(repr(char) for char in outside[:5])
        raise Invalid(
            field,
            f"Huruf ini tidak bisa dikirim lewat SMS: {shown}. / "
            f"These characters cannot be sent by SMS: {shown}.",
        )
    return name


def plain_text(field: str, text: str | None, limit: int, *, required: bool = True) -> str:
    """Text only staff read (a doctor's name, a holiday): printable, within `limit`."""
    value = tidy(text)
    if required:
        _required(field, value)
    _at_most(field, value, limit)
    if any(not char.isprintable() for char in value):
        raise Invalid(
            field,
            "Ada karakter yang tidak bisa ditampilkan. / Contains characters that cannot be shown.",
        )
    return value


def rooms(text: str | None) -> str:
    """The rooms and counters staff call numbers to, one a line: each a short name, no twice."""
    names: list[str] = []
    for line in (text or "").splitlines():
        name = plain_text("rooms", line, limits.MAX_ROOM_NAME, required=False)
        if name and name.casefold() not in (known.casefold() for known in names):
            names.append(name)
    if len(names) > limits.MAX_ROOMS:
        raise Invalid(
            "rooms",
            f"Paling banyak {limits.MAX_ROOMS} ruang atau loket. / "
            f"At most {limits.MAX_ROOMS} rooms or counters.",
        )
    return "\n".join(names)


def facility_name(text: str | None) -> str:
    return phone_name("name", text, limits.MAX_FACILITY_NAME)


def service_name(field: str, text: str | None) -> str:
    return phone_name(field, text, limits.MAX_SERVICE_NAME)


def facility_code(text: str | None) -> str:
    code = tidy(text)
    low, high = limits.MIN_FACILITY_CODE_DIGITS, limits.MAX_FACILITY_CODE_DIGITS
    if not (code.isascii() and code.isdigit() and low <= len(code) <= high):
        raise Invalid(
            "code",
            f"Kode: {low}-{high} angka, mis. 1001. / Code: {low} to {high} digits, e.g. 1001.",
        )
    return code


def service_code(text: str | None) -> str:
    code = tidy(text).upper()
    limit = limits.MAX_SERVICE_CODE
    if not (code.isascii() and _SERVICE_CODE.fullmatch(code) and len(code) <= limit):
        raise Invalid(
            "code",
            f"Kode: huruf A-Z dan angka, tanpa spasi, paling banyak {limit}, mis. GIGI. / "
            f"Code: letters A-Z and digits, no spaces, at most {limit}, e.g. GIGI.",
        )
    return code


def prefix(text: str | None) -> str:
    value = tidy(text).upper()
    limit = limits.MAX_PREFIX
    if not (value.isascii() and _PREFIX.fullmatch(value) and len(value) <= limit):
        raise Invalid(
            "prefix",
            f"Awalan nomor: 1-{limit} huruf A-Z, mis. A. / Ticket prefix: 1 to {limit} "
            "letters A-Z, e.g. A.",
        )
    return value


def bpjs_doctor_code(text: str | None) -> str | None:
    """Optional: BPJS's kodedokter for a session's doctor (BPJS's reference gives numbers)."""
    code = tidy(text).upper()
    if not code:
        return None
    if not (code.isascii() and _SERVICE_CODE.fullmatch(code) and len(code) <= 16):
        raise Invalid(
            "bpjs_doctor_code",
            "Kode dokter BPJS: huruf dan angka, paling banyak 16. / "
            "BPJS doctor code: letters and digits, at most 16.",
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
            f"Kode poli BPJS: huruf dan angka, paling banyak {limit}. / "
            f"BPJS poli code: letters and digits, at most {limit}.",
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
            shown = word[:30]
            raise Invalid(
                "synonyms",
                f"'{shown}': tiap kata huruf a-z/angka, paling banyak {limits.MAX_SYNONYM} "
                f"karakter dan {limits.MAX_SYNONYM_WORDS} kata. / '{shown}': each word letters "
                f"a-z or digits, at most {limits.MAX_SYNONYM} characters and "
                f"{limits.MAX_SYNONYM_WORDS} words.",
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
            "Zona waktu IANA tidak dikenal; mis. Asia/Jakarta (WIB), Asia/Makassar (WITA), "
            "Asia/Jayapura (WIT). / Unknown IANA time zone; e.g. Asia/Jakarta.",
        )
    return name


def number(field: str, value: int | None, low: int, high: int) -> int:
    if value is None or not low <= value <= high:
        raise Invalid(field, f"Angka {low}-{high}. / A number from {low} to {high}.")
    return value


def capacity(value: int | None) -> int:
    return number("capacity", value, limits.MIN_CAPACITY, limits.MAX_CAPACITY)


def weekday(value: int | None) -> int:
    return number("weekday", value, 0, 6)


def hours(start: time | None, end: time | None) -> tuple[time, time]:
    if start is None:
        raise Invalid("start_time", "Isi jam mulai (JJ:MM). / Give a start time (HH:MM).")
    if end is None:
        raise Invalid("end_time", "Isi jam selesai (JJ:MM). / Give an end time (HH:MM).")
    if end <= start:
        raise Invalid(
            "end_time", "Jam selesai harus setelah jam mulai. / The end must be after the start."
        )
    return start, end


def in_window(clock: time, start: time, end: time) -> bool:
    """Whether a wall-clock time falls in [start, end), a window that may pass midnight."""
    if start <= end:
        return start <= clock < end
    return clock >= start or clock < end
