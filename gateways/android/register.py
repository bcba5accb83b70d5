"""`antre android register`: point the phone's webhooks at Antre, one per event.

Each webhook has a fixed id of ours (`antre-sms-received` …): the app replaces a webhook
registered again with the same id, so registering twice leaves one per event. Webhooks of
ours for events we no longer ask for are removed; anyone else's are left alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from android_sms_gateway import domain
from android_sms_gateway.enums import WebhookEvent

from gateways.android.callbacks import EVENTS
from gateways.android.send import client

PATH = "/sms/android/events"
_OURS = "antre-"


def events_url(settings: Mapping[str, Any]) -> str:
    public = settings.get("PUBLIC_URL")
    if not public:
        raise ValueError("ANTRE_PUBLIC_URL is not set: the phone needs an address to call")
    key = settings.get("CALLBACK_KEY")
    query = f"?{urlencode({'key': key})}" if key else ""
    return f"{str(public).rstrip('/')}{PATH}{query}"


def webhook_id(event: str) -> str:
    return _OURS + event.replace(":", "-")


def register(settings: Mapping[str, Any]) -> list[str]:
    """Register Antre's webhooks on the phone; returns the events registered."""
    url = events_url(settings)
    phone = client(
        str(settings["ANDROID_URL"]),
        str(settings["ANDROID_USERNAME"]),
        str(settings["ANDROID_PASSWORD"]),
        float(settings.get("ANDROID_TIMEOUT_SECONDS") or 10.0),
    )
    wanted = {webhook_id(event): event for event in EVENTS}
    for found in phone.get_webhooks():
        if found.id and found.id.startswith(_OURS) and found.id not in wanted:
            phone.delete_webhook(found.id)
    for webhook, event in wanted.items():
        phone.create_webhook(domain.Webhook(id=webhook, url=url, event=WebhookEvent(event)))
    return list(EVENTS)
