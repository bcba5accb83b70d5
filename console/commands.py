"""`antre user …`: staff accounts from the command line (the first admin has no console yet)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.orm import Session

from booking.clock import utcnow
from booking.models import Facility
from console.models import Role, StaffUser
from plumbing.db import database

MIN_PASSWORD = 8


@click.group("user")
def user_group() -> None:
    """Staff accounts for the console and the bridge."""


@user_group.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--facility", "facility_code", default=None, help="facility code (staff, admins)")
@click.option("--district", default=None, help="district (district viewers)")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    envvar="ANTRE_USER_PASSWORD",
    help="asked for when omitted; or from ANTRE_USER_PASSWORD",
)
@with_appcontext
def user_add(
    username: str, role: str, facility_code: str | None, district: str | None, password: str
) -> None:
    """Create a staff account (the password is stored only as a salted hash)."""
    name = username.strip()
    if not 2 <= len(name) <= 64 or not name.isprintable() or " " in name:
        raise click.BadParameter("2 to 64 characters, no spaces", param_hint="USERNAME")
    if len(password) < MIN_PASSWORD:
        raise click.BadParameter(f"at least {MIN_PASSWORD} characters", param_hint="--password")
    wanted = Role(role)
    if wanted in (Role.STAFF, Role.FACILITY_ADMIN) and not facility_code:
        raise click.UsageError(f"a {wanted.value} account needs --facility CODE")
    if wanted == Role.DISTRICT_VIEWER and not district:
        raise click.UsageError("a district_viewer account needs --district NAME")

    def add(db: Session) -> str:
        if db.scalar(select(StaffUser.id).where(StaffUser.username == name)) is not None:
            raise click.UsageError(f"there is already an account called {name!r}")
        if wanted == Role.DISTRICT_VIEWER:
            viewer_district = _known_district(db, district or "")
        facility = None
        if facility_code:
            facility = db.scalars(select(Facility).where(Facility.code == facility_code)).first()
            if facility is None:
                raise click.UsageError(f"there is no facility with code {facility_code!r}")
        user = StaffUser(
            username=name,
            role=wanted,
            facility_id=facility.id if facility else None,
            district=viewer_district
            if wanted == Role.DISTRICT_VIEWER
            else (facility.district if facility else district),
            active=True,
            created_at=utcnow(),
        )
        user.set_password(password)
        db.add(user)
        return facility.name if facility else (user.district or "every facility")

    where = database(current_app).run(add)
    click.echo(f"account {name!r} ({wanted.value}) created for {where}")


def _known_district(db: Session, asked: str) -> str:
    """The stored spelling of a district some facility is in; a viewer of any other sees
    nothing, so it is refused with the districts there are."""
    known = sorted(set(db.scalars(select(Facility.district))))
    wanted = " ".join(asked.split()).casefold()
    for district in known:
        if district.casefold() == wanted:
            return district
    raise click.UsageError(
        f"there is no district {asked!r}; known districts: {', '.join(known) or 'none yet'}"
    )
