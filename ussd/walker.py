"""Walk the menu tree along a path of inputs, as if each had been typed.

The walk is a function of the phone's settings, the database, the inputs and what the
session store kept of the earlier requests (`Kept`): for each list screen shown, the items it
showed, so that a number typed there picks what the caller saw, not what stands at that place
in today's list; and the screens the caller stands on, so that a key press starts from there
and does only its own work. When the store lost that (a redial, Redis gone), the path is
walked from the start, a pick falls back to today's list and a confirm after it asks again
instead of acting on a guess. Back (`0`), home (`00`) and next page (`99`) are handled here,
for every screen alike.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from menus.screens import Confirm, End, ListScreen, Menu, Screen, TextInput, Tree
from texts import translate
from ussd import reads
from ussd.actions import ACTIONS, request_key
from ussd.context import Again, Changed, Context, Go, Refuse, Result, Step, Turn
from ussd.hints import CHOOSE_AGAIN, INVALID, NO_MORE
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
    index: int = -1  # which input that was


@dataclass(frozen=True)
class Kept:
    """What earlier requests of the session left, by input index (counted from the start).

    `shown[i]`: the values of the items on the list screen that waited for input i. `again`:
    inputs answered with a hint on the same screen (so the caller saw that). `skip`: inputs
    typed on a screen whose items had changed; they do nothing.
    """

    shown: Mapping[int, tuple[str, ...]] = field(default_factory=dict)
    again: frozenset[int] = frozenset()
    skip: frozenset[int] = frozenset()
    # The screens from the start to the one the caller stands on (back returns to the one
    # below), as the walk of the first `walked` inputs left them; empty: walk from the start.
    stack: tuple[Place, ...] = ()
    walked: int = 0


@dataclass(frozen=True)
class Outcome:
    place: Place
    hint: str  # a one-line hint above the screen, or ""
    trail: tuple[str, ...]  # the inputs that lead from the start screen straight here
    finished: bool  # an end screen: the session is over
    kept: Kept = field(default_factory=Kept)  # what the next request needs of this walk


def split(text: str) -> list[str]:
    """Africa's Talking joins every input so far with `*`; the first request has none."""
    return [part.strip() for part in text.split("*")] if text else []


def start(tree: Tree, ctx: Context) -> Place:
    return Place(tree.root if ctx.facility_id is not None else tree.welcome, ctx)


def walk(
    tree: Tree,
    turn: Turn,
    ctx: Context,
    inputs: list[str],
    live_from: int = 0,
    kept: Kept | None = None,
) -> Outcome:
    """Where the inputs lead. Inputs before `live_from` were run by earlier requests.

    When `kept` holds the screens an earlier request's walk of the first inputs ended on, the
    walk goes on from there: those inputs are not run again.
    """
    kept = kept or Kept()
    inputs = inputs[:MAX_INPUTS]
    stack = [start(tree, ctx)]
    shown: dict[int, tuple[str, ...]] = {}
    again: set[int] = set()
    begin = 0
    if kept.stack and kept.walked <= len(inputs):
        # What walking the first inputs again would give, without their reads: the screens,
        # and what the lists among them showed and answered.
        stack, begin = list(kept.stack), kept.walked
        shown = {index: items for index, items in kept.shown.items() if index < begin}
        again = {index for index in kept.again if index < begin}
    hint = ""
    skip = set(kept.skip)
    for index, typed in enumerate(inputs[begin:], start=begin):
        place = stack[-1]
        screen = tree.screen(place.screen)
        if isinstance(screen, End):
            break  # finished: whatever else was dialled has nothing left to answer
        if index in skip:
            continue
        hint = ""
        live = index >= live_from
        step = Step(typed, live=live, path=tuple(inputs[: index + 1]))
        if index == 0 and place.input is None and DIALLED_CODE.fullmatch(typed):
            # Digits dialled with the short code (*123*1001#) open that facility.
            dialled = tree.screen(tree.dialled)
            assert isinstance(dialled, TextInput)
            result = ACTIONS[dialled.action](turn, place.context, step)
            if isinstance(result, Again):
                # Said on a screen of its own: above a start screen it would not fit 160.
                result = Refuse(result.hint)
            stack, hint = _follow(tree, stack, result, tree.root, typed, index)
        elif typed == HOME:
            stack = [start(tree, _settings(place.context))]
        elif typed == BACK:
            if len(stack) > 1:
                stack.pop()
        elif typed == MORE and isinstance(screen, ListScreen):
            shown[index] = _shown(turn, screen, place, kept, index)
            if place.page + 1 < len(pages(turn, screen, place.context)):
                stack.append(replace(place, page=place.page + 1, input=typed, index=index))
            else:
                hint = translate(place.context.language, NO_MORE)
                again.add(index)
        else:
            if isinstance(screen, ListScreen):
                shown[index] = _shown(turn, screen, place, kept, index)
            result, target = _choose(turn, screen, place, step, kept.shown.get(index))
            if isinstance(result, Changed):
                # What the caller confirmed changed: back to the list it came from, afresh;
                # what was typed since that list does nothing, now or when walked again.
                left = _left_from(stack, tree, index)
                stack = _upto_list(stack, tree)
                skip.update(range(left, len(inputs)))
                hint = result.hint
                break
            stack, hint = _follow(tree, stack, result, target, typed, index)
            if hint:
                if not live and index not in kept.again:
                    # This answered differently before: the screen's items changed since.
                    # The caller has not seen that: stop here and say so.
                    skip.update(range(index, len(inputs)))
                    break
                again.add(index)
                if live and index < len(inputs) - 1:
                    # Dialled in one string: what follows was meant for another screen.
                    skip.update(range(index + 1, len(inputs)))
                    break
    place = stack[-1]
    final = tree.screen(place.screen)
    if isinstance(final, ListScreen):
        shown[len(inputs)] = _shown(turn, final, place, Kept(), len(inputs))
    trail = tuple(p.input for p in stack if p.input is not None)
    return Outcome(
        place,
        hint,
        trail,
        isinstance(final, End),
        Kept(shown, frozenset(again), frozenset(skip), tuple(stack), len(inputs)),
    )


