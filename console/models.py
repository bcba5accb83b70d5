"""Staff accounts. Passwords are stored only as salted hashes."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column
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

    @property
    def is_active(self) -> bool:  # Flask-Login refuses a deactivated account at every request
        return bool(self.active)

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)
