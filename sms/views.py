"""Every gateway's SMS callbacks (inbound SMS, delivery reports), served from one place.

Each gateway's folder says which URLs it is called on and reads its own requests
(`gateways.contract.Callback`); here the records it reads are acted on, each in its own
transaction, and the gateway's own answer is given.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial

from flask import Blueprint, current_app, request
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import OperationalError

from gateways import callbacks
from gateways.contract import Callback, Request
from plumbing.callbacks import require_callback_key

log = logging.getLogger(__name__)
blueprint = Blueprint("sms", __name__)

# An SMS is at most a few hundred characters: a larger body is not a gateway's callback.
MAX_BODY_BYTES = 16 * 1024


def _view(gateway: str, callback: Callback) -> Callable[[], ResponseReturnValue]:
    def view() -> ResponseReturnValue:
        from booking.clock import utcnow
        from plumbing.db import database_of
        from sms import delivery, incoming

        if (request.content_length or 0) > MAX_BODY_BYTES:
            return "too large\n", 413, {"Content-Type": "text/plain"}
        heard = callback.read(_request(), current_app.config)
        database = database_of(current_app)
        region = str(current_app.config["DEFAULT_REGION"])
        ours = [str(current_app.config.get("AT_SENDER") or "")]
        try:
            for inbound in heard.inbound:
                receive = partial(
                    incoming.receive, inbound=inbound, now=utcnow(), own_numbers=ours, region=region
                )
                database.run(receive)
            for report in heard.reports:
                database.run(partial(delivery.record, report=report, now=utcnow()))
        except OperationalError:
            # The database is away: nothing was kept, so ask the gateway to call again.
            log.warning("database unavailable: %s callback refused with 503", gateway)
            return "try again later\n", 503, {"Content-Type": "text/plain", "Retry-After": "30"}
        answer = heard.answer
        return answer.body, answer.status, {"Content-Type": answer.content_type}

    view.__name__ = f"{gateway}_{callback.read.__name__}"
    return require_callback_key(view)


def _request() -> Request:
    body = request.get_data(cache=True)  # first: the form is then parsed from the cached body
    return Request(
        method=request.method,
        args=request.args.to_dict(),
        form=request.form.to_dict(),
        headers=dict(request.headers.items()),
        body=body,
    )


for _gateway, _callback in callbacks():
    blueprint.add_url_rule(
        _callback.path,
        endpoint=f"{_gateway}_{_callback.read.__name__}",
        view_func=_view(_gateway, _callback),
        methods=list(_callback.methods),
    )
