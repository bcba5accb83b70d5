"""Staff login: passwords, roles, CSRF, and `antre user add`."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from antre import create_app
from antre import database_of as database
from antre.cli import cli
from booking.models import Facility
from console.models import Role, StaffUser
from console.paths import safe_next
from plumbing.db import Database
from tests import staff


def test_the_right_password_opens_the_console_and_a_wrong_one_does_not(
    app: Flask, demo: Database, caplog: pytest.LogCaptureFixture
) -> None:
    staff.add_user(demo, "siti", Role.STAFF, facility="1001")
    client = app.test_client()
    token = staff.csrf_token(client, "/console/login")
    caplog.set_level(logging.DEBUG)
    refused = client.post(
        "/console/login", data={"username": "siti", "password": "wrong!", "csrf_token": token}
    )
    assert refused.status_code == 401
    assert "Nama pengguna atau kata sandi salah" in refused.get_data(as_text=True)
    unknown = client.post(
        "/console/login", data={"username": "nobody", "password": "x", "csrf_token": token}
    )
    # An unknown name gets the very same answer: the page does not tell which names exist.
    assert unknown.status_code == 401
    assert "Nama pengguna atau kata sandi salah" in unknown.get_data(as_text=True)
    assert client.get("/console/figures").status_code == 302  # still not logged in

    token = staff.csrf_token(client, "/console/login")
    answer = client.post(
        "/console/login",
        data={"username": "siti", "password": staff.PASSWORD, "csrf_token": token},
    )
    assert answer.status_code == 302
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert client.get("/console/figures").status_code == 200
    assert staff.PASSWORD not in caplog.text and "wrong!" not in caplog.text


def test_a_login_form_without_its_csrf_token_is_refused(app: Flask, demo: Database) -> None:
    staff.add_user(demo, "siti", Role.STAFF, facility="1001")
    client = app.test_client()
    answer = client.post("/console/login", data={"username": "siti", "password": staff.PASSWORD})
    assert answer.status_code == 400
    assert client.get("/console/figures").status_code == 302


def test_logging_out_needs_a_post_with_the_token(app: Flask, demo: Database) -> None:
    staff.add_user(demo, "siti", Role.STAFF, facility="1001")
    client = staff.log_in(app.test_client(), "siti")
    assert client.get("/console/logout").status_code == 405
    assert client.post("/console/logout").status_code == 400  # no CSRF token: still logged in
    assert client.get("/console/figures").status_code == 200
    token = staff.csrf_token(client, "/console/login")
    assert client.post("/console/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/console/figures").status_code == 302


def test_a_deactivated_account_is_logged_out_at_its_next_request(
    app: Flask, demo: Database
) -> None:
    user_id = staff.add_user(demo, "siti", Role.STAFF, facility="1001")
    client = staff.log_in(app.test_client(), "siti")
    with demo.transaction() as s:
        s.get_one(StaffUser, user_id).active = False
    assert client.get("/console/figures").status_code == 302


def test_login_sends_only_to_a_path_on_this_site(app: Flask, demo: Database) -> None:
    staff.add_user(demo, "siti", Role.STAFF, facility="1001")
    client = app.test_client()
    token = staff.csrf_token(client, "/console/login")
    form = {"username": "siti", "password": staff.PASSWORD, "csrf_token": token}
    answer = client.post("/console/login?next=https://evil.example/", data=form)
    assert answer.headers["Location"] == "/console/"
    client = app.test_client()
    token = staff.csrf_token(client, "/console/login")
    answer = client.post("/console/login?next=/console/figures", data={**form, "csrf_token": token})
    assert answer.headers["Location"] == "/console/figures"


@pytest.mark.parametrize(
    "target", ["//evil.example/", "/\\evil.example/", "/\\/evil.example", "/console\\..\\x"]
)
def test_a_path_a_browser_reads_as_another_site_is_no_next(target: str) -> None:
    assert safe_next(target) == "/console/"
    assert safe_next("/console/queue/1001?day=2026-12-04") == "/console/queue/1001?day=2026-12-04"


def test_antre_user_add_stores_only_a_hash(app: Flask, demo: Database) -> None:
    runner = CliRunner()
    result = runner.invoke(
        cli,
        ["user", "add", "nurse1", "--role", "staff", "--facility", "1001"],
        env={"ANTRE_USER_PASSWORD": "sehat-selalu-2026"},
        obj=_script_info(app),
    )
    assert result.exit_code == 0, result.output
    assert "Puskesmas Cipocok Jaya" in result.output
    with demo.transaction() as s:
        user = s.scalars(select(StaffUser).where(StaffUser.username == "nurse1")).one()
    assert user.role == Role.STAFF and user.district == "Kota Serang"
    assert "sehat-selalu-2026" not in user.password_hash
    assert user.check_password("sehat-selalu-2026")
    staff.log_in(app.test_client(), "nurse1", "sehat-selalu-2026")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["x1", "--role", "staff", "--password", "longenough"], "needs --facility"),
        (["x1", "--role", "district_viewer", "--password", "longenough"], "needs --district"),
        (
            ["x1", "--role", "staff", "--facility", "9999", "--password", "longenough"],
            "no facility",
        ),
        (["x1", "--role", "admin", "--password", "short"], "at least 8"),
        (["a b", "--role", "admin", "--password", "longenough"], "no spaces"),
    ],
)
def test_antre_user_add_refuses_what_cannot_work(
    app: Flask, demo: Database, arguments: list[str], message: str
) -> None:
    result = CliRunner().invoke(cli, ["user", "add", *arguments], obj=_script_info(app))
    assert result.exit_code == 2 and message in result.output


def test_a_district_viewer_is_only_made_for_a_district_there_is(app: Flask, demo: Database) -> None:
    def add(name: str, district: str) -> object:
        return CliRunner().invoke(
            cli,
            ["user", "add", name, "--role", "district_viewer", "--district", district],
            env={"ANTRE_USER_PASSWORD": "sehat-selalu-2026"},
            obj=_script_info(app),
        )

    with demo.transaction() as s:
        districts = sorted(set(s.scalars(select(Facility.district))))
    assert "Kota Serang" in districts and len(districts) > 1
    refused = add("dinkes1", "Kota Serrang")
    assert refused.exit_code == 2
    known = ", ".join(districts)
    assert f"there is no district 'Kota Serrang'; known districts: {known}" in refused.output
    made = add("dinkes2", "  kota   SERANG ")
    assert made.exit_code == 0, made.output
    assert "created for Kota Serang" in made.output
    with demo.transaction() as s:
        names = {u.username: u.district for u in s.scalars(select(StaffUser))}
    assert names == {"dinkes2": "Kota Serang"}  # the stored spelling: the figures filter on it


def _script_info(app: Flask) -> object:
    from flask.cli import ScriptInfo

    return ScriptInfo(create_app=lambda: app)


def test_a_control_character_in_the_username_is_a_form_error_not_a_500(
    app: Flask, demo: Database
) -> None:
    staff.add_user(demo, "admin1", Role.ADMIN)
    client = app.test_client()
    token = staff.csrf_token(client, "/console/login")
    form = {"username": "ani\x00", "password": "whatever", "csrf_token": token}
    assert client.post("/console/login", data=form).status_code == 200  # the form, again
    staff.log_in(client, "admin1")
    assert client.get("/console/facility/%00").status_code in (400, 404)
    assert client.get("/console/?facility=%00").status_code in (200, 400, 404)


def test_the_session_cookie_is_secure_in_production_and_not_when_embedded(
    database_url: str, tmp_path: Path
) -> None:
    embedded = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "k", "REDIS_URL": None})
    production = create_app(
        {"DATABASE_URL": database_url, "SECRET_KEY": "k", "REDIS_URL": "redis://127.0.0.1:1/0"}
    )
    assert embedded.config["SESSION_COOKIE_SECURE"] is False
    assert production.config["SESSION_COOKIE_SECURE"] is True
    forced = create_app(
        {"DATABASE_URL": database_url, "SECRET_KEY": "k", "REDIS_URL": None, "SECURE_COOKIES": "1"}
    )
    assert forced.config["SESSION_COOKIE_SECURE"] is True
    for app in (embedded, production, forced):
        database(app).dispose()


def test_workers_starting_together_share_one_secret_key(tmp_path: Path) -> None:
    script = "import sys; from antre import _instance_secret; print(_instance_secret(sys.argv[1]))"
    for trial in range(5):
        folder = tmp_path / f"instance{trial}"
        workers = [
            subprocess.Popen(
                [sys.executable, "-c", script, str(folder)], stdout=subprocess.PIPE, text=True
            )
            for _ in range(4)
        ]
        keys = {worker.communicate(timeout=60)[0].strip() for worker in workers}
        assert len(keys) == 1 and len(keys.pop()) == 64
        assert oct((folder / "secret_key").stat().st_mode & 0o777) == "0o600"
        assert [p.name for p in folder.iterdir()] == ["secret_key"]  # no drafts left behind


def test_an_account_guessed_at_ten_times_waits_before_the_next_try(
    app: Flask, demo: Database
) -> None:
    staff.add_user(demo, "siti", Role.STAFF, facility="1001")
    staff.add_user(demo, "budi", Role.STAFF, facility="1001")
    client = app.test_client()
    token = staff.csrf_token(client, "/console/login")

    def attempt(username: str, password: str) -> int:
        form = {"username": username, "password": password, "csrf_token": token}
        return client.post("/console/login", data=form).status_code

    assert [attempt("siti", f"guess-{n}") for n in range(10)] == [401] * 10
    refused = client.post(
        "/console/login",
        data={"username": "siti", "password": staff.PASSWORD, "csrf_token": token},
    )
    assert refused.status_code == 429  # even the right password waits now
    assert "Terlalu banyak percobaan" in refused.get_data(as_text=True)
    assert attempt("budi", staff.PASSWORD) == 302  # another account is not held up


@pytest.mark.parametrize("proxies", [0, 1])
def test_behind_a_proxy_each_client_address_has_its_own_login_limit(
    database_url: str, tmp_path: Path, proxies: int
) -> None:
    """With ANTRE_PROXIES=1 (nginx in front) the per-address limit counts the address nginx
    forwards; without it every request seems to come from the proxy, and shares one limit."""
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "TESTING": True,
            "SECRET_KEY": "test",
            "REDIS_URL": None,
            "PROXIES": proxies,
        }
    )
    app.instance_path = str(tmp_path / "instance")
    staff.add_user(database(app), "siti", Role.STAFF, facility=None)
    client = app.test_client()
    token = staff.csrf_token(client, "/console/login")

    def attempt(address: str, username: str) -> int:
        form = {"username": username, "password": "wrong", "csrf_token": token}
        headers = {"X-Forwarded-For": address}
        return client.post("/console/login", data=form, headers=headers).status_code

    # Fifty failures from one address (each for another account, so no account limit is hit).
    assert {attempt("203.0.113.7", f"nobody{n}") for n in range(50)} == {401}
    assert attempt("203.0.113.7", "siti") == 429
    assert attempt("198.51.100.9", "siti") == (401 if proxies else 429)
    database(app).dispose()


def _copy_of_the_session(client: FlaskClient, app: Flask) -> FlaskClient:
    """Another browser holding a copy of this one's session cookie (copied off a shared PC)."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    copy = app.test_client()
    copy.set_cookie("session", cookie.value)
    return copy


