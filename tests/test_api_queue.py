"""A facility system runs its queue through /api/: services, sessions, take, status, call next,
served, no-show, cancel; idempotent retries; every change in the event log under its name."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, time, timedelta
from typing import Any
from urllib.parse import quote

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from booking.models import Booking, Event, Outbox
from plumbing.db import Database
from tests.api_helpers import bearer, issue
from tests.helpers import session_id, today


class Simrs:
    """The facility's own system: a test client with its token."""

    def __init__(self, client: FlaskClient, token: str) -> None:
        self.client, self.headers = client, bearer(token)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(path, headers=self.headers, **kwargs)

    def post(self, path: str, headers: dict[str, str] | None = None, **kwargs: Any) -> Any:
        return self.client.post(path, headers={**self.headers, **(headers or {})}, **kwargs)


@pytest.fixture
def simrs(app: Flask, demo: Database, now: datetime) -> Iterator[Simrs]:
    token = issue(demo, "simrs-cipocok", now, facility="1001")
    with time_machine.travel(now, tick=False):
        yield Simrs(app.test_client(), token)


def test_a_facility_system_reads_its_services_and_sessions(simrs: Simrs, now: datetime) -> None:
    services = simrs.get("/api/facilities/1001/services").json
    assert services["facility"] == {
        "code": "1001",
        "name": "Puskesmas Cipocok Jaya",
        "district": "Kota Serang",
        "timezone": "Asia/Jakarta",
    }
    assert [s["code"] for s in services["services"]] == ["UMUM", "GIGI", "KIA"]
    assert services["services"][0]["prefix"] == "A"

    sessions = simrs.get("/api/facilities/1001/sessions").json
    monday, tuesday = today(now), today(now) + timedelta(days=1)
    assert sessions["days"] == [monday.isoformat(), tuesday.isoformat()]
    assert {s["day"] for s in sessions["sessions"]} == {monday.isoformat(), tuesday.isoformat()}
    first = sessions["sessions"][0]
    assert first["service"] == "UMUM" and first["start_time"] == "08:00"
    assert first["places_left"] == first["capacity"] == 40 and first["bookable"] is True

    gigi = simrs.get(
        "/api/facilities/1001/sessions",
        query_string={"day": tuesday.isoformat(), "service": "gigi"},
    ).json
    assert [(s["service"], s["day"]) for s in gigi["sessions"]] == [("GIGI", tuesday.isoformat())]
    unknown = simrs.get("/api/facilities/1001/sessions", query_string={"service": "BEDAH"})
    assert unknown.status_code == 404 and unknown.json["error"]["code"] == "SERVICE_UNKNOWN"
    nowhere = simrs.get("/api/facilities/9999/services")
    assert nowhere.status_code == 404 and nowhere.json["error"]["code"] == "FACILITY_UNKNOWN"


