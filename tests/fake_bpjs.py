"""A look-alike of BPJS's Antrean FKTP web service on loopback, for the client's tests.

It checks what BPJS checks (the cons-id, the user key, a fresh timestamp, the HMAC signature),
answers `metadata` and a `response` encrypted with the request's timestamp exactly as BPJS
does, records every call it accepted, and can be told to refuse a card (code 201), to be down
(HTTP 503 with an HTML page, as BPJS's gateway answers) or to hang past the client's timeout,
and to answer the reference reads with BPJS's "nothing found" (code 201).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bpjs import crypto

CONS_ID = "12345"
SECRET = "rahasia-uji-coba-antre"
USER_KEY = "kunci-pengguna-uji-0001"
POLI = [{"kodepoli": "001", "namapoli": "UMUM"}, {"kodepoli": "003", "namapoli": "KIA"}]
DOKTER = [{"kodedokter": 123, "namadokter": "dr. Śri Wahyuni", "jampraktek": "08:00-12:00"}]


@dataclass
class FakeBpjs:
    url: str = ""
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    refused_cards: dict[str, str] = field(default_factory=dict)
    down: bool = False
    hang_seconds: float = 0.0
    bad_signatures: int = 0
    reference_refusal: str | None = None  # answer reference reads with code 201 and this
    requests: list[str] = field(default_factory=list)  # every path asked, answered or not
    lock: threading.Lock = field(default_factory=threading.Lock)

    def paths(self) -> list[str]:
        return [path for path, _ in self.calls]


def _handler(fake: FakeBpjs) -> type[BaseHTTPRequestHandler]:
    # http.server, not werkzeug: werkzeug drops header names with "_", and BPJS's is user_key.
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self._serve(None)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self._serve(json.loads(self.rfile.read(length) or b"{}"))

        def _send(self, status: int, body: bytes, kind: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _answer(self, code: int, message: str, response: Any = None, status: int = 200) -> None:
            body: dict[str, Any] = {"metadata": {"code": code, "message": message}}
            if response is not None:
                timestamp = self.headers["X-timestamp"]
                body["response"] = crypto.seal_response(response, CONS_ID, SECRET, timestamp)
            self._send(status, json.dumps(body).encode())

        def _serve(self, body: dict[str, Any] | None) -> None:
            with fake.lock:
                fake.requests.append(self.path.strip("/"))
            if fake.hang_seconds:
                time.sleep(fake.hang_seconds)
            if fake.down:
                self._send(503, b"<html><body>503 Service Unavailable</body></html>", "text/html")
                return
            timestamp = self.headers.get("X-timestamp", "")
            if self.headers.get("X-cons-id") != CONS_ID or self.headers.get("user_key") != USER_KEY:
                self._answer(401, "Consumer ID atau user key salah", status=401)
                return
            if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > 300:
                self._answer(401, "X-timestamp tidak valid", status=401)
                return
            if self.headers.get("X-signature") != crypto.signature(CONS_ID, SECRET, timestamp):
                fake.bad_signatures += 1
                self._answer(401, "Signature tidak valid", status=401)
                return
            path = self.path.strip("/")
            if body is not None and path.startswith("antrean/"):
                card = body.get("nomorkartu", "")
                if card in fake.refused_cards:
                    self._answer(201, fake.refused_cards[card])
                    return
                with fake.lock:
                    fake.calls.append((path, body))
                self._answer(200, "Ok")
            elif path.startswith("ref/") and fake.reference_refusal is not None:
                self._answer(201, fake.reference_refusal)
            elif path.startswith("ref/poli/tanggal/"):
                self._answer(200, "Ok", {"list": POLI})
            elif path.startswith("ref/dokter/kodepoli/"):
                self._answer(200, "Ok", {"list": DOKTER})
            else:
                self._answer(404, "Tidak ditemukan", status=404)

    return Handler


@contextmanager
def running() -> Iterator[FakeBpjs]:
    fake = FakeBpjs()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    fake.url = f"http://127.0.0.1:{server.server_port}/"
    thread = threading.Thread(target=server.serve_forever, name="fake-bpjs", daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        fake.hang_seconds = 0.0
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def settings(fake: FakeBpjs, **overrides: Any) -> dict[str, Any]:
    return {
        "BPJS_URL": fake.url,
        "BPJS_CONS_ID": CONS_ID,
        "BPJS_SECRET": SECRET,
        "BPJS_USER_KEY": USER_KEY,
        "BPJS_TIMEOUT_SECONDS": 1,
        **overrides,
    }
