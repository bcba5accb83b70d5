"""Refusals: the answers a user can cause, as values with a message for that user.

Each reason carries its English text, which is the gettext msgid: the channels translate it
through the catalogs (texts/) and fill in the parameters.
"""

from __future__ import annotations

import enum
from typing import Any

from texts import N_


class Reason(enum.Enum):
    FACILITY_UNKNOWN = N_("We know no health centre with code {code}.")
    FACILITY_CLOSED = N_("{facility} does not take bookings now.")
    SERVICE_UNKNOWN = N_("That service is not offered here.")
    SESSION_UNKNOWN = N_("That session does not exist.")
    SESSION_FULL = N_("Sorry, {service} on {day} is full.")
    SESSION_CANCELLED = N_("Sorry, {service} on {day} was cancelled.")
    SESSION_CLOSED = N_("Sorry, {service} on {day} is closed for booking.")
    PAST_CUTOFF = N_("Booking for {service} today closed at {time}.")
    OUTSIDE_WINDOW = N_("You can book from today until {day} only.")
    NO_SESSION = N_("No open {service} session on {day}.")
    ALREADY_BOOKED = N_("You already have number {number} for {service} on {day}.")
    ALREADY_BOOKED_FOR = N_("{name} already has number {number} for {service} on {day}.")
    PHONE_LIMIT = N_("One phone can book for at most {limit} people a day.")
    PHONE_INVALID = N_("That phone number cannot receive SMS.")
    NAME_INVALID = N_("Please type a name of 2 to 30 letters.")
    BOOKING_UNKNOWN = N_("We found no such number for this phone.")
    NO_ACTIVE_BOOKING = N_("You have no active queue number.")
    TOO_LATE_TO_CANCEL = N_("Number {number} was already called and cannot be cancelled.")
    NOTHING_WAITING = N_("Nobody is waiting.")
    NOT_CALLED = N_("Number {number} is not being served now.")
    CAPACITY_TOO_LOW = N_("Capacity cannot go below the {taken} places already taken.")
    IDEMPOTENCY_KEY_REUSED = N_(
        "That idempotency key was already used for a different request; "
        "send this one with a new key."
    )

    @property
    def message(self) -> str:
        return str(self.value)


class Refused(Exception):
    """The engine said no, for a reason the user can read."""

    def __init__(self, reason: Reason, **params: Any) -> None:
        super().__init__(reason.name)
        self.reason = reason
        self.params = params

    def __repr__(self) -> str:
        return f"Refused({self.reason.name}, {self.params!r})"
