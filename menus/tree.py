"""Antre's USSD menu (design §4): every screen, every option, every next step.

Names of actions (`action=`), lists (`items=`) and words (`words=`) are looked up in the
tables of `ussd.actions`, `ussd.lists` and `ussd.words`; `menus.validate` checks them.
"""

from __future__ import annotations

from menus.screens import (
    Confirm,
    End,
    ListScreen,
    Menu,
    Option,
    Screen,
    TextInput,
    Tree,
)
from texts import N_

_SCREENS: tuple[Screen, ...] = (
    Menu(
        id="main",
        text="{facility}",
        words="facility",
        options=(
            Option(N_("Take a queue number"), "service"),
            Option(N_("My numbers"), "mine"),
            Option(N_("Cancel a number"), "cancel_pick"),
            Option(N_("Change health centre"), "facility_how"),
            Option(N_("Bahasa/Language"), "language"),
        ),
    ),
    Menu(
        id="welcome",
        text=N_("Antre: clinic queue numbers. Choose your health centre:"),
        options=(
            Option(N_("Type its code"), "facility_code"),
            Option(N_("Choose from a list"), "district"),
            Option(N_("Bahasa/Language"), "language"),
        ),
    ),
    # Take a number: service, then day and time together (one screen saved), then for whom.
    ListScreen(
        id="service",
        text=N_("Choose a service:"),
        items="services",
        action="choose_service",
        next="when",
        empty=N_("No service takes bookings here now."),
    ),
    ListScreen(
        id="when",
        text=N_("{service}: when?"),
        words="service",
        items="slots",
        action="choose_slot",
        next="confirm",
        empty=N_("No open {service} session today or tomorrow."),
    ),
    Confirm(
        id="confirm",
        text=N_("{service}, {day} {hours}. Who is the number for?"),
        words="slot",
        # Short labels: at the longest names a third option fits 160 characters only so.
        options=(
            Option(N_("For me"), "booked", action="book"),
            Option(N_("Someone else"), "name"),
            # The card is optional and off the path without one (five requests to a number).
            Option(N_("Use BPJS"), "card"),
        ),
    ),
    TextInput(
        id="card",
        text=N_("Type the BPJS card number (13 digits):"),
        action="choose_card",
        next="confirm_card",
    ),
    Confirm(
        id="confirm_card",
        text=N_("{service}, {day} {hours}\nBPJS card {card}. Who is it for?"),
        words="slot_card",
        options=(
            Option(N_("For me"), "booked", action="book"),
            Option(N_("Someone else"), "name"),
        ),
    ),
    TextInput(
        id="name",
        text=N_("Type the patient's name:"),
        action="book_for",
        next="booked_for",
    ),
    End(
        id="booked",
        text=N_(
            "Your number: {number}\n{service}, {day}\n"
            "{ahead} ahead of you, about {time}.\nSMS follows."
        ),
        words="booked",
    ),
    End(
        id="booked_for",
        text=N_(
            "Number {number} for {name}\n{service}, {day}\n"
            "{ahead} ahead, about {time}.\nSMS follows."
        ),
        words="booked",
    ),
    # My numbers, and cancel from there.
    ListScreen(
        id="mine",
        text=N_("Your numbers:"),
        items="bookings",
        action="choose_booking",
        next="ticket",
        empty=N_("You have no active queue number."),
    ),
    Menu(
        id="ticket",
        text=N_("{number} {service}, {day}\nServing: {serving}\n{ahead} ahead, about {time}"),
        words="ticket",
        options=(Option(N_("Cancel this number"), "cancel_confirm"),),
    ),
    ListScreen(
        id="cancel_pick",
        text=N_("Which number to cancel?"),
        items="bookings",
        action="choose_booking",
        next="cancel_confirm",
        empty=N_("You have no active queue number."),
    ),
    Confirm(
        id="cancel_confirm",
        text=N_("Cancel number {number}, {service}, {day}?"),
        words="ticket",
        options=(Option(N_("Yes, cancel it"), "cancelled", action="cancel"),),
    ),
    End(
        id="cancelled",
        text=N_("Number {number} for {service}, {day} is cancelled."),
        words="ticket",
    ),
    # Change facility: by code, or district then facility.
    Menu(
        id="facility_how",
        text=N_("Change health centre:"),
        options=(
            Option(N_("Type its code"), "facility_code"),
            Option(N_("Choose from a list"), "district"),
        ),
    ),
    TextInput(
        id="facility_code",
        text=N_("Type the health centre's code (for example 1001):"),
        action="facility_code",
        next="main",
    ),
    ListScreen(
        id="district",
        text=N_("Choose a district or city:"),
        items="districts",
        action="choose_district",
        next="facility_pick",
        empty=N_("No health centre takes bookings now."),
    ),
    ListScreen(
        id="facility_pick",
        text=N_("Choose a health centre:"),
        items="facilities",
        action="choose_facility",
        next="main",
        empty=N_("No health centre takes bookings now."),
    ),
    Menu(
        id="language",
        text="Bahasa/Language:",
        options=(
            Option("Bahasa Indonesia", "main", action="set_language", value="id"),
            Option("English", "main", action="set_language", value="en"),
        ),
    ),
    # Where a refusal of the engine is shown (session full, already booked, too late...).
    Menu(id="refused", text="{reason}", words="notice", options=()),
)

TREE = Tree(
    root="main",
    welcome="welcome",
    refused="refused",
    dialled="facility_code",
    screens={screen.id: screen for screen in _SCREENS},
)
