"""`antre token add|revoke|list`: API tokens for facility systems and district systems."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.orm import Session

from api import tokens
from api.models import ApiToken
from booking.clock import utcnow
from booking.models import Facility
from plumbing.db import database_of


@click.group("token")
def token_group() -> None:
    """API tokens (bearer tokens for /api/)."""


@token_group.command("add")
@click.option("--name", required=True, help="who uses it; the actor in the event log")
@click.option("--facility", "facility_code", default=None, help="the facility code it is for")
@click.option("--district", default=None, help="or the district whose figures it reads")
@with_appcontext
def add(name: str, facility_code: str | None, district: str | None) -> None:
    """Create a token and print it, once: only its hash is kept."""
    now = utcnow()
    try:
        token = database_of(current_app).run(
            lambda db: tokens.issue(db, name, now, facility_code=facility_code, district=district)
        )
    except tokens.TokenProblem as problem:
        raise click.UsageError(str(problem)) from None
    click.echo(token)
    click.echo("Keep it now: it is not stored and cannot be shown again.", err=True)


@token_group.command("revoke")
@click.argument("name")
@with_appcontext
def revoke(name: str) -> None:
    """Revoke the token called NAME: requests with it are refused from now on."""
    try:
        database_of(current_app).run(lambda db: tokens.revoke(db, name))
    except tokens.TokenProblem as problem:
        raise click.UsageError(str(problem)) from None
    click.echo(f"token {name!r} revoked")


@token_group.command("list")
@with_appcontext
def list_tokens() -> None:
    """Every token: name, what it is for, when it was last used (never the token)."""

    def rows(db: Session) -> list[tuple[str, str, str, str]]:
        found = db.execute(
            select(ApiToken, Facility.code)
            .outerjoin(Facility, ApiToken.facility_id == Facility.id)
            .order_by(ApiToken.name)
        ).all()
        return [
            (
                token.name,
                f"facility {code}" if code else f"district {token.district}",
                token.last_used_at.isoformat(timespec="seconds") if token.last_used_at else "never",
                "revoked" if token.revoked else "active",
            )
            for token, code in found
        ]

    for line in database_of(current_app).run(rows):
        click.echo("\t".join(line))
