"""Bearer tokens on requests: `Authorization: Bearer <token>`, checked against the hashes."""

from __future__ import annotations

from flask import current_app, g, request

from api import tokens
from api.errors import FORBIDDEN, TOKEN_REVOKED, UNAUTHENTICATED, ApiError
from api.tokens import Client
from booking.clock import utcnow
from plumbing.db import database_of

MAX_TOKEN = 200  # ours are ~50 characters; a longer one is not ours and is not hashed


def bearer_client() -> Client | None:
    """The client of the request's token; None without an Authorization header; 401 otherwise."""
    if "api_client" in g:
        client: Client = g.api_client
        return client
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise ApiError(UNAUTHENTICATED, "send the token as 'Authorization: Bearer <token>'")
    if len(token) > MAX_TOKEN:
        raise ApiError(UNAUTHENTICATED, "this token is not valid")
    found = database_of(current_app).run(lambda db: tokens.authenticate(db, token, utcnow()))
    if found is None:
        raise ApiError(UNAUTHENTICATED, "this token is not valid")
    if found.revoked:
        raise ApiError(TOKEN_REVOKED, "this token was revoked")
    g.api_client = found
    return found


def require_client() -> Client:
    client = bearer_client()
    if client is None:
        raise ApiError(UNAUTHENTICATED, "this API needs 'Authorization: Bearer <token>'")
    return client


def require_facility(client: Client, facility_id: int) -> None:
    """Refuse a client that is not the facility's own system (district tokens read figures)."""
    if client.facility_id != facility_id:
        raise ApiError(FORBIDDEN, "this token is not for that facility")
