"""What the bridge reads from a request, checked field by field, and what it answers when not.

The messages are the protocol's own sentences: Indonesian, worded like the answers facility
systems and Mobile JKN already know (see api/jkn.py), and the same whoever asks. The protocol
carries no language, so they live here in one table rather than in the per-language catalogs
that the SMS and USSD texts use; refusals from the engine still come from those catalogs.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, time
from typing import Any

MAX_BODY_BYTES = 4096  # the largest real request is a few hundred bytes
MAX_TEXT = 200  # any one text field (keluhan is the longest the protocol sends)

_CARD = re.compile(r"\d{13}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TAKE_FIELDS = ("nomorkartu", "nohp", "kodepoli", "tanggalperiksa", "jampraktek")
_CANCEL_FIELDS = ("nomorkartu", "kodepoli", "tanggalperiksa", "keterangan")
_HOURS = re.compile(r"([01]\d|2[0-3]):([0-5]\d)\s*-\s*([01]\d|2[0-3]):([0-5]\d)")


class Msg:
    """Every message the bridge writes itself."""

    OK = "Ok"
    AUTH_MISSING = "Header x-username dan x-password wajib diisi"
    AUTH_WRONG = "Username atau password tidak sesuai"
    AUTH_TOO_MANY = "Terlalu banyak percobaan masuk, coba lagi setelah 15 menit"
    AUTH_NO_FACILITY = "Akun ini tidak terhubung dengan faskes mana pun"
    AUTH_PASSWORD_TO_CHANGE = "Password akun ini harus diganti dahulu di konsol Antre"  # noqa: S105 - a message
    TOKEN_MISSING = "Header x-token dan x-username wajib diisi"  # noqa: S105 - a message
    TOKEN_EXPIRED = "Token expired"  # noqa: S105 - a message
    TOKEN_INVALID = "Token tidak valid"  # noqa: S105 - a message
    BODY_NOT_JSON = "Isi permintaan harus JSON berbentuk objek"
    UNSTORABLE = "Isian memuat karakter yang tidak dapat diproses"
    BODY_TOO_LARGE = "Isi permintaan terlalu besar (paling banyak {limit} byte)"
    FIELD_NOT_TEXT = "Kolom {field} harus berupa teks"
    FIELD_NOT_UNICODE = "Kolom {field} memuat karakter yang tidak dapat diproses"
    FIELD_TOO_LONG = "Kolom {field} terlalu panjang (paling banyak {limit} karakter)"
    CARD_EMPTY = "Nomor kartu tidak boleh kosong"
    CARD_FORMAT = "Format nomor kartu tidak sesuai, nomor kartu harus 13 digit angka"
    PHONE_EMPTY = "Nomor HP tidak boleh kosong"
    POLI_EMPTY = "Kode poli tidak boleh kosong"
    POLI_UNKNOWN = "Poli tidak ditemukan"
    DATE_EMPTY = "Tanggal periksa tidak boleh kosong"
    DATE_FORMAT = "Format tanggal tidak sesuai, format yang benar adalah yyyy-mm-dd"
    DATE_PAST = "Tanggal periksa tidak berlaku mundur"
    DATE_TOO_FAR = "Tanggal periksa hanya boleh hari ini sampai {days} hari ke depan"
    HOURS_FORMAT = "Format jam praktek tidak sesuai, format yang benar adalah HH:MM-HH:MM"
    HOURS_UNKNOWN = "Jadwal praktek {hours} tidak ada untuk {poli}. Jadwal yang ada: {known}"
    NO_SCHEDULE = "{poli} tidak ada jadwal praktek pada tanggal {day}"
    SCHEDULE_CANCELLED = "Jadwal {poli} tanggal {day} dibatalkan: {reason}"
    DUPLICATE = "Nomor antrean hanya dapat diambil 1 kali pada tanggal dan poli yang sama"
    NOT_FOUND = "Antrean tidak ditemukan"
    FACILITY_CLOSED = "Faskes tidak menerima antrean saat ini"
    UNAVAILABLE = "Layanan antrean sedang sibuk, silakan coba beberapa saat lagi"
    # keterangan: read by the patient in Mobile JKN.
    EXPECTED = "Perkiraan dilayani pukul {time} {zone}. Harap datang sebelum nomor Anda dipanggil."
    BEING_CALLED = "Nomor Anda sedang dipanggil."
    SERVED = "Antrean sudah selesai dilayani."
    NO_SHOW = "Nomor sudah dipanggil, tetapi peserta tidak hadir."
    PLACES_LEFT = "Sisa kuota {left} dari {capacity}."


class Invalid(Exception):
    """A request we answer with code 201: its message, and the HTTP status it goes with."""

    def __init__(self, message: str, http_status: int = 200, **params: Any) -> None:
        super().__init__(message)
        self.message = message.format(**params) if params else message
        self.http_status = http_status


@dataclass(frozen=True)
class TakeRequest:
    """POST /antrean. nik, keluhan, norm and kodedokter are read only to check their type:
    Antre keeps no more personal data than a phone, a name and a BPJS number."""

    card: str
    phone: str
    poli: str
    day: date
    hours: tuple[time, time] | None
    hours_text: str


@dataclass(frozen=True)
class CancelRequest:
    """PUT /antrean/batal. The free-text keterangan (reason) is checked, not kept."""

    card: str
    poli: str
    day: date


def json_object(raw: bytes) -> dict[str, Any]:
    if len(raw) > MAX_BODY_BYTES:
        raise Invalid(Msg.BODY_TOO_LARGE, 413, limit=MAX_BODY_BYTES)
    try:
        body = json.loads(raw.decode("utf-8"))
    # JSONDecodeError is a ValueError; a body nested thousands deep overflows the decoder.
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise Invalid(Msg.BODY_NOT_JSON, 400) from error
    if not isinstance(body, dict):
        raise Invalid(Msg.BODY_NOT_JSON, 400)
    return body


def take_request(body: dict[str, Any]) -> TakeRequest:
    # Every field's type first: a request built wrong is told so before anything it says.
    for ignored in ("nik", "keluhan", "norm", "kodedokter"):
        _text(body, ignored, numbers_allowed=ignored == "kodedokter")
    fields = {name: _text(body, name) for name in _TAKE_FIELDS}
    card_number = card(fields["nomorkartu"])
    if not fields["nohp"].strip():
        raise Invalid(Msg.PHONE_EMPTY)
    return TakeRequest(
        card=card_number,
        phone=fields["nohp"],
        poli=poli(fields["kodepoli"]),
        day=day(fields["tanggalperiksa"]),
        hours=hours(fields["jampraktek"]),
        hours_text=fields["jampraktek"],
    )


def cancel_request(body: dict[str, Any]) -> CancelRequest:
    fields = {name: _text(body, name) for name in _CANCEL_FIELDS}
    return CancelRequest(
        card=card(fields["nomorkartu"]),
        poli=poli(fields["kodepoli"]),
        day=day(fields["tanggalperiksa"]),
    )


def card(value: str) -> str:
    value = value.strip()
    if not value:
        raise Invalid(Msg.CARD_EMPTY)
    if not _CARD.fullmatch(value):
        raise Invalid(Msg.CARD_FORMAT)
    return value


def poli(value: str) -> str:
    value = value.strip()
    if not value:
        raise Invalid(Msg.POLI_EMPTY)
    if len(value) > 16:
        raise Invalid(Msg.POLI_UNKNOWN)
    return value


def day(value: str) -> date:
    value = value.strip()
    if not value:
        raise Invalid(Msg.DATE_EMPTY)
    if not _DATE.fullmatch(value):
        raise Invalid(Msg.DATE_FORMAT)
    try:
        return date.fromisoformat(value)
    except ValueError as error:  # 2026-02-30
        raise Invalid(Msg.DATE_FORMAT) from error


def hours(value: str) -> tuple[time, time] | None:
    """ "08:00-12:00" as two times; None when not given (the first open session is taken)."""
    value = value.strip()
    if not value:
        return None
    found = _HOURS.fullmatch(value)
    if found is None:
        raise Invalid(Msg.HOURS_FORMAT)
    start_h, start_m, end_h, end_m = (int(part) for part in found.groups())
    return time(start_h, start_m), time(end_h, end_m)


def _text(body: dict[str, Any], field: str, *, numbers_allowed: bool = False) -> str:
    """A text field: missing or null is empty. Numbers are refused where leading zeros matter
    (a card number sent as 0001… would arrive as 1…)."""
    value = body.get(field)
    if value is None:
        return ""
    if numbers_allowed and isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise Invalid(Msg.FIELD_NOT_TEXT, 400, field=field)
    if len(value) > MAX_TEXT:
        raise Invalid(Msg.FIELD_TOO_LONG, 400, field=field, limit=MAX_TEXT)
    if not _is_unicode(value):
        raise Invalid(Msg.FIELD_NOT_UNICODE, 400, field=field)
    return value


def _is_unicode(value: str) -> bool:
    """False for text holding a lone surrogate: JSON's grammar allows the escape "\\ud800" and
    json.loads keeps it, but it is no character, so no database, SMS or answer can carry it.
    (Path values cannot hold one: Werkzeug decodes them as UTF-8, replacing what is not.)"""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
