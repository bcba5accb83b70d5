"""The OpenAPI document against the app: schemathesis sends what the document allows (and
what it forbids) with a real token on the seeded demo, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

import pytest
import schemathesis
import time_machine
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis.checks import CheckContext, positive_data_acceptance
from schemathesis.openapi.checks import RejectedPositiveData

from api import tokens
from api.openapi import REFUSED_THOUGH_VALID, document
from plumbing.db import Database

# Every check schemathesis has (status codes, content types, bodies and headers as documented,
# wrong data refused, ...); "schema-valid data is accepted" as `documented_acceptance` below.
CONFIG = schemathesis.Config.from_dict({"checks": {"positive_data_acceptance": {"enabled": False}}})


@schemathesis.check
def documented_acceptance(
    ctx: CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> bool | None:
    """Schema-valid data is accepted, but for the refusals the operation lists under
    x-refused-though-valid (rules JSON Schema cannot state: a key used before, a period's
    length), each by its status and error code: any other refusal is a mismatch."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        listed = case.operation.definition.raw.get(REFUSED_THOUGH_VALID, [])
        try:
            code = response.json()["error"]["code"]
        except (ValueError, TypeError, KeyError):
            raise AssertionError(f"a refusal without an error code: {response.text}") from None
        if {"status": response.status_code, "code": code} not in listed:
            raise
        return None


class ServedApp:
    """The WSGI app of the running test: the document is loaded once, each test brings its app
    (and its database)."""

    app: Flask | None = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        assert self.app is not None, "the served fixture sets the app"
        return self.app(environ, start_response)


served_app = ServedApp()
schema = schemathesis.openapi.from_dict(document(), config=CONFIG)
# Modest by default (the suite stays quick); ANTRE_API_EXAMPLES=200 for a deeper run by hand.
EXAMPLES = int(os.environ.get("ANTRE_API_EXAMPLES", "10"))
schema.app = served_app


@pytest.fixture
def api_token(demo: Database, now: datetime) -> str:
    return demo.run(lambda db: tokens.issue(db, "simrs-1001", now, facility_code="1001"))


@pytest.fixture
def served(app: Flask, now: datetime) -> Iterator[None]:
    """The schema sends to this test's app, on the demo's Monday (its sessions take bookings)."""
    served_app.app = app
    with time_machine.travel(now, tick=False):
        yield
    served_app.app = None


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_operation_answers_as_the_document_says(
    case: schemathesis.Case, api_token: str, served: None
) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {api_token}"})


def test_the_document_describes_every_api_route_of_the_app(app: Flask) -> None:
    described = {
        (path, method.upper())
        for path, operations in document()["paths"].items()
        for method in operations
    }
    served = {
        (re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule), method)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }
    assert served == described
    assert len(described) == 11  # 9 queue operations, the figures and this document
    answer = app.test_client().get("/api/openapi.json")
    assert answer.status_code == 200 and answer.json == document()


def test_the_document_says_a_key_reused_for_another_booking_is_a_422() -> None:
    take = document()["paths"]["/api/bookings"]["post"]
    assert "IDEMPOTENCY_KEY_REUSED" in take["responses"]["422"]["description"]
    assert "422 IDEMPOTENCY_KEY_REUSED" in take["description"]


def test_the_document_says_a_key_reused_for_another_booking_or_session_is_a_422() -> None:
    paths = document()["paths"]
    for path in ("/api/bookings/{booking_id}/cancel", "/api/sessions/{session_id}/call-next"):
        described = paths[path]["post"]
        assert "IDEMPOTENCY_KEY_REUSED" in described["responses"]["422"]["description"], path
        assert "422 IDEMPOTENCY_KEY_REUSED" in described["description"], path