def test_take_call_serve_and_cancel_through_the_api(
    simrs: Simrs, demo: Database, now: datetime
) -> None:
    sid = session_id(demo, service="GIGI", day=today(now))
    first = simrs.post(
        "/api/bookings",
        json={"session_id": sid, "phone": "0812-3456-7890", "bpjs_number": "0001234567890"},
    )
    assert first.status_code == 201, first.json
    booked = first.json
    assert booked["display"] == "B-001" and booked["status"] == "booked"
    assert booked["channel"] == "api" and booked["phone"] == "+6281234567890"
    assert booked["bpjs_number"] == "0001234567890" and booked["facility"] == "1001"
    assert booked["position"] == {
        "now_serving": None,
        "ahead": 0,
        "expected_at": f"{today(now)}T08:00:00+07:00",
    }
    second = simrs.post(
        "/api/bookings", json={"session_id": sid, "phone": "+6281234567890", "name": "ani"}
    ).json
    walk_in = simrs.post("/api/bookings", json={"session_id": sid, "name": "Pak Budi"}).json
    assert (second["display"], second["name"]) == ("B-002", "Ani")
    assert (walk_in["display"], walk_in["phone"]) == ("B-003", None)
    assert walk_in["position"]["ahead"] == 2

    called = simrs.post(f"/api/sessions/{sid}/call-next")
    assert called.status_code == 200 and called.json["display"] == "B-001"
    assert called.json["status"] == "called"
    status = simrs.get(f"/api/bookings/{walk_in['id']}").json
    assert status["position"]["now_serving"] == "B-001" and status["position"]["ahead"] == 2

    served = simrs.post(f"/api/bookings/{booked['id']}/served").json
    assert served["status"] == "served" and served["position"] is None
    again = simrs.post(f"/api/bookings/{booked['id']}/served")
    assert again.status_code == 200 and again.json == served  # a retry changes nothing
    not_called = simrs.post(f"/api/bookings/{walk_in['id']}/no-show")
    assert not_called.status_code == 409
    assert not_called.json["error"] == {
        "code": "NOT_CALLED",
        "message": "Number B-003 is not being served now.",
    }

    assert simrs.post(f"/api/sessions/{sid}/call-next").json["display"] == "B-002"
    gone = simrs.post(f"/api/bookings/{second['id']}/no-show").json
    assert gone["status"] == "no_show"
    cancelled = simrs.post(f"/api/bookings/{walk_in['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"
    empty = simrs.post(f"/api/sessions/{sid}/call-next")
    assert empty.status_code == 409 and empty.json["error"]["code"] == "NOTHING_WAITING"

    listing = simrs.get(f"/api/sessions/{sid}/bookings").json
    assert [(b["display"], b["status"]) for b in listing["bookings"]] == [
        ("B-001", "served"),
        ("B-002", "no_show"),
        ("B-003", "cancelled"),
    ]
    assert listing["session"]["places_taken"] == 2  # the cancelled place is free again

    with demo.transaction() as s:
        events = s.execute(select(Event.kind, Event.actor, Event.channel).order_by(Event.id)).all()
        receipts = s.scalar(
            select(func.count()).select_from(Outbox).where(Outbox.kind == "receipt")
        )
    assert [kind for kind, _, _ in events] == [
        "booked",
        "booked",
        "booked",
        "called",
        "served",  # once: the retried "served" found it done
        "called",
        "no_show",
        "cancelled",
    ]
    assert {(actor, channel) for _, actor, channel in events} == {("simrs-cipocok", "api")}
    assert receipts == 2  # the two bookings with a phone got their SMS receipt


def test_the_same_idempotency_key_books_once(simrs: Simrs, demo: Database, now: datetime) -> None:
    sid = session_id(demo, service="KIA", day=today(now))
    body = {"session_id": sid, "phone": "+6281234567890", "name": "Siti Aminah"}
    by_header = [
        simrs.post("/api/bookings", headers={"Idempotency-Key": "visit-77"}, json=body)
        for _ in range(3)
    ]
    assert [answer.status_code for answer in by_header] == [201, 201, 201]
    assert len({answer.json["id"] for answer in by_header}) == 1
    # the key in the body is the same key
    in_body = simrs.post("/api/bookings", json={**body, "idempotency_key": "visit-77"})
    assert in_body.json["id"] == by_header[0].json["id"]
    # a new key for the same person is a second booking: refused by the one-a-day rule
    fresh = simrs.post("/api/bookings", headers={"Idempotency-Key": "visit-78"}, json=body)
    assert fresh.status_code == 409 and fresh.json["error"]["code"] == "ALREADY_BOOKED_FOR"
    assert fresh.json["error"]["message"].startswith("Siti Aminah already has number C-001")
    indonesian = simrs.post(
        "/api/bookings", headers={"Accept-Language": "id", "Idempotency-Key": "visit-79"}, json=body
    )
    assert indonesian.json["error"]["code"] == "ALREADY_BOOKED_FOR"
    assert indonesian.json["error"]["message"] != fresh.json["error"]["message"]

    # cancel and call-next take keys too
    booking_id = by_header[0].json["id"]
    for _ in range(2):
        answer = simrs.post(
            f"/api/bookings/{booking_id}/cancel", headers={"Idempotency-Key": "cancel-1"}
        )
        assert answer.status_code == 200 and answer.json["status"] == "cancelled"
    with demo.transaction() as s:
        bookings = s.scalar(select(func.count()).select_from(Booking))
        kinds = list(s.scalars(select(Event.kind).order_by(Event.id)))
        receipts = s.scalar(select(func.count()).select_from(Outbox))
    assert bookings == 1 and kinds == ["booked", "cancelled"] and receipts == 1


def test_an_idempotency_key_reused_for_another_request_is_refused_not_answered_with_its_booking(
    simrs: Simrs, demo: Database, now: datetime
) -> None:
    sid = session_id(demo, service="KIA", day=today(now))
    other_sid = session_id(demo, service="GIGI", day=today(now))
    key = {"Idempotency-Key": "visit-77"}
    body = {
        "session_id": sid,
        "phone": "+6281234567890",
        "name": "Siti Aminah",
        "bpjs_number": "0001234567890",
    }
    first = simrs.post("/api/bookings", headers=key, json=body)
    assert first.status_code == 201, first.json
    for change in (
        {"phone": "+6281298765432"},  # another family's phone: the case the audit found
        {"name": "Budi Santoso"},
        {"session_id": other_sid},
        {"bpjs_number": "0009876543210"},
        {"bpjs_number": None},
    ):
        answer = simrs.post("/api/bookings", headers=key, json={**body, **change})
        assert answer.status_code == 422, (change, answer.json)
        assert answer.json == {
            "error": {
                "code": "IDEMPOTENCY_KEY_REUSED",
                "message": "That idempotency key was already used for a different request; "
                "send this one with a new key.",
            }
        }, change
    in_body = simrs.post(
        "/api/bookings", json={**body, "name": "Budi", "idempotency_key": "visit-77"}
    )
    assert in_body.status_code == 422 and in_body.json["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    indonesian = simrs.post(
        "/api/bookings",
        headers={**key, "Accept-Language": "id"},
        json={**body, "phone": "+6281298765432"},
    )
    assert indonesian.json["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert indonesian.json["error"]["message"] == (
        "Kunci idempotensi itu sudah dipakai untuk permintaan lain; kirim dengan kunci baru."
    )

    # The same request still answers with its booking, however its phone and name are written.
    same = simrs.post(
        "/api/bookings",
        headers=key,
        json={**body, "phone": "0812-3456-7890", "name": "SITI AMINAH"},
    )
    assert same.status_code == 201 and same.json == first.json
    with demo.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Booking)) == 1
        assert list(s.scalars(select(Event.kind))) == ["booked"]
        assert s.scalar(select(func.count()).select_from(Outbox)) == 1


