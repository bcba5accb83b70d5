"""Every staff page in one language: Indonesian with no English word of the console's catalog,
then English with no Indonesian word; and every text the console marks has its Indonesian.

A page's words are its visible text (not scripts or styles). The words a page may show in
either language are the data it shows (names of facilities, services, people, districts,
holidays, doctors, accounts), read from the database, and the words both catalogs share.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
import time_machine
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import String, select

from booking.models import Facility, Holiday, Person, ScheduleTemplate, Service
from console.language import language_name
from console.models import Role, StaffUser
from plumbing.db import Database
from tests import staff
from tests.helpers import session_id, take, today
from tests.test_console_language import switch
from texts import DOMAINS, LANGUAGES, LOCALE_DIR, translations

ROOT = Path(__file__).resolve().parent.parent
WORD = re.compile(r"[^\W\d_]{3,}")
PLACEHOLDER = re.compile(r"%\(\w+\)s|\{\w+\}")


class VisibleText(HTMLParser):
    """The text a person reads on the page: text nodes and the title, not scripts or styles."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.parts.append(data.strip())


def words(text: str) -> set[str]:
    return {word.lower() for word in WORD.findall(PLACEHOLDER.sub(" ", text))}


def page_words(html: str) -> set[str]:
    parser = VisibleText()
    parser.feed(html)
    return words(" ".join(parser.parts))


def catalog_words() -> tuple[set[str], set[str]]:
    """(words only English msgids have, words only Indonesian translations have)."""
    english: set[str] = set()
    indonesian: set[str] = set()
    for message in translations("id", "console")._catalog.items():
        (msgid, translation) = message
        source = msgid[0] if isinstance(msgid, tuple) else msgid
        if not source:
            continue  # the header
        english |= words(source)
        indonesian |= words(translation)
    return english - indonesian, indonesian - english


def data_words(db: Database) -> set[str]:
    """Every word of the names the pages show as they are stored, in any language."""
    found: set[str] = set()
    with db.transaction() as s:
        for model in (Facility, Service, Person, StaffUser, ScheduleTemplate, Holiday):
            columns = [c for c in model.__table__.columns if isinstance(c.type, String)]
            for row in s.execute(select(*columns)):
                found |= words(" ".join(str(value) for value in row if value))
    return found


@pytest.fixture
def clock(now: datetime) -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(now, tick=False) as traveller:
        yield traveller


@pytest.fixture
def pages(app: Flask, demo: Database, now: datetime, clock: time_machine.Coordinates) -> list[str]:
    """Every page of the console, for an admin, with a facility, patients and a holiday."""
    sid = session_id(demo, day=today(now))
    take(demo, sid, "+6281234567801", now)
    take(demo, sid, "+6281234567802", now, name="Budi Santoso")
    with demo.transaction() as s:
        facility = s.scalars(select(Facility).where(Facility.code == "1001")).one()
        service = s.scalars(select(Service).where(Service.facility_id == facility.id)).first()
        template = s.scalars(select(ScheduleTemplate)).first()
        assert service is not None and template is not None
        s.add(Holiday(facility_id=facility.id, day=today(now) + timedelta(days=20), name="Natal"))
        ids = (facility.id, service.id, template.id)
    facility_id, service_id, template_id = ids
    tomorrow = (today(now) + timedelta(days=1)).isoformat()
    return [
        "/console/",
        "/console/facility/1001",
        f"/console/facility/1001?day={tomorrow}",
        "/console/kiosk/1001",
        "/console/bookings/1/ticket",
        "/console/figures",
        "/console/admin/",
        "/console/admin/facilities/new",
        f"/console/admin/facilities/{facility_id}",
        f"/console/admin/facilities/{facility_id}/edit",
        f"/console/admin/facilities/{facility_id}/rules",
        f"/console/admin/facilities/{facility_id}/printer",
        f"/console/admin/facilities/{facility_id}/holidays",
        f"/console/admin/facilities/{facility_id}/services/new",
        f"/console/admin/services/{service_id}/edit",
        f"/console/admin/services/{service_id}/schedule",
        f"/console/admin/templates/{template_id}/edit",
        f"/console/admin/facilities/{facility_id}/bpjs",
        "/console/admin/accounts",
        "/console/password",
        "/console/admin/sms/failed",
        "/console/no-such-page",
    ]


def read(client: FlaskClient, path: str) -> str:
    answer = client.get(path)
    wanted = 404 if "no-such-page" in path else 200
    assert answer.status_code == wanted, (path, answer.status_code)
    return answer.get_data(as_text=True)


def test_every_console_page_speaks_indonesian_then_english_and_never_both(
    app: Flask, demo: Database, pages: list[str]
) -> None:
    staff.add_user(demo, "root", Role.ADMIN)
    english_only, indonesian_only = catalog_words()
    # The switch offers each language in its own name ("English" on the Indonesian page).
    data = data_words(demo) | words(" ".join(language_name(code) for code in LANGUAGES))
    assert {"queue", "patients", "cancel"} <= english_only  # the check can see English
    assert {"antrean", "pasien", "batalkan"} <= indonesian_only

    anonymous = app.test_client()
    admin = staff.log_in(app.test_client(), "root")
    for path in pages:
        leaked = (page_words(read(admin, path)) & english_only) - data
        assert not leaked, f"English on the Indonesian {path}: {sorted(leaked)}"
    for path in ("/console/login", "/display/1001"):
        leaked = (page_words(read(anonymous, path)) & english_only) - data
        assert not leaked, f"English on the Indonesian {path}: {sorted(leaked)}"

    switch(admin, "en")
    for path in pages:
        leaked = (page_words(read(admin, path)) & indonesian_only) - data
        assert not leaked, f"Indonesian on the English {path}: {sorted(leaked)}"
    for path in ("/console/login?lang=en", "/display/1001?lang=en"):
        leaked = (page_words(read(anonymous, path)) & indonesian_only) - data
        assert not leaked, f"Indonesian on the English {path}: {sorted(leaked)}"


