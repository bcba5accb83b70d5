"""Sending through Kannel's smsbox: `GET /cgi-bin/sendsms`.

Kannel answers 202 when it has taken the message ("0: Accepted for delivery", or "3: Queued for
later delivery" while the operator's bind or the modem is down: it keeps the message and sends
it when the link is back); any 4xx refuses it for good (a wrong account, a missing or invalid
field); 503 and connection errors mean nothing was taken, so it is tried again. Kannel gives
no message id, so the id is ours: it travels in the delivery-report URL that Kannel calls back
(`dlr-url`, with `%d` for the report's status), and it is the row's gateway id.
"""

from __future__ import annotations

import logging
import time
from urllib.parse import urlencode

import requests

from gateways.contract import Outcome, SendResult, mask, mask_phone, short

log = logging.getLogger("gateways.kannel")  # one logger per gateway

# dlr-mask: 1 delivered, 2 undelivered, 4 buffered at the SMSC, 8 accepted by the SMSC,
# 16 rejected by the SMSC: every report Kannel can give.
DLR_MASK = 31
DELIVERY_PATH = "/sms/kannel/delivery"


class KannelGateway:
    name = "kannel"
    refuses_copies = False  # sendsms takes no client id to refuse a copy by

    def __init__(
        self,
        sendsms_url: str,
        username: str,
        password: str,
        *,
        sender: str | None = None,
        public_url: str | None = None,
        callback_key: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.sendsms_url = sendsms_url
        self.username = username
        self.sender = sender or None
        self.public_url = public_url.rstrip("/") if public_url else None
        self.timeout = timeout
        self._password = password
        self._callback_key = callback_key or None
        self._http = requests.Session()

    def send(
        self, phone: str, body: str, *, message_id: str | None = None, sender: str | None = None
    ) -> SendResult:
        started = time.monotonic()
        result = self._call(phone, body, message_id, sender or self.sender)
        log.info(
            "kannel GET %s username=%s password=%s to=%s from=%s id=%s: %s %s (%d ms)",
            self.sendsms_url,
            self.username,
            mask(self._password),
            mask_phone(phone),
            sender or self.sender or "-",
            message_id or "-",
            result.outcome.value,
            result.status,
            (time.monotonic() - started) * 1000,
        )
        return result

    def delivery_url(self, message_id: str) -> str | None:
        """Where Kannel reports on the message; None without ANTRE_PUBLIC_URL (no reports)."""
        if self.public_url is None:
            return None
        query = {"key": self._callback_key} if self._callback_key else {}
        query["id"] = message_id
        # %d and %A are Kannel's: the report's status and the SMSC's words. Left unencoded.
        return f"{self.public_url}{DELIVERY_PATH}?{urlencode(query)}&status=%d&answer=%A"

    def _call(
        self, phone: str, body: str, message_id: str | None, sender: str | None
    ) -> SendResult:
        params = {
            "username": self.username,
            "password": self._password,
            "to": phone,
            "text": body,
            "charset": "UTF-8",  # how `text` is encoded here; Kannel sends it in GSM 03.38
            "coding": "0",  # the 7-bit alphabet: one segment is 160 characters
        }
        if sender:
            params["from"] = sender
        report_to = self.delivery_url(message_id) if message_id else None
        if report_to is not None:
            params["dlr-mask"] = str(DLR_MASK)
            params["dlr-url"] = report_to
        try:
            answer = self._http.get(self.sendsms_url, params=params, timeout=self.timeout)
        except requests.Timeout:
            return SendResult(Outcome.RETRY, f"no answer within {self.timeout:g} s")
        except requests.RequestException as error:
            return SendResult(Outcome.RETRY, f"connection failed ({type(error).__name__})")
        words = short(answer.text)
        status = f"{answer.status_code} {words}".strip()
        if answer.status_code == 202 or answer.status_code == 200:
            return SendResult(Outcome.SENT, status, gateway_id=message_id)
        if 400 <= answer.status_code < 500:
            return SendResult(Outcome.FAILED, status)
        return SendResult(Outcome.RETRY, status)
