"""Walk the menu tree along a path of inputs, from the start, as if each had been typed.

The walk is a function of the phone's settings, the database and the inputs, so a lost
session store never strands anyone. Back (`0`), home (`00`) and next page (`99`) are handled
here, for every screen alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from menus.screens import Confirm, End, ListScreen, Menu, Screen, TextInput, Tree
from texts import translate
from ussd.actions import ACTIONS
from ussd.context import Again, Context, Go, Refuse, Result, Step, Turn
from ussd.hints import INVALID, NO_MORE
from ussd.render import pages

BACK, HOME, MORE = "0", "00", "99"
# No real session types more than this; a longer path stops where the limit leaves it.
MAX_INPUTS = 64
DIALLED_CODE = re.compile(r"\d{3,8}")


@dataclass(frozen=True)
class Place:
    screen: str
    context: Context
    page: int = 0
    input: str | None = None  # what was typed to get here; None at a start screen


@dataclass(frozen=True)
class Outcome:
    place: Place
    hint: str  # a one-line hint above the screen, or ""
    trail: tuple[str, ...]  # the inputs that lead from the start screen straight here
    finished: bool  # an end screen: the session is over


def split(text: str) -> list[str]:
    """Africa's Talking joins every input so far with `*`; the first request has none."""
    return [part.strip() for part in text.split("*")] if text else []


def start(tree: Tree, ctx: Context) -> Place:
    return Place(tree.root if ctx.facility_id is not None else tree.welcome, ctx)


def walk(tree: Tree, turn: Turn, ctx: Context, inputs: list[str], live_from: int = 0) -> Outcome:
    """Where the inputs lead. Inputs before `live_from` were run by earlier requests."""
    stack = [start(tree, ctx)]
    hint = ""
    for index, typed in enumerate(inputs[:MAX_INPUTS]):
        place = stack[-1]
        screen = tree.screen(place.screen)
        if isinstance(screen, End):
            break  # finished: whatever else was dialled has nothing left to answer
        hint = ""
        step = Step(typed, live=index >= live_from, path=tuple(inputs[: index + 1]))
        if index == 0 and place.input is None and DIALLED_CODE.fullmatch(typed):
            # Digits dialled with the short code (*123*1001#) open that facility.
            dialled = tree.screen(tree.dialled)
            assert isinstance(dialled, TextInput)
            result = ACTIONS[dialled.action](turn, place.context, step)
            if isinstance(result, Again):
                # Said on a screen of its own: above a start screen it would not fit 160.
                result = Refuse(result.hint)
            stack, hint = _follow(tree, stack, result, tree.root, typed)
        elif typed == HOME:
            stack = [start(tree, _settings(place.context))]
        elif typed == BACK:
            if len(stack) > 1:
                stack.pop()
        elif typed == MORE and isinstance(screen, ListScreen):
            if place.page + 1 < len(pages(turn, screen, place.context)):
                stack.append(replace(place, page=place.page + 1, input=typed))
            else:
                hint = translate(place.context.language, NO_MORE)
        else:
            result, target = _choose(turn, screen, place, step)
            stack, hint = _follow(tree, stack, result, target, typed)
    trail = tuple(p.input for p in stack if p.input is not None)
    return Outcome(stack[-1], hint, trail, isinstance(tree.screen(stack[-1].screen), End))


def _choose(turn: Turn, screen: Screen, place: Place, step: Step) -> tuple[Result, str]:
    ctx = place.context
    invalid = Again(translate(ctx.language, INVALID))
    if isinstance(screen, Menu | Confirm):
        number = _pick(step.value, len(screen.options))
        if number is None:
            return invalid, screen.id
        option = screen.options[number - 1]
        if option.action is None:
            return Go(ctx), option.next
        return ACTIONS[option.action](turn, ctx, replace(step, value=option.value)), option.next
    if isinstance(screen, ListScreen):
        cut = pages(turn, screen, ctx)
        shown = cut[min(place.page, len(cut) - 1)] if cut else []
        number = _pick(step.value, len(shown))
        if number is None:
            return invalid, screen.id
        item = shown[number - 1]
        return ACTIONS[screen.action](turn, ctx, replace(step, value=item.value)), screen.next
    if isinstance(screen, TextInput):
        return ACTIONS[screen.action](turn, ctx, step), screen.next
    return invalid, screen.id  # pragma: no cover - an end screen takes no input


def _follow(
    tree: Tree, stack: list[Place], result: Result, target: str, typed: str
) -> tuple[list[Place], str]:
    if isinstance(result, Again):
        return stack, result.hint
    if isinstance(result, Refuse):
        refused = replace(stack[-1].context, notice=result.notice)
        return [*stack, Place(tree.refused, refused, input=typed)], ""
    if target == tree.root:
        return [start(tree, result.context)], ""  # a new facility or language starts afresh
    return [*stack, Place(target, result.context, input=typed)], ""


def _settings(ctx: Context) -> Context:
    return Context(phone=ctx.phone, language=ctx.language, facility_id=ctx.facility_id)


def _pick(typed: str, count: int) -> int | None:
    if not typed.isdecimal() or len(typed) > 2:  # isdigit() takes "²", which int() refuses
        return None
    number = int(typed)
    return number if 1 <= number <= count else None
