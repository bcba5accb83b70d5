"""Screens as text: the words filled in, options numbered, long lists cut into pages.

The views add `CON `/`END `; everything here fits in what is left of 160 characters.
"""

from __future__ import annotations

from menus.screens import Confirm, End, ListScreen, Menu, Screen, TextInput, Tree
from texts import N_, translate
from ussd.context import Context, Item, Turn
from ussd.hints import LIST_HINTS
from ussd.lists import ITEMS
from ussd.words import WORDS

LIMIT = 160
PREFIX = len("CON ")
BACK = N_("0 Back 00 Menu")
MORE = N_("99 More 0 Back 00 Menu")


def text_of(turn: Turn, screen: Screen, ctx: Context) -> str:
    params = WORDS[screen.words](turn, ctx) if screen.words else {}
    return translate(ctx.language, screen.text, **params)


def pages(turn: Turn, screen: ListScreen, ctx: Context) -> list[list[Item]]:
    """The items cut into pages that fit; numbered 1, 2, 3... on every page.

    Pages leave room for the longest list hint (it replaces the title) and for the footer:
    `99 More...` on every page but the last.
    """
    items = ITEMS[screen.items](turn, ctx)
    title = text_of(turn, screen, ctx)
    widest = max([len(title)] + [len(translate(ctx.language, hint)) for hint in LIST_HINTS])
    room = LIMIT - PREFIX - widest - 1
    room_more = room - len(translate(ctx.language, MORE)) - 1
    room_last = room - len(translate(ctx.language, BACK)) - 1
    found: list[list[Item]] = []
    rest = list(items)
    while rest:
        if _height(rest) <= room_last and len(rest) <= 9:
            found.append(rest)
            break
        page: list[Item] = []
        while rest and len(page) < 9 and (not page or _height([*page, rest[0]]) <= room_more):
            page.append(rest.pop(0))
        found.append(page)
    return found


def _height(items: list[Item]) -> int:
    """Characters the numbered lines take, with their line breaks."""
    return sum(len(_line(n, item.label)) + 1 for n, item in enumerate(items, start=1))


def render(tree: Tree, turn: Turn, screen_id: str, ctx: Context, page: int, hint: str) -> str:
    """The screen's text, without the `CON `/`END ` the views add."""
    screen = tree.screen(screen_id)
    lines: list[str] = []
    at_start = screen_id in (tree.root, tree.welcome)
    footer = [] if at_start else [translate(ctx.language, BACK)]
    if isinstance(screen, End):
        return text_of(turn, screen, ctx)
    if isinstance(screen, ListScreen):
        cut = pages(turn, screen, ctx)
        if not cut:
            params = WORDS[screen.words](turn, ctx) if screen.words else {}
            lines = [hint] if hint else []
            lines.append(translate(ctx.language, screen.empty, **params))
            return "\n".join(lines + footer)
        shown = cut[min(page, len(cut) - 1)]
        lines = [hint or text_of(turn, screen, ctx)]
        lines += [_line(n, item.label) for n, item in enumerate(shown, start=1)]
        if page < len(cut) - 1:
            footer = [translate(ctx.language, MORE)]
        return "\n".join(lines + footer)
    lines = [hint] if hint else []
    lines.append(text_of(turn, screen, ctx))
    if isinstance(screen, Menu | Confirm):
        lines += [
            _line(n, translate(ctx.language, option.label))
            for n, option in enumerate(screen.options, start=1)
        ]
    elif not isinstance(screen, TextInput):  # pragma: no cover - the five kinds are above
        raise TypeError(screen)
    return "\n".join(lines + footer)


def _line(number: int, label: str) -> str:
    return f"{number} {label}"