def test_a_copied_session_cookie_stops_working_when_its_owner_logs_out(
    app: Flask, demo: Database
) -> None:
    staff.add_user(demo, "siti", Role.STAFF, facility="1001")
    client = staff.log_in(app.test_client(), "siti")
    copy = _copy_of_the_session(client, app)
    assert copy.get("/console/figures").status_code == 200  # a copy works while the session does
    token = staff.csrf_token(client, "/console/login")
    assert client.post("/console/logout", data={"csrf_token": token}).status_code == 302
    assert copy.get("/console/figures").status_code == 302
    again = staff.log_in(app.test_client(), "siti")  # logging in again opens a new session
    assert again.get("/console/figures").status_code == 200
    assert copy.get("/console/figures").status_code == 302


def test_a_new_password_ends_every_session_of_the_account(app: Flask, demo: Database) -> None:
    user_id = staff.add_user(demo, "siti", Role.STAFF, facility="1001")
    client = staff.log_in(app.test_client(), "siti")
    with demo.transaction() as s:
        s.get_one(StaffUser, user_id).set_password("another-pass-2")
    assert client.get("/console/figures").status_code == 302
    staff.log_in(app.test_client(), "siti", "another-pass-2")


def test_a_session_ended_by_deactivation_stays_ended_when_the_account_comes_back(
    app: Flask, demo: Database
) -> None:
    user_id = staff.add_user(demo, "siti", Role.STAFF, facility="1001")
    client = staff.log_in(app.test_client(), "siti")
    with demo.transaction() as s:
        s.get_one(StaffUser, user_id).active = False
    with demo.transaction() as s:
        s.get_one(StaffUser, user_id).active = True
    assert client.get("/console/figures").status_code == 302
    staff.log_in(app.test_client(), "siti")


