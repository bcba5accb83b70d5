"""Issuing, checking and revoking API tokens. A token is shown once and then only its hash kept."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from api.models import ApiToken
from booking.models import Facility

PREFIX = "antre_"  # lets secret scanners and people recognise a leaked token
# last_used_at is for people auditing tokens: a minute's precision spares a write per request.
TOUCH_EVERY = timedelta(minutes=1)
MAX_NAME = 64


class TokenProblem(ValueError):
    """A token cannot be issued or revoked as asked (the message says why)."""


@dataclass(frozen=True)
class Client:
    """Who is calling: what the views need of a token, read in the request's first transaction.

    Shaped like a staff account (`role`, `district`, `facility_id`, `active`) so that the
    figures' access rule decides for tokens as it does for people.
    """

    token_id: int
    name: str
    facility_id: int | None
    facility_code: str | None
    district: str | None
    revoked: bool

    @property
    def role(self) -> str:
        return "staff" if self.facility_id is not None else "district_viewer"

    @property
    def active(self) -> bool:
        return not self.revoked

    @property
    def username(self) -> str:
        return self.name


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def issue(
    db: Session,
    name: str,
    now: datetime,
    *,
    facility_code: str | None = None,
    district: str | None = None,
) -> str:
    """Create a token for one facility or one district and return it (the only time it exists)."""
    name = name.strip()
    if not name or len(name) > MAX_NAME or not name.isprintable():
        raise TokenProblem(f"a token name is 1 to {MAX_NAME} printable characters")
    if (facility_code is None) == (district is None):
        raise TokenProblem("a token is for one facility or for one district")
    if db.scalar(select(ApiToken.id).where(ApiToken.name == name)) is not None:
        raise TokenProblem(f"a token named {name!r} exists already")
    facility_id = None
    if facility_code is not None:
        facility_id = db.scalar(select(Facility.id).where(Facility.code == facility_code))
        if facility_id is None:
            raise TokenProblem(f"no facility has code {facility_code!r}")
    elif district is not None:
        district = district.strip()
        if not db.scalar(select(Facility.id).where(Facility.district == district).limit(1)):
            raise TokenProblem(f"no facility is in district {district!r}")
    token = PREFIX + secrets.token_urlsafe(32)
    db.add(
        ApiToken(
            name=name,
            token_hash=digest(token),
            facility_id=facility_id,
            district=district,
            created_at=now,
            revoked=False,
        )
    )
    db.flush()
    return token


def revoke(db: Session, name: str) -> None:
    row = db.scalars(select(ApiToken).where(ApiToken.name == name.strip())).first()
    if row is None:
        raise TokenProblem(f"no token is named {name!r}")
    row.revoked = True


def authenticate(db: Session, token: str, now: datetime) -> Client | None:
    """The client a token belongs to (revoked ones too: the caller answers them), or None."""
    row = db.execute(
        select(ApiToken, Facility.code)
        .outerjoin(Facility, ApiToken.facility_id == Facility.id)
        .where(ApiToken.token_hash == digest(token))
    ).first()
    if row is None:
        return None
    found, code = row
    if not found.revoked and (found.last_used_at is None or now - found.last_used_at > TOUCH_EVERY):
        db.execute(
            update(ApiToken)
            .where(ApiToken.id == found.id)
            .values(last_used_at=now)
            .execution_options(synchronize_session=False)
        )
    return Client(
        token_id=found.id,
        name=found.name,
        facility_id=found.facility_id,
        facility_code=code,
        district=found.district if found.facility_id is None else None,
        revoked=found.revoked,
    )
