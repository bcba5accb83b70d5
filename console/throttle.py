"""Password guessing: each account and each address has one budget of password checks.

Both doors that take a password, the console's login form and the bridge's `GET /auth`, spend
from the same budget, and spend *before* the password is checked: `spend` counts the attempt
(an atomic increment in Redis when there is one, so that every worker and thread sees one
count; in memory in the embedded default) and refuses it once the budget is spent. However
many requests arrive at once, no more passwords are checked than the budget holds.

A right password gives its attempt back (`Attempt.refund`), so that only wrong ones stay
counted: a facility system that asks for a token before every request, or a front desk that
logs in all day, is never held up by its own successes. While a right password is being
checked it holds its place in the budget like any other; once given back, what stays counted
is the wrong passwords, and no more of those than the budget holds are ever checked. The
windows are fixed: they start at an account's (or address's) first counted attempt and end 15
minutes later.

A name is counted and logged only as a keyed digest (`masked`), since a password typed into the
username field would otherwise reach Redis and the log in clear.

If Redis stops answering, logging in goes on, counted in this process's memory.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass, field

from flask import Flask, abort, current_app, request
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

# Per account: a person who forgot their password gets ten tries; a script gets no more.
PER_ACCOUNT = parse("10 per 15 minutes")
# Per address: higher, because a whole facility may sit behind one address.
PER_ADDRESS = parse("50 per 15 minutes")
# One key space for both doors: a wrong password costs the same wherever it is tried.
SPACE = "antre-login"


@dataclass(frozen=True)
class _Counters:
    main: FixedWindowRateLimiter
    fallback: FixedWindowRateLimiter  # this process's memory, while Redis does not answer


def init_app(app: Flask) -> None:
    memory = FixedWindowRateLimiter(MemoryStorage())
    main = memory
    if app.config.get("REDIS_URL"):  # no connection is made until the first attempt
        storage = storage_from_string(
            app.config["REDIS_URL"], socket_timeout=1.0, socket_connect_timeout=1.0
        )
        main = FixedWindowRateLimiter(storage)
    app.extensions["antre.login-budget"] = _Counters(main, memory)


@dataclass
class Attempt:
    """A password check paid for in advance, in each budget it was counted in."""

    counter: FixedWindowRateLimiter
    counted: list[tuple[RateLimitItem, tuple[str, ...]]] = field(default_factory=list)

    def refund(self) -> None:
        """Give the attempt back (the password was right, or never checked)."""
        try:
            for limit, key in self.counted:
                # Should the window end in between, the key starts at -1: one try more, once.
                self.counter.storage.incr(limit.key_for(*key), limit.get_expiry(), amount=-1)
        except RedisError as error:
            log.warning("login attempts: Redis did not answer (%s)", type(error).__name__)
        self.counted = []


def spend(username: str) -> Attempt:
    """Count one password check for this account name and the client's address, or 429."""
    counters: _Counters = current_app.extensions["antre.login-budget"]
    account = ("account", _digest(username))
    address = ("address", request.remote_addr or "-")
    try:
        attempt = _spend(counters.main, account, address)
    except RedisError as error:
        log.warning(
            "login attempts: Redis did not answer (%s); counting in memory",
            type(error).__name__,
        )
        attempt = _spend(counters.fallback, account, address)
    if attempt is None:
        log.info("login refused for %s from %s: too many attempts", masked(username), address[1])
        abort(429)
    return attempt


def clear(username: str) -> None:
    """Give an account its whole budget back (an admin unlocks it; the address's stays)."""
    counters: _Counters = current_app.extensions["antre.login-budget"]
    key = (SPACE, "account", _digest(username))
    for counter in (counters.main, counters.fallback):
        try:
            counter.clear(PER_ACCOUNT, *key)
        except RedisError as error:
            log.warning("login attempts: Redis did not answer (%s)", type(error).__name__)


def locked(username: str) -> bool:
    """Whether the account's budget is spent: its next password would not be checked."""
    counters: _Counters = current_app.extensions["antre.login-budget"]
    key = (SPACE, "account", _digest(username))
    try:
        return not counters.main.test(PER_ACCOUNT, *key)
    except RedisError:
        return not counters.fallback.test(PER_ACCOUNT, *key)


def _spend(
    counter: FixedWindowRateLimiter, account: tuple[str, str], address: tuple[str, str]
) -> Attempt | None:
    attempt = Attempt(counter)
    for limit, key in ((PER_ACCOUNT, (SPACE, *account)), (PER_ADDRESS, (SPACE, *address))):
        allowed = counter.hit(limit, *key)
        attempt.counted.append((limit, key))
        if not allowed:
            # A refused request checks no password: it costs neither budget, so that an
            # address already refused cannot go on to use up the budgets of other accounts.
            attempt.refund()
            return None
    return attempt


def masked(username: str) -> str:
    """A name as the log may show it: at most its first two characters and a keyed digest."""
    name = username.strip()
    shown = "".join(c if c.isprintable() else "?" for c in name[: min(2, len(name) // 2)])
    return f"{shown}…#{_digest(username)[:8]}"


def _normal(username: str) -> str:
    return username.strip().casefold()[:64]


def _digest(username: str) -> str:
    # Keyed, so that the digest of a password typed as a name cannot be looked up in a list.
    key = str(current_app.config["SECRET_KEY"]).encode()
    name = _normal(username).encode("utf-8", "surrogatepass")
    return hmac.new(key, name, hashlib.sha256).hexdigest()[:32]
