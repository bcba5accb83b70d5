"""Each API operation declared once: its route, request and answer models, and the errors it
may give. Flask's views and the OpenAPI document (api/openapi.py) are both made from this list.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Response, request
from pydantic import BaseModel, TypeAdapter, ValidationError

from api import auth
from api.errors import (
    BODY_TOO_LARGE,
    IDEMPOTENCY_KEYS_DIFFER,
    INVALID_JSON,
    INVALID_REQUEST,
    NOT_FOUND,
    ApiError,
)
from api.schemas import RequestKey

MAX_BODY = 16 * 1024  # the largest request is a few hundred bytes; refuse anything near this
IDEMPOTENCY_HEADER = "Idempotency-Key"
_KEY = TypeAdapter(RequestKey)


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # as in the document: /api/sessions/{session_id}/bookings
    summary: str
    handler: Callable[..., Any]  # returns the `response` model (figures: its own view)
    response: type[BaseModel]
    status: int = 200
    path_model: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    body_required: bool = False
    idempotent: bool = False  # takes an idempotency key (header or body field)
    refusals: tuple[int, ...] = ()  # statuses the engine's refusals may give here
    # What a status means here beyond the common description (api/openapi.py): (status, text).
    notes: tuple[tuple[int, str], ...] = ()
    # Refusals of requests the schema allows, by rules JSON Schema cannot state (a period's
    # length, a key used before): (status, code). The document lists them, with the key rules
    # every idempotent operation adds, so that a client, and a test, can tell them from a bug.
    refused_though_valid: tuple[tuple[int, str], ...] = ()
    tag: str = "queue"
    description: str = ""

    @property
    def name(self) -> str:
        return self.handler.__name__

    @property
    def rule(self) -> str:
        """The Flask rule. Path values arrive as text and are validated by `path_model`."""
        return re.sub(r"{(\w+)}", r"<\1>", self.path)

    def refusals_of_valid_requests(self) -> list[tuple[int, str]]:
        found = list(self.refused_though_valid)
        if self.idempotent:
            found += [(422, IDEMPOTENCY_KEYS_DIFFER), (422, "IDEMPOTENCY_KEY_REUSED")]
        return sorted(set(found))

    def error_statuses(self) -> list[int]:
        statuses = {401, 403, 422, 503, *self.refusals}  # 422: an unknown query parameter
        if self.path_model is not None:
            statuses.add(404)
        if self.body is not None:
            statuses.update({400, 413, 422})
        return sorted(statuses)


OPERATIONS: list[Operation] = []


def operation(method: str, path: str, **details: Any) -> Callable[[Callable[..., Any]], Any]:
    """Declare a handler as an API operation (see `Operation` for the details)."""

    def register(handler: Callable[..., BaseModel]) -> Callable[..., BaseModel]:
        OPERATIONS.append(Operation(method=method, path=path, handler=handler, **details))
        return handler

    return register


def flask_view(op: Operation) -> Callable[..., Response]:
    """The view: authenticate, validate path, query and body, call the handler, answer JSON."""

    @functools.wraps(op.handler)
    def view(**path_values: str) -> Response:
        client = auth.require_client()
        arguments: dict[str, Any] = {}
        if op.path_model is not None:
            arguments["path"] = _path(op.path_model, path_values)
        query = parse_query(op.query)
        if query is not None:
            arguments["query"] = query
        if op.body is not None:
            arguments["body"] = _body(op.body, op.body_required)
        if op.idempotent:
            arguments["key"] = _request_key(arguments.get("body"))
        answer = op.handler(client, **arguments)
        return Response(
            answer.model_dump_json(by_alias=True), op.status, mimetype="application/json"
        )

    return view


def _path(model: type[BaseModel], values: dict[str, str]) -> BaseModel:
    try:
        return model.model_validate(values, strict=False)
    except ValidationError:
        shown = "/".join(value[:20] for value in values.values())
        raise ApiError(NOT_FOUND, f"nothing here is called {shown!r}") from None


def parse_query(model: type[BaseModel] | None) -> BaseModel | None:
    """The query as `model` (None: the operation takes none); unknown names are refused, so a
    misspelt filter is an error rather than silently ignored."""
    known = set() if model is None else {f.alias or n for n, f in model.model_fields.items()}
    unknown = sorted(set(request.args) - known)
    if unknown:
        raise ApiError(
            INVALID_REQUEST,
            f"unknown query parameter {unknown[0][:40]!r}",
            fields=[
                {"field": name[:40], "problem": "not a parameter here"} for name in unknown[:20]
            ],
        )
    if model is None:
        return None
    try:
        return model.model_validate(request.args.to_dict(), strict=False)
    except ValidationError as error:
        raise _invalid(error, "the query is not valid") from None


def _body(model: type[BaseModel], required: bool) -> BaseModel:
    # Never read more than the limit, whatever Content-Length says (or when it is chunked).
    raw = b"" if (request.content_length or 0) > MAX_BODY else request.stream.read(MAX_BODY + 1)
    if (request.content_length or 0) > MAX_BODY or len(raw) > MAX_BODY:
        raise ApiError(BODY_TOO_LARGE, f"the body is larger than {MAX_BODY // 1024} KiB")
    if not raw.strip():
        if required:
            raise ApiError(INVALID_JSON, "send a JSON object as the request body")
        return model()
    try:
        return model.model_validate_json(raw)
    except ValidationError as error:
        if any(problem["type"] == "json_invalid" for problem in error.errors()):
            not_text = _lone_surrogates(raw)
            if not_text:
                raise ApiError(INVALID_REQUEST, "the body is not valid", fields=not_text) from None
            raise ApiError(INVALID_JSON, "the body is not valid JSON") from None
        raise _invalid(error, "the body is not valid") from None


def _lone_surrogates(raw: bytes) -> list[dict[str, str]]:
    """The fields holding a lone surrogate, of a body that pydantic's parser refused.

    JSON's grammar allows any escape ("\\ud800"), but a lone surrogate is no character: the
    parser refuses it, and no database, SMS or answer could carry it. The JSON is well formed,
    so it is told as a wrong field (422, like any other), not as broken JSON (400).
    """
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        return []
    items = body.items() if isinstance(body, dict) else [("body", body)]
    return [
        {
            "field": name[:40] if _is_unicode(name) else "body",
            "problem": "holds a lone UTF-16 surrogate, which is not a character",
        }
        for name, value in items
        if not (_is_unicode(name) and _is_unicode(value))
    ]


def _is_unicode(value: object) -> bool:
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    except (ValueError, RecursionError):  # nested beyond what json.dumps walks: not this
        return True
    return True


def _request_key(body: BaseModel | None) -> str | None:
    header = request.headers.get(IDEMPOTENCY_HEADER)
    from_body = getattr(body, "idempotency_key", None)
    if header is not None:
        try:
            header = _KEY.validate_python(header)
        except ValidationError as error:
            raise _invalid(
                error, f"the {IDEMPOTENCY_HEADER} header is not valid", IDEMPOTENCY_HEADER
            ) from None
    if header is not None and from_body is not None and header != from_body:
        raise ApiError(
            IDEMPOTENCY_KEYS_DIFFER,
            f"the {IDEMPOTENCY_HEADER} header and idempotency_key differ: send one of them",
        )
    return header if header is not None else from_body


def _invalid(error: ValidationError, message: str, where: str = "") -> ApiError:
    fields = [
        {
            "field": ".".join(str(part) for part in problem["loc"]) or where or "body",
            "problem": problem["msg"],
        }
        for problem in error.errors(include_url=False, include_input=False)
    ]
    return ApiError(INVALID_REQUEST, message, fields=fields)
