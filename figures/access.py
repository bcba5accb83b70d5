"""Who may see which figures: a small pure decision, tested on its own.

- admins: every district, every facility;
- district viewers: their own district and its facilities;
- facility staff and facility admins: their own facility only.
An inactive account, or a viewer without a district, sees nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class Account(Protocol):
    @property
    def role(self) -> str: ...
    @property
    def district(self) -> str | None: ...
    @property
    def facility_id(self) -> int | None: ...
    @property
    def active(self) -> bool: ...


@dataclass(frozen=True)
class Place:
    """Where the account's own facility is (None for accounts without one)."""

    code: str
    district: str


@dataclass(frozen=True)
class Allowed:
    district: str | None  # None: every district
    facility: str | None  # None: every facility of the district


def decide(
    account: Account,
    own: Place | None,
    district: str | None,
    facility: str | None,
    district_of_facility: str | None,
) -> Allowed | None:
    """The district and facility this account may see for a request, or None if refused.

    `district` and `facility` are what was asked for (None: not asked, take the default);
    `own` is the account's facility; `district_of_facility` is where the asked facility is.
    """
    if not account.active:
        return None
    role = str(account.role)
    if facility is not None and district is not None and district_of_facility != district:
        return None
    if role == "admin":
        return Allowed(district if facility is None else district_of_facility, facility)
    if role == "district_viewer":
        mine = account.district
        if not mine or district not in (None, mine):
            return None
        if facility is not None and district_of_facility != mine:
            return None
        return Allowed(mine, facility)
    if role in ("staff", "facility_admin"):
        if own is None or district not in (None, own.district) or facility not in (None, own.code):
            return None
        return Allowed(own.district, own.code)
    return None
