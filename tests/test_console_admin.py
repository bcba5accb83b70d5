"""The admin pages: facilities, rules, services, weekly templates, holidays and generating.

Every test goes through the Flask test client, logged in through the real login form, and
checks the database afterwards. The app runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Iterator
from datetime import date, time
from typing import Any

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from booking import limits
from booking.models import (
    Booking,
    BookingStatus,
    ClinicSession,
    Event,
    Facility,
    FacilityNumber,
    Holiday,
    Outbox,
    PriorityRule,
    ScheduleTemplate,
    Service,
    SessionStatus,
)
from booking.validation import tidy
from console.models import Role
from plumbing.db import Database
from tests import helpers, staff

MONDAY, TUESDAY, WEDNESDAY = date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 25)
SUNDAY = date(2026, 11, 29)
PHONE = "+6281234567890"


@pytest.fixture
def clock(now: Any) -> Iterator[None]:
    with time_machine.travel(now, tick=False):
        yield


@pytest.fixture
def site(app: Flask, demo: Database, clock: None) -> Site:
    # English-speaking accounts: the refusals below are checked by their English words.
    for name, role, facility, district in [
        ("root", Role.ADMIN, None, None),
        ("fa1001", Role.FACILITY_ADMIN, "1001", None),
        ("fa2001", Role.FACILITY_ADMIN, "2001", None),
        ("nurse", Role.STAFF, "1001", None),
        ("viewer", Role.DISTRICT_VIEWER, None, "Kota Serang"),
    ]:
        staff.add_user(demo, name, role, facility=facility, district=district, language="en")
    return Site(app, demo)


class Site:
    def __init__(self, app: Flask, db: Database) -> None:
        self.app, self.db = app, db

    def client(self, username: str | None) -> FlaskClient:
        client = self.app.test_client()
        return staff.log_in(client, username) if username else client

    def facility(self, code: str) -> Facility:
        with self.db.transaction() as s:
            return s.scalars(select(Facility).where(Facility.code == code)).one()

    def service(self, facility: str, code: str) -> Service:
        with self.db.transaction() as s:
            return s.scalars(
                select(Service)
                .join(Facility, Service.facility_id == Facility.id)
                .where(Facility.code == facility, Service.code == code)
            ).one()

    def template(self, facility: str, code: str) -> ScheduleTemplate:
        service = self.service(facility, code)
        with self.db.transaction() as s:
            return s.scalars(
                select(ScheduleTemplate)
                .where(ScheduleTemplate.service_id == service.id)
                .order_by(ScheduleTemplate.id)
            ).first()  # type: ignore[return-value]

    def events(self, kind: str) -> list[Event]:
        with self.db.transaction() as s:
            return list(s.scalars(select(Event).where(Event.kind == kind).order_by(Event.id)))

    def count(self, model: type, *where: Any) -> int:
        with self.db.transaction() as s:
            return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


def post(client: FlaskClient, path: str, data: dict[str, Any]) -> Any:
    """Post a form as the browser would: with the session's CSRF token."""
    token = staff.csrf_token(client, "/console/login")
    return client.post(path, data={**data, "csrf_token": token})


def text(response: Any) -> str:
    """The page as a person reads it (entities such as &#39; turned back into characters)."""
    return html.unescape(response.get_data(as_text=True))


FACILITY = {
    "code": "3001",
    "name": "Puskesmas Kasemen",
    "district": "Kota Serang",
    "subdistrict": "Kasemen",
    "timezone": "Asia/Jakarta",
    "active": "y",
}
SERVICE = {
    "code": "lansia",
    "name_id": "Poli Lansia",
    "name_en": "Elderly clinic",
    "prefix": "d",
    "bpjs_poli_code": "",
    "synonyms": "Lansia , orang tua,  LANSIA, manula",
    "active": "y",
}
RULES = {
    "days_ahead": "2",
    "cutoff_minutes": "30",
    "minutes_per_patient": "12",
    "people_per_phone_per_day": "4",
    "almost_turn_ahead": "2",
    "evening_reminder": "19:00",
    "morning_reminder": "",
    "quiet_from": "22:00",
    "quiet_until": "05:30",
    "priority_rule": "every_nth",
    "priority_every": "4",
}
TEMPLATE = {
    "weekday": "6",
    "start_time": "09:00",
    "end_time": "11:30",
    "capacity": "15",
    "doctor_name": "drg. Ayu",
}


# --- facilities ------------------------------------------------------------------------------


