"""Staff accounts after they are made: `antre user list/unlock/password/deactivate/activate`,
and the admin page that does the same, against the real login form and its attempt budget."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.cli import ScriptInfo
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from antre import create_app
from antre import database_of as database
from antre.cli import cli
from console.models import Role, StaffUser
from plumbing.db import Database
from tests import staff


def antre(app: Flask, *arguments: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(
        cli, ["user", *arguments], obj=ScriptInfo(create_app=lambda: app), env=env
    )


def try_password(app: Flask, username: str, password: str) -> int:
    client = app.test_client()
    token = staff.csrf_token(client, "/console/login")
    answer = client.post(
        "/console/login",
        data={"username": username, "password": password, "csrf_token": token},
    )
    return answer.status_code


def copy_of_the_session(client: FlaskClient, app: Flask) -> FlaskClient:
    """Another browser holding a copy of this one's session cookie."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    copy = app.test_client()
    copy.set_cookie("session", cookie.value)
    return copy


def lock_out(app: Flask, username: str) -> None:
    for _ in range(10):
        assert try_password(app, username, "not the password") == 401
    assert try_password(app, username, staff.PASSWORD) == 429


@pytest.fixture
def accounts(demo: Database) -> Database:
    staff.add_user(demo, "siti", Role.STAFF, facility="1001")
    staff.add_user(demo, "kepala", Role.FACILITY_ADMIN, facility="1001")
    staff.add_user(demo, "dinkes", Role.DISTRICT_VIEWER, district="Kota Serang")
    staff.add_user(demo, "lama", Role.STAFF, facility="2001", active=False)
    return demo


# --- antre user ------------------------------------------------------------------------------


def test_antre_user_list_shows_every_account_and_who_is_locked_out(
    app: Flask, accounts: Database
) -> None:
    lock_out(app, "siti")
    listed = antre(app, "list")
    assert listed.exit_code == 0, listed.output
    lines = {line.split()[0]: line.split() for line in listed.output.splitlines()}
    assert set(lines) == {"siti", "kepala", "dinkes", "lama"}
    assert lines["siti"][:3] == ["siti", "staff", "1001"]
    assert "locked" in lines["siti"] and "active," in lines["siti"]
    assert lines["dinkes"][:3] == ["dinkes", "district_viewer", "-"]
    assert "deactivated" in lines["lama"] and "locked" not in lines["kepala"]


def test_antre_user_unlock_lets_a_locked_out_account_log_in_at_once(
    app: Flask, accounts: Database
) -> None:
    lock_out(app, "siti")
    unlocked = antre(app, "unlock", "siti")
    assert unlocked.exit_code == 0 and "unlocked" in unlocked.output
    assert try_password(app, "siti", staff.PASSWORD) == 302
    assert "locked" not in antre(app, "list").output
    assert antre(app, "unlock", "nobody").exit_code == 2


def test_antre_user_password_sets_a_new_one_and_ends_every_session(
    app: Flask, accounts: Database
) -> None:
    desk = staff.log_in(app.test_client(), "siti")
    lock_out(app, "siti")
    changed = antre(app, "password", "siti", env={"ANTRE_USER_PASSWORD": "baru-sekali-2026"})
    assert changed.exit_code == 0, changed.output
    assert "baru-sekali-2026" not in changed.output
    assert desk.get("/console/figures").status_code == 302  # the old session has ended
    assert try_password(app, "siti", staff.PASSWORD) == 401
    assert try_password(app, "siti", "baru-sekali-2026") == 302  # and it is unlocked
    assert antre(app, "password", "siti", "--password", "short").exit_code == 2


def test_antre_user_password_generate_prints_a_password_that_works_once_shown(
    app: Flask, accounts: Database
) -> None:
    made = antre(app, "password", "kepala", "--generate")
    assert made.exit_code == 0, made.output
    found = re.search(r"\(shown only now\): (\S+)$", made.output.strip())
    assert found, made.output
    assert try_password(app, "kepala", found.group(1)) == 302
    again = antre(app, "password", "kepala", "--generate")
    assert found.group(1) not in again.output  # a new one each time


def test_antre_user_password_asks_without_echo_when_not_given(
    app: Flask, accounts: Database
) -> None:
    result = CliRunner().invoke(
        cli,
        ["user", "password", "siti"],
        obj=ScriptInfo(create_app=lambda: app),
        input="dari-keyboard-1\ndari-keyboard-1\n",
    )
    assert result.exit_code == 0, result.output
    assert "dari-keyboard-1" not in result.output  # typed, never shown
    assert try_password(app, "siti", "dari-keyboard-1") == 302


def test_antre_user_deactivate_ends_a_copied_cookie_and_activate_needs_a_new_login(
    app: Flask, accounts: Database
) -> None:
    desk = staff.log_in(app.test_client(), "siti")
    copy = copy_of_the_session(desk, app)
    assert copy.get("/console/figures").status_code == 200
    assert antre(app, "deactivate", "siti").exit_code == 0
    assert copy.get("/console/figures").status_code == 302
    assert desk.get("/console/figures").status_code == 302
    assert try_password(app, "siti", staff.PASSWORD) == 401
    assert antre(app, "activate", "siti").exit_code == 0
    assert copy.get("/console/figures").status_code == 302  # ended stays ended
    assert try_password(app, "siti", staff.PASSWORD) == 302
    with accounts.transaction() as s:
        user = s.scalars(select(StaffUser).where(StaffUser.username == "siti")).one()
    assert user.active and user.session_version == 3  # its password, then each change


# --- the admin page --------------------------------------------------------------------------

PAGE = "/console/admin/accounts"


