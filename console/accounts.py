"""The staff accounts page: an admin lists, unlocks, gives a new password, deactivates and
reactivates accounts, as `antre user` does from the command line.

Admins manage every account but their own (a slip there would lock them out); a facility admin
manages the staff accounts of their own facility only. A new password is made here, shown once
on the page that answers the click (never put in the session cookie or the log), ends every
session of the account, as deactivating does (console/models.py), and is to be changed by its
owner at the next login (console/password_change.py).
"""

from __future__ import annotations

import logging

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException

from booking.limits import LARGEST_ID
from booking.models import Facility
from console import messages, throttle
from console.admin import ADMINS
from console.admin_forms import ActionForm
from console.auth import roles_required, staff
from console.commands import new_password
from console.models import Role, StaffUser
from plumbing.db import database_of

log = logging.getLogger(__name__)

blueprint = Blueprint("accounts", __name__, template_folder="templates")


def may_manage(manager: StaffUser, user: StaffUser) -> bool:
    if manager.id == user.id:
        return False
    if manager.role == Role.ADMIN:
        return True
    return (
        manager.role == Role.FACILITY_ADMIN
        and user.role == Role.STAFF
        and user.facility_id is not None
        and user.facility_id == manager.facility_id
    )


@blueprint.get("/console/admin/accounts")
@roles_required(*ADMINS)
def page() -> ResponseReturnValue:
    return _page()


def _page(new_password_for: tuple[str, str] | None = None) -> ResponseReturnValue:
    manager = staff()
    with database_of(current_app).transaction() as db:
        rows = db.execute(
            select(StaffUser, Facility.code)
            .outerjoin(Facility, StaffUser.facility_id == Facility.id)
            .order_by(Facility.code, StaffUser.username)
        ).all()
    shown = [
        (user, code, throttle.locked(user.username))
        for user, code in rows
        if may_manage(manager, user)
    ]
    body = render_template(
        "console/admin_accounts.html", accounts=shown, new_password_for=new_password_for
    )
    # A page with a password on it is kept by no cache and no back button.
    return body, 200, {"Cache-Control": "no-store"}


def _managed(db: Session, user_id: int) -> StaffUser:
    """The account, if it exists (404) and this admin may manage it (403)."""
    if not 0 < user_id <= LARGEST_ID:
        abort(404)
    user = db.get(StaffUser, user_id)
    if user is None:
        abort(404)
    if not may_manage(staff(), user):
        abort(403)
    return user


@blueprint.post("/console/admin/accounts/<int:user_id>/unlock")
@roles_required(*ADMINS)
def unlock(user_id: int) -> ResponseReturnValue:
    with database_of(current_app).transaction() as db:
        name = _managed(db, user_id).username
    if ActionForm().validate_on_submit():
        throttle.clear(name)
        log.info("account %s unlocked by %s", name, staff().username)
        flash(messages.say(messages.ACCOUNT_UNLOCKED, username=name))
    return redirect(url_for("accounts.page"))


@blueprint.post("/console/admin/accounts/<int:user_id>/password")
@roles_required(*ADMINS)
def password(user_id: int) -> ResponseReturnValue:
    if not ActionForm().validate_on_submit():
        return redirect(url_for("accounts.page"))
    chosen = new_password()

    def change(db: Session) -> str:
        user = _managed(db, user_id)
        user.set_password(chosen, made_by_someone_else=True)
        return user.username

    name = database_of(current_app).run(change)
    throttle.clear(name)
    log.info("account %s given a new password by %s", name, staff().username)
    return _page(new_password_for=(name, chosen))


@blueprint.post("/console/admin/accounts/<int:user_id>/deactivate")
@roles_required(*ADMINS)
def deactivate(user_id: int) -> ResponseReturnValue:
    return _set_active(user_id, False)


@blueprint.post("/console/admin/accounts/<int:user_id>/activate")
@roles_required(*ADMINS)
def activate(user_id: int) -> ResponseReturnValue:
    return _set_active(user_id, True)


def _set_active(user_id: int, active: bool) -> ResponseReturnValue:
    if ActionForm().validate_on_submit():

        def change(db: Session) -> str:
            user = _managed(db, user_id)
            user.active = active  # ends every session of the account (console/models.py)
            return user.username

        name = database_of(current_app).run(change)
        log.info(
            "account %s %s by %s", name, "activated" if active else "deactivated", staff().username
        )
        done = messages.ACCOUNT_ACTIVATED if active else messages.ACCOUNT_DEACTIVATED
        flash(messages.say(done, username=name))
    return redirect(url_for("accounts.page"))


def _problem(msgid: str, status: int) -> ResponseReturnValue:
    return render_template("console/problem.html", message=messages.say(msgid)), status


@blueprint.errorhandler(403)
def _forbidden(error: HTTPException) -> ResponseReturnValue:
    return _problem(messages.NOT_YOURS, 403)


@blueprint.errorhandler(404)
def _not_found(error: HTTPException) -> ResponseReturnValue:
    return _problem(messages.NOT_FOUND, 404)
