"""One call to the BPJS Antrean FKTP web service: signed headers, a timeout, a decoded answer.

BPJS answers `{"metadata": {"code": ..., "message": ...}, "response": ...}`; `response` is
encrypted with the call's timestamp (bpjs.crypto) or absent. Code 200 is success, any other
code a refusal that BPJS meant (`Answer.ok` False). What never became an answer — no
connection, a timeout, an HTTP error page, a body that is not BPJS's JSON — raises
`Unreachable`: the call may be tried again. Logs name the path and the outcome, never a header
value or a body (they hold the secret's signature and card numbers).
"""

from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import dataclass
from typing import Any

import requests

from bpjs import crypto
from bpjs.settings import Credentials, whole_call_seconds

log = logging.getLogger(__name__)


_LONG_NUMBER = re.compile(r"\d{10,}")  # a card number (13), a NIK (16), a phone


def masked(text: str) -> str:
    """BPJS's words as a log may show them: BPJS repeats card numbers back ("kartu … tidak
    aktif"), and only their last four digits may appear."""
    return _LONG_NUMBER.sub(lambda found: "*" * (len(found[0]) - 4) + found[0][-4:], text)


class Unreachable(Exception):
    """BPJS gave no answer that it meant: try again later."""


def _read_by(reply: requests.Response, deadline: float) -> bytes:
    """Read the whole answer before the deadline: an answer that trickles in byte by byte
    never trips the per-read timeout, and a sender's claim on a call must end in bounded time."""
    chunks = []
    try:
        for chunk in reply.iter_content(8192):
            chunks.append(chunk)
            if time.monotonic() > deadline:
                raise requests.Timeout("the answer took longer than the whole-call deadline")
    finally:
        reply.close()
    return b"".join(chunks)


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
        deadline = time.monotonic() + whole_call_seconds(self.credentials.timeout)
        try:
            reply = self.http.request(
                method,
                url,
                headers=self.headers(timestamp),
                json=body,
                timeout=self.credentials.timeout,
                stream=True,
            )
            raw = _read_by(reply, deadline)
        except requests.RequestException as error:
            log.warning("BPJS %s %s: no answer (%s)", method, path, type(error).__name__)
            raise Unreachable(f"no answer ({type(error).__name__})") from error
        answer = self._answer(reply.status_code, raw, timestamp)
        log.info("BPJS %s %s: %s %s", method, path, answer.code, masked(answer.message[:80]))
        return answer

    def _answer(self, status: int, raw: bytes, timestamp: str) -> Answer:
        try:
            data = json.loads(raw)
            metadata = data.get("metadata") or data.get("metaData")
            code, message = int(metadata["code"]), str(metadata.get("message", ""))
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            log.warning("BPJS answered HTTP %s without its metadata", status)
            raise Unreachable(f"HTTP {status} without BPJS's metadata") from error
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
