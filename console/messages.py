"""What the console tells staff, in the language of the page (console/language.py).

The English text is the msgid (as everywhere in Antre); the Indonesian is in
texts/locale/id/console.po. The engine's refusals and the admin checks' `Invalid` come with
their own msgids (booking.po) and read the same. Placeholders are `{name}`, filled after
translation, as in the SMS texts.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext, ngettext
from flask_babel.speaklater import LazyString

from booking.errors import Refused
from booking.validation import Invalid
from console.language import current_language
from texts import N_, localised

CALLED = N_("Called {number} ({name}).")
SERVED = N_("{number} is served.")
NO_SHOW = N_("{number} did not come: marked as no-show.")
SKIPPED = N_("{number} skipped: called again after the others.")
RECALLED = N_("{number} is called again.")
ROOM_CHOSEN = N_("Numbers called from this computer go to {room}.")
NO_ROOM_CHOSEN = N_("Numbers called from this computer go to the poli.")
ROOM_UNKNOWN = N_("That room or counter is not one of this facility's.")
CHECKED_IN = N_("{number} has arrived.")
WALK_IN = N_("Walk-in {name} registered: number {number}.")
WALK_IN_ON_DAY = N_("{name} registered for {day}: number {number}.")
PRIORITY_MARKED = N_("{number} is now a priority patient.")
PRIORITY_CLEARED = N_("{number} is no longer a priority patient.")
SEARCH_UNCLEAR = N_(
    "Type a name (2 letters or more), the last digits of a phone or BPJS card "
    "(3 or more), or a ticket code such as A-012."
)
# One and many: Indonesian has one form, English two (ngettext).
SESSION_CANCELLED = (
    N_("{service} {time} is cancelled; {count} patient is told by SMS."),
    N_("{service} {time} is cancelled; {count} patients are told by SMS."),
)
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

# The waiting-room display (console/display.py).
CANCELLED_TODAY = N_("Cancelled today")
CANCELLED_TODAY_BECAUSE = N_("Cancelled today: {reason}")

# The admin pages (console/admin.py, console/admin_schedule.py).
FACILITY_CREATED = N_("{name} ({code}) is created.")
SAVED = N_("{name} is saved.")
NUMBER_ADDED = N_("Number {number} is added.")
NUMBER_REMOVED = N_("Number {number} is removed.")
RULES_SAVED = N_("Rules saved.")
SERVICE_CREATED = N_("{name} is created; now add its schedule.")
TEMPLATE_DEACTIVATED = N_("Template deactivated; sessions already made stay.")
HOLIDAY_ADDED = N_("{day} is now a holiday: {name}.")
HOLIDAY_SESSIONS_STAND = N_(
    "That day still has sessions: {sessions}, with patients booked: {patients}. "
    "Cancel them below so that they are told by SMS."
)
HOLIDAY_REMOVED = N_("{day} is no longer a holiday; make its sessions with 'Generate'.")
HOLIDAY_CANCELLED = N_("Sessions cancelled: {sessions}; patients told by SMS: {bookings}.")
GENERATED = N_("New sessions for the next {days} days: {count}.")

# The desk's questions and corrections (console/queue.py).
CANCEL_SESSION_QUESTION = N_(
    "Cancel {service} {time} on {day}? Patients cancelled: {cancelled}. Told by SMS: {told}."
)
NAME_TOO_LONG = N_("A name has at most {limit} letters; this one has {length}. Please shorten it.")
DAY_NOT_SHOWN = N_(
    "There is no day {day} to show: only today and the next booking days. This is today."
)

# The accounts page (console/accounts.py).
ACCOUNT_UNLOCKED = N_("{username} is unlocked: the account may log in again at once.")
ACCOUNT_DEACTIVATED = N_("{username} is deactivated: every session of the account has ended.")
ACCOUNT_ACTIVATED = N_("{username} is active again; it logs in anew.")

# The BPJS pages (console/bpjs_calls.py, console/bpjs_reference.py).
BPJS_WAITING = N_("waiting")
BPJS_SENDING = N_("sending")
BPJS_SENT = N_("sent")
BPJS_REFUSED = N_("refused by BPJS")
BPJS_NOT_REFUSED = N_("This call was not refused.")
BPJS_SENT_AGAIN = N_("Sent to BPJS again.")
BPJS_UNREACHABLE = N_("BPJS cannot be reached; type the code yourself.")
BPJS_EMPTY_LIST = N_("BPJS has nothing for {lists}: “{message}”")
BPJS_DOCTOR_SAVED = N_("BPJS doctor code saved.")

# The failed SMS page (console/failed_sms.py).
SMS_RESENT = N_("{count} SMS will be sent again within a minute; {left} left as they are.")


def say(msgid: str, **params: Any) -> str:
    """The message in the page's language: "Nomor A-003 dipanggil." or "Called A-003."."""
    return _filled(gettext(msgid), msgid, params)


def say_count(forms: tuple[str, str], count: int, **params: Any) -> str:
    """A message about `count` things, in the form the language gives that count."""
    singular, plural = forms
    return _filled(ngettext(singular, plural, count), plural, {**params, "count": count})


def lazy(msgid: str, **params: Any) -> LazyString:
    """A message translated when shown, not when defined (forms are made at import)."""
    return LazyString(say, msgid, **params)


def invalid(error: Invalid) -> str:
    """What staff typed and must correct (booking/validation.py), as they read it."""
    return say(error.msgid, **error.params)


def refusal(refused: Refused) -> str:
    """An engine refusal as staff read it."""
    return say(refused.reason.message, **refused.params)


def _filled(template: str, msgid: str, params: dict[str, Any]) -> str:
    language = current_language()
    values = {name: localised(value, language) for name, value in params.items()}
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        # A broken translation must not break the page: fall back to the source text.
        return msgid.format(**values)
