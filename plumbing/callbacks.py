"""Protection for gateway callbacks: a secret key in the callback URL (design §8).

Africa's Talking does not sign callbacks, so the URL we register with it carries
`?key=<ANTRE_CALLBACK_KEY>`; a request without the right key gets 403.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import current_app, request
from flask.typing import ResponseReturnValue


def require_callback_key(
    view: Callable[..., ResponseReturnValue],
) -> Callable[..., ResponseReturnValue]:
    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        expected = current_app.config.get("CALLBACK_KEY")
        if expected:
            given = request.args.get("key", "")
            if not hmac.compare_digest(given.encode(), str(expected).encode()):
                return (
                    "forbidden: missing or wrong callback key\n",
                    403,
                    {"Content-Type": "text/plain"},
                )
        return view(*args, **kwargs)

    return guarded