def console_msgids() -> set[str]:
    """Every text the console and the figures page mark for translation (as `make messages`)."""
    with (ROOT / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    keywords = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None}
    found: set[str] = set()
    for path, _line, message, _comments, _context in extract_from_dir(
        ROOT, method_map, options_map, keywords=keywords
    ):
        if path.startswith(("console/", "figures/")):
            found.update([message] if isinstance(message, str) else message[:1])
    return found


def test_every_marked_console_text_has_its_indonesian() -> None:
    marked = console_msgids()
    assert {"Call next", "Queue", "Bookings by channel", "Wrong username or password."} <= marked
    translated: set[str] = set()
    for name in DOMAINS["console"]:
        with (LOCALE_DIR / "id" / f"{name}.po").open("rb") as handle:
            for message in read_po(handle):
                if message.id and message.string:
                    ids = message.id
                    translated.update([ids] if isinstance(ids, str) else ids)
    missing = sorted(marked - translated)
    assert not missing, f"not in texts/locale/id/console.po: {missing}"


def _form_errors(client: FlaskClient, path: str, form: dict[str, str]) -> str:
    """The page a refused form comes back as (400), with its messages."""
    token = staff.csrf_token(client, "/console/login")
    answer = client.post(path, data={**form, "csrf_token": token})
    assert answer.status_code == 400, (path, answer.status_code)
    return html.unescape(answer.get_data(as_text=True))


def test_the_admin_checks_refuse_in_the_language_of_the_page_and_only_in_it(
    app: Flask, demo: Database, clock: time_machine.Coordinates
) -> None:
    staff.add_user(demo, "root", Role.ADMIN)
    with demo.transaction() as s:
        facility = s.scalars(select(Facility).where(Facility.code == "1001")).one()
        taken = s.scalars(select(Service).where(Service.facility_id == facility.id)).first()
        assert taken is not None
        facility_id, taken_code = facility.id, taken.code
    new_service = f"/console/admin/facilities/{facility_id}/services/new"
    rules = f"/console/admin/facilities/{facility_id}/rules"
    # Refused by the form's checks, field by field, and by the engine (a code already taken,
    # quiet hours that neither start nor end).
    overflowing = {
        "code": "GIGI ANAK",
        "name_id": "Poli Kesehatan Ibu dan Anak",
        "name_en": "Elderly clinic",
        "prefix": "ABC",
        "synonyms": "sakit#gigi",
        "active": "y",
    }
    clashing = {**overflowing, "code": taken_code, "name_id": "Poli Lansia", "prefix": "D"}
    clashing["synonyms"] = ""
    quiet = {
        "days_ahead": "2",
        "cutoff_minutes": "30",
        "minutes_per_patient": "12",
        "people_per_phone_per_day": "4",
        "almost_turn_ahead": "2",
        "evening_reminder": "19:00",
        "morning_reminder": "",
        "quiet_from": "22:00",
        "quiet_until": "22:00",
        "priority_rule": "first",
        "priority_every": "3",
    }
    refused = [(new_service, overflowing), (new_service, clashing), (rules, quiet)]
    english_only, indonesian_only = catalog_words()
    data = data_words(demo) | words(" ".join(language_name(code) for code in LANGUAGES))
    admin = staff.log_in(app.test_client(), "root")

    pages = [_form_errors(admin, path, form) for path, form in refused]
    assert "Paling banyak 24 karakter (sekarang 27)." in pages[0]
    assert "Kode: huruf A-Z dan angka, tanpa spasi, paling banyak 16, mis. GIGI." in pages[0]
    assert "Kode itu sudah dipakai" in pages[1]
    assert "Jam tenang harus berakhir di jam lain dari mulainya." in pages[2]
    for (path, _form), page in zip(refused, pages, strict=True):
        assert " / " not in page, path
        leaked = (page_words(page) & english_only) - data
        assert not leaked, f"English on the refused Indonesian {path}: {sorted(leaked)}"

    switch(admin, "en")
    pages = [_form_errors(admin, path, form) for path, form in refused]
    assert "At most 24 characters (now 27)." in pages[0]
    assert "Code: letters A-Z and digits, no spaces, at most 16, e.g. GIGI." in pages[0]
    assert "Code already used by" in pages[1]
    assert "Quiet hours must end at another time than they start." in pages[2]
    for (path, _form), page in zip(refused, pages, strict=True):
        leaked = (page_words(page) & indonesian_only) - data
        assert not leaked, f"Indonesian on the refused English {path}: {sorted(leaked)}"


def test_every_engine_text_has_its_indonesian_in_booking_po() -> None:
    """What booking/ marks (refusals, the admin checks) is translated in booking.po itself:
    every channel reads it, not only the console."""
    with (ROOT / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    marked: set[str] = set()
    for path, _line, message, _comments, _context in extract_from_dir(
        ROOT, method_map, options_map, keywords={"N_": None}
    ):
        if path.startswith("booking/"):
            marked.update([message] if isinstance(message, str) else message[:1])
    assert {"Required.", "No such facility.", "That service is not offered here."} <= marked
    with (LOCALE_DIR / "id" / "booking.po").open("rb") as handle:
        translated = {str(m.id) for m in read_po(handle) if m.id and m.string}
    missing = sorted(marked - translated)
    assert not missing, f"not in texts/locale/id/booking.po: {missing}"
    assert not [msgid for msgid in marked if " / " in msgid], "a message in two languages"