def test_an_admin_adds_a_facility_and_the_event_names_them(site: Site) -> None:
    client = site.client("root")
    answer = post(client, "/console/admin/facilities/new", FACILITY)
    assert answer.status_code == 302, text(answer)
    created = site.facility("3001")
    assert (created.name, created.district, created.subdistrict) == (
        "Puskesmas Kasemen",
        "Kota Serang",
        "Kasemen",
    )
    assert created.timezone == "Asia/Jakarta" and created.active
    [event] = site.events("facility_created")
    assert (event.actor, event.channel, event.detail["facility"]) == ("root", "staff", "3001")
    assert "Puskesmas Kasemen" in text(client.get("/console/admin/"))


def test_a_new_facility_takes_the_stored_spelling_of_its_district(site: Site) -> None:
    answer = post(
        site.client("root"),
        "/console/admin/facilities/new",
        {**FACILITY, "district": "KOTA serang"},
    )
    assert answer.status_code == 302
    assert site.facility("3001").district == "Kota Serang"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": "Puskesmas Karang Tengah Cibodas X"}, "At most 32 characters (now 33)"),
        ({"name": "   "}, "Required"),
        ({"name": "Puskesmas Ciputat 😀"}, "cannot be sent by SMS"),
        ({"name": "Puskesmas “Sehat”"}, "cannot be sent by SMS"),
        ({"timezone": "Asia/Serang"}, "Unknown IANA time zone"),
        ({"timezone": "../etc/passwd"}, "Unknown IANA time zone"),
        ({"code": "1001"}, "already Puskesmas Cipocok Jaya"),
        ({"code": "12"}, "4 to 6 digits"),
        ({"code": "1234567"}, "4 to 6 digits"),
        ({"code": "１２３４"}, "4 to 6 digits"),  # full-width digits: not what a phone types
        ({"district": ""}, "Required"),
        ({"subdistrict": "a\x00b"}, "cannot be shown"),
    ],
)
def test_a_facility_the_phones_could_not_show_is_refused_with_the_reason(
    site: Site, change: dict[str, str], message: str
) -> None:
    before = site.count(Facility)
    answer = post(site.client("root"), "/console/admin/facilities/new", {**FACILITY, **change})
    assert answer.status_code == 400
    assert message in text(answer)
    assert site.count(Facility) == before
    assert site.events("facility_created") == []


def test_an_admin_renames_and_deactivates_a_facility(site: Site) -> None:
    facility = site.facility("2001")
    client = site.client("root")
    path = f"/console/admin/facilities/{facility.id}/edit"
    assert "Puskesmas Walantaka" in text(client.get(path))
    form = {**FACILITY, "code": "2001", "name": "Puskesmas Walantaka Baru"}
    del form["active"]  # an unticked box is not sent
    assert post(client, path, form).status_code == 302
    changed = site.facility("2001")
    assert changed.name == "Puskesmas Walantaka Baru" and not changed.active
    [event] = site.events("facility_changed")
    assert event.detail["changes"]["name"] == ["Puskesmas Walantaka", "Puskesmas Walantaka Baru"]
    assert event.detail["changes"]["active"] == [True, False]
    # The code of another facility stays its own.
    answer = post(client, path, {**form, "code": "1001"})
    assert answer.status_code == 400 and "already Puskesmas Cipocok Jaya" in text(answer)


# --- rules -----------------------------------------------------------------------------------


def test_a_facility_admin_sets_the_rules_of_their_facility(site: Site) -> None:
    facility = site.facility("1001")
    client = site.client("fa1001")
    path = f"/console/admin/facilities/{facility.id}/rules"
    page = text(client.get(path))
    assert 'value="18:00"' in page and 'value="60"' in page  # the current rules, filled in
    assert post(client, path, RULES).status_code == 302
    saved = site.facility("1001")
    assert (saved.days_ahead, saved.cutoff_minutes, saved.minutes_per_patient) == (2, 30, 12)
    assert (saved.people_per_phone_per_day, saved.almost_turn_ahead) == (4, 2)
    assert saved.evening_reminder == time(19, 0) and saved.morning_reminder is None
    assert (saved.quiet_from, saved.quiet_until) == (time(22, 0), time(5, 30))
    assert (saved.priority_rule, saved.priority_every) == (PriorityRule.EVERY_NTH, 4)
    [event] = site.events("rules_changed")
    assert event.actor == "fa1001" and event.detail["changes"]["morning_reminder"] == [
        "06:00",
        None,
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"evening_reminder": "22:30"}, "falls in quiet hours"),
        ({"morning_reminder": "05:00"}, "falls in quiet hours"),
        ({"quiet_until": "22:00"}, "another time than they start"),
        ({"days_ahead": "8"}, "A number from 0 to 7"),
        ({"minutes_per_patient": "0"}, "A number from 1 to 240"),
        ({"priority_every": "1"}, "A number from 2 to 20"),
        ({"people_per_phone_per_day": "lima"}, "Type a number"),
        ({"quiet_from": "25:00"}, "Give a time as HH:MM"),
        ({"quiet_from": ""}, "Required"),
    ],
)
def test_rules_that_would_not_work_are_refused(
    site: Site, change: dict[str, str], message: str
) -> None:
    facility = site.facility("1001")
    answer = post(
        site.client("fa1001"), f"/console/admin/facilities/{facility.id}/rules", {**RULES, **change}
    )
    assert answer.status_code == 400
    assert message in text(answer)
    assert site.facility("1001").cutoff_minutes == 60  # unchanged
    assert site.events("rules_changed") == []


