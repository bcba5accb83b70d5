"""Who is called next: one rule for call next, the queue page, the waiting-room screen and
the people-ahead count.

Skipped patients wait until everyone else was called; priority patients (lansia, ibu hamil,
disabilitas) go by their facility's rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

from booking.models import Priority, PriorityRule


class Waiting(Protocol):
    """What the calling order looks at: a booking, or a row the console shows for one."""

    @property
    def number(self) -> int: ...
    @property
    def skipped(self) -> bool: ...
    @property
    def priority(self) -> Priority | None: ...


W = TypeVar("W", bound=Waiting)


def calling_order(
    waiting: Sequence[W], rule: PriorityRule, every: int, calls_since_priority: int
) -> list[W]:
    """The waiting patients in the order call next takes them, first to be called first.

    Skipped patients wait until everyone else was called (a round of their own, after). In
    each round, by number, except priority patients: under FIRST they go before the others;
    under EVERY_NTH one of them is called after every `every - 1` others, counting on from the
    calls already made (`calls_since_priority`); with nobody of one kind left, the other goes.
    """
    order: list[W] = []
    since = calls_since_priority
    for skipped_round in (False, True):
        round_ = sorted((w for w in waiting if w.skipped == skipped_round), key=_number)
        first = [w for w in round_ if w.priority is not None]
        others = [w for w in round_ if w.priority is None]
        if rule is PriorityRule.FIRST:
            order += first + others
            continue
        while first or others:
            if first and (since >= every - 1 or not others):
                order.append(first.pop(0))
                since = 0
            else:
                order.append(others.pop(0))
                since += 1
    return order


def _number(waiting: Waiting) -> int:
    return waiting.number
