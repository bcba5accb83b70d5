"""Settings: defaults, then the environment (DATABASE_URL, REDIS_URL, ANTRE_*), then overrides.

A wrong setting stops start-up with one clear line (`ConfigError`), never a traceback.
"""

from __future__ import annotations

import os
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bpjs import settings as bpjs_settings
from gateways import GATEWAYS, Switchboard, settings_defaults


class ConfigError(Exception):
    """A setting that cannot work; the message names it and says why."""


DEFAULTS: dict[str, Any] = {
    "DATABASE_URL": None,  # None → a SQLite file in the instance folder
    "REDIS_URL": None,  # None → embedded mode (in-process jobs, in-memory USSD sessions)
    "DEFAULT_REGION": "ID",
    "DEFAULT_TIMEZONE": "Asia/Jakarta",
    "SECRET_KEY": None,
    "SMS_GATEWAY": "console",
    # The address phones' gateways call back (Kannel's delivery reports, the Android phone's
    # webhooks), e.g. https://antre.example.id; callback URLs are built from it.
    "PUBLIC_URL": None,
    "SMS_RETRY_INTERVALS": None,  # seconds between send attempts, e.g. "10,60,300"
    "CALLBACK_KEY": None,
    "USSD_SESSION_TTL_SECONDS": 180,
    "USSD_RESUME_SECONDS": 120,
    # Drop-off records waiting in Redis beyond which requests write theirs to the database
    # (ussd.store): the list stays bounded when no worker flushes it (about 200 bytes each).
    "USSD_DROPOFF_LIMIT": 100_000,
    "CONSOLE_REFRESH_SECONDS": 60,  # the queue page reloads itself to show new bookings
    "SIMULATOR": None,
    "SECURE_COOKIES": None,  # None → on in production (REDIS_URL set), off when embedded
    # Proxies in front of the app (nginx: 1) whose X-Forwarded-For and -Proto to believe; the
    # login limits count per address, and behind a proxy every request comes from the proxy.
    "PROXIES": 0,
    "SEED_DEMO_ON_FIRST_RUN": True,
    "REQUIRE_SERVICES": False,  # tests/CI: an unreachable service fails instead of skipping
    # Where a facility's network ESC/POS ticket printer may be: the web server connects there
    # and writes to it, so never to itself (Redis, PostgreSQL) or to the cloud's metadata.
    "TICKET_PRINTER_NETWORKS": "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16",
    # Each gateway's own settings (ANTRE_AT_USERNAME, ANTRE_KANNEL_SENDSMS_URL …): its folder.
    **settings_defaults(),
    # BPJS Antrean FKTP (ANTRE_BPJS_URL, _CONS_ID, _SECRET, _USER_KEY): none of them → off.
    **bpjs_settings.DEFAULTS,
}


