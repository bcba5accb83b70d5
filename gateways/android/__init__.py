"""SMS Gateway for Android (capcom6/android-sms-gateway) in local-server mode: a cheap phone
with a prepaid SIM at the puskesmas sends and receives the SMS.

Sending is `send.py` (the app's own client), the webhooks `callbacks.py`, and pointing the
phone at Antre `register.py` (`antre android register`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateways.android.callbacks import LINE, NAME, events
from gateways.android.send import AndroidGateway
from gateways.contract import Callback, Registration, require

__all__ = ["LINE", "REGISTRATION", "AndroidGateway"]

SETTINGS: dict[str, Any] = {
    "ANDROID_URL": None,  # the phone's local server, e.g. http://192.168.1.20:8080
    "ANDROID_USERNAME": None,
    "ANDROID_PASSWORD": None,
    "ANDROID_SIGNING_KEY": None,  # the app's webhook signing key: every webhook is checked
    "ANDROID_TIMEOUT_SECONDS": 10.0,
    # A message the phone has not sent by then (asleep, no signal) is given up and reported
    # failed, never sent late: a receipt hours after the booking, or a reminder after the
    # appointment, only confuses.
    "ANDROID_TTL_SECONDS": 3 * 3600,
}
_REQUIRED = ("ANDROID_URL", "ANDROID_USERNAME", "ANDROID_PASSWORD", "ANDROID_SIGNING_KEY")


def configured(settings: Mapping[str, Any]) -> bool:
    return bool(settings.get("ANDROID_URL"))


def build(settings: Mapping[str, Any]) -> AndroidGateway:
    require(settings, NAME, _REQUIRED)
    return AndroidGateway(
        str(settings["ANDROID_URL"]),
        str(settings["ANDROID_USERNAME"]),
        str(settings["ANDROID_PASSWORD"]),
        timeout=float(settings.get("ANDROID_TIMEOUT_SECONDS") or 10.0),
        ttl_seconds=int(float(settings.get("ANDROID_TTL_SECONDS") or 3 * 3600)),
    )


REGISTRATION = Registration(
    name=NAME,
    settings=SETTINGS,
    configured=configured,
    build=build,
    callbacks=(Callback("/sms/android/events", ("POST",), events),),
)
