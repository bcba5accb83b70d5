"""Prove a menu tree sound: every reference resolves and every screen can be reached."""

from __future__ import annotations

from collections.abc import Iterator, Set
from dataclasses import dataclass

from menus.screens import Confirm, End, ListScreen, Menu, Screen, TextInput, Tree


class MenuError(Exception):
    """A menu tree with dangling references or unreachable screens; the message lists them."""


@dataclass(frozen=True)
class Names:
    """The names the USSD engine gives meaning to."""

    actions: Set[str]
    items: Set[str]
    words: Set[str]


def next_screens(screen: Screen) -> Iterator[str]:
    """The screens one input can lead to from `screen` (besides back and home)."""
    if isinstance(screen, Menu | Confirm):
        for option in screen.options:
            yield option.next
    elif isinstance(screen, ListScreen | TextInput):
        yield screen.next


def problems(tree: Tree, names: Names) -> list[str]:
    """Everything wrong with the tree, one line each; empty when it is sound."""
    found: list[str] = []
    for special in ("root", "welcome", "refused", "dialled"):
        if getattr(tree, special) not in tree.screens:
            found.append(f"{special} screen {getattr(tree, special)!r} does not exist")
    for key, screen in tree.screens.items():
        if key != screen.id:
            found.append(f"screen {screen.id!r} is filed under {key!r}")
        found.extend(_references(screen, tree, names))
    if not isinstance(tree.screens.get(tree.refused), Menu):
        found.append("the refused screen must be a menu (back and home lead out of it)")
    if not isinstance(tree.screens.get(tree.dialled), TextInput):
        found.append("the dialled screen must be a text input (it takes a typed code)")
    unreachable = set(tree.screens) - reachable(tree)
    found.extend(f"screen {name!r} cannot be reached" for name in sorted(unreachable))
    return found


def reachable(tree: Tree) -> set[str]:
    """Screens reachable from the root and the welcome screen (the walker's own starts)."""
    seen: set[str] = set()
    todo = [tree.root, tree.welcome]
    for screen in tree.screens.values():
        actions = _actions(screen)
        if actions:
            todo.append(tree.refused)  # any action may be refused
            break
    while todo:
        name = todo.pop()
        if name in seen or name not in tree.screens:
            continue
        seen.add(name)
        todo.extend(next_screens(tree.screens[name]))
    return seen


def check(tree: Tree, names: Names) -> None:
    """Raise MenuError naming every problem; run by a test and at start-up."""
    found = problems(tree, names)
    if found:
        raise MenuError("menu tree is broken: " + "; ".join(found))


def _actions(screen: Screen) -> list[str]:
    if isinstance(screen, Menu | Confirm):
        return [option.action for option in screen.options if option.action]
    if isinstance(screen, ListScreen | TextInput):
        return [screen.action]
    return []


def _references(screen: Screen, tree: Tree, names: Names) -> Iterator[str]:
    for target in next_screens(screen):
        if target not in tree.screens:
            yield f"screen {screen.id!r} leads to missing screen {target!r}"
    for action in _actions(screen):
        if action not in names.actions:
            yield f"screen {screen.id!r} names unknown action {action!r}"
    words = screen.words
    if words is not None and words not in names.words:
        yield f"screen {screen.id!r} names unknown words {words!r}"
    if isinstance(screen, ListScreen) and screen.items not in names.items:
        yield f"screen {screen.id!r} names unknown list {screen.items!r}"
    if isinstance(screen, Confirm) and not any(option.action for option in screen.options):
        yield f"confirm screen {screen.id!r} confirms nothing (no option has an action)"
    if isinstance(screen, Menu | Confirm) and len(screen.options) > 9:
        yield f"screen {screen.id!r} has more than 9 options"
    if isinstance(screen, End) and screen.id in (tree.root, tree.welcome):
        yield f"start screen {screen.id!r} cannot be an end screen"
