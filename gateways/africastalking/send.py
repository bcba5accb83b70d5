"""Sending through Africa's Talking's SDK (`africastalking` 2.0.3), the only module importing it.

`SEND_STATUSES` maps the `statusCode` of each recipient in the answer to
`POST /version1/messaging` to our outcomes. Design §8: 101 Sent and 102 Queued are accepted;
402, 405 and 5xx are tried again; 403 and 406 never are.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import africastalking
import requests
from africastalking.Service import AfricasTalkingException

from gateways.contract import Outcome, SendResult, mask, mask_phone, short

log = logging.getLogger("gateways.africastalking")  # one logger per gateway

SEND_STATUSES: dict[int, Outcome] = {
    100: Outcome.SENT,  # Processed
    101: Outcome.SENT,  # Sent
    102: Outcome.SENT,  # Queued (at Africa's Talking: theirs to deliver now)
    401: Outcome.RETRY,  # RiskHold: the account is held for review; nothing went out
    402: Outcome.RETRY,  # InvalidSenderId: our configuration; nothing went out
    403: Outcome.FAILED,  # InvalidPhoneNumber
    404: Outcome.FAILED,  # UnsupportedNumberType
    405: Outcome.RETRY,  # InsufficientBalance: it goes once the account is topped up
    406: Outcome.FAILED,  # UserInBlacklist: the subscriber refuses such messages
    407: Outcome.RETRY,  # CouldNotRoute
    409: Outcome.FAILED,  # DoNotDisturbRejection
    500: Outcome.RETRY,  # InternalServerError
    501: Outcome.RETRY,  # GatewayError
    502: Outcome.RETRY,  # RejectedByGateway
}


class AfricasTalkingGateway:
    name = "africastalking"
    refuses_copies = False  # it takes no client id: a lost answer leaves the SMS in doubt

    def __init__(
        self,
        username: str,
        api_key: str,
        *,
        sender: str | None = None,
        api_url: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.username = username
        self.sender = sender or None
        self.timeout = timeout
        self._api_key = api_key
        self._sms = africastalking.SMSService(username, api_key)
        if api_url:
            # The SDK has no base-URL option: SMSService builds every URL from `_baseUrl`
            # (Service._make_url), which it sets to https://api.africastalking.com/version1.
            # Replacing that one attribute, here and nowhere else, sends messages to
            # `${api_url}/version1/messaging` (a local gateway, or the tests' fake).
            self._sms._baseUrl = api_url.rstrip("/") + "/version1"
        self.url: str = self._sms._make_url("/messaging")

    def send(
        self, phone: str, body: str, *, message_id: str | None = None, sender: str | None = None
    ) -> SendResult:
        # Africa's Talking takes no client message id, and sends from the account's one sender
        # id (ANTRE_AT_SENDER) whatever number the patient wrote to.
        started = time.monotonic()
        result = self._call(phone, body)
        log.info(
            "africastalking POST %s username=%s apiKey=%s to=%s from=%s: %s %s%s (%d ms)",
            self.url,
            self.username,
            mask(self._api_key),
            mask_phone(phone),
            self.sender or "-",
            result.outcome.value,
            result.status,
            f" id={result.gateway_id} cost={result.cost}" if result.gateway_id else "",
            (time.monotonic() - started) * 1000,
        )
        return result

    def _call(self, phone: str, body: str) -> SendResult:
        try:
            answer = self._sms.send(body, [phone], sender_id=self.sender, timeout=self.timeout)
        except requests.JSONDecodeError:
            # A 2xx we cannot read may still have been sent: never risk sending it twice.
            return SendResult(Outcome.FAILED, "unreadable answer (may have been sent)")
        except requests.Timeout:
            return SendResult(Outcome.RETRY, f"no answer within {self.timeout:g} s")
        except requests.RequestException as error:
            return SendResult(Outcome.RETRY, f"connection failed ({type(error).__name__})")
        except AfricasTalkingException as error:
            # Any HTTP status outside 2xx. The SDK keeps only the body, not the status code, so
            # 5xx and a misconfigured account look alike: both are tried again, within limits.
            return SendResult(Outcome.RETRY, f"HTTP error: {short(str(error))}")
        except ValueError:
            # The SDK checks the number (+<country><digits>) before any request.
            return SendResult(Outcome.FAILED, "InvalidPhoneNumber (refused by the SDK)")
        return read_answer(answer)


def read_answer(answer: Any) -> SendResult:
    """Turn the body of `POST /version1/messaging` (one recipient) into a result."""
    if isinstance(answer, str):  # the SDK returns text unless the type is exactly JSON
        try:
            answer = json.loads(answer)
        except ValueError:
            return SendResult(Outcome.FAILED, "unreadable answer (may have been sent)")
    try:
        data = answer["SMSMessageData"]
        recipients = data.get("Recipients") or []
        if not recipients:
            # e.g. {"Message": "InvalidSenderId", "Recipients": []}: nothing went out.
            return SendResult(Outcome.RETRY, short(str(data.get("Message") or "no recipient")))
        recipient = recipients[0]
        code = int(recipient["statusCode"])
    except (KeyError, TypeError, ValueError, AttributeError):
        return SendResult(Outcome.FAILED, "unreadable answer (may have been sent)")
    outcome = SEND_STATUSES.get(code) or _unknown_code(code)
    status = f"{code} {recipient.get('status') or ''}".strip()
    if outcome is not Outcome.SENT:
        return SendResult(outcome, status)
    message_id = recipient.get("messageId")
    cost = recipient.get("cost")
    return SendResult(
        outcome,
        status,
        gateway_id=str(message_id) if message_id and message_id != "None" else None,
        cost=str(cost)[:24] if cost else None,
    )


def _unknown_code(code: int) -> Outcome:
    if 100 <= code < 200:
        return Outcome.SENT
    if code >= 500:
        return Outcome.RETRY
    return Outcome.FAILED
