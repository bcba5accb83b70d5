"""Where the console may send a browser next: paths on this site only."""

from __future__ import annotations

from urllib.parse import urlsplit


def safe_next(target: str | None) -> str:
    """Only a path on this site: an absolute URL in `next` would make us an open redirect."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        # "//host" and "/\host" are another site to a browser, though they parse as a path.
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return "/console/"