# --- services --------------------------------------------------------------------------------


def test_a_facility_admin_adds_a_service_with_tidy_codes_and_words(site: Site) -> None:
    facility = site.facility("1001")
    answer = post(
        site.client("fa1001"), f"/console/admin/facilities/{facility.id}/services/new", SERVICE
    )
    assert answer.status_code == 302, text(answer)
    service = site.service("1001", "LANSIA")
    assert (service.names, service.prefix) == ({"id": "Poli Lansia", "en": "Elderly clinic"}, "D")
    assert service.synonyms == "lansia,orang tua,manula" and service.bpjs_poli_code is None
    [event] = site.events("service_created")
    assert event.actor == "fa1001" and event.detail["facility"] == "1001"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name_id": "Poli Kesehatan Ibu dan Anak"}, "At most 24 characters (now 27)"),
        ({"name_en": "x" * 25}, "At most 24 characters (now 25)"),
        ({"code": "umum"}, "Code already used by Poli Umum"),
        ({"code": "GIGI ANAK"}, "letters A-Z and digits, no spaces"),
        ({"code": "X" * 17}, "at most 16"),
        ({"prefix": "a"}, "Prefix already used by Poli Umum"),
        ({"prefix": "A1"}, "1 to 2 letters A-Z"),
        ({"prefix": "ABC"}, "1 to 2 letters A-Z"),
        ({"prefix": ""}, "1 to 2 letters A-Z"),
        ({"synonyms": "lansia, gigi"}, "Word 'gigi' is Poli Gigi's"),
        ({"synonyms": "sakit#gigi"}, "each word letters a-z"),
        ({"synonyms": "satu dua tiga empat"}, "3 words"),
        ({"bpjs_poli_code": "KIA"}, "Code already used by Poli KIA"),
    ],
)
def test_a_service_that_would_clash_or_overflow_is_refused(
    site: Site, change: dict[str, str], message: str
) -> None:
    facility = site.facility("1001")
    answer = post(
        site.client("fa1001"),
        f"/console/admin/facilities/{facility.id}/services/new",
        {**SERVICE, **change},
    )
    assert answer.status_code == 400
    assert message in text(answer)
    assert site.count(Service, Service.facility_id == facility.id) == 3


def test_editing_a_service_keeps_its_own_code_and_can_deactivate_it(site: Site) -> None:
    service = site.service("1001", "GIGI")
    client = site.client("fa1001")
    path = f"/console/admin/services/{service.id}/edit"
    assert "dental,dentist" in text(client.get(path))
    form = {
        "code": "GIGI",
        "name_id": "Poli Gigi & Mulut",
        "name_en": "Dental clinic",
        "prefix": "B",
        "bpjs_poli_code": "gig",
        "synonyms": "gigi, dental",
    }
    assert post(client, path, form).status_code == 302
    changed = site.service("1001", "GIGI")
    assert changed.name("id") == "Poli Gigi & Mulut" and changed.bpjs_poli_code == "GIG"
    assert not changed.active
    [event] = site.events("service_changed")
    assert event.detail["changes"]["active"] == [True, False]
    # Another facility's services do not clash with this one's.
    assert site.service("2001", "GIGI").active


# --- templates and generating ----------------------------------------------------------------


