"""Africa's Talking: African networks' SMS (and USSD) aggregator, through its SDK.

Sending is `send.py`, the callbacks (inbound SMS, delivery reports) `callbacks.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateways.africastalking.callbacks import NAME, delivery, delivery_status, incoming
from gateways.africastalking.send import SEND_STATUSES, AfricasTalkingGateway, read_answer
from gateways.contract import Callback, Registration

__all__ = [
    "REGISTRATION",
    "SEND_STATUSES",
    "AfricasTalkingGateway",
    "delivery_status",
    "read_answer",
]

SETTINGS: dict[str, Any] = {
    "AT_USERNAME": None,
    "AT_API_KEY": None,
    "AT_SENDER": None,  # short code or sender id (optional)
    "AT_API_URL": None,  # replaces the SDK's API host (local gateways, tests)
    "AT_TIMEOUT_SECONDS": 10.0,
}


def configured(settings: Mapping[str, Any]) -> bool:
    return bool(settings.get("AT_USERNAME") and settings.get("AT_API_KEY"))


def build(settings: Mapping[str, Any]) -> AfricasTalkingGateway:
    if not configured(settings):
        raise ValueError("SMS_GATEWAY=africastalking needs ANTRE_AT_USERNAME and ANTRE_AT_API_KEY")
    return AfricasTalkingGateway(
        str(settings["AT_USERNAME"]),
        str(settings["AT_API_KEY"]),
        sender=settings.get("AT_SENDER") or None,
        api_url=settings.get("AT_API_URL") or None,
        timeout=float(settings.get("AT_TIMEOUT_SECONDS") or 10.0),
    )


REGISTRATION = Registration(
    name=NAME,
    settings=SETTINGS,
    configured=configured,
    build=build,
    callbacks=(
        Callback("/sms/incoming", ("POST",), incoming),
        Callback("/sms/delivery", ("POST",), delivery),
    ),
)
