"""Staff accounts. Passwords are stored only as salted hashes.

A login session names the account and its `session_version` ("id:version", Flask-Login's
`get_id`). Logging out, a new password and a change of `active` move the version on, and a
session naming an older one is refused at its next request: every copy of the cookie ends at
once, wherever it was copied to. The version is the account's, not the session's, so logging
out on one computer also ends the account's sessions on every other.
"""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, Enum, ForeignKey, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column, validates
from werkzeug.security import check_password_hash, generate_password_hash

from booking.models import Base, UtcDateTime


class Role(enum.StrEnum):
    STAFF = "staff"  # runs the queue of one facility
    FACILITY_ADMIN = "facility_admin"  # also schedules, capacity, services of that facility
    DISTRICT_VIEWER = "district_viewer"  # reads the figures of one district
    ADMIN = "admin"  # everything, everywhere


class StaffUser(UserMixin, Base):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=24, values_callable=lambda e: [m.value for m in e])
    )
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facilities.id"))
    district: Mapped[str | None] = mapped_column(String(60))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The console's language for this account (texts.LANGUAGES), remembered from the switch.
    language: Mapped[str] = mapped_column(String(8), default="id", server_default="id")
    # A password someone else made (a generated one) is changed at the next login, before
    # anything else (console/password_change.py): only its owner should know a password.
    must_change_password: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )

    @property
    def is_active(self) -> bool:  # Flask-Login refuses a deactivated account at every request
        return bool(self.active)

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    def end_sessions(self) -> None:
        """Refuse every login session of this account from its next request on."""
        self.session_version = (self.session_version or 0) + 1

    @validates("active")
    def _active_changed(self, _key: str, active: bool) -> bool:
        # Both ways: a session of a deactivated account must not come back with the account.
        if self.active is not None and bool(self.active) != bool(active):
            self.end_sessions()
        return active

    def set_password(self, password: str, *, made_by_someone_else: bool = False) -> None:
        self.password_hash = generate_password_hash(password)
        self.must_change_password = made_by_someone_else
        self.end_sessions()

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)
