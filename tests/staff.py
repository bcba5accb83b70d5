"""Staff accounts for tests, and logging in through the real login form (with its CSRF token)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from booking.models import Facility
from console.models import Role, StaffUser
from plumbing.db import Database

PASSWORD = "correct horse battery"
_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def add_user(
    db: Database,
    username: str,
    role: Role,
    *,
    facility: str | None = None,
    district: str | None = None,
    password: str = PASSWORD,
    active: bool = True,
    language: str = "id",
) -> int:
    def add(s: Session) -> int:
        facility_id = (
            s.scalar(select(Facility.id).where(Facility.code == facility)) if facility else None
        )
        row = StaffUser(
            username=username,
            role=role,
            district=district,
            facility_id=facility_id,
            active=active,
            language=language,
            created_at=datetime(2026, 11, 1, tzinfo=UTC),
        )
        row.set_password(password)
        s.add(row)
        s.flush()
        return int(row.id)

    return db.run(add)


def csrf_token(client: FlaskClient, path: str) -> str:
    """The CSRF token of the form on a page, as a browser would post it back."""
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    found = _TOKEN.search(page.get_data(as_text=True))
    assert found, f"no csrf_token on {path}"
    return found.group(1)


def log_in(client: FlaskClient, username: str, password: str = PASSWORD) -> FlaskClient:
    token = csrf_token(client, "/console/login")
    answer = client.post(
        "/console/login",
        data={"username": username, "password": password, "csrf_token": token},
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)[:300]
    return client