def test_a_new_template_makes_sessions_when_generated_and_only_at_its_facility(
    site: Site,
) -> None:
    service = site.service("1001", "GIGI")
    client = site.client("fa1001")
    path = f"/console/admin/services/{service.id}/schedule"
    answer = post(client, path, TEMPLATE)
    assert answer.status_code == 302, text(answer)
    [template] = [t for t in _templates(site, service.id) if t.weekday == 6]
    assert (template.start_time, template.end_time, template.capacity) == (
        time(9),
        time(11, 30),
        15,
    )
    assert template.doctor_name == "drg. Ayu"
    assert site.count(ClinicSession, ClinicSession.day == SUNDAY) == 0  # not before generating
    other_before = _sessions_of(site, "2001")

    facility = site.facility("1001")
    answer = post(client, f"/console/admin/facilities/{facility.id}/generate", {"back": path})
    assert answer.status_code == 302 and answer.headers["Location"] == path
    page = text(client.get(path))
    assert "29/11/2026" in page and "09:00–11:30" in page
    sunday = site.count(
        ClinicSession, ClinicSession.service_id == service.id, ClinicSession.day == SUNDAY
    )
    assert sunday == 1
    # Mon–Sat templates of the demo make the rest of the fortnight; facility 2001 is untouched.
    assert _sessions_of(site, "2001") == other_before
    [event] = site.events("sessions_generated")
    assert event.actor == "fa1001" and event.detail["created"] > 1
    again = post(client, f"/console/admin/facilities/{facility.id}/generate", {})
    assert again.headers["Location"] == f"/console/admin/facilities/{facility.id}"
    assert site.events("sessions_generated")[-1].detail["created"] == 0  # nothing twice


def test_the_weekly_schedule_shows_each_sessions_doctor_and_status_in_words(
    site: Site,
) -> None:
    service = site.service("1001", "GIGI")
    with site.db.transaction() as s:
        monday, tuesday = s.scalars(
            select(ClinicSession)
            .where(ClinicSession.service_id == service.id, ClinicSession.day >= MONDAY)
            .order_by(ClinicSession.day, ClinicSession.start_time)
            .limit(2)
        ).all()
        monday.doctor_name = "drg. Ayu Lestari"
        tuesday.doctor_name = None
        tuesday.status = SessionStatus.CANCELLED
    page = text(site.client("fa1001").get(f"/console/admin/services/{service.id}/schedule"))
    rows = re.findall(r'<tr class="session">(.*?)</tr>', page, re.S)
    cells = [re.findall(r"<td[^>]*>([^<]*)</td>", row)[-2:] for row in rows]
    assert cells[:2] == [["drg. Ayu Lestari", "Open"], ["–", "Cancelled"]]
    words = ("Open", "Closed", "Cancelled")  # the site's accounts read English
    assert all(status in words for _, status in cells), cells


def test_the_generate_button_goes_back_only_to_an_admin_page(site: Site) -> None:
    facility = site.facility("1001")
    answer = post(
        site.client("fa1001"),
        f"/console/admin/facilities/{facility.id}/generate",
        {"back": "https://evil.example/"},
    )
    assert answer.headers["Location"] == f"/console/admin/facilities/{facility.id}"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"end_time": "08:00"}, "The end must be after the start"),
        ({"end_time": "09:00"}, "The end must be after the start"),
        ({"capacity": "0"}, "A number from 1 to 1000"),
        ({"capacity": "1001"}, "A number from 1 to 1000"),
        ({"capacity": ""}, "Required"),
        ({"start_time": "9 pagi"}, "Give a time as HH:MM"),
        ({"weekday": "7"}, "Not a valid choice"),
        ({"weekday": "0", "start_time": "08:00"}, "already starts on this day at this time"),
        ({"doctor_name": "d" * 61}, "At most 60 characters"),
    ],
)
def test_a_template_that_cannot_be_a_session_is_refused(
    site: Site, change: dict[str, str], message: str
) -> None:
    service = site.service("1001", "GIGI")
    before = len(_templates(site, service.id))
    answer = post(
        site.client("fa1001"),
        f"/console/admin/services/{service.id}/schedule",
        {**TEMPLATE, **change},
    )
    assert answer.status_code == 400
    assert message in text(answer)
    assert len(_templates(site, service.id)) == before


