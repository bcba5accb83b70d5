"""`antre user …`: staff accounts from the command line (the first admin has no console yet).

Adds, lists, unlocks, gives a new password, deactivates and reactivates. A new password and a
change of `active` end every login session of the account (console/models.py); a generated
password is changed by its owner at the next login (console/password_change.py).
"""

from __future__ import annotations

import secrets

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.orm import Session

from booking.clock import utcnow
from booking.models import Facility
from console import throttle
from console.models import Role, StaffUser
from plumbing.db import database_of

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
    "--generate",
    is_flag=True,
    help="make a random password and print it (once); it is changed at the first login",
)
@click.option(
    "--password",
    default=None,
    envvar="ANTRE_USER_PASSWORD",
    help="asked for (hidden) when omitted; or from ANTRE_USER_PASSWORD",
)
@with_appcontext
def user_add(
    username: str,
    role: str,
    facility_code: str | None,
    district: str | None,
    generate: bool,
    password: str | None,
) -> None:
    """Create a staff account (the password is stored only as a salted hash)."""
    name = username.strip()
    if not 2 <= len(name) <= 64 or not name.isprintable() or " " in name:
        raise click.BadParameter("2 to 64 characters, no spaces", param_hint="USERNAME")
    password = _chosen_password(generate, password)
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
        user.set_password(password, made_by_someone_else=generate)
        db.add(user)
        return facility.name if facility else (user.district or "every facility")

    where = database_of(current_app).run(add)
    click.echo(f"account {name!r} ({wanted.value}) created for {where}")
    if generate:
        click.echo(f"password (shown only now; changed at the first login): {password}")


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


def _chosen_password(generate: bool, given: str | None) -> str:
    """A generated password, the one given, or one typed twice without echo."""
    if generate:
        return new_password()
    chosen = given
    if chosen is None:
        chosen = str(click.prompt("New password", hide_input=True, confirmation_prompt=True))
    _check_password(chosen)
    return chosen


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise click.BadParameter(f"at least {MIN_PASSWORD} characters", param_hint="--password")


def new_password() -> str:
    """A random password to hand over once (about 72 bits; no look-alike characters)."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(3))


def _account(db: Session, username: str) -> StaffUser:
    user = db.scalars(select(StaffUser).where(StaffUser.username == username.strip())).first()
    if user is None:
        raise click.UsageError(f"there is no account called {username!r}")
    return user


@user_group.command("list")
@with_appcontext
def user_list() -> None:
    """Every account: role, facility, district, and whether it is active or locked out."""
    with database_of(current_app).transaction() as db:
        rows = db.execute(
            select(StaffUser, Facility.code)
            .outerjoin(Facility, StaffUser.facility_id == Facility.id)
            .order_by(StaffUser.username)
        ).all()
    for user, code in rows:
        state = "active" if user.active else "deactivated"
        if throttle.locked(user.username):
            state += ", locked (too many wrong passwords)"
        click.echo(
            f"{user.username:<24} {user.role.value:<16} {code or '-':<8} "
            f"{user.district or '-':<24} {state}"
        )


@user_group.command("unlock")
@click.argument("username")
@with_appcontext
def user_unlock(username: str) -> None:
    """Forget the wrong passwords counted against an account: it may try again at once."""
    with database_of(current_app).transaction() as db:
        name = _account(db, username).username
    throttle.clear(name)
    click.echo(f"account {name!r} unlocked")


@user_group.command("password")
@click.argument("username")
@click.option("--generate", is_flag=True, help="make a random password and print it (once) instead")
@click.option(
    "--password",
    default=None,
    envvar="ANTRE_USER_PASSWORD",
    help="asked for (hidden) when omitted; or from ANTRE_USER_PASSWORD",
)
@with_appcontext
def user_password(username: str, generate: bool, password: str | None) -> None:
    """Give an account a new password; every session of the account ends, and it is unlocked."""
    chosen = _chosen_password(generate, password)

    def change(db: Session) -> str:
        user = _account(db, username)
        user.set_password(chosen, made_by_someone_else=generate)
        return user.username

    name = database_of(current_app).run(change)
    throttle.clear(name)
    if generate:
        click.echo(f"{name!r} chooses their own password at the next login, after this one:")
        click.echo(f"new password for {name!r} (shown only now): {chosen}")
    else:
        click.echo(f"new password set for {name!r}")


@user_group.command("deactivate")
@click.argument("username")
@with_appcontext
def user_deactivate(username: str) -> None:
    """Close an account: it can no longer log in, and every session of it ends at once."""
    click.echo(_set_active(username, False))


@user_group.command("activate")
@click.argument("username")
@with_appcontext
def user_activate(username: str) -> None:
    """Open a deactivated account again (its old sessions stay ended: it logs in anew)."""
    click.echo(_set_active(username, True))


def _set_active(username: str, active: bool) -> str:
    def change(db: Session) -> str:
        user = _account(db, username)
        user.active = active
        return user.username

    name = database_of(current_app).run(change)
    return f"account {name!r} {'reactivated' if active else 'deactivated'}"
