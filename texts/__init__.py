"""User-facing text: gettext catalogs (read by Babel), one .po file per area and language.

The English text is the msgid. A new language is a folder `texts/locale/<lang>/` holding the
same files. Every string a user sees goes through `translate`, so the length tests see them all.
"""

from __future__ import annotations

from functools import cache
from io import BytesIO
from pathlib import Path
from string import Formatter
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from texts.gsm import to_gsm7

LOCALE_DIR = Path(__file__).parent / "locale"
# The one table of languages: every channel speaks these, the first by default. A new language
# is a line here and its catalogs.
LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = LANGUAGES[0]

# The gettext domains the web pages read (Flask-Babel), each from these .po files of a language:
# the console shows the engine's refusals too, so its domain includes booking.po.
DOMAINS = {"console": ("console", "booking")}


def N_(message: str) -> str:
    """Mark a string for the message catalog without translating it here (`make messages`)."""
    return message


@cache
def catalog(language: str) -> dict[str, str]:
    """msgid → translation for one language, merged from all its .po files."""
    messages: dict[str, str] = {}
    folder = LOCALE_DIR / language
    for path in sorted(folder.glob("*.po")) if folder.is_dir() else []:
        with path.open("rb") as handle:
            for message in read_po(handle, locale=language):
                # Plural messages (console pages only) are read by `translations`, not here.
                plain = isinstance(message.id, str) and message.id
                if plain and message.string and not message.fuzzy:
                    messages[str(message.id)] = str(message.string)
    return messages


@cache
def translations(language: str, domain: str) -> Translations:
    """One gettext domain in one language, for Flask-Babel and Jinja's `_()`.

    Built in memory from the .po files (as .mo bytes, which is what gettext reads): no compiled
    .mo files to commit, to forget at install time, or to fall out of date with their .po.
    A language without a folder (English, the msgids' own) gives every msgid back as it is.
    """
    merged = Catalog(locale=language, domain=domain)
    for name in DOMAINS[domain]:
        path = LOCALE_DIR / language / f"{name}.po"
        if not path.is_file():
            continue
        with path.open("rb") as handle:
            for message in read_po(handle, locale=language):
                if message.id and message.string and not message.fuzzy:
                    merged[message.id] = message
    compiled = BytesIO()
    write_mo(compiled, merged)
    compiled.seek(0)
    return Translations(compiled, domain=domain)


def language_or_default(language: str | None) -> str:
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def translate(language: str, msgid: str, **params: Any) -> str:
    """The message in `language`, filled in, in the GSM-7 alphabet."""
    language = language_or_default(language)
    template = catalog(language).get(msgid, msgid)
    params = {name: localised(value, language) for name, value in params.items()}
    try:
        text = template.format(**params)
    except (KeyError, IndexError, ValueError):
        # A broken translation must not break the answer: fall back to the source text.
        text = msgid.format(**params)
    return to_gsm7(text)


def localised(value: Any, language: str) -> Any:
    """A parameter given per language ({"id": ..., "en": ...}) in the one asked for."""
    if isinstance(value, dict):
        return value.get(language, value.get(DEFAULT_LANGUAGE, ""))
    return value


def placeholders(msgid: str) -> list[str]:
    """The named fields of a message, for tests that fill every message with the longest data."""
    return [name for _, name, _, _ in Formatter().parse(msgid) if name]


def all_msgids() -> set[str]:
    """Every msgid known to any catalog."""
    ids: set[str] = set()
    for language in LANGUAGES:
        ids.update(catalog(language))
    return ids