def test_editing_and_deactivating_a_template_changes_what_is_generated(site: Site) -> None:
    service = site.service("1001", "KIA")
    client = site.client("fa1001")
    wednesday = next(t for t in _templates(site, service.id) if t.weekday == 2)
    edit = f"/console/admin/templates/{wednesday.id}/edit"
    assert 'value="08:00"' in text(client.get(edit))
    form = {**TEMPLATE, "weekday": "2", "start_time": "07:30", "end_time": "10:00"}
    assert post(client, edit, form).status_code == 302
    tuesday = next(t for t in _templates(site, service.id) if t.weekday == 1)
    answer = post(client, f"/console/admin/templates/{tuesday.id}/active", {"active": "0"})
    assert answer.status_code == 302
    assert not next(t for t in _templates(site, service.id) if t.id == tuesday.id).active

    facility = site.facility("1001")
    post(client, f"/console/admin/facilities/{facility.id}/generate", {})
    with site.db.transaction() as s:
        kia = {
            (row.day, row.start_time, row.capacity)
            for row in s.scalars(
                select(ClinicSession).where(ClinicSession.service_id == service.id)
            )
        }
    assert (WEDNESDAY, time(7, 30), 15) in kia
    assert not any(day == date(2026, 12, 1) for day, _, _ in kia)  # next Tuesday: none
    assert (TUESDAY, time(8), 40) in kia  # made before: left as it was
    kinds = [event.kind for event in site.events("template_changed")]
    assert kinds == ["template_changed"]
    assert site.events("template_deactivated")[0].actor == "fa1001"


# --- holidays --------------------------------------------------------------------------------


def test_a_holiday_suppresses_generation_on_its_day(site: Site) -> None:
    facility = site.facility("1001")
    client = site.client("fa1001")
    path = f"/console/admin/facilities/{facility.id}/holidays"
    answer = post(client, path, {"day": "2026-11-25", "name": "Hari Guru"})
    assert answer.status_code == 302, text(answer)
    assert "Hari Guru" in text(client.get(path))
    post(client, f"/console/admin/facilities/{facility.id}/generate", {})
    assert _sessions_of(site, "1001", WEDNESDAY) == 0
    assert _sessions_of(site, "1001", date(2026, 11, 26)) == 4  # Thursday: as usual
    [event] = site.events("holiday_added")
    assert event.actor == "fa1001" and event.detail["name"] == "Hari Guru"


def test_a_holiday_on_a_booked_day_asks_before_telling_the_patients(site: Site) -> None:
    sid = helpers.session_id(site.db, day=TUESDAY)
    booking = helpers.take(site.db, sid, PHONE, _moment())
    facility = site.facility("1001")
    client = site.client("fa1001")
    path = f"/console/admin/facilities/{facility.id}/holidays"
    answer = post(client, path, {"day": "2026-11-24", "name": "Cuti bersama"})
    assert answer.status_code == 302
    page = text(client.get(path))
    # Adding the holiday cancelled nothing: it says what stands and offers to cancel it.
    assert "4 sessions, 1 patient booked" in page
    assert "with patients booked: 1. Cancel them" in page
    with site.db.transaction() as s:
        assert s.get_one(Booking, booking.id).status == BookingStatus.BOOKED

    [holiday] = _holidays(site)
    answer = post(client, f"/console/admin/holidays/{holiday.id}/cancel-sessions", {})
    assert answer.status_code == 302
    assert "Sessions cancelled: 4; patients told by SMS: 1." in text(client.get(path))
    with site.db.transaction() as s:
        assert s.get_one(Booking, booking.id).status == BookingStatus.CANCELLED_BY_FACILITY
        statuses = set(
            s.scalars(
                select(ClinicSession.status)
                .join(Service, ClinicSession.service_id == Service.id)
                .where(Service.facility_id == facility.id, ClinicSession.day == TUESDAY)
            )
        )
        told = s.scalars(select(Outbox).where(Outbox.phone == PHONE, Outbox.kind != "receipt"))
        bodies = [row.body for row in told]
    assert statuses == {SessionStatus.CANCELLED}
    assert any("Cuti bersama" in body for body in bodies), bodies
    assert {e.actor for e in site.events("session_cancelled")} == {"fa1001"}
    assert "4 sessions" not in text(client.get(path)).split("Holidays</h1>")[1].split("Add")[0]
    from antre import jobs

    jobs.runner(site.app).drain()


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"day": "2026-11-22", "name": "Kemarin"}, "That date has passed"),
        ({"day": "2026-11-30", "name": ""}, "Required"),
        ({"day": "30/11/2026", "name": "Libur"}, "Give a date as YYYY-MM-DD"),
        ({"day": "2026-11-30", "name": "L" * 61}, "At most 60 characters"),
    ],
)
def test_a_holiday_needs_a_future_day_and_a_name(
    site: Site, form: dict[str, str], message: str
) -> None:
    facility = site.facility("1001")
    answer = post(site.client("fa1001"), f"/console/admin/facilities/{facility.id}/holidays", form)
    assert answer.status_code == 400 and message in text(answer)
    assert _holidays(site) == []


