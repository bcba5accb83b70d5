"""The app factory: settings, database, jobs and the web blueprints, bound explicitly."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask
from sqlalchemy.exc import DataError

from antre import config as settings
from antre.db import Database


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the app. Nothing connects to the database or Redis until a request needs it."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.update(settings.load(app.instance_path, overrides))
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _instance_secret(app.instance_path)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )

    app.extensions["antre.db"] = Database(app.config["DATABASE_URL"])

    # Blueprints are listed here, explicitly, so that the tree shows every door of the app.
    from antre import health, jobs
    from api import jkn
    from api import views as api_views
    from console import admin, admin_schedule, auth, display
    from console import queue as console_queue
    from figures import views as figures_views
    from simulator import views as simulator_views
    from sms import views as sms_views
    from ussd import cache as ussd_cache
    from ussd import views as ussd_views

    jobs.init_app(app)
    ussd_cache.init_app(app)
    auth.init_app(app)
    app.register_blueprint(health.blueprint)
    app.register_blueprint(ussd_views.blueprint)
    app.register_blueprint(sms_views.blueprint)
    app.register_blueprint(simulator_views.blueprint)
    app.register_blueprint(display.blueprint)
    app.register_blueprint(figures_views.blueprint)
    app.register_blueprint(console_queue.blueprint)
    app.register_blueprint(admin.blueprint)
    app.register_blueprint(admin_schedule.blueprint)
    app.register_blueprint(api_views.blueprint)
    app.register_blueprint(jkn.blueprint)
    # Not forms: gateway callbacks carry the callback key and API callers a token, neither a
    # session cookie that another site could make a browser send.
    for blueprint in (
        ussd_views.blueprint,
        sms_views.blueprint,
        api_views.blueprint,
        jkn.blueprint,
    ):
        auth.csrf.exempt(blueprint)
    app.add_url_rule("/", "home", simulator_views.home)
    app.register_error_handler(DataError, _unstorable_input)
    return app


def _unstorable_input(_error: DataError) -> tuple[str, int]:
    # PostgreSQL refuses some text (a NUL character) that SQLite keeps: the input is at fault.
    return "That input holds characters that cannot be kept (such as NUL).", 400


def database(app: Flask) -> Database:
    db: Database = app.extensions["antre.db"]
    return db


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
