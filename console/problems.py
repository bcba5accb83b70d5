"""The staff pages' own error pages, in the page's language, for every path under /console/.

App-wide handlers rather than per blueprint: a path that matches no route (404), a method a
route does not take (405) and the admin and figures pages' `abort(403)` would otherwise get
Flask's bare English pages. Blueprints with a more precise message (console/queue.py) keep it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from console import messages
from texts import N_

CONSOLE = "/console"

Handler = Callable[[Any], Any]

NOT_THIS_WAY = N_("This page cannot be opened that way. Please use the links and buttons.")
BROKEN = N_("Something went wrong on our side. Please check the page and try again.")
BAD_REQUEST = N_("This request could not be read, so nothing was changed. Please try again.")

WHAT_WENT_WRONG = {
    400: BAD_REQUEST,
    403: messages.NOT_YOURS,
    404: messages.NOT_FOUND,
    405: NOT_THIS_WAY,
    500: BROKEN,
}


def init_app(app: Flask) -> None:
    """Install the handlers; called after every blueprint, so that an app-wide handler one of
    them installed for the same status (the API's JSON 404/405) still answers its own paths."""
    for status in WHAT_WENT_WRONG:
        earlier: dict[type[Exception], Handler] = dict(app.error_handler_spec[None].get(status, {}))
        app.register_error_handler(status, _for_console_paths(earlier))
    app.register_error_handler(CSRFError, _for_console_paths({}))


def _for_console_paths(earlier: dict[type[Exception], Handler]) -> Handler:
    def handle(error: HTTPException) -> Any:
        if request.path.startswith(CONSOLE):
            return _console_problem(error)
        for kind, handler in earlier.items():
            if isinstance(error, kind):
                return handler(error)
        return error  # the simulator, the display: Flask's own answer

    return handle


def problem_page(msgid: str, status: int) -> ResponseReturnValue:
    """The console's page for a problem: the message, and the way back to the queue."""
    return render_template("console/problem.html", message=messages.say(msgid)), status


def _console_problem(error: HTTPException) -> ResponseReturnValue:
    status = error.code or 500
    if isinstance(error, CSRFError):
        return problem_page(messages.FORM_EXPIRED, status)
    return problem_page(WHAT_WENT_WRONG.get(status, BROKEN), status)
