"""The app factory: settings, database, jobs and the web blueprints, bound explicitly."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from flask import Flask
from sqlalchemy.exc import DataError
from werkzeug.middleware.proxy_fix import ProxyFix

from plumbing import config as settings
from plumbing import logs
from plumbing.bodies import AbandonedBodies
from plumbing.db import Database, database_of

__all__ = ["create_app", "database_of"]

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the app. Nothing connects to the database or Redis until a request needs it."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.update(settings.load(app.instance_path, overrides))
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _instance_secret(app.instance_path)
    logs.configure()  # INFO to stderr, the callback key masked in every line

    app.extensions["antre.database"] = Database(app.config["DATABASE_URL"])

    # Blueprints are listed here, explicitly, so that the tree shows every door of the app.
    from antre import bpjs, health, jobs
    from api import figures as api_figures
    from api import jkn
    from api import views as api_views
    from console import (
        accounts,
        admin,
        admin_schedule,
        auth,
        display,
        language,
        password_change,
        problems,
    )
    from console import bpjs_calls as console_bpjs
    from console import failed_sms as console_failed_sms
    from console import queue as console_queue
    from console import tickets as console_tickets
    from figures import views as figures_views
    from simulator import views as simulator_views
    from sms import views as sms_views
    from ussd import cache as ussd_cache
    from ussd import views as ussd_views

    jobs.init_app(app)
    bpjs.init_app(app)
    ussd_cache.init_app(app)
    auth.init_app(app)
    password_change.init_app(app)  # a password someone else made is changed first
    language.init_app(app)  # the staff pages' language: Flask-Babel, texts/' catalogs
    app.register_blueprint(health.blueprint)
    app.register_blueprint(simulator_views.blueprint)
    app.register_blueprint(display.blueprint)
    app.register_blueprint(figures_views.blueprint)
    app.register_blueprint(api_figures.blueprint)
    app.register_blueprint(console_queue.blueprint)
    app.register_blueprint(console_tickets.blueprint)
    app.register_blueprint(admin.blueprint)
    app.register_blueprint(admin_schedule.blueprint)
    app.register_blueprint(console_bpjs.blueprint)
    app.register_blueprint(console_failed_sms.blueprint)
    app.register_blueprint(accounts.blueprint)
    app.register_blueprint(api_views.blueprint)
    app.register_blueprint(jkn.blueprint)
    # Not forms: API callers carry a token, not a session cookie that another site could make
    # a browser send.
    for blueprint in (api_views.blueprint, jkn.blueprint):
        auth.csrf.exempt(blueprint)
    app.add_url_rule("/", "home", simulator_views.home)
    problems.init_app(app)  # after the blueprints: every console error is the console's page
    app.register_error_handler(DataError, _unstorable_input)

    # The gateways' callbacks (a USSD key press, an SMS, a delivery report) never come from a
    # browser: they are served by a second, bare Flask app with the same settings and
    # extensions, without the console's login, CSRF and login-throttling hooks, which would
    # otherwise run on every key press (a measurable share of a first dial's CPU; BENCHMARKS.md).
    gateways = Flask(__name__, static_folder=None)
    gateways.config = app.config
    gateways.extensions = app.extensions
    gateways.register_blueprint(ussd_views.blueprint)
    gateways.register_blueprint(sms_views.blueprint)
    gateways.register_error_handler(DataError, _unstorable_input)
    app.wsgi_app = ByPath(app.wsgi_app, gateways)  # type: ignore[method-assign]
    # A body the client stopped sending is its fault: a 400, not a traceback, on every path.
    app.wsgi_app = AbandonedBodies(app.wsgi_app)  # type: ignore[method-assign]
    if app.config["PROXIES"]:
        hops = app.config["PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    return app


class ByPath:
    """WSGI: requests for one of `apart`'s own paths go to it, all others to `rest`.

    Not werkzeug's DispatcherMiddleware: that mounts an app under a prefix and moves the
    prefix into SCRIPT_NAME, so the gateways' routes would change; these keep their paths.
    """

    def __init__(self, rest: WSGIApplication, apart: Flask) -> None:
        self.rest = rest
        self.apart = apart.wsgi_app
        self.paths = frozenset(rule.rule for rule in apart.url_map.iter_rules())

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        app = self.apart if environ.get("PATH_INFO") in self.paths else self.rest
        return app(environ, start_response)


def _unstorable_input(_error: DataError) -> tuple[str, int]:
    # PostgreSQL refuses some text (a NUL character) that SQLite keeps: the input is at fault.
    return "That input holds characters that cannot be kept (such as NUL).", 400


def _instance_secret(instance_path: str) -> str:
    """A secret kept in the instance folder, so sessions survive restarts without setup.

    Several workers may start at once: the key is written to a private temporary file and
    linked into place, so exactly one key wins and every worker reads that one.
    """
    import os
    import secrets
    import tempfile
    from pathlib import Path

    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, draft = tempfile.mkstemp(dir=path.parent, prefix=".secret_key.")  # mode 0600
        try:
            with os.fdopen(handle, "w") as file:
                file.write(secrets.token_hex(32))
            os.link(draft, path)
        except FileExistsError:
            pass  # another worker's key won
        finally:
            os.unlink(draft)
    return path.read_text().strip()
