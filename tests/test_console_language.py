"""The staff pages speak one language at a time: Indonesian first, English by the header's
switch, remembered on the account (and on the browser before login)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from antre import jobs
from console.models import Role, StaffUser
from plumbing.db import Database
from tests import staff
from tests.helpers import session_id, take, today
from tests.test_console_queue import PAGE, Desk, confirm_form

_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture
def clock(now: datetime) -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(now, tick=False) as traveller:
        yield traveller


def switch(client: FlaskClient, language: str, path: str = "/console/") -> str:
    """Press the header's button for `language` on `path`; the page it comes back to."""
    page = client.get(path, follow_redirects=True).get_data(as_text=True)
    token = _TOKEN.search(page)
    assert token, page[:300]
    answer = client.post(
        "/console/language",
        data={"csrf_token": token.group(1), "language": language, "next": path},
    )
    assert answer.status_code == 302 and answer.headers["Location"] == path
    return client.get(path, follow_redirects=True).get_data(as_text=True)


def language_of(db: Database, username: str) -> str:
    with db.transaction() as s:
        found = s.scalar(select(StaffUser.language).where(StaffUser.username == username))
    assert found is not None
    return found


def test_the_console_is_indonesian_until_switched_and_the_account_remembers_english(
    app: Flask, demo: Database, clock: time_machine.Coordinates
) -> None:
    staff.add_user(demo, "ani", Role.STAFF, facility="1001")
    desk = staff.log_in(app.test_client(), "ani")
    page = desk.get("/console/facility/1001").get_data(as_text=True)
    assert '<html lang="id">' in page and ">Antrean</a>" in page and ">Keluar</button>" in page
    assert ">Log out<" not in page and 'id="language-en"' in page

    page = switch(desk, "en", "/console/facility/1001")
    assert '<html lang="en">' in page and ">Queue</a>" in page and ">Log out</button>" in page
    assert ">Keluar<" not in page and 'id="language-id"' in page
    assert language_of(demo, "ani") == "en"

    # Another computer, no cookie: the account's language.
    elsewhere = staff.log_in(app.test_client(), "ani")
    assert ">Queue</a>" in elsewhere.get("/console/facility/1001").get_data(as_text=True)

    switch(elsewhere, "id", "/console/facility/1001")
    assert language_of(demo, "ani") == "id"


def test_before_login_the_browser_choice_or_lang_speaks(app: Flask, demo: Database) -> None:
    client = app.test_client()
    assert ">Masuk<" in client.get("/console/login").get_data(as_text=True)
    assert ">Log in<" in client.get("/console/login?lang=en").get_data(as_text=True)
    page = switch(client, "en", "/console/login")
    assert ">Log in<" in page and ">Masuk<" not in page
    assert ">Masuk<" in client.get("/console/login?lang=id").get_data(as_text=True)


def test_an_unknown_language_is_indonesian_and_next_stays_on_this_site(
    app: Flask, demo: Database
) -> None:
    client = app.test_client()
    assert ">Masuk<" in client.get("/console/login?lang=xx").get_data(as_text=True)
    page = client.get("/console/login").get_data(as_text=True)
    token = _TOKEN.search(page)
    assert token
    answer = client.post(
        "/console/language",
        data={"csrf_token": token.group(1), "language": "en", "next": "https://evil.example/"},
    )
    assert answer.status_code == 302 and answer.headers["Location"] == "/console/"


def test_in_english_one_patient_is_told_and_the_session_status_is_a_word(
    app: Flask, demo: Database, now: datetime, clock: time_machine.Coordinates
) -> None:
    sid = session_id(demo, day=today(now))
    take(demo, sid, "+6281234567801", now)
    staff.add_user(demo, "ani", Role.STAFF, facility="1001")
    desk = Desk(staff.log_in(app.test_client(), "ani"))
    badge = f'id="session-status-{sid}">'
    assert badge + "Buka<" in desk.page()
    switch(desk.client, "en", PAGE)
    assert badge + "Open<" in desk.page()

    cancel = f"/console/sessions/{sid}/cancel"
    asked = desk.click(cancel, reason="doctor away")
    assert "Yes, cancel the session" in asked.get_data(as_text=True)  # first it asks
    answer = desk.client.post(cancel, data=confirm_form(asked, cancel))
    assert desk.flashes(answer) == ["General clinic 08:00 is cancelled; 1 patient is told by SMS."]
    page = desk.page()
    assert badge + "Cancelled<" in page and "Poli Umum" not in page
    jobs.runner(app).drain()


def test_every_console_error_is_the_consoles_own_page_in_the_users_language(
    app: Flask, demo: Database, clock: time_machine.Coordinates
) -> None:
    staff.add_user(demo, "ani", Role.STAFF, facility="1001")
    desk = staff.log_in(app.test_client(), "ani")
    errors = {
        "/console/admin/": (403, "Anda tidak boleh membuka halaman ini", "You may not open"),
        "/console/admin/facilities/1": (403, "Anda tidak boleh", "You may not open"),
        "/console/no-such-page": (404, "Halaman, jadwal atau nomor antrean", "There is no such"),
        "/console/logout": (405, "tidak bisa dibuka dengan cara itu", "cannot be opened that"),
    }
    for language in ("id", "en"):
        if language == "en":
            switch(desk, "en")
        for path, (status, indonesian, english) in errors.items():
            answer = desk.get(path)
            page = answer.get_data(as_text=True)
            assert answer.status_code == status, path
            assert 'id="problem"' in page and 'id="back-to-queue"' in page, path
            shown, hidden = (indonesian, english) if language == "id" else (english, indonesian)
            assert shown in page and hidden not in page, (path, language)
            assert "Forbidden" not in page and "Not Found" not in page
    # Elsewhere the apps' own answers stay.
    assert desk.get("/no-such-page").status_code == 404
    assert "Halaman" not in desk.get("/no-such-page").get_data(as_text=True)
    assert desk.get("/api/no-such-path").is_json  # the API's own JSON answer still
