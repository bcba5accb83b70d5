"""The small command objects every channel builds and hands to the engine."""

from __future__ import annotations

from dataclasses import dataclass

from booking.models import Channel, Priority


@dataclass(frozen=True)
class TakeNumber:
    """Book a place in one session.

    `phone` is the phone that books (and gets the SMS); `name` is empty when the phone's owner
    is the patient, or the name of the family member booked for. A walk-in registered by staff
    may have no phone at all, then it needs a name.
    """

    session_id: int
    phone: str | None
    channel: Channel
    name: str = ""
    bpjs_number: str | None = None
    request_key: str | None = None
    actor: str | None = None  # staff user or API client; the phone when not given
    priority: Priority | None = None  # marked by staff at the desk (booking.queue)
    # The caller chose `request_key` (an API client's Idempotency-Key) rather than it being
    # made from the request: sent again with a different request, it is refused instead of
    # answered with the booking it made. Keys made from a request (an SMS's gateway id, a USSD
    # step, the bridge's fields) are not checked: a retry of those is re-read from the current
    # state (the first session with room may be another by then) and is the same request.
    key_chosen_by_caller: bool = False


@dataclass(frozen=True)
class CancelBooking:
    booking_id: int
    channel: Channel
    actor: str
    by_facility: bool = False  # staff may cancel even after the patient was called
    request_key: str | None = None