def user_id(db: Database, username: str) -> int:
    with db.transaction() as s:
        return s.scalars(select(StaffUser.id).where(StaffUser.username == username)).one()


def click(client: FlaskClient, user: int, action: str) -> TestResponse:
    """Press an account's button as the page rendered it (with the page's CSRF token)."""
    page = client.get(PAGE).get_data(as_text=True)
    form = re.search(
        rf'<form[^>]*action="{PAGE}/{user}/{action}"[^>]*>\s*'
        r'<input type="hidden" name="csrf_token" value="([^"]+)">',
        page,
    )
    assert form, f"no {action} button for account {user}"
    return client.post(f"{PAGE}/{user}/{action}", data={"csrf_token": form.group(1)})


def shown_accounts(client: FlaskClient) -> set[str]:
    page = client.get(PAGE)
    assert page.status_code == 200
    return set(re.findall(r'<tr id="account-\d+">\s*<td>([^<]+)</td>', page.get_data(as_text=True)))


def test_an_admin_sees_every_account_but_their_own_and_a_facility_admin_their_staff(
    app: Flask, accounts: Database
) -> None:
    staff.add_user(accounts, "root", Role.ADMIN)
    staff.add_user(accounts, "perawat2001", Role.STAFF, facility="2001")
    root = staff.log_in(app.test_client(), "root")
    assert shown_accounts(root) == {"siti", "kepala", "dinkes", "lama", "perawat2001"}
    kepala = staff.log_in(app.test_client(), "kepala")
    assert shown_accounts(kepala) == {"siti"}  # not another facility's, not a fellow admin
    for other in ("perawat2001", "root", "kepala", "dinkes"):
        token = staff.csrf_token(kepala, PAGE)
        answer = kepala.post(
            f"{PAGE}/{user_id(accounts, other)}/deactivate", data={"csrf_token": token}
        )
        assert answer.status_code == 403, other
        assert "Anda tidak boleh membuka halaman ini" in answer.get_data(as_text=True)
    with accounts.transaction() as s:
        assert all(s.scalars(select(StaffUser.active).where(StaffUser.username != "lama")))
    assert root.get(f"{PAGE}/999999/deactivate").status_code == 405
    token = staff.csrf_token(root, PAGE)
    assert root.post(f"{PAGE}/999999/deactivate", data={"csrf_token": token}).status_code == 404
    nurse = staff.log_in(app.test_client(), "siti")
    assert nurse.get(PAGE).status_code == 403


def test_a_facility_admin_deactivates_a_nurse_and_a_copied_cookie_stops_working(
    app: Flask, accounts: Database
) -> None:
    desk = staff.log_in(app.test_client(), "siti")
    copy = copy_of_the_session(desk, app)
    assert copy.get("/console/figures").status_code == 200
    kepala = staff.log_in(app.test_client(), "kepala")
    siti = user_id(accounts, "siti")
    answer = click(kepala, siti, "deactivate")
    assert answer.status_code == 302
    page = kepala.get(PAGE).get_data(as_text=True)
    assert "siti dinonaktifkan: semua sesi masuk akun itu sudah berakhir." in page
    assert copy.get("/console/figures").status_code == 302
    assert desk.get("/console/figures").status_code == 302
    assert try_password(app, "siti", staff.PASSWORD) == 401
    assert f'id="activate-{siti}"' in page and f'id="deactivate-{siti}"' not in page
    click(kepala, siti, "activate")
    assert copy.get("/console/figures").status_code == 302  # its old sessions stay ended
    assert try_password(app, "siti", staff.PASSWORD) == 302


def test_an_admin_unlocks_an_account_and_gives_a_new_password_shown_once(
    app: Flask, accounts: Database
) -> None:
    staff.add_user(accounts, "root", Role.ADMIN)
    root = staff.log_in(app.test_client(), "root")
    siti = user_id(accounts, "siti")
    desk = staff.log_in(app.test_client(), "siti")
    assert f'id="unlock-{siti}"' not in root.get(PAGE).get_data(as_text=True)
    lock_out(app, "siti")
    page = root.get(PAGE).get_data(as_text=True)
    assert "Terkunci" in page and f'id="unlock-{siti}"' in page
    click(root, siti, "unlock")
    assert try_password(app, "siti", staff.PASSWORD) == 302

    answer = click(root, siti, "password")
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    found = re.search(r'id="new-password-value">([^<]+)<', answer.get_data(as_text=True))
    assert found
    with root.session_transaction() as session:
        assert found.group(1) not in str(dict(session))  # nor kept in the session cookie
    assert desk.get("/console/figures").status_code == 302  # the password change ended it
    assert try_password(app, "siti", staff.PASSWORD) == 401
    assert try_password(app, "siti", found.group(1)) == 302
    assert found.group(1) not in root.get(PAGE).get_data(as_text=True)  # shown only once


@pytest.mark.redis
def test_unlocking_from_the_command_line_reaches_every_worker_through_redis(
    redis_app: Flask, database_url: str, redis_url: str, tmp_path: Path
) -> None:
    staff.add_user(database(redis_app), "siti", Role.STAFF)
    lock_out(redis_app, "siti")
    # `antre user` runs in its own process: an app of its own, sharing only Redis and the DB.
    command_line = create_app(
        {"DATABASE_URL": database_url, "SECRET_KEY": "test", "REDIS_URL": redis_url}
    )
    command_line.instance_path = str(tmp_path / "cli-instance")
    try:
        assert "locked" in antre(command_line, "list").output
        assert antre(command_line, "unlock", "siti").exit_code == 0
    finally:
        database(command_line).dispose()
    assert try_password(redis_app, "siti", staff.PASSWORD) == 302
