"""The admin pages' forms. Each free-text field runs the engine's own check (booking/validation),
so the form and the engine refuse the same things with the same words."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    Field,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional, StopValidation, ValidationError

from booking import limits
from booking import validation as check
from booking.validation import Invalid

WEEKDAYS = (
    "Senin / Monday",
    "Selasa / Tuesday",
    "Rabu / Wednesday",
    "Kamis / Thursday",
    "Jumat / Friday",
    "Sabtu / Saturday",
    "Minggu / Sunday",
)
# Indonesia's three zones, offered first; any IANA name is accepted.
INDONESIAN_ZONES = [
    ("Asia/Jakarta", "WIB"),
    ("Asia/Pontianak", "WIB"),
    ("Asia/Makassar", "WITA"),
    ("Asia/Jayapura", "WIT"),
]
TIME_FORMATS = ["%H:%M", "%H:%M:%S"]  # browsers send seconds when the input has a step
NUMBER = "Tulis angka. / Type a number."
TIME = "Tulis jam sebagai JJ:MM, mis. 08:00. / Give a time as HH:MM, e.g. 08:00."
DATE = "Tulis tanggal sebagai TTTT-BB-HH. / Give a date as YYYY-MM-DD."
REQUIRED = "Wajib diisi. / Required."


def checked(rule: Callable[[Any], Any]) -> Callable[[FlaskForm, Field], None]:
    """A WTForms validator from an engine check: stores the tidied value or shows the message."""

    def validate(form: FlaskForm, field: Field) -> None:
        if field.process_errors:
            raise StopValidation()  # the field could not even be read; that message says why
        try:
            field.data = rule(field.data)
        except Invalid as error:
            raise ValidationError(error.message) from None

    return validate


class NumberField(IntegerField):
    """An integer field that says what it wants in the console's two languages."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(NUMBER) from None


class ClockField(TimeField):
    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(TIME) from None


class DayField(DateField):
    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(DATE) from None


def _number(label: str, low: int, high: int) -> NumberField:
    rule = checked(lambda value: check.number("", value, low, high))
    return NumberField(label, [InputRequired(REQUIRED), rule])


def _time(label: str, *, required: bool = True) -> ClockField:
    presence = InputRequired(REQUIRED) if required else Optional()
    return ClockField(label, [presence], format=TIME_FORMATS)


class FacilityForm(FlaskForm):
    code = StringField(
        "Kode (diketik pasien) / Code (patients type it)", [checked(check.facility_code)]
    )
    name = StringField(
        f"Nama (maks. {limits.MAX_FACILITY_NAME}) / Name (max {limits.MAX_FACILITY_NAME})",
        [checked(check.facility_name)],
    )
    district = StringField(
        "Kabupaten/kota / District",
        [checked(lambda text: check.phone_name("district", text, limits.MAX_DISTRICT_NAME))],
    )
    subdistrict = StringField(
        "Kecamatan / Sub-district",
        [
            checked(
                lambda text: check.plain_text(
                    "subdistrict", text, limits.MAX_SUBDISTRICT_NAME, required=False
                )
            )
        ],
    )
    timezone = StringField("Zona waktu (IANA) / Time zone (IANA)", [checked(check.timezone)])
    active = BooleanField("Aktif / Active", default=True)


class RulesForm(FlaskForm):
    days_ahead = _number(
        "Hari ke depan yang bisa dipesan (0 = hari ini saja) / Days ahead (0 = today only)",
        0,
        limits.MAX_DAYS_AHEAD,
    )
    cutoff_minutes = _number(
        "Pemesanan hari ini tutup … menit sebelum sesi berakhir / "
        "Same-day booking closes … minutes before the session ends",
        0,
        limits.MAX_CUTOFF_MINUTES,
    )
    minutes_per_patient = _number(
        "Menit per pasien (perkiraan awal) / Minutes per patient (first estimate)",
        limits.MIN_MINUTES_PER_PATIENT,
        limits.MAX_MINUTES_PER_PATIENT,
    )
    people_per_phone_per_day = _number(
        "Orang per nomor HP per hari / People per phone per day",
        limits.MIN_PEOPLE_PER_PHONE,
        limits.MAX_PEOPLE_PER_PHONE,
    )
    almost_turn_ahead = _number(
        "SMS 'hampir giliran' saat sisa … orang (0 = mati) / "
        "'Almost your turn' SMS at … people ahead (0 = off)",
        0,
        limits.MAX_ALMOST_TURN_AHEAD,
    )
    evening_reminder = _time(
        "Pengingat malam sebelumnya (kosong = mati) / Evening reminder (empty = off)",
        required=False,
    )
    morning_reminder = _time(
        "Pengingat pagi hari-H (kosong = mati) / Morning reminder (empty = off)", required=False
    )
    quiet_from = _time("Jam tenang mulai / Quiet hours from")
    quiet_until = _time("Jam tenang sampai / Quiet hours until")


class ServiceForm(FlaskForm):
    code = StringField("Kode (untuk SMS) / Code (for SMS)", [checked(check.service_code)])
    name_id = StringField(
        f"Nama Indonesia (maks. {limits.MAX_SERVICE_NAME}) / Indonesian name",
        [checked(lambda text: check.service_name("name_id", text))],
    )
    name_en = StringField(
        f"Nama Inggris (maks. {limits.MAX_SERVICE_NAME}) / English name",
        [checked(lambda text: check.service_name("name_en", text))],
    )
    prefix = StringField("Awalan nomor (A, B …) / Ticket prefix", [checked(check.prefix)])
    bpjs_poli_code = StringField(
        "Kode poli BPJS (opsional) / BPJS poli code (optional)", [checked(check.bpjs_poli_code)]
    )
    synonyms = TextAreaField(
        "Kata lain di SMS, pisahkan dengan koma / Other words in SMS, comma-separated",
        [checked(check.synonyms)],
    )
    active = BooleanField("Aktif / Active", default=True)


class NumberForm(FlaskForm):
    number = StringField(
        "Nomor (nomor panjang atau kode pendek) / Number (long number or short code)",
        [InputRequired()],
    )
    gateway = SelectField("Gateway", choices=[SelectChoice("", "(bawaan / default)")], default="")


class TemplateForm(FlaskForm):
    weekday = SelectField(
        "Hari / Day",
        choices=[SelectChoice(str(number), name) for number, name in enumerate(WEEKDAYS)],
        coerce=int,
    )
    start_time = _time("Mulai / Start")
    end_time = _time("Selesai / End")
    capacity = _number(
        f"Kuota / Capacity (1-{limits.MAX_CAPACITY})", limits.MIN_CAPACITY, limits.MAX_CAPACITY
    )
    doctor_name = StringField(
        "Nama dokter (opsional) / Doctor (optional)",
        [
            checked(
                lambda text: check.plain_text(
                    "doctor_name", text, limits.MAX_DOCTOR_NAME, required=False
                )
            )
        ],
    )


class HolidayForm(FlaskForm):
    day = DayField("Tanggal / Date", [InputRequired(REQUIRED)])
    name = StringField(
        "Nama hari libur / Holiday",
        [checked(lambda text: check.plain_text("name", text, limits.MAX_HOLIDAY_NAME))],
    )


class ActionForm(FlaskForm):
    """A button that changes something: only its CSRF token, and where to go back to."""

    back = HiddenField()
