"""The admin pages' forms. Each free-text field runs the engine's own check (booking/validation),
so the form and the engine refuse the same things with the same words."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from babel import Locale
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
from booking.models import PriorityRule, Service
from booking.validation import Invalid
from console import messages
from texts import LANGUAGES, N_

WEEKDAYS = tuple(
    messages.lazy(day)
    for day in (
        N_("Monday"),
        N_("Tuesday"),
        N_("Wednesday"),
        N_("Thursday"),
        N_("Friday"),
        N_("Saturday"),
        N_("Sunday"),
    )
)
DEFAULT_GATEWAY = N_("(default)")
# Indonesia's three zones, offered first; any IANA name is accepted.
INDONESIAN_ZONES = [
    ("Asia/Jakarta", "WIB"),
    ("Asia/Pontianak", "WIB"),
    ("Asia/Makassar", "WITA"),
    ("Asia/Jayapura", "WIT"),
]
TIME_FORMATS = ["%H:%M", "%H:%M:%S"]  # browsers send seconds when the input has a step
NUMBER = messages.lazy(N_("Type a number."))
TIME = messages.lazy(N_("Give a time as HH:MM, e.g. 08:00."))
DATE = messages.lazy(N_("Give a date as YYYY-MM-DD."))
REQUIRED = messages.lazy(N_("Required."))


def checked(rule: Callable[[Any], Any]) -> Callable[[FlaskForm, Field], None]:
    """A WTForms validator from an engine check: stores the tidied value or shows the message."""

    def validate(form: FlaskForm, field: Field) -> None:
        if field.process_errors:
            raise StopValidation()  # the field could not even be read; that message says why
        try:
            field.data = rule(field.data)
        except Invalid as error:
            raise ValidationError(messages.invalid(error)) from None

    return validate


class NumberField(IntegerField):
    """An integer field that says what it wants in the page's language."""

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


def _number(label: object, low: int, high: int) -> NumberField:
    rule = checked(lambda value: check.number("", value, low, high))
    return NumberField(label, [InputRequired(REQUIRED), rule])


def _time(label: object, *, required: bool = True) -> ClockField:
    presence = InputRequired(REQUIRED) if required else Optional()
    return ClockField(label, [presence], format=TIME_FORMATS)


class FacilityForm(FlaskForm):
    code = StringField(messages.lazy(N_("Code (patients type it)")), [checked(check.facility_code)])
    name = StringField(
        messages.lazy(N_("Name (max {max})"), max=limits.MAX_FACILITY_NAME),
        [checked(check.facility_name)],
    )
    district = StringField(
        messages.lazy(N_("District")),
        [checked(lambda text: check.phone_name("district", text, limits.MAX_DISTRICT_NAME))],
    )
    subdistrict = StringField(
        messages.lazy(N_("Sub-district")),
        [
            checked(
                lambda text: check.plain_text(
                    "subdistrict", text, limits.MAX_SUBDISTRICT_NAME, required=False
                )
            )
        ],
    )
    timezone = StringField(messages.lazy(N_("Time zone (IANA)")), [checked(check.timezone)])
    active = BooleanField(messages.lazy(N_("Active")), default=True)
    rooms = TextAreaField(
        messages.lazy(N_("Rooms and counters to call numbers to, one per line")),
        [checked(check.rooms)],
    )


class RulesForm(FlaskForm):
    days_ahead = _number(
        messages.lazy(N_("Days ahead (0 = today only)")),
        0,
        limits.MAX_DAYS_AHEAD,
    )
    cutoff_minutes = _number(
        messages.lazy(N_("Same-day booking closes … minutes before the session ends")),
        0,
        limits.MAX_CUTOFF_MINUTES,
    )
    minutes_per_patient = _number(
        messages.lazy(N_("Minutes per patient (first estimate)")),
        limits.MIN_MINUTES_PER_PATIENT,
        limits.MAX_MINUTES_PER_PATIENT,
    )
    people_per_phone_per_day = _number(
        messages.lazy(N_("People per phone per day")),
        limits.MIN_PEOPLE_PER_PHONE,
        limits.MAX_PEOPLE_PER_PHONE,
    )
    almost_turn_ahead = _number(
        messages.lazy(N_("'Almost your turn' SMS at … people ahead (0 = off)")),
        0,
        limits.MAX_ALMOST_TURN_AHEAD,
    )
    evening_reminder = _time(
        messages.lazy(N_("Evening reminder (empty = off)")),
        required=False,
    )
    morning_reminder = _time(messages.lazy(N_("Morning reminder (empty = off)")), required=False)
    quiet_from = _time(messages.lazy(N_("Quiet hours from")))
    quiet_until = _time(messages.lazy(N_("Quiet hours until")))
    priority_rule = SelectField(
        messages.lazy(N_("Priority patients (elderly, pregnant, disability) are called")),
        choices=[
            SelectChoice(PriorityRule.FIRST.value, messages.lazy(N_("before everyone else"))),
            SelectChoice(
                PriorityRule.EVERY_NTH.value,
                messages.lazy(N_("one after every N-1 other patients")),
            ),
        ],
        coerce=PriorityRule,
    )
    priority_every = _number(
        messages.lazy(N_("N: every how many calls one priority patient")),
        limits.MIN_PRIORITY_EVERY,
        limits.MAX_PRIORITY_EVERY,
    )


