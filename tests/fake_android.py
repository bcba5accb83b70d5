"""A local look-alike of SMS Gateway for Android (capcom6/android-sms-gateway) in local server mode.

The real app runs an HTTP server on the phone (http://<phone-ip>:8080, Basic auth with the
username and password shown in the app) and POSTs signed webhooks to registered URLs. This fake
is a real `http.server` in a thread on 127.0.0.1 (free port) answering as the app does, so tests
drive the real PyPI client `android_sms_gateway` against it, and it POSTs webhooks signed as the
app signs them.

Sources (read 2026-08): the app at capcom6/android-sms-gateway v1.68.0 (commit 0cdc5d8), under
app/src/main/java/me/capcom/smsgateway/modules/ -- cited below as `app:<path>` -- and the docs at
android-sms-gateway/docs-web -- cited as `docs:<path>`.

    with FakeAndroidPhone() as phone:
        client = APIClient(phone.username, phone.password, base_url=phone.url, http=...)
        state = client.send(Message(phone_numbers=["+628123"], text_message=TextMessage("hi")))
        [delivery] = phone.text_in("+628123", "DAFTAR")     # needs an sms:received webhook
        phone.report(state.id, "sms:sent")

`mode` says how the phone answers every API request (not /health):
    ok            as the app does
    unauthorized  401 (the password was changed in the app)
    down          500 {"message": ...}: the app's answer to an exception
    unavailable   503 (not a local-server answer; the cloud API documents it for queue limits)
    hang          reads the request, never handles or answers it (until stop())
    slow          handles the request, answers only after `hang_seconds` (past the client timeout)
    lose_answer   handles the request, then drops the connection without an answer
`answer_sends(*modes)` queues one mode per coming POST /messages, before falling back to `mode`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal, get_args
from urllib.parse import parse_qs, urlsplit

import requests

Mode = Literal["ok", "unauthorized", "down", "unavailable", "hang", "slow", "lose_answer"]
MODES: tuple[str, ...] = get_args(Mode)

# app:webhooks/domain/WebHookEvent.kt -- anything else is refused with 400 "Unsupported event".
EVENTS = (
    "sms:received",
    "sms:sent",
    "sms:delivered",
    "sms:failed",
    "system:ping",
    "sms:data-received",
    "mms:received",
    "mms:downloaded",
    "app:started",
    "sms:cancelled",
)
_REPORTS = {"sms:sent": "Sent", "sms:delivered": "Delivered", "sms:failed": "Failed"}
_NANOID = "_-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
WIB = timezone(timedelta(hours=7))


def nanoid(size: int = 21) -> str:
    """Ids as the app makes them (jnanoid defaults): message, webhook and event ids."""
    return "".join(secrets.choice(_NANOID) for _ in range(size))


def sign(key: str, body: bytes, timestamp: str) -> str:
    """X-Signature: hex HMAC-SHA256(key, raw body + X-Timestamp).

    app:webhooks/plugins/PayloadSingingPlugin.kt signs `content.text + timestamp` (UTF-8) with
    HmacSHA256 and hex-encodes it; docs:docs/features/webhooks.md "Payload Signing".
    """
    return hmac.new(key.encode(), body + timestamp.encode(), hashlib.sha256).hexdigest()


def gson(value: Any) -> bytes:
    """JSON bytes as the app's Gson writes them: compact, nulls left out, non-ASCII as raw UTF-8,
    and (Gson's default html-safe mode) < > & = ' written as \\u003c … escapes. Webhook signatures
    cover these exact bytes, so a receiver must verify the raw body, not a re-serialisation."""
    text = json.dumps(_drop_nulls(value), ensure_ascii=False, separators=(",", ":"))
    for char in "<>&='\u2028\u2029":
        text = text.replace(char, f"\\u{ord(char):04x}")
    return text.encode()


def _drop_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


def _java_hash(text: str) -> int:
    """java.lang.String.hashCode (over UTF-16 code units), as a signed 32-bit int."""
    units = text.encode("utf-16-be")
    h = 0
    for i in range(0, len(units), 2):
        h = (31 * h + int.from_bytes(units[i : i + 2], "big")) & 0xFFFFFFFF
    return h


def received_message_id(sender: str, received_at: datetime, sim: int | None, text: str) -> str:
    """sms:received `messageId`: content-based, so NOT unique (docs:docs/features/webhooks.md).

    app:receiver/ReceiverService.kt uses `message.hashCode().toUInt().toString(16)`, with
    app:receiver/data/InboxMessage.kt hashing address, date, subscriptionId, then text (31*h+…).
    """
    ms = int(received_at.timestamp() * 1000)
    h = _java_hash(sender)
    h = (31 * h + ((ms ^ (ms >> 32)) & 0xFFFFFFFF)) & 0xFFFFFFFF  # java.util.Date.hashCode
    h = (31 * h + (sim or 0)) & 0xFFFFFFFF  # subscriptionId; we stand the SIM number in for it
    h = (31 * h + _java_hash(text)) & 0xFFFFFFFF
    return format(h, "x")


@dataclass
class Received:
    """One HTTP request as the phone got it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    answered: str = ""  # the status code written, or the mode that kept it from being written

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class AcceptedMessage:
    """A message the phone enqueued (app:messages/MessagesRepository.kt enqueue)."""

    id: str
    phone_numbers: list[str]
    text: str | None
    data: dict[str, Any] | None
    with_delivery_report: bool
    ttl: int | None
    valid_until: str | None
    sim_number: int | None
    priority: int
    is_encrypted: bool
    skip_phone_validation: bool
    created_at: datetime
    recipients: dict[str, tuple[str, str | None]]  # phone -> (state, error)
    states: dict[str, datetime]

    @property
    def state(self) -> str:
        """The message state from its recipients' (app:data/entities/MessageWithRecipients.kt)."""
        states = [s for s, _ in self.recipients.values()]
        for state in ("Pending", "Cancelling", "Cancelled", "Processed"):
            if state in states:
                return state
        if all(s == "Failed" for s in states):
            return "Failed"
        if all(s == "Delivered" for s in states):
            return "Delivered"
        return "Sent"


@dataclass
class RegisteredWebhook:
    id: str
    url: str
    event: str


@dataclass
class Delivery:
    """One webhook POST the phone made, and what it got back."""

    url: str
    envelope: dict[str, Any]
    body: bytes
    timestamp: str
    signature: str
    response: requests.Response


@dataclass
class FakeAndroidPhone:
    username: str = "sms"  # the app's default (app:localserver/LocalServerSettings.kt)
    password: str = field(default_factory=lambda: nanoid(8))  # ditto: 8-char nanoid
    signing_key: str = field(default_factory=lambda: nanoid(8))  # app:webhooks/WebhooksSettings.kt
    device_id: str = field(default_factory=lambda: secrets.token_hex(16))
    own_number: str | None = None  # the SIM's number; the app leaves it out when unknown
    tz: tzinfo = WIB  # the phone's local time zone: the app writes dates in it
    mode: Mode = "ok"
    hang_seconds: float = 30.0
    # Duplicate message ids: since app v1.58.0 (commit 438d06d, 2026-04) a POST with an id the phone
    # already holds answers 409; before, the app answered 202 Pending and sent nothing again.
    duplicates: Literal["conflict", "accept"] = "conflict"
    # Webhook URLs: the release build takes https:// or http://127.0.0.1 only; the "insecure" build
    # any http:// (app:webhooks/WebHooksService.kt replace).
    insecure_build: bool = False
    messages: dict[str, AcceptedMessage] = field(default_factory=dict)
    webhooks: dict[str, RegisteredWebhook] = field(default_factory=dict)
    requests: list[Received] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    _sends: list[Mode] = field(default_factory=list)
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _release: threading.Event = field(default_factory=threading.Event)
    _server: ThreadingHTTPServer | None = None
    _port: int = 0  # kept across stop()/start(): the phone comes back at the same address

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The client's base_url: the local server serves its API at the root, no path prefix
        (app:localserver/WebService.kt routes "/messages", "/webhooks", …)."""
        assert self._port, "start() first"
        return f"http://127.0.0.1:{self._port}"

    def start(self) -> FakeAndroidPhone:
        phone = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as Ktor/Netty

            def do_GET(self) -> None:
                phone._handle(self)

            do_POST = do_DELETE = do_PUT = do_PATCH = do_GET

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._release.clear()
        self._server = ThreadingHTTPServer(("127.0.0.1", self._port), Handler)
        self._port = int(self._server.server_address[1])
        self._server.daemon_threads = True  # a hanging request must not hold stop()
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """The phone goes off: connections are refused (its messages and webhooks are kept, as
        in the app's database, for a start() again on the same port)."""
        self._release.set()  # frees "hang" and "slow" handlers
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeAndroidPhone:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what tests read and set -------------------------------------------------------------

    @property
    def posts(self) -> list[Received]:
        """Every POST /messages (or its alias /message) as received, duplicates included."""
        sends = ("messages", None)
        return [r for r in self.requests if r.method == "POST" and _route(r.path) == sends]

    def answer_sends(self, *modes: Mode) -> None:
        """How to answer the next POST /messages, one mode each; then `mode` again."""
        assert set(modes) <= set(MODES), f"unknown modes {set(modes) - set(MODES)}"
        with self._lock:
            self._sends.extend(modes)

    def add_webhook(self, url: str, event: str, id: str | None = None) -> str:
        """Register a webhook as if through POST /webhooks (e.g. set up in the app beforehand)."""
        webhook = RegisteredWebhook(id or nanoid(), url, event)
        with self._lock:
            self.webhooks[webhook.id] = webhook
        return webhook.id

    # -- the phone's side: events -------------------------------------------------------------

    def text_in(
        self,
        sender: str,
        text: str,
        *,
        received_at: datetime | None = None,
        sim_number: int | None = 1,
        message_id: str | None = None,
        event_id: str | None = None,
    ) -> list[Delivery]:
        """The phone received an SMS: POST a signed sms:received to every sms:received webhook
        (none registered: the app only keeps it in its inbox, and so nothing is sent)."""
        # The SMS's own time (service-centre time, whole seconds), in the phone's zone.
        at = (received_at or datetime.now(self.tz)).replace(microsecond=0)
        payload = {
            # Field order as Gson writes SmsEventPayload.SmsReceived: its own fields, then those
            # of MessageEventPayload (app:webhooks/payload/SmsEventPayload.kt).
            "message": text,
            "receivedAt": self._date(at),
            "messageId": message_id or received_message_id(sender, at, sim_number, text),
            "sender": sender,
            "recipient": self.own_number,
            "simNumber": sim_number,
            "phoneNumber": sender,  # deprecated duplicate of sender, still sent
        }
        return self._emit("sms:received", payload, event_id=event_id)

    def report(
        self,
        message_id: str,
        event: Literal["sms:sent", "sms:delivered", "sms:failed"],
        *,
        phone_number: str | None = None,
        reason: str | None = None,
        parts_count: int = 1,
    ) -> list[Delivery]:
        """A message the phone holds was sent / delivered / failed, for one recipient or all:
        update its state (GET /messages/{id} shows it) and POST one signed event per recipient
        to every webhook of that event (app:webhooks/EventsReceiver.kt)."""
        state = _REPORTS[event]
        with self._lock:
            message = self.messages[message_id]
            if event == "sms:delivered" and not message.with_delivery_report:
                raise ValueError("no delivery report was asked for: the phone never learns this")
            phones = [phone_number] if phone_number else list(message.recipients)
            error = (reason or "Unknown") if event == "sms:failed" else None
            for phone in phones:
                message.recipients[phone] = (state, error)
            message.states.setdefault(message.state, datetime.now(self.tz))
        deliveries: list[Delivery] = []
        for phone in phones:
            now = self._date(datetime.now(self.tz))
            own: dict[str, dict[str, Any]] = {
                "sms:sent": {"partsCount": parts_count, "sentAt": now},
                "sms:delivered": {"deliveredAt": now},
                "sms:failed": {"failedAt": now, "reason": error},
            }
            payload = {
                **own[event],
                "messageId": message_id,
                "sender": self.own_number,
                "recipient": phone,
                "simNumber": message.sim_number,
                "phoneNumber": phone,
            }
            deliveries += self._emit(event, payload)
        return deliveries

    def post_event(
        self,
        url: str,
        envelope: dict[str, Any],
        *,
        timestamp: int | str | None = None,
        key: str | None = None,
        body: bytes | None = None,
        signature: str | None = None,
    ) -> Delivery:
        """POST one webhook as the app does; the keywords falsify it for hostile tests: another
        timestamp (stale), another key (forged), raw `body` bytes, or a given `signature` ("" to
        send no X-Signature/X-Timestamp at all)."""
        raw = gson(envelope) if body is None else body
        stamp = str(int(time.time()) if timestamp is None else timestamp)  # Unix seconds
        sig = sign(self.signing_key if key is None else key, raw, stamp)
        if signature is not None:
            sig = signature
        headers = {
            # Ktor's gson converter labels the JSON body so; the User-Agent is the app's id/version.
            "Content-Type": "application/json; charset=UTF-8",
            "User-Agent": "me.capcom.smsgateway/1.68.0",
        }
        if sig:
            headers |= {"X-Signature": sig, "X-Timestamp": stamp}
        # The app's HTTP client: connect 5 s, socket 5 s, whole request 30 s
        # (app:webhooks/workers/WebhookQueueProcessorWorker.kt).
        response = requests.post(url, data=raw, headers=headers, timeout=(5, 30))
        delivery = Delivery(url, envelope, raw, stamp, sig, response)
        with self._lock:
            self.deliveries.append(delivery)
        return delivery

    def redeliver(self, delivery: Delivery) -> Delivery:
        """Retry a delivery as the app does after a non-2xx answer or a network error: the same
        stored envelope (same event `id`), a fresh X-Timestamp and signature."""
        return self.post_event(delivery.url, delivery.envelope)

    def _emit(
        self, event: str, payload: dict[str, Any], *, event_id: str | None = None
    ) -> list[Delivery]:
        # app:webhooks/WebHooksService.kt emit: one envelope per webhook of the event, each with
        # its own event id; field order as WebHookEventDTO declares it.
        with self._lock:
            targets = [w for w in self.webhooks.values() if w.event == event]
        return [
            self.post_event(
                webhook.url,
                {
                    "id": event_id or nanoid(),
                    "webhookId": webhook.id,
                    "event": event,
                    "deviceId": self.device_id,
                    "payload": payload,
                },
            )
            for webhook in targets
        ]

    def _date(self, moment: datetime) -> str:
        """Gson's "yyyy-MM-dd'T'HH:mm:ss.SSSXXX" in the phone's zone (app:extensions/GsonBuilder)"""
        text = moment.astimezone(self.tz).isoformat(timespec="milliseconds")
        return text[: -len("+00:00")] + "Z" if text.endswith("+00:00") else text

    # -- the HTTP server --------------------------------------------------------------------

    def _handle(self, http: BaseHTTPRequestHandler) -> None:
        split = urlsplit(http.path)
        body = http.rfile.read(int(http.headers.get("Content-Length") or 0))
        query = {k: v[-1] for k, v in parse_qs(split.query).items()}
        request = Received(http.command, split.path, query, dict(http.headers.items()), body)
        with self._lock:
            self.requests.append(request)
        if split.path == "/health":  # the only route outside authentication
            return self._reply(
                http,
                request,
                200,
                {"status": "pass", "version": "1.68.0", "releaseId": 1, "checks": {}},
            )
        expected = "Basic " + base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        if self.mode == "unauthorized" or not hmac.compare_digest(
            http.headers.get("Authorization", ""), expected
        ):
            # Ktor's basic auth challenge: 401, empty body (app:localserver/WebService.kt).
            challenge = 'Basic realm="Access to SMS Gateway", charset=UTF-8'
            return self._reply(http, request, 401, None, {"WWW-Authenticate": challenge})
        mode: Mode = self.mode
        if http.command == "POST" and _route(split.path) == ("messages", None):
            with self._lock:
                mode = self._sends.pop(0) if self._sends else self.mode
        if mode == "hang":
            request.answered = "hang"
            self._release.wait(self.hang_seconds)
            http.close_connection = True
            return None
        if mode == "down":
            return self._reply(http, request, 500, {"message": "java.lang.IllegalStateException"})
        if mode == "unavailable":
            return self._reply(http, request, 503, {"message": "Service Unavailable"})
        with self._lock:
            status, answer = self._dispatch(request)
        if mode == "lose_answer":
            request.answered = "lose_answer"
            http.close_connection = True
            return None
        if mode == "slow":
            self._release.wait(self.hang_seconds)
        return self._reply(http, request, status, answer)

    def _dispatch(self, request: Received) -> tuple[int, Any]:
        resource, item = _route(request.path)
        method = request.method
        try:
            if resource == "messages" and item is None and method == "POST":
                return self._post_message(request)
            if resource == "messages" and item is None and method == "GET":
                return 200, [self._message_json(m, content=False) for m in self.messages.values()]
            if resource == "messages" and item is not None and method == "GET":
                message = self.messages.get(item)
                return (200, self._message_json(message)) if message else (404, None)
            if resource == "webhooks" and item is None and method == "GET":
                return 200, [self._webhook_json(w) for w in self.webhooks.values()]
            if resource == "webhooks" and item is None and method == "POST":
                return self._post_webhook(request)
            if resource == "webhooks" and item is not None and method == "DELETE":
                self.webhooks.pop(item, None)  # unknown ids too: 204 (WebhooksRoutes.kt)
                return 204, None
        except (ValueError, TypeError, AttributeError) as error:
            # Unreadable JSON: Ktor's BadRequestException -> 400 {"message": ...} (StatusPages).
            return 400, {"message": f"Failed to convert request body: {error}"}
        return 404, None  # routes not modelled here (cancel, inbox, settings, logs, …)

    def _post_message(self, request: Received) -> tuple[int, Any]:
        """POST /messages: app:localserver/routes/MessagesRoutes.kt post, with
        app:localserver/domain/messages/PostMessageRequest.kt validate()."""
        body = request.json()
        if not isinstance(body, dict):
            raise ValueError("expected a JSON object")
        text_message, data_message = body.get("textMessage"), body.get("dataMessage")
        legacy = body.get("message")  # the deprecated plain-text field
        kinds = [k for k in (text_message, data_message, legacy) if k is not None]
        if not kinds:
            one = "Must specify exactly one of: textMessage, dataMessage, or message"
            return 400, {"message": one}
        if len(kinds) > 1:
            return 400, {"message": "Cannot specify multiple message types simultaneously"}
        text = legacy if legacy is not None else (text_message or {}).get("text")
        if (text_message is not None and not text) or legacy == "":
            return 400, {"message": "Text message is empty"}
        phones = body.get("phoneNumbers")
        if phones is None:
            # Gson leaves the non-null Kotlin list null; validate() then throws a
            # NullPointerException, which StatusPages turns into 500.
            return 500, {"message": "java.lang.NullPointerException"}
        if not phones:
            return 400, {"message": "Empty phone numbers list"}
        sim = body.get("simNumber")
        if sim is not None and sim < 1:
            return 400, {"message": "SIM number cannot be less than 1"}
        if body.get("deviceId") not in (None, self.device_id):
            return 400, {"message": "Invalid device ID"}
        ttl, valid_until = body.get("ttl"), body.get("validUntil")
        if ttl is not None and valid_until is not None:
            return 400, {"message": "fields conflict: ttl and validUntil"}
        if ttl is not None and ttl < 0:
            return 400, {"message": "message already expired"}
        now = datetime.now(self.tz)
        message_id = body.get("id") or nanoid()
        # The phone does not check numbers here: a bad one is accepted (202) and fails later, when
        # sent (sms:failed, reason "sendSMS: Invalid phone number"; MessagesService.kt sendSMS).
        if message_id in self.messages or len(set(phones)) < len(phones):
            # The insert hits a primary key -- message id, or (message id, phone) for a number
            # given twice -- and SQLiteConstraintException becomes ConflictException
            # (app:messages/MessagesService.kt enqueueMessage).
            if self.duplicates == "conflict":
                return 409, {"message": "Message with the same ID already exists"}
            # Before v1.58.0: nothing enqueued, 202 with a Pending answer made from the request.
            return 202, {
                "id": message_id,
                "deviceId": self.device_id,
                "state": "Pending",
                "isHashed": False,
                "isEncrypted": bool(body.get("isEncrypted")),
                "recipients": [{"phoneNumber": p, "state": "Pending"} for p in phones],
                "states": {"Pending": self._date(now)},
            }
        message = AcceptedMessage(
            id=message_id,
            phone_numbers=list(phones),
            text=text,
            data=data_message,
            with_delivery_report=body.get("withDeliveryReport", True) is not False,
            ttl=ttl,
            valid_until=valid_until,
            sim_number=sim,
            priority=int(body.get("priority") or 0),
            is_encrypted=bool(body.get("isEncrypted")),
            skip_phone_validation=request.query.get("skipPhoneValidation") == "true",
            created_at=now,
            recipients={p: ("Pending", None) for p in phones},
            states={"Pending": now},
        )
        self.messages[message_id] = message
        return 202, self._message_json(message)

    def _message_json(self, message: AcceptedMessage, *, content: bool = True) -> dict[str, Any]:
        # app:localserver/domain/messages/Message.kt, field order as declared; POST and
        # GET /messages/{id} include the content, the list does not.
        return {
            "id": message.id,
            "deviceId": self.device_id,
            "state": message.state,
            "isHashed": False,
            "isEncrypted": message.is_encrypted,
            "textMessage": {"text": message.text} if content and message.text is not None else None,
            "dataMessage": message.data if content else None,
            "recipients": [
                {"phoneNumber": phone, "state": state, "error": error}
                for phone, (state, error) in message.recipients.items()
            ],
            "states": {state: self._date(at) for state, at in message.states.items()},
        }

    def _post_webhook(self, request: Received) -> tuple[int, Any]:
        """POST /webhooks: app:localserver/routes/WebhooksRoutes.kt, WebHooksService.kt replace."""
        body = request.json()
        if not isinstance(body, dict):
            raise ValueError("expected a JSON object")
        if body.get("deviceId") not in (None, self.device_id):
            return 400, {"message": "Device ID mismatch"}
        url = body.get("url") or ""
        parts = urlsplit(url)
        if not (
            parts.scheme == "https"
            or (parts.scheme == "http" and (self.insecure_build or parts.hostname == "127.0.0.1"))
        ):
            return 400, {"message": "url must start with https:// or http://127.0.0.1"}
        if body.get("event") not in EVENTS:
            return 400, {"message": "Unsupported event"}
        # No id: a new one. An id already registered: replaced (upsert).
        webhook = RegisteredWebhook(body.get("id") or nanoid(), url, body["event"])
        self.webhooks[webhook.id] = webhook
        return 201, self._webhook_json(webhook)

    @staticmethod
    def _webhook_json(webhook: RegisteredWebhook) -> dict[str, Any]:
        # WebHookDTO: deviceId is null (so left out) for local webhooks, source "Local".
        return {"id": webhook.id, "url": webhook.url, "event": webhook.event, "source": "Local"}

    @staticmethod
    def _reply(
        http: BaseHTTPRequestHandler,
        request: Received,
        status: int,
        answer: Any,
        headers: dict[str, str] | None = None,
    ) -> None:
        data = gson(answer) if answer is not None else b""
        request.answered = str(status)
        try:
            http.send_response(status)
            if data:
                http.send_header("Content-Type", "application/json; charset=UTF-8")
            for name, value in (headers or {}).items():
                http.send_header(name, value)
            http.send_header("Content-Length", str(len(data)))
            http.end_headers()
            http.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (its timeout) before the answer


def _route(path: str) -> tuple[str | None, str | None]:
    """("messages" | "webhooks" | None, item id or None). The app mounts each under its singular
    name too: /message is what docs:docs/getting-started/local-server.md shows; the client uses
    /messages and /webhooks."""
    parts = path.strip("/").split("/")
    resource = {
        "message": "messages",
        "messages": "messages",
        "webhook": "webhooks",
        "webhooks": "webhooks",
    }.get(parts[0])
    if resource is None or len(parts) > 2:
        return None, None
    return resource, parts[1] if len(parts) == 2 else None


__all__ = [
    "EVENTS",
    "MODES",
    "AcceptedMessage",
    "Delivery",
    "FakeAndroidPhone",
    "Received",
    "RegisteredWebhook",
    "gson",
    "nanoid",
    "received_message_id",
    "sign",
]
