"""The five kinds of USSD screen, as typed data.

A screen names its text (a gettext msgid), where the text's `{fields}` come from (`words`, a
name in the words table), and where each input leads. Actions, lists and words are referred
to by name; `ussd/` holds the tables that give the names meaning and `menus.validate` proves
that every name resolves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Option:
    """One numbered line of a menu or a confirm screen."""

    label: str  # msgid
    next: str  # screen id
    action: str | None = None  # name in the action table, run when the option is chosen
    value: str = ""  # handed to the action


@dataclass(frozen=True)
class Menu:
    """Numbered options that lead to other screens."""

    id: str
    text: str
    options: tuple[Option, ...]
    words: str | None = None


@dataclass(frozen=True)
class ListScreen:
    """Numbered items read from the database, a page at a time (`99` turns the page)."""

    id: str
    text: str
    items: str  # name in the items table
    action: str  # run with the picked item's value
    next: str
    empty: str  # msgid shown instead when there is nothing to pick
    words: str | None = None


@dataclass(frozen=True)
class TextInput:
    """A prompt for free text; the action checks it and says what is wrong."""

    id: str
    text: str
    action: str
    next: str
    words: str | None = None


@dataclass(frozen=True)
class Confirm:
    """A summary of what is about to happen, with the options that make it happen."""

    id: str
    text: str
    words: str
    options: tuple[Option, ...]


@dataclass(frozen=True)
class End:
    """The last screen of a session (`END`)."""

    id: str
    text: str
    words: str | None = None


Screen = Menu | ListScreen | TextInput | Confirm | End


@dataclass(frozen=True)
class Tree:
    """A whole menu: its screens and the four screens the walker itself goes to."""

    root: str  # the main menu; needs a facility
    welcome: str  # the first screen of a phone that has no facility yet
    refused: str  # where an action the engine refused says why
    dialled: str  # the text input that takes a facility code dialled with the short code
    screens: Mapping[str, Screen]

    def screen(self, screen_id: str) -> Screen:
        return self.screens[screen_id]
