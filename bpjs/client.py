"""One call to the BPJS Antrean FKTP web service: signed headers, a timeout, a decoded answer.

BPJS answers `{"metadata": {"code": ..., "message": ...}, "response": ...}`; `response` is
encrypted with the call's timestamp (bpjs.crypto) or absent. Code 200 is success, any other
code a refusal that BPJS meant (`Answer.ok` False). What never became an answer — no
connection, a timeout, an HTTP error page, a body that is not BPJS's JSON — raises
`Unreachable`: the call may be tried again. Logs name the path and the outcome, never a header
value or a body (they hold the secret's signature and card numbers).
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from typing import Any

import requests

from bpjs import crypto
from bpjs.settings import Credentials

log = logging.getLogger(__name__)


_LONG_NUMBER = re.compile(r"\d{10,}")  # a card number (13), a NIK (16), a phone


def masked(text: str) -> str:
    """BPJS's words as a log may show them: BPJS repeats card numbers back ("kartu … tidak
    aktif"), and only their last four digits may appear."""
    return _LONG_NUMBER.sub(lambda found: "*" * (len(found[0]) - 4) + found[0][-4:], text)


class Unreachable(Exception):
    """BPJS gave no answer that it meant: try again later."""


@dataclass(frozen=True)
class Answer:
    code: int
    message: str
    response: Any = None

    @property
    def ok(self) -> bool:
        return self.code == 200


class Client:
    def __init__(self, credentials: Credentials, session: requests.Session | None = None) -> None:
        self.credentials = credentials
        self.http = session or requests.Session()

    def headers(self, timestamp: str) -> dict[str, str]:
        c = self.credentials
        return {
            "X-cons-id": c.cons_id,
            "X-timestamp": timestamp,
            "X-signature": crypto.signature(c.cons_id, c.secret, timestamp),
            "user_key": c.user_key,
            "Content-Type": "application/json",
        }

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Answer:
        timestamp = str(int(time.time()))
        url = self.credentials.url + path.lstrip("/")
        try:
            reply = self.http.request(
                method,
                url,
                headers=self.headers(timestamp),
                json=body,
                timeout=self.credentials.timeout,
            )
        except requests.RequestException as error:
            log.warning("BPJS %s %s: no answer (%s)", method, path, type(error).__name__)
            raise Unreachable(f"no answer ({type(error).__name__})") from error
        answer = self._answer(reply, timestamp)
        log.info("BPJS %s %s: %s %s", method, path, answer.code, masked(answer.message[:80]))
        return answer

    def _answer(self, reply: requests.Response, timestamp: str) -> Answer:
        try:
            data = reply.json()
            metadata = data.get("metadata") or data.get("metaData")
            code, message = int(metadata["code"]), str(metadata.get("message", ""))
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            log.warning("BPJS answered HTTP %s without its metadata", reply.status_code)
            raise Unreachable(f"HTTP {reply.status_code} without BPJS's metadata") from error
        response = data.get("response")
        if isinstance(response, str) and response:
            c = self.credentials
            try:
                response = crypto.open_response(response, c.cons_id, c.secret, timestamp)
            except crypto.Undecodable as error:
                raise Unreachable(str(error)) from error
        return Answer(code, message, response)

    def poli(self, day: str) -> Answer:
        """Reference: BPJS's poli codes on a day (yyyy-mm-dd)."""
        return self.call("GET", f"ref/poli/tanggal/{day}")

    def dokter(self, kodepoli: str, day: str) -> Answer:
        """Reference: BPJS's doctors of a poli on a day."""
        return self.call("GET", f"ref/dokter/kodepoli/{kodepoli}/tanggal/{day}")
