"""Where the console may send a browser next: paths on this site only."""

from __future__ import annotations

from urllib.parse import urlsplit


def safe_next(target: str | None) -> str:
    """Only a path on this site: an absolute URL in `next` would make us an open redirect."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/"):
            return target
    return "/console/"
