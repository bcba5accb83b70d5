"""The settings of the BPJS Antrean FKTP client: none of them (off), or all of them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

NAMES = ("BPJS_URL", "BPJS_CONS_ID", "BPJS_SECRET", "BPJS_USER_KEY")
DEFAULTS: dict[str, Any] = {
    **dict.fromkeys(NAMES),
    "BPJS_TIMEOUT_SECONDS": 10,
    # Seconds between attempts while BPJS cannot be reached: a day of trying, then the sweep.
    "BPJS_RETRY_INTERVALS": "10,60,300,900,1800,3600,3600,3600",
}


@dataclass(frozen=True)
class Credentials:
    url: str  # ends with "/": paths are joined to it
    cons_id: str
    secret: str
    user_key: str
    timeout: float

    def __repr__(self) -> str:  # never the secret or the user key, whoever prints this
        return f"Credentials(url={self.url!r}, cons_id={self.cons_id!r})"


def credentials(settings: Mapping[str, Any]) -> Credentials | None:
    """The client's settings, None when none is set; ValueError naming what a partial set lacks."""
    given = [name for name in NAMES if settings.get(name)]
    if not given:
        return None
    missing = [f"ANTRE_{name}" for name in NAMES if name not in given]
    if missing:
        raise ValueError(f"BPJS Antrean FKTP is half set up: it also needs {', '.join(missing)}")
    url = str(settings["BPJS_URL"])
    if not url.startswith(("https://", "http://")):
        raise ValueError(f"ANTRE_BPJS_URL must be an http(s) address, not {url!r}")
    return Credentials(
        url=url.rstrip("/") + "/",
        cons_id=str(settings["BPJS_CONS_ID"]),
        secret=str(settings["BPJS_SECRET"]),
        user_key=str(settings["BPJS_USER_KEY"]),
        timeout=float(settings.get("BPJS_TIMEOUT_SECONDS") or 10),
    )


# What a sender does besides the HTTP exchange while it holds a claim (two short commits).
CLAIM_MARGIN_SECONDS = 60


def whole_call_seconds(timeout: float) -> float:
    """The longest one call may take: the timeout bounds each wait (connecting, each read),
    so the client also bounds the whole (bpjs.client)."""
    return 2 * timeout


def claim_seconds(settings: Mapping[str, Any]) -> float:
    """How long a live sender may hold a call ("sending"); a claim older than this is a dead
    sender's, and the sweep frees it."""
    timeout = float(settings.get("BPJS_TIMEOUT_SECONDS") or DEFAULTS["BPJS_TIMEOUT_SECONDS"])
    return whole_call_seconds(timeout) + CLAIM_MARGIN_SECONDS


def retry_intervals(settings: Mapping[str, Any]) -> tuple[int, ...]:
    raw = settings.get("BPJS_RETRY_INTERVALS") or DEFAULTS["BPJS_RETRY_INTERVALS"]
    if isinstance(raw, str):
        return tuple(int(part) for part in raw.replace(" ", "").split(",") if part)
    return tuple(int(part) for part in raw)