def test_a_day_is_a_holiday_once_and_can_be_given_back(site: Site) -> None:
    facility = site.facility("1001")
    client = site.client("fa1001")
    path = f"/console/admin/facilities/{facility.id}/holidays"
    assert post(client, path, {"day": "2026-12-25", "name": "Natal"}).status_code == 302
    again = post(client, path, {"day": "2026-12-25", "name": "Natal lagi"})
    assert again.status_code == 400 and "is already a holiday" in text(again)
    [holiday] = _holidays(site)
    assert post(client, f"/console/admin/holidays/{holiday.id}/remove", {}).status_code == 302
    assert _holidays(site) == []
    assert site.events("holiday_removed")[0].detail["day"] == "2026-12-25"


# --- who may do what -------------------------------------------------------------------------


def _pages(site: Site, code: str) -> dict[str, str]:
    facility = site.facility(code)
    service = site.service(code, "UMUM")
    template = site.template(code, "UMUM")
    return {
        "facility": f"/console/admin/facilities/{facility.id}",
        "edit": f"/console/admin/facilities/{facility.id}/edit",
        "rules": f"/console/admin/facilities/{facility.id}/rules",
        "new service": f"/console/admin/facilities/{facility.id}/services/new",
        "service": f"/console/admin/services/{service.id}/edit",
        "schedule": f"/console/admin/services/{service.id}/schedule",
        "template": f"/console/admin/templates/{template.id}/edit",
        "holidays": f"/console/admin/facilities/{facility.id}/holidays",
    }


ADMIN_ONLY = {"edit"}


@pytest.mark.parametrize("who", [None, "nurse", "viewer", "fa1001", "root"])
def test_who_may_open_which_admin_page(site: Site, who: str | None) -> None:
    client = site.client(who)
    own, other = _pages(site, "1001"), _pages(site, "2001")
    found: dict[str, int] = {}
    for name, path in [
        ("index", "/console/admin/"),
        ("new facility", "/console/admin/facilities/new"),
        *[(name, path) for name, path in own.items()],
        *[(f"other {name}", path) for name, path in other.items()],
    ]:
        found[name] = client.get(path).status_code
    if who is None:
        expected = dict.fromkeys(found, 302)
    elif who in ("nurse", "viewer"):
        expected = dict.fromkeys(found, 403)
    elif who == "fa1001":
        expected = {name: 403 if name.startswith("other") else 200 for name in found}
        expected.update({"index": 302, "new facility": 403, "edit": 403})
    else:
        expected = dict.fromkeys(found, 200)
    assert found == expected


def test_an_anonymous_visitor_is_sent_to_the_login(site: Site) -> None:
    answer = site.client(None).get("/console/admin/")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/console/login")


def test_a_facility_admin_changes_nothing_at_another_facility(site: Site) -> None:
    client = site.client("fa1001")
    other = site.facility("2001")
    service = site.service("2001", "UMUM")
    template = site.template("2001", "UMUM")
    attempts = [
        (f"/console/admin/facilities/{other.id}/rules", RULES),
        (f"/console/admin/facilities/{other.id}/services/new", SERVICE),
        (f"/console/admin/services/{service.id}/edit", {**SERVICE, "code": "UMUM"}),
        (f"/console/admin/services/{service.id}/schedule", TEMPLATE),
        (f"/console/admin/templates/{template.id}/edit", TEMPLATE),
        (f"/console/admin/templates/{template.id}/active", {"active": "0"}),
        (f"/console/admin/facilities/{other.id}/holidays", {"day": "2026-12-25", "name": "X"}),
        (f"/console/admin/facilities/{other.id}/generate", {}),
        ("/console/admin/facilities/new", FACILITY),
        (f"/console/admin/facilities/{site.facility('1001').id}/edit", FACILITY),
    ]
    for path, form in attempts:
        assert post(client, path, form).status_code == 403, path
    with site.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Event)) == 0
    assert site.count(Holiday) == 0


def test_a_form_without_its_csrf_token_is_refused(site: Site) -> None:
    client = site.client("root")
    facility = site.facility("1001")
    for path, form in [
        ("/console/admin/facilities/new", FACILITY),
        (f"/console/admin/facilities/{facility.id}/rules", RULES),
        (f"/console/admin/facilities/{facility.id}/generate", {}),
        (f"/console/admin/facilities/{facility.id}/holidays", {"day": "2026-12-25", "name": "X"}),
    ]:
        assert client.post(path, data=form).status_code == 400, path
    assert site.count(Facility, Facility.code == "3001") == 0
    assert site.count(Holiday) == 0


