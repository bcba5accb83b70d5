"""The menu validator: the real tree is sound, broken trees are caught, start-up runs it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

import ussd.views
from antre import create_app
from menus.screens import End, ListScreen, Menu, Option, TextInput
from menus.tree import TREE
from menus.validate import MenuError, Names, check, problems, reachable
from ussd.actions import ACTIONS
from ussd.lists import ITEMS
from ussd.words import WORDS

NAMES = Names(actions=set(ACTIONS), items=set(ITEMS), words=set(WORDS))


def test_the_menu_tree_is_sound_and_every_screen_is_reachable() -> None:
    assert problems(TREE, NAMES) == []
    assert reachable(TREE) == set(TREE.screens)
    check(TREE, NAMES)


def with_screens(*screens: object) -> object:
    found = dict(TREE.screens)
    for screen in screens:
        found[screen.id] = screen  # type: ignore[attr-defined]
    return replace(TREE, screens=found)


@pytest.mark.parametrize(
    ("broken", "problem"),
    [
        (
            with_screens(Menu("main", "{facility}", (Option("x", "nowhere"),), words="facility")),
            "screen 'main' leads to missing screen 'nowhere'",
        ),
        (
            with_screens(TextInput("name", "Name?", action="no_such_action", next="booked_for")),
            "screen 'name' names unknown action 'no_such_action'",
        ),
        (
            with_screens(ListScreen("mine", "t", "no_list", "choose_booking", "ticket", "e")),
            "screen 'mine' names unknown list 'no_list'",
        ),
        (
            with_screens(End("orphan", "Nobody leads here.")),
            "screen 'orphan' cannot be reached",
        ),
        (
            with_screens(End("booked", "{x}", words="no_words")),
            "screen 'booked' names unknown words 'no_words'",
        ),
        (replace(TREE, root="nothing"), "root screen 'nothing' does not exist"),
        (
            with_screens(Menu("language", "t", tuple(Option(str(n), "main") for n in range(10)))),
            "screen 'language' has more than 9 options",
        ),
    ],
)
def test_a_broken_tree_is_caught_naming_the_problem(broken: object, problem: str) -> None:
    found = problems(broken, NAMES)  # type: ignore[arg-type]
    assert problem in found
    with pytest.raises(MenuError, match="menu tree is broken"):
        check(broken, NAMES)  # type: ignore[arg-type]


def test_a_broken_tree_stops_start_up(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    broken = with_screens(End("orphan", "Nobody leads here."))
    monkeypatch.setattr(ussd.views, "TREE", broken)
    with pytest.raises(MenuError, match="screen 'orphan' cannot be reached"):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/a.sqlite3", "REDIS_URL": None})
    monkeypatch.undo()
    assert create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/a.sqlite3", "REDIS_URL": None})
