"""Staff login, roles and CSRF: who may open the console, and which facility they may run.

Flask-Login keeps the account and its session version in a signed session cookie, and the
user loader refuses a version that logging out (or a new password, or a deactivation) has moved
on from (console/models.py). Wrong passwords spend from the budget in console/throttle.py,
which the bridge's `GET /auth` shares. Flask-WTF's CSRFProtect guards every form of the app.
The gateway callbacks and the token-authenticated APIs are exempted by the app factory: they
are not forms, and their callers hold no session cookie to abuse.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext, lazy_gettext
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import select
from werkzeug.security import generate_password_hash
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length, Regexp

from console import messages, throttle
from console.models import Role, StaffUser
from console.paths import safe_next
from plumbing.db import database_of

log = logging.getLogger(__name__)

blueprint = Blueprint("auth", __name__, template_folder="templates")
login_manager = LoginManager()
csrf = CSRFProtect()

F = TypeVar("F", bound=Callable[..., Any])

# Checked against when the username is unknown, so that a wrong name costs as long as a wrong
# password and the login page does not tell which names exist.
_NOBODY = generate_password_hash("no such account")


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in first."
    login_manager.localize_callback = gettext  # flashed in the browser's language
    login_manager.session_protection = "strong"
    # Lax: a form posted from another site arrives without the session cookie at all.
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    # Secure: the staff cookie never travels over plain HTTP (production sits behind TLS);
    # the embedded default serves http://127.0.0.1, so it is off there unless set.
    app.config["SESSION_COOKIE_SECURE"] = app.config["SECURE_COOKIES"]
    csrf.init_app(app)
    throttle.init_app(app)
    app.register_blueprint(blueprint)


@login_manager.user_loader
def _load(session_id: str) -> StaffUser | None:
    """The account a session names ("id:version"), unless that session has since been ended."""
    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None  # a session from before sessions had versions: log in again
    with database_of(current_app).transaction() as db:
        user = db.get(StaffUser, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


class LoginForm(FlaskForm):
    username = StringField(
        lazy_gettext("Username"),
        [DataRequired(), Length(max=64), Regexp(r"^[^\x00-\x1f\x7f]*$", message="?")],
    )
    password = PasswordField(lazy_gettext("Password"), [DataRequired(), Length(max=200)])


@blueprint.route("/console/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        username = form.username.data or ""
        attempt = throttle.spend(username)  # before the password is checked: 429 when spent
        user = check_credentials(username, form.password.data or "")
        if user is not None:
            attempt.refund()
            _switch_to(user)
            return redirect(safe_next(request.args.get("next")))
        # Masked: what was typed as the name is sometimes the password.
        log.info("console login refused for %s", throttle.masked(username))
        error = gettext("Wrong username or password.")
    status = 401 if error else 200
    return render_template("console/login.html", form=form, error=error, **_who_is_in()), status


def _who_is_in() -> dict[str, str]:
    """Who this browser is logged in as, said on the login page: logging in there switches."""
    if not current_user.is_authenticated:
        return {}
    return {"logged_in_as": messages.say(messages.LOGGED_IN_AS, username=staff().username)}


def _switch_to(user: StaffUser) -> None:
    """Log this browser in as `user`, replacing whoever it was logged in as.

    The old account's other sessions (another desk, another browser) go on: only this
    browser changes hands. Its session starts afresh, so that nothing of the old account's
    (messages waiting to be shown, a form token) is carried over to the new one.
    """
    before = staff().username if current_user.is_authenticated else None
    if before is not None:
        logout_user()
    session.clear()
    login_user(user)
    if before is not None and before != user.username:
        log.info("console login: %s (this browser was %s)", user.username, before)
    else:
        log.info("console login: %s", user.username)


@blueprint.errorhandler(429)
def _too_many_attempts(_error: Exception) -> ResponseReturnValue:
    error = gettext("Too many attempts: wait 15 minutes and try again.")
    return render_template("console/login.html", form=LoginForm(), error=error), 429


@blueprint.post("/console/logout")
@login_required
def logout() -> ResponseReturnValue:
    with database_of(current_app).transaction() as db:
        user = db.get(StaffUser, staff().id)
        if user is not None:
            user.end_sessions()  # and so every copy of this cookie, wherever it went
    logout_user()
    return redirect(url_for("auth.login"))


def check_credentials(username: str, password: str) -> StaffUser | None:
    """The active account with this name and password, or None (never says which was wrong)."""
    with database_of(current_app).transaction() as db:
        user = db.scalars(select(StaffUser).where(StaffUser.username == username.strip())).first()
    if user is None:
        from werkzeug.security import check_password_hash

        check_password_hash(_NOBODY, password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user


def staff() -> StaffUser:
    """The logged-in account (for views behind `roles_required`)."""
    return cast(StaffUser, current_user._get_current_object())


def roles_required(*roles: Role) -> Callable[[F], F]:
    """Log in first; then 403 unless the account has one of these roles."""

    def decorate(view: F) -> F:
        @wraps(view)
        @login_required
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if staff().role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return cast(F, guarded)

    return decorate


def may_run(user: StaffUser, facility_id: int) -> bool:
    """Run the queue of a facility: its own staff and facility admins, and admins."""
    if user.role == Role.ADMIN:
        return True
    return user.role in (Role.STAFF, Role.FACILITY_ADMIN) and user.facility_id == facility_id


def may_administer(user: StaffUser, facility_id: int) -> bool:
    """Change a facility's schedules, capacity and services: its facility admins, and admins."""
    if user.role == Role.ADMIN:
        return True
    return user.role == Role.FACILITY_ADMIN and user.facility_id == facility_id


def require_facility(facility_id: int, *, administer: bool = False) -> None:
    """403 unless the logged-in account may run (or administer) this facility."""
    allowed = may_administer if administer else may_run
    if not allowed(staff(), facility_id):
        abort(403)