def test_unknown_rows_are_404_for_an_admin(site: Site) -> None:
    client = site.client("root")
    for path in [
        "/console/admin/facilities/999999",
        "/console/admin/services/999999/edit",
        "/console/admin/templates/999999/edit",
    ]:
        assert client.get(path).status_code == 404, path


def test_the_admin_link_shows_only_to_those_who_may_use_it(site: Site) -> None:
    for who, shown in [("nurse", False), ("viewer", False), ("fa1001", True), ("root", True)]:
        page = text(site.client(who).get("/console/login"))
        assert ('href="/console/admin/"' in page) is shown, who


# --- any text at all ------------------------------------------------------------------------

TRICKY = [
    "", " ", "\x00", "\n", "\r\n", "Puskesmas\x00Nol", "😀", "“Sehat”", "Zoë", "Ω", "{}", "€",
    "'; DROP TABLE facilities; --", "<script>alert(1)</script>", "%s%s%n", "\u202e", "ẞ", "ﬁ",
    "a" * 500, "Poli, Gigi,,", "٣٤", "日本",
]  # fmt: skip
FREE_TEXT = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=120),
    st.sampled_from(TRICKY),
    st.lists(st.sampled_from(TRICKY) | st.text(max_size=8), max_size=6).map(" ".join),
)
FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def root(site: Site) -> FlaskClient:
    return site.client("root")


@FUZZ
@given(name_id=FREE_TEXT, name_en=FREE_TEXT, synonyms=FREE_TEXT)
def test_any_text_in_the_service_form_is_saved_or_refused_never_a_500(
    site: Site, root: FlaskClient, name_id: str, name_en: str, synonyms: str
) -> None:
    service = site.service("1001", "GIGI")
    form = {**SERVICE, "code": "GIGI", "prefix": "B", "name_id": name_id, "name_en": name_en}
    answer = post(
        root, f"/console/admin/services/{service.id}/edit", {**form, "synonyms": synonyms}
    )
    assert answer.status_code in (302, 400), text(answer)[:500]
    stored = site.service("1001", "GIGI")
    if answer.status_code == 302:
        assert stored.names == {"id": tidy(name_id), "en": tidy(name_en)}
        assert len(stored.names["id"]) <= limits.MAX_SERVICE_NAME
    else:
        assert 'role="alert"' in text(answer)


@FUZZ
@given(name=FREE_TEXT, district=FREE_TEXT, subdistrict=FREE_TEXT)
def test_any_text_in_the_facility_form_is_saved_or_refused_never_a_500(
    site: Site, root: FlaskClient, name: str, district: str, subdistrict: str
) -> None:
    facility = site.facility("2001")
    form = {**FACILITY, "code": "2001", "name": name, "district": district}
    answer = post(
        root, f"/console/admin/facilities/{facility.id}/edit", {**form, "subdistrict": subdistrict}
    )
    assert answer.status_code in (302, 400), text(answer)[:500]
    if answer.status_code == 302:
        stored = site.facility("2001")
        assert stored.name == tidy(name) and len(stored.name) <= limits.MAX_FACILITY_NAME


@FUZZ
@given(holiday=FREE_TEXT, doctor=FREE_TEXT)
def test_any_holiday_or_doctor_name_is_saved_or_refused_never_a_500(
    site: Site, root: FlaskClient, holiday: str, doctor: str
) -> None:
    facility = site.facility("1001")
    answer = post(
        root,
        f"/console/admin/facilities/{facility.id}/holidays",
        {"day": "2026-12-31", "name": holiday},
    )
    assert answer.status_code in (302, 400), text(answer)[:500]
    with site.db.transaction() as s:
        for row in s.scalars(select(Holiday)):
            assert row.name == tidy(holiday)
            s.delete(row)
    template = site.template("1001", "UMUM")
    answer = post(
        root, f"/console/admin/templates/{template.id}/edit", {**TEMPLATE, "doctor_name": doctor}
    )
    assert answer.status_code in (302, 400), text(answer)[:500]


# --- shared ----------------------------------------------------------------------------------


def _moment() -> Any:
    from booking.clock import utcnow

    return utcnow()