def load(instance_path: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return the validated settings: defaults ← environment ← overrides."""
    settings = dict(DEFAULTS)
    for name in ("DATABASE_URL", "REDIS_URL"):
        if os.environ.get(name):
            settings[name] = os.environ[name]
    for key, value in os.environ.items():
        if key.startswith("ANTRE_") and key[6:] in DEFAULTS:
            settings[key[6:]] = value
    settings.update(overrides or {})
    return validate(settings, instance_path)


def validate(settings: dict[str, Any], instance_path: str) -> dict[str, Any]:
    settings["DATABASE_URL"] = database_url(settings["DATABASE_URL"], instance_path)
    redis_url = settings["REDIS_URL"]
    if redis_url and not str(redis_url).startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError(
            f"REDIS_URL must start with redis://, rediss:// or unix://, not {redis_url!r}"
        )
    try:
        ZoneInfo(settings["DEFAULT_TIMEZONE"])
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ConfigError(
            f"ANTRE_DEFAULT_TIMEZONE {settings['DEFAULT_TIMEZONE']!r} is not a known time zone"
        ) from error
    region = str(settings["DEFAULT_REGION"]).upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise ConfigError(f"ANTRE_DEFAULT_REGION {region!r} is not a known region code")
    settings["DEFAULT_REGION"] = region
    durations = [name for name in settings_defaults() if name.endswith("_SECONDS")]
    for name in (
        *durations,
        "USSD_SESSION_TTL_SECONDS",
        "USSD_RESUME_SECONDS",
        "CONSOLE_REFRESH_SECONDS",
    ):
        settings[name] = positive_number(name, settings[name])
    settings["USSD_DROPOFF_LIMIT"] = int(
        positive_number("USSD_DROPOFF_LIMIT", settings["USSD_DROPOFF_LIMIT"])
    )
    gateway = str(settings["SMS_GATEWAY"])
    if gateway not in GATEWAYS:
        known = ", ".join(GATEWAYS)
        raise ConfigError(f"ANTRE_SMS_GATEWAY must be one of {known}, not {gateway!r}")
    try:
        Switchboard(settings)  # each gateway in use says which of its settings are missing
    except ValueError as error:
        raise ConfigError(str(error)) from error
    try:
        bpjs_settings.credentials(settings)
        bpjs_settings.retry_intervals(settings)
    except ValueError as error:
        raise ConfigError(str(error)) from error
    settings["PUBLIC_URL"] = public_url(settings["PUBLIC_URL"])
    settings["TICKET_PRINTER_NETWORKS"] = networks(
        "TICKET_PRINTER_NETWORKS", settings["TICKET_PRINTER_NETWORKS"]
    )
    settings["PROXIES"] = proxies(settings["PROXIES"])
    for name in ("SEED_DEMO_ON_FIRST_RUN", "REQUIRE_SERVICES"):
        settings[name] = flag(settings[name])
    if settings["SECURE_COOKIES"] is None or settings["SECURE_COOKIES"] == "":
        settings["SECURE_COOKIES"] = bool(redis_url)
    settings["SECURE_COOKIES"] = flag(settings["SECURE_COOKIES"])
    return settings


def database_url(value: str | None, instance_path: str) -> str:
    if not value:
        Path(instance_path).mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{Path(instance_path) / 'antre.sqlite3'}"
    try:
        url = make_url(value)
    except ArgumentError as error:
        raise ConfigError(f"DATABASE_URL {value!r} is not a database URL") from error
    if url.drivername in ("postgres", "postgresql", "postgresql+psycopg"):
        return str(url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False))
    if url.drivername == "sqlite":
        return value
    raise ConfigError(f"DATABASE_URL must be postgresql:// or sqlite://, not {url.drivername}://")


def networks(name: str, value: Any) -> tuple[IPv4Network | IPv6Network, ...]:
    """A comma-separated list of networks ("192.168.0.0/16,10.0.0.0/8"); empty for none."""
    if isinstance(value, tuple):
        return value
    try:
        return tuple(
            ip_network(part.strip()) for part in str(value or "").split(",") if part.strip()
        )
    except ValueError as error:
        raise ConfigError(
            f"ANTRE_{name} must be networks such as 192.168.0.0/16: {error}"
        ) from error


def positive_number(name: str, value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError) as error:
        raise ConfigError(f"ANTRE_{name} must be a number, not {value!r}") from error
    if number <= 0:
        raise ConfigError(f"ANTRE_{name} must be above zero, not {value!r}")
    return number


def public_url(value: Any) -> str | None:
    if value is None or not str(value).strip():
        return None
    text = str(value).strip().rstrip("/")
    if not text.startswith(("http://", "https://")) or "?" in text or "#" in text:
        raise ConfigError(
            "ANTRE_PUBLIC_URL must be an http:// or https:// address without a query, "
            f"not {value!r}"
        )
    return text


def proxies(value: Any) -> int:
    text = str(value).strip()
    if not text.isdecimal() or int(text) > 5:
        raise ConfigError(f"ANTRE_PROXIES must be a whole number from 0 to 5, not {value!r}")
    return int(text)


def flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"expected a yes/no setting, not {value!r}")
