"""API tokens for facility systems and district systems. Only a hash of each token is kept."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from booking.models import Base, UtcDateTime


class ApiToken(Base):
    """A bearer token, scoped to one facility (its queue) or one district (its figures).

    `token_hash` is the SHA-256 of the token. A slow password hash (scrypt, bcrypt) protects
    passwords people choose, which are guessable; our tokens are 256 random bits, which no one
    can guess or brute-force from their hash, so a fast hash loses nothing and lets every
    request find its token by one indexed equality instead of a deliberately slow check.
    """

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)  # the actor in the event log
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facilities.id"))
    district: Mapped[str | None] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
