"""The phone's webhooks: `POST /sms/android/events`, one URL for every event.

The app signs each webhook: `X-Signature` is the hex HMAC-SHA256, with the signing key set in
the app, of the raw body followed by `X-Timestamp` (Unix seconds). A request whose signature
does not match, or whose timestamp is more than five minutes away, is refused with 401 and
books nothing; the app signs its own retries afresh, so a replay of an old request is stale.

The envelope is `{id, webhookId, event, deviceId, payload}`. `id` is the event's own, new for
every event and kept on the app's retries: an inbound SMS is deduplicated on it. The payload's
`messageId` is, for `sms:received`, a hash of the message's content, not unique; for the
outbound events it is the id we sent the message with. Events we do not use are answered 200,
so the app does not retry them.
"""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import Mapping
from hashlib import sha256
from typing import Any

from booking.models import OutboxStatus
from gateways.contract import OK, DeliveryReport, Heard, Inbound, Request, clean, refused

NAME = "android"
# The number an SMS to the deployment's phone was sent to, as a facility number names it.
LINE = "android"
MAX_SKEW_SECONDS = 300
MAX_TEXT = 480
MAX_ID = 64

# Outbound events: our status, and whether the payload's reason is the failure's.
REPORT_EVENTS: dict[str, OutboxStatus] = {
    "sms:sent": OutboxStatus.SENT,
    "sms:delivered": OutboxStatus.DELIVERED,
    "sms:failed": OutboxStatus.FAILED,
}
EVENTS = ("sms:received", *REPORT_EVENTS)  # what `antre android register` asks the phone for


def signature(key: str, body: bytes, timestamp: str) -> str:
    return hmac.new(key.encode(), body + timestamp.encode(), sha256).hexdigest()


def events(request: Request, settings: Mapping[str, Any]) -> Heard:
    key = settings.get("ANDROID_SIGNING_KEY")
    if not key:
        return refused(403, "ANTRE_ANDROID_SIGNING_KEY is not set: webhooks cannot be checked")
    checked = _check_signature(request, str(key), time.time())
    if checked is not None:
        return checked
    try:
        envelope = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return refused(400, "the body is not JSON in UTF-8")
    if not isinstance(envelope, dict) or not isinstance(envelope.get("payload"), dict):
        return refused(400, "no event envelope with a payload")
    event, event_id = envelope.get("event"), envelope.get("id")
    payload: dict[str, Any] = envelope["payload"]
    if not isinstance(event, str) or not isinstance(event_id, str) or not event_id.strip():
        return refused(400, "missing field 'event' or 'id'")
    if len(event_id) > MAX_ID:
        return refused(400, f"field 'id' is longer than {MAX_ID} characters")
    if event == "sms:received":
        return _received(event_id.strip(), payload)
    if event in REPORT_EVENTS:
        return _report(event, payload)
    return Heard(OK)  # system:ping, data SMS, MMS: nothing for us


def _check_signature(request: Request, key: str, now: float) -> Heard | None:
    headers = {name.lower(): value for name, value in request.headers.items()}
    given, stamp = headers.get("x-signature", ""), headers.get("x-timestamp", "")
    if not given or not stamp:
        return refused(401, "unsigned: X-Signature and X-Timestamp are required")
    if not stamp.isdecimal() or len(stamp) > 12:
        return refused(401, "X-Timestamp is not a Unix time")
    if abs(now - int(stamp)) > MAX_SKEW_SECONDS:
        return refused(401, "stale: X-Timestamp is more than five minutes away")
    expected = signature(key, request.body, stamp)
    if not hmac.compare_digest(given.strip().lower().encode(), expected.encode()):
        return refused(401, "forged: the signature does not match")
    return None


def _received(event_id: str, payload: dict[str, Any]) -> Heard:
    sender = _text(payload.get("sender")) or _text(payload.get("phoneNumber"))
    message = _text(payload.get("message"))
    if not sender or message is None:
        return refused(400, "sms:received needs 'sender' (or 'phoneNumber') and 'message'")
    inbound = Inbound(
        key=f"{NAME}:{event_id}",
        gateway=NAME,
        sender=sender.strip()[:32],
        to=LINE,
        text=message[:MAX_TEXT],
    )
    return Heard(OK, inbound=(inbound,))


def _report(event: str, payload: dict[str, Any]) -> Heard:
    message_id = (_text(payload.get("messageId")) or "").strip()
    if not message_id:
        return refused(400, f"{event} needs 'messageId'")
    if len(message_id) > 80:
        return refused(400, "field 'messageId' is longer than 80 characters")
    reason = (_text(payload.get("reason")) or "") if event == "sms:failed" else ""
    report = DeliveryReport(message_id, REPORT_EVENTS[event], event, reason.strip()[:100])
    return Heard(OK, reports=(report,))


def _text(value: Any) -> str | None:
    return clean(value) if isinstance(value, str) else None
