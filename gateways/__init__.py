"""SMS gateways behind one small interface (`gateways.contract`), one module per gateway.

Gateways are listed here, explicitly: a new one is a module and a line in `GATEWAYS`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from gateways import africastalking, console
from gateways.contract import Gateway, Outcome, SendResult

__all__ = ["GATEWAYS", "Gateway", "Outcome", "SendResult", "from_settings"]

GATEWAYS: dict[str, Callable[[Mapping[str, Any]], Gateway]] = {
    "console": console.from_settings,
    "africastalking": africastalking.from_settings,
}


def from_settings(settings: Mapping[str, Any]) -> Gateway:
    """The gateway that `SMS_GATEWAY` names, built from the app's settings.

    Raises ValueError, naming the setting, when the name is unknown or its settings are missing.
    """
    name = str(settings.get("SMS_GATEWAY") or "console").strip().lower()
    build = GATEWAYS.get(name)
    if build is None:
        raise ValueError(
            f"ANTRE_SMS_GATEWAY {name!r} is not a gateway; choose one of {', '.join(GATEWAYS)}"
        )
    return build(settings)
