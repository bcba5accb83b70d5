"""Kannel: the open-source SMS gateway (Debian's `kannel`) that speaks SMPP to operators and
aggregators and AT commands to GSM modems. Antre talks to its smsbox over HTTP.

Sending is `send.py`, the callbacks `callbacks.py`; a configuration to start from is
`deploy/kannel/kannel.conf`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateways.contract import Callback, Registration, require
from gateways.kannel.callbacks import NAME, delivery, incoming
from gateways.kannel.send import KannelGateway

__all__ = ["REGISTRATION", "KannelGateway"]

SETTINGS: dict[str, Any] = {
    "KANNEL_SENDSMS_URL": None,  # smsbox's sendsms, e.g. http://127.0.0.1:13013/cgi-bin/sendsms
    "KANNEL_USERNAME": None,  # a sendsms-user of kannel.conf
    "KANNEL_PASSWORD": None,
    "KANNEL_FROM": None,  # the number SMS leave from when no facility number is theirs
    "KANNEL_TIMEOUT_SECONDS": 10.0,
}


def configured(settings: Mapping[str, Any]) -> bool:
    return bool(settings.get("KANNEL_SENDSMS_URL"))


def build(settings: Mapping[str, Any]) -> KannelGateway:
    require(settings, NAME, ("KANNEL_SENDSMS_URL", "KANNEL_USERNAME", "KANNEL_PASSWORD"))
    return KannelGateway(
        str(settings["KANNEL_SENDSMS_URL"]),
        str(settings["KANNEL_USERNAME"]),
        str(settings["KANNEL_PASSWORD"]),
        sender=settings.get("KANNEL_FROM") or None,
        public_url=settings.get("PUBLIC_URL") or None,
        callback_key=settings.get("CALLBACK_KEY") or None,
        timeout=float(settings.get("KANNEL_TIMEOUT_SECONDS") or 10.0),
    )


REGISTRATION = Registration(
    name=NAME,
    settings=SETTINGS,
    configured=configured,
    build=build,
    callbacks=(
        Callback("/sms/kannel/incoming", ("GET", "POST"), incoming),
        Callback("/sms/kannel/delivery", ("GET", "POST"), delivery),
    ),
)
