"""What the console tells staff, in Indonesian first with English alongside.

The English text is the msgid (as everywhere in Antre); the Indonesian is in
texts/locale/id/console.po. The engine's refusals come with their own msgids and read the same.
"""

from __future__ import annotations

from typing import Any

from booking.errors import Refused
from texts import LANGUAGES, N_, catalog, localised

CALLED = N_("Called {number} ({name}).")
SERVED = N_("{number} is served.")
NO_SHOW = N_("{number} did not come: marked as no-show.")
SKIPPED = N_("{number} skipped: called again after the others.")
RECALLED = N_("{number} is called again.")
CHECKED_IN = N_("{number} has arrived.")
WALK_IN = N_("Walk-in {name} registered: number {number}.")
SESSION_CANCELLED = N_("{service} {time} is cancelled; {count} patients are told by SMS.")
ALREADY_CANCELLED = N_("{service} {time} was already cancelled.")
CAPACITY_CHANGED = N_("{service} {time} now takes {capacity} patients.")
NOT_TODAY = N_("Patients can be called only on the day of their session.")
NOT_OPEN = N_("{service} {time} is not open.")
BPJS_INVALID = N_("A BPJS card number has 13 digits.")
REASON_REQUIRED = N_("Please write why the session is cancelled (at most 160 characters).")
CAPACITY_INVALID = N_("Capacity must be a whole number from 0 to 9999.")
FORM_EXPIRED = N_("This form was old or incomplete, so nothing was changed. Please try again.")
NOT_YOURS = N_("You may not open this page: it belongs to another facility or role.")
NOT_FOUND = N_("There is no such page, session or queue number.")
NO_FACILITY = N_("Your account belongs to no facility yet; ask an admin.")
BOOKING_UNKNOWN = N_("That queue number does not exist.")
LOGGED_IN_AS = N_(
    "You are logged in as {username}. Logging in here with another account switches to it."
)


def bilingual(msgid: str, **params: Any) -> str:
    """The message in Indonesian, then in English: "Nomor A-003 dipanggil. Called A-003."."""
    return " ".join(_in(language, msgid, params) for language in LANGUAGES)


def refusal(refused: Refused) -> str:
    """An engine refusal as staff read it."""
    return bilingual(refused.reason.message, **refused.params)


def _in(language: str, msgid: str, params: dict[str, Any]) -> str:
    template = catalog(language).get(msgid, msgid) if language != "en" else msgid
    values = {name: localised(value, language) for name, value in params.items()}
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        # A broken translation must not break the page: fall back to the source text.
        return msgid.format(**values)


CANCEL_SESSION_QUESTION = N_(
    "Cancel {service} {time} on {day}? Patients cancelled: {cancelled}. Told by SMS: {told}."
)
NAME_TOO_LONG = N_("A name has at most {limit} letters; this one has {length}. Please shorten it.")
DAY_NOT_SHOWN = N_(
    "There is no day {day} to show: only today and the next booking days. This is today."
)
ACCOUNT_UNLOCKED = N_("{username} is unlocked: the account may log in again at once.")
ACCOUNT_DEACTIVATED = N_("{username} is deactivated: every session of the account has ended.")
ACCOUNT_ACTIVATED = N_("{username} is active again; it logs in anew.")