def _templates(site: Site, service_id: int) -> list[ScheduleTemplate]:
    with site.db.transaction() as s:
        return list(
            s.scalars(select(ScheduleTemplate).where(ScheduleTemplate.service_id == service_id))
        )


def _holidays(site: Site) -> list[Holiday]:
    with site.db.transaction() as s:
        return list(s.scalars(select(Holiday)))


def _sessions_of(site: Site, code: str, day: date | None = None) -> int:
    with site.db.transaction() as s:
        query = (
            select(func.count())
            .select_from(ClinicSession)
            .join(Service, ClinicSession.service_id == Service.id)
            .join(Facility, Service.facility_id == Facility.id)
            .where(Facility.code == code)
        )
        if day is not None:
            query = query.where(ClinicSession.day == day)
        return s.scalar(query) or 0


@pytest.mark.parametrize(
    "path",
    [
        "/console/admin/facilities/99999999999",
        "/console/admin/services/99999999999/edit",
        "/console/admin/templates/99999999999/edit",
    ],
)
def test_an_id_beyond_the_database_is_simply_not_found(site: Site, path: str) -> None:
    assert site.client("root").get(path).status_code == 404


def test_a_double_clicked_add_template_makes_one_template(site: Site) -> None:
    service = site.service("1001", "GIGI")
    path = f"/console/admin/services/{service.id}/schedule"
    clients = [site.client("fa1001") for _ in range(2)]
    for hour in range(6, 12):  # several tries: one pair of clicks may not overlap
        slot = {**TEMPLATE, "start_time": f"{hour:02d}:00", "end_time": f"{hour:02d}:30"}
        forms = [{**slot, "csrf_token": staff.csrf_token(client, path)} for client in clients]
        start = threading.Barrier(2)
        answers: list[int] = []
        pairs = zip(clients, forms, strict=True)
        threads = [
            threading.Thread(target=_click, args=(start, answers, client, path, form))
            for client, form in pairs
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert sorted(answers) == [302, 400]  # the second is told the slot is taken
        same = [t for t in _templates(site, service.id) if t.weekday == 6 and t.active]
        assert [t.start_time for t in same].count(time(hour)) == 1


def _click(
    start: threading.Barrier, answers: list[int], client: FlaskClient, path: str, form: Any
) -> None:
    start.wait()
    answers.append(client.post(path, data=form).status_code)


# --- the facility's own numbers -------------------------------------------------------------


def test_a_facility_admin_adds_and_removes_the_facilitys_number_on_its_page(site: Site) -> None:
    facility = site.facility("1001")
    client = site.client("fa1001")
    page = f"/console/admin/facilities/{facility.id}"
    added = post(client, f"{page}/numbers", {"number": "0812-3456-7890", "gateway": "kannel"})
    assert added.status_code == 302
    shown = text(client.get(page))
    assert "+6281234567890" in shown and "kannel" in shown
    with site.db.transaction() as s:
        row = s.scalars(select(FacilityNumber)).one()
        assert (row.number, row.gateway, row.facility_id) == (
            "+6281234567890",
            "kannel",
            facility.id,
        )
    refused = post(client, f"{page}/numbers", {"number": "dua belas", "gateway": ""})
    assert refused.status_code == 302
    assert "short code" in text(client.get(page))
    removed = post(client, f"/console/admin/facility-numbers/{row.id}/remove", {})
    assert removed.status_code == 302 and site.count(FacilityNumber) == 0


def test_no_facility_admin_takes_or_removes_another_facilitys_number(site: Site) -> None:
    mine, theirs = site.facility("1001"), site.facility("2001")
    owner = site.client("fa2001")
    post(owner, f"/console/admin/facilities/{theirs.id}/numbers", {"number": "1234", "gateway": ""})
    with site.db.transaction() as s:
        row = s.scalars(select(FacilityNumber)).one()
    other = site.client("fa1001")
    taken = post(
        other, f"/console/admin/facilities/{mine.id}/numbers", {"number": "1234", "gateway": ""}
    )
    assert taken.status_code == 302 and "belongs to another facility" in text(
        other.get(f"/console/admin/facilities/{mine.id}")
    )
    assert post(other, f"/console/admin/facility-numbers/{row.id}/remove", {}).status_code == 403
    assert (
        post(
            other, f"/console/admin/facilities/{theirs.id}/numbers", {"number": "5678"}
        ).status_code
        == 403
    )
    with site.db.transaction() as s:
        assert [(r.number, r.facility_id) for r in s.scalars(select(FacilityNumber))] == [
            ("1234", theirs.id)
        ]
