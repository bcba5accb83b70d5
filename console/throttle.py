"""Password guessing: an account or an address that keeps failing to log in must wait.

Flask-Limiter counts failed attempts (only answers of 401 are deducted) in Redis when there
is one, so every web worker sees the same count, and in memory in the embedded default. If
Redis stops answering, logging in goes on without the limit rather than stopping.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import Flask, Response, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

# Per account: a person who forgot their password gets ten tries; a script gets no more.
PER_ACCOUNT = "10 per 15 minutes"
# Per address: higher, because a whole facility may sit behind one address.
PER_ADDRESS = "50 per 15 minutes"

F = TypeVar("F", bound=Callable[..., Any])

limiter = Limiter(
    get_remote_address,
    key_prefix="antre-login",
    headers_enabled=False,
    swallow_errors=True,
    in_memory_fallback_enabled=True,
)


def init_app(app: Flask) -> None:
    app.config["RATELIMIT_STORAGE_URI"] = app.config.get("REDIS_URL") or "memory://"
    limiter.init_app(app)


def _failed(response: Response) -> bool:
    return response.status_code == 401


def login_attempts(username: Callable[[], str]) -> Callable[[F], F]:
    """Limit failed logins per account name (as `username()` reads it) and per address."""

    def account() -> str:
        return "account:" + username().strip().casefold()[:64]

    per_address = limiter.limit(PER_ADDRESS, methods=["POST", "GET"], deduct_when=_failed)
    per_account = limiter.limit(
        PER_ACCOUNT, key_func=account, methods=["POST", "GET"], deduct_when=_failed
    )

    def decorate(view: F) -> F:
        return cast(F, per_account(per_address(view)))

    return decorate


def form_username() -> str:
    return str(request.form.get("username", ""))