def test_a_retried_call_next_calls_one_number(simrs: Simrs, demo: Database, now: datetime) -> None:
    sid = session_id(demo, day=today(now), start=time(8))
    for n in range(3):
        simrs.post("/api/bookings", json={"session_id": sid, "name": f"Pasien {'ABC'[n]}"})
    calls = [
        simrs.post(f"/api/sessions/{sid}/call-next", json={"idempotency_key": "round-1"}).json
        for _ in range(2)
    ]
    assert calls[0] == calls[1] and calls[0]["display"] == "A-001"
    listing = simrs.get(f"/api/sessions/{sid}/bookings").json["bookings"]
    assert [b["status"] for b in listing] == ["called", "booked", "booked"]
    assert [b["position"]["ahead"] for b in listing] == [0, 1, 2]


def test_a_cancel_key_reused_for_another_booking_is_refused_and_cancels_neither(
    simrs: Simrs, demo: Database, now: datetime
) -> None:
    sid = session_id(demo, service="KIA", day=today(now))
    siti = simrs.post("/api/bookings", json={"session_id": sid, "phone": "+6281234567890"}).json
    budi = simrs.post("/api/bookings", json={"session_id": sid, "phone": "+6281298765432"}).json
    key = {"Idempotency-Key": "cancel-77"}
    first = simrs.post(f"/api/bookings/{siti['id']}/cancel", headers=key)
    assert first.status_code == 200 and first.json["status"] == "cancelled"

    for sent in ({"headers": key}, {"json": {"idempotency_key": "cancel-77"}}):
        reused = simrs.post(f"/api/bookings/{budi['id']}/cancel", **sent)
        assert reused.status_code == 422, (sent, reused.json)
        assert reused.json == {
            "error": {
                "code": "IDEMPOTENCY_KEY_REUSED",
                "message": "That idempotency key was already used for a different request; "
                "send this one with a new key.",
            }
        }
        assert siti["phone"] not in reused.get_data(as_text=True)  # never the other patient's
    assert simrs.get(f"/api/bookings/{budi['id']}").json["status"] == "booked"
    retried = simrs.post(f"/api/bookings/{siti['id']}/cancel", headers=key)  # its own: a replay
    assert retried.status_code == 200 and retried.json == first.json
    with demo.transaction() as s:
        assert list(s.scalars(select(Event.kind).order_by(Event.id))) == [
            "booked",
            "booked",
            "cancelled",
        ]