class ServiceForm(FlaskForm):
    code = StringField(messages.lazy(N_("Code (for SMS)")), [checked(check.service_code)])
    # name_id, name_en, …: a box for each language of texts.LANGUAGES, added below the class.
    prefix = StringField(messages.lazy(N_("Ticket prefix (A, B …)")), [checked(check.prefix)])
    bpjs_poli_code = StringField(
        messages.lazy(N_("BPJS poli code (optional)")), [checked(check.bpjs_poli_code)]
    )
    synonyms = TextAreaField(
        messages.lazy(N_("Other words in SMS, comma-separated")),
        [checked(check.synonyms)],
    )
    active = BooleanField(messages.lazy(N_("Active")), default=True)

    @classmethod
    def of(cls, service: Service) -> ServiceForm:
        """The form filled in with a service as it is stored."""
        names = {check.name_field(language): name for language, name in service.names.items()}
        return cls(obj=service, data=names)

    def name_fields(self) -> list[Field]:
        return [self[check.name_field(language)] for language in LANGUAGES]

    def names(self) -> dict[str, str]:
        return {language: self[check.name_field(language)].data for language in LANGUAGES}


def _name_box(language: str) -> StringField:
    # The language named in the page's language: "Inggris" on the Indonesian page.
    called = {page: Locale.parse(language).get_display_name(page) for page in LANGUAGES}
    label = messages.lazy(
        N_("Name in {language} (max {max})"), language=called, max=limits.MAX_SERVICE_NAME
    )
    field = check.name_field(language)
    return StringField(label, [checked(lambda text: check.service_name(field, text))])


for _language in LANGUAGES:
    setattr(ServiceForm, check.name_field(_language), _name_box(_language))


class NumberForm(FlaskForm):
    number = StringField(
        messages.lazy(N_("Number (long number or short code)")),
        [InputRequired()],
    )
    gateway = SelectField(
        "Gateway", choices=[SelectChoice("", messages.lazy(DEFAULT_GATEWAY))], default=""
    )


class TemplateForm(FlaskForm):
    weekday = SelectField(
        messages.lazy(N_("Day")),
        choices=[SelectChoice(str(number), name) for number, name in enumerate(WEEKDAYS)],
        coerce=int,
    )
    start_time = _time(messages.lazy(N_("Start")))
    end_time = _time(messages.lazy(N_("End")))
    capacity = _number(
        messages.lazy(N_("Capacity (1-{max})"), max=limits.MAX_CAPACITY),
        limits.MIN_CAPACITY,
        limits.MAX_CAPACITY,
    )
    doctor_name = StringField(
        messages.lazy(N_("Doctor (optional)")),
        [
            checked(
                lambda text: check.plain_text(
                    "doctor_name", text, limits.MAX_DOCTOR_NAME, required=False
                )
            )
        ],
    )
    bpjs_doctor_code = StringField(
        messages.lazy(N_("BPJS doctor code (optional)")), [checked(check.bpjs_doctor_code)]
    )


class HolidayForm(FlaskForm):
    day = DayField(messages.lazy(N_("Date")), [InputRequired(REQUIRED)])
    name = StringField(
        messages.lazy(N_("Holiday")),
        [checked(lambda text: check.plain_text("name", text, limits.MAX_HOLIDAY_NAME))],
    )


class ActionForm(FlaskForm):
    """A button that changes something: only its CSRF token, and where to go back to."""

    back = HiddenField()
