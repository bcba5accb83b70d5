"""Sending through the phone's local server (`android-sms-gateway`, the app's own client).

The only module that imports the client. `POST /messages` answers 202 with the message
Pending: the phone has it, and its webhooks say what becomes of it. Every message carries our
own id, the same on every attempt, so that a retry after a lost answer or a timeout cannot make
the phone send it twice (the app answers 409 for an id it already holds: the message is the
phone's, as much as after a 202). Each message has a time to live, so that a phone that sleeps
for hours sends no stale receipt: it gives up and reports `sms:failed` instead.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import requests
from android_sms_gateway import APIClient, domain
from android_sms_gateway.errors import APIError
from android_sms_gateway.http import RequestsHttpClient

from gateways.contract import Outcome, SendResult, mask, mask_phone, short

log = logging.getLogger("gateways.android")  # one logger per gateway

# HTTP statuses of POST /messages, as the app's local server answers them.
SEND_STATUSES: dict[int, Outcome] = {
    400: Outcome.FAILED,  # the message itself is wrong (text, number list, SIM, ttl): never again
    401: Outcome.RETRY,  # the password was changed in the app: nothing went out; it goes when fixed
    403: Outcome.RETRY,  # likewise
    404: Outcome.RETRY,  # ANTRE_ANDROID_URL points at something else: our configuration
    409: Outcome.SENT,  # the phone already holds a message with our id: this one is its to send
    429: Outcome.RETRY,
}


class _TimeoutSession(requests.Session):
    """The client passes no timeout to requests: a phone that hangs must not hang a worker."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", (min(5.0, self.timeout), self.timeout))
        return super().request(*args, **kwargs)


def client(url: str, username: str, password: str, timeout: float) -> APIClient:
    """The app's client for the phone at `url` (http://<phone-ip>:8080), with a timeout."""
    http = RequestsHttpClient(session=_TimeoutSession(timeout))
    return APIClient(username, password, base_url=url.rstrip("/"), http=http)


class AndroidGateway:
    name = "android"
    refuses_copies = True  # 409 for an id the phone already holds (app v1.58 and later)

    def __init__(
        self, url: str, username: str, password: str, *, timeout: float, ttl_seconds: int
    ) -> None:
        self.url = url.rstrip("/")
        self.username = username
        self.timeout = timeout
        self.ttl_seconds = ttl_seconds
        self._password = password
        self._client = client(self.url, username, password, timeout)

    def send(
        self, phone: str, body: str, *, message_id: str | None = None, sender: str | None = None
    ) -> SendResult:
        # `sender` is the facility's own number: the phone sends from its own SIM whatever it is.
        started = time.monotonic()
        result = self._call(phone, body, message_id)
        log.info(
            "android POST %s/messages user=%s password=%s to=%s id=%s: %s %s (%d ms)",
            self.url,
            self.username,
            mask(self._password),
            mask_phone(phone),
            message_id or "-",
            result.outcome.value,
            result.status,
            (time.monotonic() - started) * 1000,
        )
        return result

    def _call(self, phone: str, body: str, message_id: str | None) -> SendResult:
        message = domain.Message(
            phone_numbers=[phone],
            text_message=domain.TextMessage(text=body),
            with_delivery_report=True,
            ttl=self.ttl_seconds,
            id=message_id,
        )
        try:
            state = self._client.send(message)
        except requests.Timeout:
            # It may have been taken: the retry carries the same id, which the phone refuses.
            return SendResult(Outcome.RETRY, f"no answer within {self.timeout:g} s")
        except requests.RequestException as error:
            return SendResult(Outcome.RETRY, f"connection failed ({type(error).__name__})")
        except APIError as error:
            return _refusal(error, message_id)
        except (KeyError, TypeError, ValueError):
            # A 2xx we cannot read: the phone has it. Its id is ours, so its reports still match.
            return SendResult(Outcome.SENT, "unreadable answer (taken)", gateway_id=message_id)
        return SendResult(Outcome.SENT, f"202 {state.state.value}", gateway_id=state.id)


def _refusal(error: APIError, message_id: str | None) -> SendResult:
    code = error.status_code or 0
    detail = ""
    if isinstance(error.response, dict):
        detail = str(error.response.get("message") or "")
    status = short(f"{code} {detail}".strip())
    outcome = SEND_STATUSES.get(code) or (Outcome.RETRY if code >= 500 else Outcome.FAILED)
    if outcome is Outcome.SENT:
        return SendResult(outcome, status, gateway_id=message_id)
    return SendResult(outcome, status)
