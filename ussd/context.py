"""What the walker carries from screen to screen, and what the named tables answer with."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from ussd.cache import Catalog

T = TypeVar("T")
# Memo keys of single rows read by id (or the phone's own row); a change keeps them.
ROWS = frozenset({"facility", "service", "session", "booking", "code", "phone"})


@dataclass(frozen=True)
class Context:
    """The phone's settings and the choices made so far on the way to the current screen."""

    phone: str
    language: str
    facility_id: int | None
    service_id: int | None = None
    clinic_session_id: int | None = None  # the clinic session picked, not the USSD session
    booking_id: int | None = None
    district: str | None = None
    card: str | None = None  # the BPJS card number typed on the way to this screen
    notice: str = ""  # why the engine refused, already in the phone's language


@dataclass
class Turn:
    """One request: the database transaction, the clock, and a memo of what it read."""

    db: Session
    now: datetime
    session_key: str  # the gateway's sessionId, for idempotency keys
    memo: dict[tuple[Any, ...], Any] = field(default_factory=dict)
    changed: bool = False  # a booking, a cancellation or a setting was written
    catalog: Catalog | None = None  # the process's facility cards; None: read the database
    # An earlier input picked an item by its place in today's list, not by the one the caller
    # saw (the store lost what the screen showed): a confirm must ask again, not act on it.
    guessed: bool = False

    def remember(self, key: tuple[Any, ...], load: Callable[[], T]) -> T:
        """Read once per request: walking a long path asks the same questions again."""
        if key not in self.memo:
            self.memo[key] = load()
        value: T = self.memo[key]
        return value

    def forget(self) -> None:
        """After a change (a booking, a cancellation) lists must be read again.

        Rows read by their id stay: besides saving their queries, the memo is what keeps them
        in the ORM's weakly referenced identity map for the screens still to draw.
        """
        for key in [key for key in self.memo if key[0] not in ROWS]:
            del self.memo[key]


@dataclass(frozen=True)
class Step:
    """One input handed to an action."""

    value: str
    live: bool  # False when an earlier request already ran this input: change nothing
    path: tuple[str, ...]  # every input up to and including this one


@dataclass(frozen=True)
class Item:
    label: str
    value: str


@dataclass(frozen=True)
class Go:
    """The action worked: carry on to the next screen with this context."""

    context: Context


@dataclass(frozen=True)
class Again:
    """The input cannot be used: show the same screen with this one-line hint."""

    hint: str


@dataclass(frozen=True)
class Refuse:
    """The engine said no: show why, on a screen the user can go back from."""

    notice: str


@dataclass(frozen=True)
class Changed:
    """What the caller confirmed changed meanwhile: say so above the list it was picked from."""

    hint: str


Result = Go | Again | Refuse | Changed
Action = Callable[[Turn, Context, Step], Result]
Items = Callable[[Turn, Context], list[Item]]
Words = Callable[[Turn, Context], dict[str, object]]
