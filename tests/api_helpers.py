"""What the API tests share: issuing a real token and the header that carries it."""

from __future__ import annotations

from datetime import datetime

from api import tokens
from plumbing.db import Database


def issue(
    db: Database,
    name: str,
    now: datetime,
    *,
    facility: str | None = None,
    district: str | None = None,
) -> str:
    return db.run(lambda s: tokens.issue(s, name, now, facility_code=facility, district=district))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
