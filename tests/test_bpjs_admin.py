"""Admins map a service to a BPJS poli and a session to a BPJS doctor, with BPJS's lists."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from booking.models import ClinicSession, Service
from console.models import Role
from plumbing.db import Database
from plumbing.db import database_of as database
from tests import fake_bpjs, staff
from tests.bpjs_helpers import service_of

# The look-alike, the app configured for it, the mapped session `sid` and `admin`.
pytest_plugins = ("tests.bpjs_fixtures",)

UNREACHABLE = "BPJS tidak dapat dihubungi; kode dapat diketik sendiri."


def service_form(service: Service, **changes: str) -> dict[str, str]:
    return {
        "code": service.code,
        "name_id": service.names["id"],
        "name_en": service.names["en"],
        "prefix": service.prefix,
        "bpjs_poli_code": service.bpjs_poli_code or "",
        "synonyms": service.synonyms,
        "active": "y",
        **changes,
    }


def test_the_service_form_shows_bpjs_poli_codes_and_saves_the_one_chosen(
    bpjs_app: Flask, admin: FlaskClient, sid: int
) -> None:
    service = service_of(bpjs_app, sid)
    page = f"/console/admin/services/{service.id}/edit"
    html = admin.get(page).get_data(as_text=True)
    assert '<option value="001">UMUM</option>' in html
    assert '<option value="003">KIA</option>' in html
    assert 'list="bpjs-poli"' in html and UNREACHABLE not in html
    token = staff.csrf_token(admin, page)
    answer = admin.post(
        page, data={**service_form(service, bpjs_poli_code="003"), "csrf_token": token}
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
    assert service_of(bpjs_app, sid).bpjs_poli_code == "003"


def test_bpjs_down_says_so_once_and_the_code_is_still_typed_by_hand(
    bpjs_app: Flask, fake: fake_bpjs.FakeBpjs, admin: FlaskClient, sid: int
) -> None:
    fake.down = True
    service = service_of(bpjs_app, sid)
    page = f"/console/admin/services/{service.id}/edit"
    html = admin.get(page).get_data(as_text=True)
    assert UNREACHABLE in html and "<datalist" not in html
    token = staff.csrf_token(admin, page)
    answer = admin.post(
        page, data={**service_form(service, bpjs_poli_code="777"), "csrf_token": token}
    )
    assert answer.status_code == 302
    assert service_of(bpjs_app, sid).bpjs_poli_code == "777"
    # The schedule page asks for a doctor list per day: BPJS down, it asks once and stops.
    fake.requests.clear()
    html = admin.get(f"/console/admin/services/{service.id}/schedule").get_data(as_text=True)
    assert html.count(UNREACHABLE) == 1
    assert len(fake.requests) == 1
    assert f'id="bpjs-doctor-{sid}"' in html  # the field is there all the same


def test_the_schedule_page_offers_bpjs_doctors_and_saves_a_sessions_doctor_code(
    bpjs_app: Flask, fake: fake_bpjs.FakeBpjs, admin: FlaskClient, sid: int
) -> None:
    service = service_of(bpjs_app, sid)
    page = f"/console/admin/services/{service.id}/schedule"
    fake.requests.clear()
    html = admin.get(page).get_data(as_text=True)
    assert '<option value="123">dr. Śri Wahyuni</option>' in html
    days = {path.rsplit("/", 1)[1] for path in fake.requests}
    assert len(days) == len(fake.requests)  # each day's list read once per page
    assert all(path.startswith("ref/dokter/kodepoli/001/tanggal/") for path in fake.requests)
    token = staff.csrf_token(admin, page)
    action = f"/console/admin/sessions/{sid}/bpjs-doctor"
    answer = admin.post(action, data={"bpjs_doctor_code": " 456 ", "csrf_token": token})
    assert answer.status_code == 302 and answer.headers["Location"].endswith(page)
    with database(bpjs_app).transaction() as s:
        assert s.get_one(ClinicSession, sid).bpjs_doctor_code == "456"
    admin.post(action, data={"bpjs_doctor_code": "no/such code", "csrf_token": token})
    assert "Kode dokter BPJS: huruf dan angka" in admin.get(page).get_data(as_text=True)
    with database(bpjs_app).transaction() as s:
        assert s.get_one(ClinicSession, sid).bpjs_doctor_code == "456"


def test_another_facilitys_admin_may_not_set_a_sessions_doctor(
    bpjs_app: Flask, admin: FlaskClient, sid: int
) -> None:
    staff.add_user(database(bpjs_app), "lain", Role.FACILITY_ADMIN, facility="2001")
    other = staff.log_in(bpjs_app.test_client(), "lain")
    with database(bpjs_app).transaction() as s:
        theirs = s.scalars(
            select(Service.id).join(Service.facility).where(Service.code == "UMUM")
        ).all()
    mine = service_of(bpjs_app, sid).id
    their_service = next(found for found in theirs if found != mine)
    token = staff.csrf_token(other, f"/console/admin/services/{their_service}/schedule")
    answer = other.post(
        f"/console/admin/sessions/{sid}/bpjs-doctor",
        data={"bpjs_doctor_code": "999", "csrf_token": token},
    )
    assert answer.status_code == 403
    with database(bpjs_app).transaction() as s:
        assert s.get_one(ClinicSession, sid).bpjs_doctor_code == "123"


def test_without_bpjs_settings_the_forms_show_no_bpjs_lists(app: Flask, demo: Database) -> None:
    staff.add_user(demo, "kepala", Role.FACILITY_ADMIN, facility="1001")
    client = staff.log_in(app.test_client(), "kepala")
    with demo.transaction() as s:
        service_id = s.scalars(select(Service.id).where(Service.code == "UMUM")).first()
    html = client.get(f"/console/admin/services/{service_id}/edit").get_data(as_text=True)
    assert "<datalist" not in html and UNREACHABLE not in html
    html = client.get(f"/console/admin/services/{service_id}/schedule").get_data(as_text=True)
    assert "<datalist" not in html and UNREACHABLE not in html
