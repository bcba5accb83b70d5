"""`GET /api/figures`: the district figures as JSON, for a district's or a facility's API token
(or a staff login), with the same scope rules and export log as the console's page."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify

from api.auth import bearer_client
from api.errors import ApiError
from api.schemas import FiguresQuery
from api.spec import parse_query
from figures import export
from figures.queries import compute
from figures.views import BadRequest, Viewer, current_viewer, log_export, scope_for
from plumbing.db import database_of

blueprint = Blueprint("api_figures", __name__)


@blueprint.get("/api/figures")
def api_figures() -> Response:
    """The figures as JSON: for a district's or a facility's API token, or a staff login."""
    try:
        client = bearer_client()
        if client is not None:  # systems get the API's strictness: no unknown parameters
            parse_query(FiguresQuery)
    except ApiError as error:
        return error.response()
    user = current_viewer()
    if client is not None:  # the token's facility or district decides, as a staff account's does
        user = Viewer(client.name, client.role, client.district, client.facility_id, client.active)
    if user is None:
        return ApiError("UNAUTHENTICATED", "send an API token, or log in to the console").response()
    try:
        with database_of(current_app).transaction() as db:
            scope = scope_for(db, user)
            figures = compute(db, scope)
            log_export(db, user, scope, "json", "staff" if client is None else "api")
    except BadRequest as error:
        code = "FORBIDDEN" if error.status == 403 else "INVALID_REQUEST"
        return ApiError(code, str(error), status=error.status).response()
    return jsonify(export.figures_json(figures))