def test_a_call_next_key_reused_for_another_session_is_refused_and_calls_no_one(
    simrs: Simrs, demo: Database, now: datetime
) -> None:
    umum = session_id(demo, service="UMUM", day=today(now))
    gigi = session_id(demo, service="GIGI", day=today(now))
    simrs.post("/api/bookings", json={"session_id": umum, "phone": "+6281234567890"})
    waiting = simrs.post("/api/bookings", json={"session_id": gigi, "name": "Pak Budi"}).json
    key = {"Idempotency-Key": "round-1"}
    called = simrs.post(f"/api/sessions/{umum}/call-next", headers=key)
    assert called.status_code == 200 and called.json["display"] == "A-001"

    for sent in ({"headers": key}, {"json": {"idempotency_key": "round-1"}}):
        reused = simrs.post(f"/api/sessions/{gigi}/call-next", **sent)
        assert reused.status_code == 422, (sent, reused.json)
        assert reused.json["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
        assert "+6281234567890" not in reused.get_data(as_text=True)
    assert simrs.get(f"/api/bookings/{waiting['id']}").json["status"] == "booked"
    again = simrs.post(f"/api/sessions/{umum}/call-next", headers=key)
    assert again.status_code == 200 and again.json == called.json

    # /served and /no-show take no key: whatever header is sent, each acts on its own booking.
    in_gigi = simrs.post(f"/api/sessions/{gigi}/call-next", headers={"Idempotency-Key": "g-1"})
    assert in_gigi.status_code == 200 and in_gigi.json["id"] == waiting["id"]
    no_show = simrs.post(f"/api/bookings/{waiting['id']}/no-show", headers=key)
    assert no_show.status_code == 200
    assert (no_show.json["id"], no_show.json["status"]) == (waiting["id"], "no_show")
    served = simrs.post(f"/api/bookings/{called.json['id']}/served", headers=key)
    assert served.status_code == 200
    assert (served.json["id"], served.json["status"]) == (called.json["id"], "served")


def test_two_different_keys_in_header_and_body_are_refused(
    simrs: Simrs, demo: Database, now: datetime
) -> None:
    sid = session_id(demo, day=today(now))
    answer = simrs.post(
        "/api/bookings",
        headers={"Idempotency-Key": "a"},
        json={"session_id": sid, "name": "Ani", "idempotency_key": "b"},
    )
    assert answer.status_code == 422 and answer.json["error"]["code"] == "IDEMPOTENCY_KEYS_DIFFER"


BIG = "9" * 40


# method, path, request, status, code: one seeded database answers them all.
BAD_INPUT: list[tuple[str, str, dict[str, Any], int, str]] = [
    ("post", "/api/bookings", {"data": "{not json"}, 400, "INVALID_JSON"),
    ("post", "/api/bookings", {"data": ""}, 400, "INVALID_JSON"),
    ("post", "/api/bookings", {"json": [1, 2]}, 422, "INVALID_REQUEST"),
    ("post", "/api/bookings", {"json": {"session_id": "1"}}, 422, "INVALID_REQUEST"),
    ("post", "/api/bookings", {"json": {"session_id": 1.5}}, 422, "INVALID_REQUEST"),
    ("post", "/api/bookings", {"json": {"session_id": True}}, 422, "INVALID_REQUEST"),
    ("post", "/api/bookings", {"json": {"session_id": int(BIG)}}, 422, "INVALID_REQUEST"),
    ("post", "/api/bookings", {"json": {"session_id": 0}}, 422, "INVALID_REQUEST"),
    ("post", "/api/bookings", {"json": {"session": 1}}, 422, "INVALID_REQUEST"),
    ("post", "/api/bookings", {"json": {"session_id": 1, "name": 7}}, 422, "INVALID_REQUEST"),
    (
        "post",
        "/api/bookings",
        {"json": {"session_id": 1, "bpjs_number": "12345"}},
        422,
        "INVALID_REQUEST",
    ),
    ("post", "/api/bookings", {"json": {"session_id": 999999}}, 404, "SESSION_UNKNOWN"),
    (
        "post",
        "/api/bookings",
        {"json": {"session_id": 1, "phone": "12"}},
        422,
        "PHONE_INVALID",
    ),
    (
        "post",
        "/api/bookings",
        {"json": {"session_id": 1, "name": "\x00\x01"}},
        422,
        "NAME_INVALID",
    ),
    (
        "post",
        "/api/bookings",
        {"json": {"session_id": 1, "name": "x" * 100}},
        422,
        "INVALID_REQUEST",
    ),
    (
        "post",
        "/api/bookings",
        {"json": {"session_id": 1, "name": "Ani"}, "headers": {"Idempotency-Key": "é" * 3}},
        422,
        "INVALID_REQUEST",
    ),
    ("post", "/api/bookings", {"data": "[" * 100_000}, 413, "BODY_TOO_LARGE"),
    ("post", "/api/bookings", {"data": "[" * 5000 + "]" * 5000}, 400, "INVALID_JSON"),
    ("get", f"/api/bookings/{BIG}", {}, 404, "NOT_FOUND"),
    ("get", "/api/bookings/-1", {}, 404, "NOT_FOUND"),
    ("get", "/api/bookings/abc", {}, 404, "NOT_FOUND"),
    ("get", "/api/bookings/424242", {}, 404, "BOOKING_UNKNOWN"),
    ("post", "/api/bookings/424242/cancel", {}, 404, "BOOKING_UNKNOWN"),
    ("post", "/api/bookings/424242/served", {}, 404, "BOOKING_UNKNOWN"),
    ("get", "/api/sessions/424242/bookings", {}, 404, "SESSION_UNKNOWN"),
    ("post", "/api/sessions/1/call-next", {"data": "nope"}, 400, "INVALID_JSON"),
    ("post", "/api/sessions/1/call-next", {"json": {"x": 1}}, 422, "INVALID_REQUEST"),
    (
        "get",
        "/api/facilities/1001/sessions",
        {"query_string": {"day": "0"}},
        422,
        "INVALID_REQUEST",
    ),
    (
        "get",
        "/api/facilities/1001/sessions",
        {"query_string": {"day": "2026-02-30"}},
        422,
        "INVALID_REQUEST",
    ),
    ("get", "/api/facilities/" + "9" * 50 + "/services", {}, 404, "NOT_FOUND"),
    ("get", "/api/no/such/thing", {}, 404, "NOT_FOUND"),
    ("get", "/api/facilities/1001/sessions?dya=2026-11-23", {}, 422, "INVALID_REQUEST"),
    ("get", "/api/bookings/1?=false", {}, 422, "INVALID_REQUEST"),
    ("delete", "/api/bookings/1", {}, 405, "METHOD_NOT_ALLOWED"),
    ("put", "/api/bookings", {}, 405, "METHOD_NOT_ALLOWED"),
]


def test_bad_input_gets_a_4xx_with_a_code_and_a_message(simrs: Simrs) -> None:
    for method, path, request_kwargs, status, code in BAD_INPUT:
        case = (method, path, code)
        sent = dict(request_kwargs)
        headers = {**simrs.headers, **sent.pop("headers", {})}
        answer = getattr(simrs.client, method)(path, headers=headers, **sent)
        assert answer.status_code == status, (case, answer.get_data(as_text=True))
        assert answer.mimetype == "application/json", case
        assert answer.json["error"]["code"] == code, case
        assert answer.json["error"]["message"], case


def test_a_lone_surrogate_in_a_body_field_is_a_422_that_names_the_field(simrs: Simrs) -> None:
    sent = [
        ("/api/bookings", {"session_id": 1, "name": "Ani", field: "\ud800"}, field)
        for field in ("phone", "name", "bpjs_number", "idempotency_key")
    ]
    sent += [
        ("/api/bookings", {"session_id": 1, "name": "Ani", "\udfffx": 1}, "body"),
        ("/api/bookings/1/cancel", {"idempotency_key": "k\udfff"}, "idempotency_key"),
        ("/api/sessions/1/call-next", {"idempotency_key": "\udc00\ud800"}, "idempotency_key"),
    ]
    for path, body, field in sent:
        # json.dumps writes the lone surrogate as the escape \ud800, as JSON's grammar allows.
        answer = simrs.post(path, data=json.dumps(body), content_type="application/json")
        assert answer.status_code == 422, (path, field, answer.get_data(as_text=True))
        error = answer.json["error"]
        assert error["code"] == "INVALID_REQUEST" and error["message"], (path, field)
        assert [problem["field"] for problem in error["fields"]] == [field], (path, field)


# Every code point, lone surrogates included (hypothesis leaves out category Cs unless told).
ANY_CHARACTER = st.characters(exclude_categories=())
ANY_SEGMENT_CHARACTER = st.characters(exclude_categories=(), exclude_characters="/")
LATIN_1 = st.characters(max_codepoint=255, exclude_characters="\r\n")  # what a header carries


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    name=st.text(ANY_CHARACTER, max_size=70),
    phone=st.none()
    | st.text(ANY_CHARACTER, max_size=40)
    | st.from_regex(r"\+?62?0?8[0-9 -]{8,14}", fullmatch=True),
    bpjs=st.none()
    | st.from_regex(r"[0-9]{13}", fullmatch=True)
    | st.text(ANY_CHARACTER, max_size=13),
    key=st.none() | st.text(LATIN_1, max_size=120),
    body_key=st.none() | st.text(ANY_CHARACTER, max_size=120),
)
@example(name="Siti\ud800", phone=None, bpjs=None, key=None, body_key=None)
def test_any_text_in_a_booking_gets_an_answer_never_a_500(
    simrs: Simrs,
    demo: Database,
    now: datetime,
    name: str,
    phone: str | None,
    bpjs: str | None,
    key: str | None,
    body_key: str | None,
) -> None:
    sid = session_id(demo, day=today(now) + timedelta(days=1))
    body = {"session_id": sid, "name": name, "phone": phone, "bpjs_number": bpjs}
    if body_key is not None:
        body["idempotency_key"] = body_key
    headers = {} if key is None else {"Idempotency-Key": key}
    answer = simrs.post("/api/bookings", headers=headers, json=body)
    assert answer.status_code in (201, 409, 422), answer.get_data(as_text=True)
    assert answer.mimetype == "application/json"
    if answer.status_code == 201:
        assert answer.json["status"] == "booked"
    else:
        assert answer.json["error"]["code"] and answer.json["error"]["message"]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(raw=st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_any_bytes_as_a_body_get_a_4xx(simrs: Simrs, raw: bytes) -> None:
    for path in ("/api/bookings", "/api/sessions/1/call-next", "/api/bookings/1/cancel"):
        answer = simrs.post(path, data=raw, content_type="application/json")
        assert 200 <= answer.status_code < 500, answer.get_data(as_text=True)
        assert answer.mimetype == "application/json"


def _as_a_server_passes_it(path: str) -> str:
    """PATH_INFO as a WSGI server gives it: the bytes sent (UTF-8, or what a client made of a
    lone surrogate) read as Latin-1."""
    return path.encode("utf-8", "surrogatepass").decode("latin-1")


def _query(**values: str) -> str:
    return "&".join(
        f"{name}={quote(value.encode('utf-8', 'surrogatepass'), safe='')}"
        for name, value in values.items()
    )


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    code=st.just("1001") | st.text(ANY_SEGMENT_CHARACTER, min_size=1, max_size=20),
    booking=st.text(ANY_SEGMENT_CHARACTER, min_size=1, max_size=20),
    service=st.text(ANY_CHARACTER, max_size=20),
    day=st.just("2026-11-23") | st.text(ANY_CHARACTER, max_size=20),
)
@example(code="1001\ud800", booking="\udc00", service="\ud800", day="\ud800")
def test_any_text_in_a_path_or_query_gets_a_4xx_never_a_500(
    simrs: Simrs, code: str, booking: str, service: str, day: str
) -> None:
    asked = [
        (f"/api/facilities/{code}/services", ""),
        (f"/api/facilities/{code}/sessions", _query(service=service, day=day)),
        (f"/api/bookings/{booking}", ""),
        ("/api/figures", _query(district=service, facility=code)),
    ]
    for path, query in asked:
        environ = {"PATH_INFO": _as_a_server_passes_it(path), "QUERY_STRING": query}
        answer = simrs.get("/", environ_overrides=environ)
        assert answer.status_code < 500, (path, query, answer.get_data(as_text=True))
        assert answer.mimetype == "application/json", (path, query)


