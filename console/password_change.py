"""A staff member choosing their own password, and the rule that a password someone else made
(`antre user … --generate`, the accounts page's "New password") is replaced at the next login
before any other console page opens: only its owner should know the password of an account.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext, lazy_gettext
from flask_login import current_user, login_required, login_user
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from console import throttle
from console.auth import staff
from console.commands import MIN_PASSWORD
from console.models import StaffUser
from console.paths import safe_next
from plumbing.db import database_of

log = logging.getLogger(__name__)

blueprint = Blueprint("password_change", __name__, template_folder="templates")

# What a user with a password to change may still do: change it, log out, or switch the
# language the page speaks.
_OPEN = frozenset(
    {"password_change.page", "auth.login", "auth.logout", "language.switch", "static"}
)


def init_app(app: Flask) -> None:
    app.register_blueprint(blueprint)
    app.before_request(_password_first)


def _password_first() -> ResponseReturnValue | None:
    # Staff pages only: a USSD or SMS request, the display and the bridge have no staff login
    # to load, and the phones' requests must not pay for looking.
    if not request.path.startswith("/console") or request.endpoint in _OPEN:
        return None
    if not current_user.is_authenticated:
        return None
    if not getattr(current_user, "must_change_password", False):
        return None
    wanted = request.full_path if request.method == "GET" else None
    return redirect(url_for("password_change.page", next=wanted), 303)


_REQUIRED = DataRequired(message=lazy_gettext("Required."))


class PasswordForm(FlaskForm):
    current = PasswordField(lazy_gettext("Current password"), [_REQUIRED, Length(max=200)])
    chosen = PasswordField(
        lazy_gettext("New password (at least %(count)s characters)", count=MIN_PASSWORD),
        [
            _REQUIRED,
            Length(
                min=MIN_PASSWORD,
                max=200,
                message=lazy_gettext("At least %(count)s characters.", count=MIN_PASSWORD),
            ),
        ],
    )
    repeated = PasswordField(
        lazy_gettext("New password again"),
        [_REQUIRED, EqualTo("chosen", message=lazy_gettext("The two do not match."))],
    )


@blueprint.route("/console/password", methods=["GET", "POST"])
@login_required
def page() -> ResponseReturnValue:
    form = PasswordForm()
    error = None
    if form.validate_on_submit():
        current, chosen = form.current.data or "", form.chosen.data or ""
        # Wrong current passwords spend from the login's budget: a browser left logged in is
        # no place to guess the password at leisure.
        attempt = throttle.spend(staff().username)
        with database_of(current_app).transaction() as db:
            user = db.get(StaffUser, staff().id)
            if user is None or not user.check_password(current):
                error = gettext("The current password is wrong.")
            else:
                attempt.refund()
                if chosen == current:
                    error = gettext("The new password must differ from the current one.")
                else:
                    user.set_password(chosen)  # ends the account's other sessions
        if error is None and user is not None:
            login_user(user)  # this browser goes on, under the account's new session version
            log.info("account %s chose a new password", user.username)
            flash(gettext("Your new password is saved."))
            return redirect(safe_next(request.args.get("next")), 303)
    elif form.errors:
        error = " ".join(str(e) for errors in form.errors.values() for e in errors)
    forced = bool(staff().must_change_password)
    body = render_template("console/password.html", form=form, error=error, forced=forced)
    return body, 400 if error else 200, {"Cache-Control": "no-store"}
