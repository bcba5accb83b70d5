"""Tokens for the Mobile JKN-shaped bridge: `GET /auth` hands one out, `x-token` brings it back.

A token is the staff user's id and a fingerprint of their password hash, signed with the app's
SECRET_KEY (itsdangerous, under a salt of its own so that no other signed value of the app is
ever accepted as a token) and stamped with the time it was made. Nothing is stored: the
signature proves we made it, the stamp says how old it is, and the fingerprint makes every
token of a user void the moment their password changes. A user made inactive, or moved out of
every facility, loses access on the next request, whatever tokens they hold.

A token does not carry the console's session version (console/models.py): that moves on each
time someone logs out of the console, and a facility system that shares the account would then
lose its token in the middle of a working day. So a token made before a deactivation works again
if the account is made active again, within its 12 hours and with the same password.

Passwords and tokens are never logged.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from console.models import Role, StaffUser

SALT = "antre.jkn-bridge.token"
MAX_AGE_SECONDS = 12 * 3600  # a working day: facility systems ask for a new token each morning
# Roles that run a facility's queue. A district viewer reads figures only; an admin is let in
# only when the account names the facility it speaks for.
QUEUE_ROLES = (Role.STAFF, Role.FACILITY_ADMIN, Role.ADMIN)
# Checked against when the username is unknown, so that a wrong username costs the same time
# as a wrong password and the answer's timing does not tell which usernames exist.
_DUMMY_HASH = generate_password_hash("not a password of anyone")


@dataclass(frozen=True)
class Caller:
    """The staff user a request speaks for, and the one facility they may read and change."""

    user_id: int
    username: str
    facility_id: int


class Denied(Exception):
    """Authentication failed; `problem` names why (for the message, never the secret)."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.name)
        self.problem = problem


class Problem(enum.Enum):
    """Why a request was not let in; the views answer each with its own message."""

    MISSING_CREDENTIALS = enum.auto()
    WRONG_CREDENTIALS = enum.auto()
    NO_FACILITY = enum.auto()
    PASSWORD_TO_CHANGE = enum.auto()
    MISSING_TOKEN = enum.auto()
    EXPIRED_TOKEN = enum.auto()
    INVALID_TOKEN = enum.auto()


def log_in(db: Session, username: str, password: str) -> StaffUser:
    """The active staff user with this username and password, or Denied."""
    if not username or not password:
        raise Denied(Problem.MISSING_CREDENTIALS)
    user = db.scalars(select(StaffUser).where(StaffUser.username == username)).first()
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        raise Denied(Problem.WRONG_CREDENTIALS)
    if not user.check_password(password) or not user.active:
        raise Denied(Problem.WRONG_CREDENTIALS)
    if user.must_change_password:
        # A password someone else generated is for one login at the console, where its owner
        # sets their own; a token on it would let whoever generated it act as that account.
        raise Denied(Problem.PASSWORD_TO_CHANGE)
    _facility_of(user)
    return user


def issue(secret_key: str, user: StaffUser) -> str:
    return _serializer(secret_key).dumps({"u": user.id, "p": _fingerprint(user)})


def check(db: Session, secret_key: str, token: str, username: str) -> Caller:
    """The caller a token speaks for, or Denied (missing, forged, expired, or no longer valid)."""
    if not token or not username:
        raise Denied(Problem.MISSING_TOKEN)
    try:
        claims: Any = _serializer(secret_key).loads(token, max_age=MAX_AGE_SECONDS)
    except SignatureExpired as error:
        # Only a token we signed can be expired: the signature was checked before the age.
        raise Denied(Problem.EXPIRED_TOKEN) from error
    except BadData as error:
        raise Denied(Problem.INVALID_TOKEN) from error
    if not isinstance(claims, dict) or not isinstance(claims.get("u"), int):
        raise Denied(Problem.INVALID_TOKEN)
    user = db.get(StaffUser, claims["u"])
    if (
        user is None
        or not user.active
        or user.username != username
        or not hmac.compare_digest(str(claims.get("p", "")), _fingerprint(user))
    ):
        raise Denied(Problem.INVALID_TOKEN)
    return Caller(user_id=user.id, username=user.username, facility_id=_facility_of(user))


def _facility_of(user: StaffUser) -> int:
    if user.role not in QUEUE_ROLES or user.facility_id is None:
        raise Denied(Problem.NO_FACILITY)
    return user.facility_id


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    if not secret_key:
        raise RuntimeError("SECRET_KEY is not set")  # create_app always sets one
    return URLSafeTimedSerializer(secret_key, salt=SALT)


def _fingerprint(user: StaffUser) -> str:
    # A digest of the (already salted) password hash: it changes with the password and gives
    # nothing away, since the token's payload is signed, not encrypted.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]
