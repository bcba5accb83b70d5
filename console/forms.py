"""The console's queue forms: what each action accepts, with messages a nurse can act on.

Every rendered form carries a fresh random `request_key`. The view turns it into the engine's
idempotency key, so a double click (or a re-posted form) is answered from the first request.
Flask-WTF checks each form's CSRF token.
"""

from __future__ import annotations

import secrets

from flask_wtf import FlaskForm
from wtforms import Field, HiddenField, StringField, ValidationError
from wtforms.validators import AnyOf, DataRequired, Length, Optional, Regexp

from booking.errors import Reason
from booking.models import Priority
from booking.taking import MAX_NAME
from console import messages
from texts import N_

# What the page puts in each form; anything else in the field is ignored (no key, no replay).
REQUEST_KEY = r"^[A-Za-z0-9_-]{16,43}$"
MAX_CAPACITY = 9999
MAX_REASON = 160


def _one_line(value: object) -> object:
    """Free text as one line of printable characters (it becomes part of an SMS)."""
    if not isinstance(value, str):
        return value
    return " ".join("".join(c if c.isprintable() else " " for c in value).split())


def new_request_key() -> str:
    return secrets.token_urlsafe(16)


class ActionForm(FlaskForm):
    """One click on a number or a session: call next, served, no-show, skip, arrived."""

    request_key = HiddenField(validators=[Optional(), Regexp(REQUEST_KEY)])

    def key(self) -> str | None:
        """The submitted request key, when it is one the page made."""
        value = self.request_key.data or ""
        return value if value and not self.request_key.errors else None

    def validate(self, extra_validators: object = None) -> bool:
        # A malformed key is not the nurse's mistake: act, only without replay protection.
        valid = bool(super().validate(extra_validators))
        return valid or set(self.errors) == {"request_key"}


def _name_fits(_form: FlaskForm, field: Field) -> None:
    """Refused with the limit and the length typed: the box itself cuts nothing (a cut name
    would be printed on the ticket and read out in the waiting room)."""
    if isinstance(field.data, str) and len(field.data) > MAX_NAME:
        raise ValidationError(
            messages.say(messages.NAME_TOO_LONG, limit=MAX_NAME, length=len(field.data))
        )


def _priority() -> StringField:
    """Lansia, ibu hamil, disabilitas, or empty: not a priority patient."""
    return StringField(
        validators=[
            Optional(),
            AnyOf([p.value for p in Priority], message=messages.lazy(messages.FORM_EXPIRED)),
        ],
    )


class WalkInForm(ActionForm):
    name = StringField(
        messages.lazy(N_("Name")),
        validators=[
            DataRequired(messages.lazy(Reason.NAME_INVALID.message)),
            _name_fits,
            Length(min=2, message=messages.lazy(Reason.NAME_INVALID.message)),
        ],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
    )
    phone = StringField(
        messages.lazy(N_("Phone")),
        validators=[
            Optional(),
            Length(max=20, message=messages.lazy(Reason.PHONE_INVALID.message)),
        ],
    )
    bpjs = StringField(
        "No. BPJS",
        validators=[
            Optional(),
            Regexp(r"^[0-9]{13}$", message=messages.lazy(messages.BPJS_INVALID)),
        ],
        filters=[lambda value: "".join(value.split()) if isinstance(value, str) else value],
    )
    # One of the booking days the page offers (ISO); empty: the session's own day.
    day = StringField(
        validators=[
            Optional(),
            Regexp(r"^\d{4}-\d{2}-\d{2}$", message=messages.lazy(messages.FORM_EXPIRED)),
        ]
    )
    priority = _priority()


class PriorityForm(ActionForm):
    """One click on a waiting patient's row: a priority patient (or, empty, not one)."""

    priority = _priority()


class CancelSessionForm(ActionForm):
    reason = StringField(
        messages.lazy(N_("Reason")),
        validators=[
            DataRequired(messages.lazy(messages.REASON_REQUIRED)),
            Length(max=MAX_REASON, message=messages.lazy(messages.REASON_REQUIRED)),
        ],
        filters=[_one_line],
    )
    # Set by the "are you sure?" page: only then is the session cancelled (it texts everyone).
    confirmed = HiddenField(validators=[Optional()])


class CapacityForm(ActionForm):
    # Text, not IntegerField: its "Not a valid integer value." would be English only.
    capacity = StringField(
        messages.lazy(N_("Capacity")),
        validators=[
            DataRequired(messages.lazy(messages.CAPACITY_INVALID)),
            Regexp(r"^\s*[0-9]{1,4}\s*$", message=messages.lazy(messages.CAPACITY_INVALID)),
        ],
    )

    def value(self) -> int:
        return int((self.capacity.data or "0").strip())


def first_error(form: FlaskForm) -> str:
    """The message of the first field that failed, for the top of the page."""
    for field_errors in form.errors.values():
        for message in field_errors:
            return str(message)
    return messages.say(messages.FORM_EXPIRED)
