"""The OpenAPI 3.1 document, made from the declared operations and their pydantic models."""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from api import bookings, facilities  # noqa: F401 - importing them declares their operations
from api.errors import STATUS_OF_CODE
from api.schemas import ErrorOut, FiguresOut, FiguresQuery, RequestKey
from api.spec import IDEMPOTENCY_HEADER, OPERATIONS, Operation

REF = "#/components/schemas/{model}"
DESCRIPTIONS = {
    400: "The body is not JSON (INVALID_JSON), or a query value is wrong (INVALID_REQUEST).",
    401: "No token, a token we do not know (UNAUTHENTICATED), or a revoked one (TOKEN_REVOKED).",
    403: "The token is for another facility or district (FORBIDDEN).",
    404: "No such facility, session or booking (NOT_FOUND, FACILITY_UNKNOWN, ...).",
    409: "The queue says no now: SESSION_FULL, ALREADY_BOOKED, NOTHING_WAITING, NOT_CALLED, ...",
    413: "The body is larger than 16 KiB (BODY_TOO_LARGE).",
    422: "A field is missing or wrong (INVALID_REQUEST, with `fields`; PHONE_INVALID, ...).",
    503: "The database is unavailable; try again (UNAVAILABLE).",
}

KEYS_DIFFER = (
    "IDEMPOTENCY_KEYS_DIFFER: the Idempotency-Key header and the body's idempotency_key are "
    "both sent and differ; send one of them."
)
REFUSED_THOUGH_VALID = "x-refused-though-valid"


def figures_operation() -> Operation:
    """/api/figures (api/figures.py), described beside the other operations."""
    from api.figures import api_figures

    return Operation(
        method="GET",
        path="/api/figures",
        summary="The district figures of a period, for a district's or a facility's token",
        description="A district token sees its district (and may pick one of its facilities); "
        'a facility token its facility. Counts from 1 to 4 read "<5". Each call is logged.',
        handler=api_figures,
        response=FiguresOut,
        query=FiguresQuery,
        refusals=(400,),
        notes=((400, "Here also a period that ends before it starts or is longer than 366 days."),),
        refused_though_valid=((400, "INVALID_REQUEST"),),
        tag="figures",
    )


@cache
def document() -> dict[str, Any]:
    operations = [*OPERATIONS, figures_operation()]
    inputs: list[tuple[type[BaseModel], JsonSchemaMode]] = [(ErrorOut, "serialization")]
    inputs += [(op.response, "serialization") for op in operations]
    inputs += [(op.body, "validation") for op in operations if op.body is not None]
    refs, definitions = models_json_schema(list(dict.fromkeys(inputs)), ref_template=REF)
    paths: dict[str, dict[str, Any]] = {
        "/api/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This document",
                "tags": ["meta"],
                "security": [],
                "responses": {
                    "200": {
                        "description": "The OpenAPI document",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            }
        }
    }
    for op in operations:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op, refs)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Antre API",
            "version": "1",
            "description": "Queue numbers for facility systems (SIMRS) and district figures. "
            "Authenticate with `Authorization: Bearer <token>` (`antre token add`). Errors are "
            '`{"error": {"code": ..., "message": ...}}` with a stable code. Send '
            "`Accept-Language: id` for messages in Indonesian. Error codes of the API itself: "
            + ", ".join(sorted(STATUS_OF_CODE))
            + "; the others are the booking engine's refusals.",
        },
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": definitions.get("$defs", {}),
        },
    }


def _operation(op: Operation, refs: dict[Any, Any]) -> dict[str, Any]:
    def json(model: type[BaseModel], mode: JsonSchemaMode) -> dict[str, Any]:
        return {"application/json": {"schema": refs[(model, mode)]}}

    error = json(ErrorOut, "serialization")
    responses: dict[str, Any] = {
        str(op.status): {"description": op.summary, "content": json(op.response, "serialization")}
    }
    notes = dict(op.notes)
    if op.idempotent:
        notes[422] = " ".join(filter(None, (notes.get(422), KEYS_DIFFER)))
    for status in op.error_statuses():
        meaning = " ".join(filter(None, (DESCRIPTIONS[status], notes.get(status))))
        responses[str(status)] = {"description": meaning, "content": error}
    parameters = _parameters(op.path_model, "path") + _parameters(op.query, "query")
    if op.idempotent:
        parameters.append(
            {
                "name": IDEMPOTENCY_HEADER,
                "in": "header",
                "required": False,
                "description": "Makes a retry safe: the same key with the same request answers "
                "as the first request did. Sent with the body's idempotency_key too, the two "
                "must be the same.",
                "schema": TypeAdapter(RequestKey).json_schema(),
            }
        )
    described: dict[str, Any] = {
        "operationId": op.name,
        "summary": op.summary,
        "tags": [op.tag],
        "parameters": parameters,
        "responses": responses,
    }
    if op.description:
        described["description"] = op.description
    if refused := op.refusals_of_valid_requests():
        # Rules JSON Schema cannot state: a request the schemas allow may still get these.
        described[REFUSED_THOUGH_VALID] = [
            {"status": status, "code": code} for status, code in refused
        ]
    if op.body is not None:
        described["requestBody"] = {
            "required": op.body_required,
            "content": json(op.body, "validation"),
        }
    return described


def _parameters(model: type[BaseModel] | None, where: str) -> list[dict[str, Any]]:
    if model is None:
        return []
    schema = model.model_json_schema(ref_template=REF)
    required = set(schema.get("required", ()))
    parameters = []
    for name, field in schema["properties"].items():
        field = dict(field)
        field.pop("title", None)
        description = field.pop("description", None)
        if "anyOf" in field:  # `X | None`: absent means None; a parameter is never null
            kinds = [kind for kind in field.pop("anyOf") if kind.get("type") != "null"]
            field.update(kinds[0] if len(kinds) == 1 else {"anyOf": kinds})
            field.pop("default", None)
        parameter: dict[str, Any] = {
            "name": name,
            "in": where,
            "required": where == "path" or name in required,
            "schema": field,
        }
        if description:
            parameter["description"] = description
        parameters.append(parameter)
    return parameters