def test_a_session_from_before_sessions_had_versions_must_log_in_again(
    app: Flask, demo: Database
) -> None:
    user_id = staff.add_user(demo, "siti", Role.STAFF, facility="1001")
    client = staff.log_in(app.test_client(), "siti")
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)  # as Flask-Login stored it before
    assert client.get("/console/figures").status_code == 302


def test_logging_in_as_another_account_says_so_and_switches_this_browser_only(
    app: Flask, demo: Database
) -> None:
    staff.add_user(demo, "siti", Role.STAFF, facility="1001")
    staff.add_user(demo, "budi", Role.FACILITY_ADMIN, facility="1001")
    desk = staff.log_in(app.test_client(), "siti")
    elsewhere = staff.log_in(app.test_client(), "siti")  # siti at another desk
    page = desk.get("/console/login").get_data(as_text=True)
    assert (
        "Anda masuk sebagai siti. Masuk di sini dengan akun lain akan berganti ke akun itu."
    ) in page
    token = staff.csrf_token(desk, "/console/login")
    with desk.session_transaction() as session:
        session["_flashes"] = [("info", "for siti only")]  # a message siti has not seen yet
    answer = desk.post(
        "/console/login",
        data={"username": "budi", "password": staff.PASSWORD, "csrf_token": token},
    )
    assert answer.status_code == 302
    console = desk.get("/console/figures").get_data(as_text=True)
    assert "budi (admin puskesmas)" in console and "siti" not in console
    assert "for siti only" not in console  # nothing of siti's session goes on under budi
    assert elsewhere.get("/console/figures").status_code == 200  # siti's other desk goes on
    assert "logged-in-as" not in staff.log_in(app.test_client(), "siti").get(
        "/console/figures"
    ).get_data(as_text=True)
