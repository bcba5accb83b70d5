"""The language of the staff pages: Flask-Babel, reading the `console` catalogs of texts/.

One language at a time, Indonesian unless asked otherwise. The logged-in account's language
(remembered from the switch in the header) wins; before login, and on pages without one (the
waiting-room display), `?lang=` or the cookie the switch leaves; else texts.DEFAULT_LANGUAGE.
The languages are texts.LANGUAGES: a new language is its catalogs, nothing here.
"""

from __future__ import annotations

from babel import Locale
from babel.support import Translations
from flask import Blueprint, Flask, current_app, redirect, request
from flask.typing import ResponseReturnValue
from flask_babel import Babel, Domain, get_locale
from flask_login import current_user
from werkzeug.utils import cached_property
from werkzeug.wrappers import Response

from console.models import StaffUser
from console.paths import safe_next
from plumbing.db import database_of
from texts import DEFAULT_LANGUAGE, LANGUAGES, language_or_default, translations

DOMAIN = "console"
COOKIE = "antre_language"
ONE_YEAR = 365 * 24 * 3600

blueprint = Blueprint("language", __name__)


class CatalogDomain(Domain):
    """A Flask-Babel domain whose catalogs are texts/'s .po files, read in memory."""

    def get_translations(self) -> Translations:
        return translations(current_language(), self.domain[0])


class ConsoleBabel(Babel):
    @cached_property
    def domain_instance(self) -> Domain:  # every page and `gettext` read the console domain
        return CatalogDomain(domain=DOMAIN)


def init_app(app: Flask) -> None:
    ConsoleBabel(app, default_locale=DEFAULT_LANGUAGE, locale_selector=selected_language)
    app.jinja_env.globals["LANGUAGES"] = [(code, language_name(code)) for code in LANGUAGES]
    app.jinja_env.globals["current_language"] = current_language
    app.register_blueprint(blueprint)


def selected_language() -> str:
    """The language of this request's page (Flask-Babel's locale selector)."""
    if request.blueprint != "display" and current_user.is_authenticated:
        return language_or_default(getattr(current_user, "language", None))
    asked = request.args.get("lang") or request.cookies.get(COOKIE)
    return language_or_default(asked)


def current_language() -> str:
    locale = get_locale()
    return language_or_default(str(locale) if locale is not None else None)


def language_name(code: str) -> str:
    """A language in its own words ("Bahasa Indonesia", "English"): how a switch offers it."""
    name: str = Locale.parse(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]


@blueprint.post("/console/language")
def switch() -> ResponseReturnValue:
    """Speak the language chosen, on this browser and, when logged in, for the account."""
    language = language_or_default(request.form.get("language"))
    if current_user.is_authenticated:
        with database_of(current_app).transaction() as db:
            user = db.get(StaffUser, current_user.id)
            if user is not None:
                user.language = language
    answer: Response = redirect(safe_next(request.form.get("next")))
    answer.set_cookie(COOKIE, language, max_age=ONE_YEAR, samesite="Lax", httponly=True)
    return answer