def _shown(turn: Turn, screen: ListScreen, place: Place, kept: Kept, index: int) -> tuple[str, ...]:
    """The values of the items the list screen waiting for input `index` showed."""
    if index in kept.shown:
        return kept.shown[index]
    cut = pages(turn, screen, place.context)
    return tuple(item.value for item in cut[min(place.page, len(cut) - 1)]) if cut else ()


def _choose(
    turn: Turn, screen: Screen, place: Place, step: Step, seen: tuple[str, ...] | None
) -> tuple[Result, str]:
    ctx = place.context
    invalid = Again(translate(ctx.language, INVALID))
    if isinstance(screen, Menu | Confirm):
        number = _pick(step.value, len(screen.options))
        if number is None:
            return invalid, screen.id
        option = screen.options[number - 1]
        if option.action is None:
            return Go(ctx), option.next
        guess = step.live and turn.guessed and isinstance(screen, Confirm)
        if guess and not reads.done(turn, request_key(turn, step)):
            # A retried confirm that already acted is answered as before; a new one asks.
            return Changed(translate(ctx.language, CHOOSE_AGAIN)), screen.id
        return ACTIONS[option.action](turn, ctx, replace(step, value=option.value)), option.next
    if isinstance(screen, ListScreen):
        if seen is None:
            # The store does not know what this screen showed: today's list stands in.
            cut = pages(turn, screen, ctx)
            seen = tuple(item.value for item in cut[min(place.page, len(cut) - 1)]) if cut else ()
            if not step.live:
                turn.guessed = True
        number = _pick(step.value, len(seen))
        if number is None:
            return invalid, screen.id
        value = seen[number - 1]
        return ACTIONS[screen.action](turn, ctx, replace(step, value=value)), screen.next
    if isinstance(screen, TextInput):
        return ACTIONS[screen.action](turn, ctx, step), screen.next
    return invalid, screen.id  # pragma: no cover - an end screen takes no input


def _left_from(stack: list[Place], tree: Tree, index: int) -> int:
    """The input that left the nearest list screen below the top of the stack."""
    for below, above in zip(reversed(stack[:-1]), reversed(stack[1:]), strict=False):
        if isinstance(tree.screen(below.screen), ListScreen):
            return above.index
    return index


def _upto_list(stack: list[Place], tree: Tree) -> list[Place]:
    for depth in range(len(stack) - 1, -1, -1):
        if isinstance(tree.screen(stack[depth].screen), ListScreen):
            return stack[: depth + 1]
    return stack


def _follow(
    tree: Tree, stack: list[Place], result: Result, target: str, typed: str, index: int
) -> tuple[list[Place], str]:
    if isinstance(result, Again | Changed):
        return stack, result.hint
    if isinstance(result, Refuse):
        refused = replace(stack[-1].context, notice=result.notice)
        return [*stack, Place(tree.refused, refused, input=typed, index=index)], ""
    if target == tree.root:
        return [start(tree, result.context)], ""  # a new facility or language starts afresh
    return [*stack, Place(target, result.context, input=typed, index=index)], ""


def _settings(ctx: Context) -> Context:
    return Context(phone=ctx.phone, language=ctx.language, facility_id=ctx.facility_id)


def _pick(typed: str, count: int) -> int | None:
    if not typed.isdecimal() or len(typed) > 2:  # isdigit() takes "²", which int() refuses
        return None
    number = int(typed)
    return number if 1 <= number <= count else None
