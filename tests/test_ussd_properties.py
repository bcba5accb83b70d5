"""Anything the gateway may send gets an answer: a screen (200) or a one-line reason (400).

Hypothesis types any text, up to 1,000 characters, at several places in the menu (a first
request, a returning phone's main menu, the service list, the confirm, a name prompt, a paged
list...), on both databases. Never a 500, never a screen over 160 characters.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from booking.models import Facility, Phone
from plumbing.db import Database
from texts.gsm import is_gsm7

PHONE = "+6281234567890"
NEWCOMER = "+6281234567891"
# Reachable places, as the inputs typed to get there (each first typed one request at a time).
PLACES = (
    (NEWCOMER, ()),  # the welcome screen of a phone with no facility
    (NEWCOMER, ("2",)),  # districts
    (NEWCOMER, ("2", "1")),  # a district's health centres
    (NEWCOMER, ("1",)),  # type a code
    (PHONE, ()),  # the main menu
    (PHONE, ("1",)),  # services
    (PHONE, ("1", "1")),  # days and times
    (PHONE, ("1", "1", "1")),  # confirm
    (PHONE, ("1", "1", "1", "2")),  # the patient's name
    (PHONE, ("2",)),  # my numbers
    (PHONE, ("1", "1", "2", "1")),  # a refusal (or a booking, once)
    (PHONE, ("5",)),  # language
)
KEYS = st.sampled_from(["0", "00", "99", "1", "2", "3", "4", "5", "9", "", " ", "#", "*"])
TYPED = st.one_of(
    st.text(max_size=1000),
    st.text(alphabet="0123456789*#", max_size=1000),
    st.lists(KEYS, max_size=40).map("*".join),
)
SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def client(app: Flask, demo: Database, now: datetime) -> Iterator[FlaskClient]:
    with demo.transaction() as s:
        facility = s.scalars(select(Facility).where(Facility.code == "1001")).one()
        s.add(Phone(number=PHONE, language="id", facility_id=facility.id))
    with time_machine.travel(now, tick=True):
        yield app.test_client()


def post(client: FlaskClient, form: dict[str, str]) -> tuple[int, str]:
    response = client.post("/ussd", data=form)
    return response.status_code, response.get_data(as_text=True)


def form(session: str, phone: str, text: str) -> dict[str, str]:
    return {
        "sessionId": session,
        "serviceCode": "*123#",
        "phoneNumber": phone,
        "text": text,
        "networkCode": "51010",
    }


def assert_a_screen(status: int, body: str) -> None:
    assert status == 200, body
    assert body.startswith(("CON ", "END ")), body
    assert len(body) <= 160 and is_gsm7(body), body


@SETTINGS
@given(place=st.sampled_from(PLACES), typed=TYPED)
def test_any_text_at_any_step_gets_a_screen(
    client: FlaskClient, place: tuple[str, tuple[str, ...]], typed: str
) -> None:
    phone, inputs = place
    session = f"ATUid_{uuid.uuid4().hex}"
    for count in range(len(inputs) + 1):
        assert_a_screen(*post(client, form(session, phone, "*".join(inputs[:count]))))
    assert_a_screen(*post(client, form(session, phone, "*".join([*inputs, typed]))))
    # The same text as the first request of a new session: what was dialled with the code.
    assert_a_screen(*post(client, form(f"ATUid_{uuid.uuid4().hex}", phone, typed)))


FIELDS = ("sessionId", "serviceCode", "phoneNumber", "text", "networkCode")
VALUES = st.one_of(
    st.text(max_size=200),
    st.sampled_from(["", PHONE, "081234567890", "ATUid_1", "*123#", "1*1", "0", "+62"]),
    st.text(max_size=5000).filter(lambda text: len(text) > 4000) | st.just("9" * 4001),
)


@SETTINGS
@given(fields=st.dictionaries(st.sampled_from(FIELDS), VALUES))
def test_any_form_gets_a_screen_or_a_one_line_reason(
    client: FlaskClient, fields: dict[str, str]
) -> None:
    status, body = post(client, fields)
    if status == 400:
        assert body.startswith("bad request: ") and body.endswith("\n"), body
        assert body.count("\n") == 1, body
    else:
        assert_a_screen(status, body)
        assert {"sessionId", "phoneNumber", "serviceCode", "text"} <= set(fields)


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"serviceCode": "*123#", "phoneNumber": PHONE, "text": ""}, "missing field sessionId"),
        ({"sessionId": "s", "phoneNumber": PHONE, "text": ""}, "missing field serviceCode"),
        ({"sessionId": "s", "serviceCode": "*123#", "phoneNumber": PHONE}, "missing field text"),
        ({}, "missing field sessionId, phoneNumber, serviceCode, text"),
        (
            {"sessionId": "a b", "serviceCode": "*1#", "phoneNumber": PHONE, "text": ""},
            "sessionId must be 1 to 80 letters",
        ),
        (
            {"sessionId": "s", "serviceCode": "*1#" * 20, "phoneNumber": PHONE, "text": ""},
            "serviceCode is too long",
        ),
        (
            {"sessionId": "s", "serviceCode": "*1#", "phoneNumber": PHONE, "text": "1" * 4001},
            "text is longer than 4000 characters",
        ),
        (
            {"sessionId": "s", "serviceCode": "*1#", "phoneNumber": "+1 202 555", "text": ""},
            "phoneNumber is not a mobile phone number",
        ),
        (
            {"sessionId": "s", "serviceCode": "*1#", "phoneNumber": "\x00", "text": ""},
            "phoneNumber is not a mobile phone number",
        ),
    ],
)
def test_missing_or_malformed_fields_get_a_400_naming_the_field(
    client: FlaskClient, fields: dict[str, str], reason: str
) -> None:
    status, body = post(client, fields)
    assert status == 400
    assert body.startswith(f"bad request: {reason}") and body.count("\n") == 1, body