@pytest.mark.slow
def test_racing_retries_with_one_key_book_once(
    simrs: Simrs, app: Flask, demo: Database, now: datetime
) -> None:
    sid = session_id(demo, service="GIGI", day=today(now))
    racers = 8
    barrier = threading.Barrier(racers)

    def send(_: int) -> Any:
        client = app.test_client()
        barrier.wait()
        return client.post(
            "/api/bookings",
            headers={**simrs.headers, "Idempotency-Key": "double-click"},
            json={"session_id": sid, "phone": "+6281234567890"},
        )

    with ThreadPoolExecutor(racers) as pool:
        answers = list(pool.map(send, range(racers)))
    assert [answer.status_code for answer in answers] == [201] * racers
    assert {answer.json["id"] for answer in answers} == {answers[0].json["id"]}
    with demo.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Booking)) == 1
        assert s.scalar(select(func.count()).select_from(Outbox)) == 1


@pytest.mark.slow
def test_racing_requests_with_one_key_for_different_patients_book_one_and_refuse_the_rest(
    simrs: Simrs, app: Flask, demo: Database, now: datetime
) -> None:
    sid = session_id(demo, service="GIGI", day=today(now))
    racers = 6
    barrier = threading.Barrier(racers)

    def send(n: int) -> Any:
        client = app.test_client()
        barrier.wait()
        return client.post(
            "/api/bookings",
            headers={**simrs.headers, "Idempotency-Key": "one-key"},
            json={"session_id": sid, "phone": f"+62812345678{n:02d}"},
        )

    with ThreadPoolExecutor(racers) as pool:
        answers = list(pool.map(send, range(racers)))
    assert sorted(answer.status_code for answer in answers) == [201] + [422] * (racers - 1)
    winner = next(answer.json for answer in answers if answer.status_code == 201)
    for answer in answers:
        if answer.status_code == 422:
            assert answer.json["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
            assert winner["phone"] not in answer.get_data(as_text=True)
    with demo.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Booking)) == 1


