"""The `/api/` blueprint: the declared operations, their JSON errors, and the OpenAPI document.

Tokens, not cookies, authenticate here: the blueprint is exempt from CSRF protection.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, jsonify, request
from sqlalchemy.exc import DataError, OperationalError
from werkzeug.exceptions import HTTPException

from api.errors import (
    BODY_TOO_LARGE,
    INVALID_REQUEST,
    METHOD_NOT_ALLOWED,
    NOT_FOUND,
    UNAVAILABLE,
    ApiError,
    from_refusal,
)
from api.openapi import document
from api.spec import OPERATIONS, flask_view
from booking.errors import Refused
from texts import LANGUAGES

log = logging.getLogger(__name__)
blueprint = Blueprint("api", __name__)

for _op in OPERATIONS:
    blueprint.add_url_rule(_op.rule, _op.name, flask_view(_op), methods=[_op.method])


@blueprint.get("/api/openapi.json")
def openapi() -> Response:
    return jsonify(document())


@blueprint.errorhandler(ApiError)
def _api_error(error: ApiError) -> Response:
    return error.response()


@blueprint.errorhandler(Refused)
def _refused(refused: Refused) -> Response:
    language = request.accept_languages.best_match(LANGUAGES, default="en") or "en"
    return from_refusal(refused, language).response()


@blueprint.errorhandler(DataError)
def _unstorable(_error: DataError) -> Response:
    # Input PostgreSQL cannot hold (a NUL character in a path or query): the caller's to fix.
    return ApiError(INVALID_REQUEST, "the request holds characters that cannot be kept").response()


@blueprint.errorhandler(OperationalError)
def _database_down(error: OperationalError) -> Response:
    log.warning("API request failed on the database: %s", type(error.orig).__name__)
    return ApiError(UNAVAILABLE, "the database is unavailable; try again soon").response()


@blueprint.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    return _as_api_error(error).response()


# Routing errors (no such /api/ path, a method the path does not have) happen before any
# blueprint is chosen, so only app-wide handlers see them; they answer JSON for /api/ only.
@blueprint.app_errorhandler(404)
@blueprint.app_errorhandler(405)
def _routing_error(error: HTTPException) -> Response | HTTPException:
    if not request.path.startswith("/api/"):
        return error
    response = _as_api_error(error).response()
    if error.code == 405:
        response.headers["Allow"] = error.get_response().headers.get("Allow", "")
    return response


def _as_api_error(error: HTTPException) -> ApiError:
    code = {404: NOT_FOUND, 405: METHOD_NOT_ALLOWED, 413: BODY_TOO_LARGE}.get(
        error.code or 400, "INVALID_REQUEST"
    )
    messages = {
        NOT_FOUND: "there is no such API path; see /api/openapi.json",
        METHOD_NOT_ALLOWED: "this path does not take that method; see /api/openapi.json",
        BODY_TOO_LARGE: "the request body is too large",
    }
    message = messages.get(code, error.description or "bad request")
    return ApiError(code, message, status=error.code or 400)
