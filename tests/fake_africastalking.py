"""A local HTTP server that answers `POST /version1/messaging` exactly as Africa's Talking does.

A real `http.server` in a thread on 127.0.0.1 (random port). Tell it how to answer the next
requests with `answer(...)` (one behaviour per request; after the list runs out it answers
`"sent"`), read what it got in `requests`. Behaviours:

    sent          statusCode 101 Sent (status "Success", cost, messageId ATXid_…)
    queued        statusCode 102 Queued
    invalid       statusCode 403 InvalidPhoneNumber (cost "0", messageId "None")
    blacklisted   statusCode 406 UserInBlacklist
    recipient-500 statusCode 500 InternalServerError
    http-500      HTTP 500 with a text body
    hang          no answer for `hang_seconds` (past the client's timeout), then 101

Requests with a wrong apiKey header or username get HTTP 401, as the real API answers.
`before_answer(request, message_id)`, when set, runs for each accepted message before the
answer is written: the real gateway's delivery callback can reach the app that early.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

USERNAME = "antre"
API_KEY = "atsk_test_0123456789abcdef0123456789abcdef"

_RECIPIENT_STATUSES = {
    "sent": (101, "Success"),
    "queued": (102, "Success"),
    "invalid": (403, "InvalidPhoneNumber"),
    "blacklisted": (406, "UserInBlacklist"),
    "recipient-500": (500, "InternalServerError"),
}
BEHAVIOURS = (*_RECIPIENT_STATUSES, "http-500", "hang")


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    form: dict[str, str]
    answered: str = ""
    received_at: float = field(default_factory=time.time)


@dataclass
class FakeAfricasTalking:
    hang_seconds: float = 3.0
    delay_seconds: float = 0.0  # every answer waits this long (to make senders overlap)
    cost: str = "IDR 300.0000"
    before_answer: Callable[[Request, str], None] | None = None
    requests: list[Request] = field(default_factory=list)
    _script: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _release: threading.Event = field(default_factory=threading.Event)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def answer(self, *behaviours: str) -> None:
        unknown = set(behaviours) - set(BEHAVIOURS)
        assert not unknown, f"unknown behaviours {unknown}"
        with self._lock:
            self._script.extend(behaviours)

    def sent_to(self, phone: str) -> list[Request]:
        return [r for r in self.requests if r.form.get("to") == phone]

    def start(self) -> FakeAfricasTalking:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                fake._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def _next(self) -> str:
        with self._lock:
            return self._script.pop(0) if self._script else "sent"

    def _handle(self, http: BaseHTTPRequestHandler) -> None:
        length = int(http.headers.get("Content-Length") or 0)
        raw = http.rfile.read(length).decode()
        form = {key: values[-1] for key, values in parse_qs(raw).items()}
        request = Request(http.path, {k.lower(): v for k, v in http.headers.items()}, form)
        with self._lock:
            self.requests.append(request)
        if http.path != "/version1/messaging":
            return _reply(http, 404, "text/plain", "Not Found")
        if request.headers.get("apikey") != API_KEY or form.get("username") != USERNAME:
            request.answered = "unauthorized"
            return _reply(http, 401, "text/plain", "The supplied authentication is invalid")
        behaviour = self._next()
        request.answered = behaviour
        if self.delay_seconds:
            self._release.wait(self.delay_seconds)
        if behaviour == "hang":
            self._release.wait(self.hang_seconds)
            behaviour = "sent"
        if behaviour == "http-500":
            return _reply(http, 500, "text/plain", "Internal Server Error")
        code, status = _RECIPIENT_STATUSES[behaviour]
        accepted = code < 200
        message_id = f"ATXid_{uuid.uuid4().hex}" if accepted else "None"
        if accepted and self.before_answer is not None:
            self.before_answer(request, message_id)
        recipient = {
            "statusCode": code,
            "number": form.get("to", ""),
            "status": status,
            "cost": self.cost if accepted else "0",
            "messageId": message_id,
        }
        total = self.cost.split(".")[0] if accepted else "0"
        body = {
            "SMSMessageData": {
                "Message": f"Sent to {int(accepted)}/1 Total Cost: {total}",
                "Recipients": [recipient],
            }
        }
        _reply(http, 201, "application/json", json.dumps(body))


def _reply(http: BaseHTTPRequestHandler, code: int, content_type: str, body: str) -> None:
    data = body.encode()
    try:
        http.send_response(code)
        http.send_header("Content-Type", content_type)
        http.send_header("Content-Length", str(len(data)))
        http.end_headers()
        http.wfile.write(data)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the client gave up (its timeout): as the real gateway, we do not care


@contextmanager
def running(**options: Any) -> Iterator[FakeAfricasTalking]:
    fake = FakeAfricasTalking(**options).start()
    try:
        yield fake
    finally:
        fake.stop()


def settings(fake: FakeAfricasTalking, **more: Any) -> dict[str, Any]:
    """App settings that send through the real SDK to `fake`."""
    return {
        "SMS_GATEWAY": "africastalking",
        "AT_USERNAME": USERNAME,
        "AT_API_KEY": API_KEY,
        "AT_SENDER": "ANTRE",
        "AT_API_URL": fake.url,
        "AT_TIMEOUT_SECONDS": 1.0,
        **more,
    }
