"""The one-line hints shown above a screen that is shown again."""

from __future__ import annotations

from texts import N_

INVALID = N_("Not a choice, try again.")
FULL = N_("That time is full.")
NO_MORE = N_("No more pages.")
RESUMED = N_("Continuing from before.")
CODE_INVALID = N_("A code is 3 to 8 digits.")
CARD_INVALID = N_("A BPJS card number is 13 digits.")
# What a caller picked or confirmed changed since their screen showed it.
CHANGED = N_("That list changed, choose again.")
SLOT_GONE = N_("That time is no longer open.")
NUMBER_GONE = N_("That number is no longer active.")
NUMBER_CALLED = N_("That number was already called.")
# The store lost what the caller's screens showed: a confirm asks for the pick again.
CHOOSE_AGAIN = N_("Please choose again.")
# An earlier request tried this and was refused; the walk only needs to know it went nowhere.
NOT_DONE = N_("That could not be done. Go back to choose again.")

# The hints a list screen may show in place of its title: pages leave room for the longest.
LIST_HINTS = (
    INVALID,
    FULL,
    NO_MORE,
    RESUMED,
    CHANGED,
    SLOT_GONE,
    NUMBER_GONE,
    NUMBER_CALLED,
    CHOOSE_AGAIN,
)
