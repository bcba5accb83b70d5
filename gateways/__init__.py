"""SMS gateways behind one small two-way interface (`gateways.contract`), one folder each.

Gateways are listed here, explicitly: a new one is a folder and a line in `REGISTRATIONS`.
`ANTRE_SMS_GATEWAY` names the default; every other gateway whose settings are given is there
too (`Switchboard`), so that a reply leaves through the gateway its SMS came in on and a
facility's SMS through the gateway that carries the facility's own number.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from gateways import africastalking, android, console, kannel
from gateways.contract import Callback, Gateway, Outcome, Registration, SendResult

__all__ = [
    "GATEWAYS",
    "Gateway",
    "Outcome",
    "SendResult",
    "Switchboard",
    "callbacks",
    "from_settings",
    "settings_defaults",
]

log = logging.getLogger(__name__)

REGISTRATIONS: tuple[Registration, ...] = (
    console.REGISTRATION,
    africastalking.REGISTRATION,
    android.REGISTRATION,
    kannel.REGISTRATION,
)
GATEWAYS: dict[str, Registration] = {found.name: found for found in REGISTRATIONS}


def settings_defaults() -> dict[str, Any]:
    """Every gateway's own settings with their defaults (named without `ANTRE_`)."""
    return {name: value for found in REGISTRATIONS for name, value in found.settings.items()}


def callbacks() -> list[tuple[str, Callback]]:
    """Every gateway's callbacks, with the gateway's name: all are served, always."""
    return [(found.name, callback) for found in REGISTRATIONS for callback in found.callbacks]


def default_name(settings: Mapping[str, Any]) -> str:
    return str(settings.get("SMS_GATEWAY") or "console").strip().lower()


def from_settings(settings: Mapping[str, Any]) -> Gateway:
    """The gateway that `SMS_GATEWAY` names, built from the app's settings.

    Raises ValueError, naming the setting, when the name is unknown or its settings are missing.
    """
    name = default_name(settings)
    found = GATEWAYS.get(name)
    if found is None:
        raise ValueError(
            f"ANTRE_SMS_GATEWAY {name!r} is not a gateway; choose one of {', '.join(GATEWAYS)}"
        )
    return found.build(settings)


class Switchboard:
    """The default gateway and every other one the settings configure, by name."""

    def __init__(self, settings: Mapping[str, Any]) -> None:
        self.default = from_settings(settings)
        self.by_name: dict[str, Gateway] = {self.default.name: self.default}
        for found in REGISTRATIONS:
            if found.name not in self.by_name and found.configured(settings):
                self.by_name[found.name] = found.build(settings)

    @property
    def refusing_copies(self) -> frozenset[str]:
        """The names of the gateways here that refuse a second message with our id."""
        return frozenset(name for name, gateway in self.by_name.items() if gateway.refuses_copies)

    @property
    def timeout(self) -> float:
        """The longest any of them may wait for an answer."""
        return max(gateway.timeout for gateway in self.by_name.values())

    def pick(self, name: str | None) -> Gateway:
        """The gateway called `name` if it is configured here, else the default."""
        if name is None:
            return self.default
        chosen = self.by_name.get(name)
        if chosen is None:
            log.debug("gateway %r is not configured: sending through %s", name, self.default.name)
            return self.default
        return chosen