@pytest.mark.slow
def test_racing_call_nexts_with_one_key_in_different_sessions_call_one_and_refuse_the_rest(
    simrs: Simrs, app: Flask, demo: Database, now: datetime
) -> None:
    sessions = [session_id(demo, service=code, day=today(now)) for code in ("UMUM", "GIGI", "KIA")]
    for sid in sessions:
        simrs.post("/api/bookings", json={"session_id": sid, "name": "Pasien"})
    barrier = threading.Barrier(len(sessions))

    def send(sid: int) -> Any:
        client = app.test_client()
        barrier.wait()
        return client.post(
            f"/api/sessions/{sid}/call-next",
            headers={**simrs.headers, "Idempotency-Key": "one-key"},
        )

    with ThreadPoolExecutor(len(sessions)) as pool:
        answers = list(pool.map(send, sessions))
    assert sorted(answer.status_code for answer in answers) == [200, 422, 422]
    for sid, answer in zip(sessions, answers, strict=True):
        if answer.status_code == 200:
            assert answer.json["session_id"] == sid
        else:
            assert answer.json["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    with demo.transaction() as s:
        assert list(s.scalars(select(Event.kind).where(Event.kind == "called"))) == ["called"]


def test_a_chunked_body_is_read_no_further_than_the_limit(simrs: Simrs) -> None:
    def chunked(data: bytes) -> Any:
        return simrs.post(
            "/api/bookings",
            headers={"Transfer-Encoding": "chunked"},
            input_stream=io.BytesIO(data),
            environ_overrides={"wsgi.input_terminated": True},  # as gunicorn sets for chunks
        )

    huge = chunked(b"[" * 1_000_000)
    assert huge.status_code == 413 and huge.json["error"]["code"] == "BODY_TOO_LARGE"
    small = chunked(b'{"session_id": 424242}')
    assert small.status_code == 404 and small.json["error"]["code"] == "SESSION_UNKNOWN"


def test_text_the_database_cannot_hold_is_refused_not_a_500(simrs: Simrs) -> None:
    answer = simrs.get("/api/facilities/%00/services")
    assert answer.status_code in (403, 404, 422), answer.get_data(as_text=True)
    assert answer.json["error"]["code"] != "INTERNAL"
