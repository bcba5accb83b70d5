"""Errors of the JSON API: a stable machine code, a message for a person, an HTTP status.

Refusals of the engine keep their `booking.errors.Reason` name as the code and its text as the
message; the codes below are the API's own (authentication, access, malformed requests).
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from booking.errors import Reason, Refused
from texts import translate

# HTTP status of each refusal: unknown things are 404, input that can never be right 422,
# and everything that depends on the queue's current state a 409 conflict.
NOT_FOUND_REASONS = {
    Reason.FACILITY_UNKNOWN,
    Reason.SERVICE_UNKNOWN,
    Reason.SESSION_UNKNOWN,
    Reason.BOOKING_UNKNOWN,
}
INVALID_REASONS = {Reason.PHONE_INVALID, Reason.NAME_INVALID, Reason.IDEMPOTENCY_KEY_REUSED}

# The API's own codes and their status, listed once so the OpenAPI document can name them.
UNAUTHENTICATED = "UNAUTHENTICATED"
TOKEN_REVOKED = "TOKEN_REVOKED"  # noqa: S105 - an error code, not a secret
FORBIDDEN = "FORBIDDEN"
NOT_FOUND = "NOT_FOUND"
METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
INVALID_JSON = "INVALID_JSON"
INVALID_REQUEST = "INVALID_REQUEST"
IDEMPOTENCY_KEYS_DIFFER = "IDEMPOTENCY_KEYS_DIFFER"  # the header's and the body's key disagree
BODY_TOO_LARGE = "BODY_TOO_LARGE"
UNAVAILABLE = "UNAVAILABLE"
INTERNAL = "INTERNAL"

STATUS_OF_CODE = {
    UNAUTHENTICATED: 401,
    TOKEN_REVOKED: 401,
    FORBIDDEN: 403,
    NOT_FOUND: 404,
    METHOD_NOT_ALLOWED: 405,
    INVALID_JSON: 400,
    INVALID_REQUEST: 422,
    IDEMPOTENCY_KEYS_DIFFER: 422,
    BODY_TOO_LARGE: 413,
    UNAVAILABLE: 503,
    INTERNAL: 500,
}


class ApiError(Exception):
    """An answer other than success, raised anywhere in a request and turned into JSON."""

    def __init__(
        self, code: str, message: str, *, status: int | None = None, fields: Any = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status if status is not None else STATUS_OF_CODE[code]
        self.fields = fields

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.fields:
            error["fields"] = self.fields
        return {"error": error}

    def response(self) -> Response:
        response = jsonify(self.body())
        response.status_code = self.status
        if self.status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="antre"'
        return response


def status_of(reason: Reason) -> int:
    if reason in NOT_FOUND_REASONS:
        return 404
    if reason in INVALID_REASONS:
        return 422
    return 409


def from_refusal(refused: Refused, language: str = "en") -> ApiError:
    """The engine's refusal, in the caller's language (the same catalogs the SMS replies use)."""
    try:
        message = translate(language, refused.reason.message, **refused.params)
    except (KeyError, IndexError, ValueError):  # a refusal raised without its parameters
        message = refused.reason.message
    return ApiError(refused.reason.name, message, status=status_of(refused.reason))
