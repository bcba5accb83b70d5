"""Protection for gateway callbacks: a secret key the caller sends with each one (design §8).

Africa's Talking does not sign callbacks, so the URL we register with it carries
`?key=<ANTRE_CALLBACK_KEY>`; a caller that can set a header sends `X-Antre-Key: <key>`
instead, which keeps the key out of every access log on the way. A request without the right
key gets 403. Log lines Antre writes mask `key=` (plumbing/logs.py).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import current_app, request
from flask.typing import ResponseReturnValue

HEADER = "X-Antre-Key"


def require_callback_key(
    view: Callable[..., ResponseReturnValue],
) -> Callable[..., ResponseReturnValue]:
    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        expected = current_app.config.get("CALLBACK_KEY")
        if expected:
            # The header, when sent, is the key: a wrong one is not rescued by the query.
            given = request.headers.get(HEADER)
            if given is None:
                given = request.args.get("key", "")
            if not hmac.compare_digest(given.encode(), str(expected).encode()):
                return (
                    "forbidden: missing or wrong callback key\n",
                    403,
                    {"Content-Type": "text/plain"},
                )
        return view(*args, **kwargs)

    return guarded
