"""Antre's log lines: one format, and never the gateways' callback key in them.

Gateways that can only call a URL carry the key as `?key=<ANTRE_CALLBACK_KEY>`
(plumbing/callbacks.py), so every line that shows a request's URL would show the key: the
dev server's request log, gunicorn's access log, a line of ours that names a URL.
"""

from __future__ import annotations

import logging
import re

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# The loggers that write request lines; their own filter masks a line before any handler,
# whoever configured the handlers (pytest, gunicorn, an operator's logging config).
REQUEST_LOGGERS = ("werkzeug", "gunicorn.access")

# `key=` as a query parameter (not `idempotency_key=`), also percent-encoded inside another
# URL's query (Kannel's dlr-url): its value runs to the next parameter, space or quote.
_KEY = re.compile(
    r"(?:(?<!\w)|(?<=%3F)|(?<=%26))(key(?:=|%3D))(?:(?!%26)[^&\s\"'#])+", re.IGNORECASE
)
MASKED = r"\1***"


class MaskCallbackKey(logging.Filter):
    """Rewrites `key=<value>` in a record's message to `key=***`; keeps every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True  # a malformed record: logging itself reports it, unchanged
        masked = _KEY.sub(MASKED, message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def configure() -> None:
    """Log INFO and above to stderr, as `logging.basicConfig` does, the key masked.

    Like basicConfig, it leaves the root logger alone when something configured it already.
    """
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(MaskCallbackKey())
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    for name in REQUEST_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(kept, MaskCallbackKey) for kept in logger.filters):
            logger.addFilter(MaskCallbackKey())
