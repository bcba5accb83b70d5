"""A weekly template's BPJS doctor reaches the sessions made from it and BPJS's antrean/add;
a doctor picked from BPJS's list names the doctor; BPJS's "nothing found" is shown in words."""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from booking.commands import TakeNumber
from booking.models import Channel, ClinicSession, ScheduleTemplate
from booking.taking import take_number
from plumbing.db import database_of as database
from tests import fake_bpjs, staff
from tests.bpjs_helpers import CARD, delivered, service_of
from tests.helpers import today

# The look-alike, the app configured for it, the mapped session `sid` and `admin`.
pytest_plugins = ("tests.bpjs_fixtures",)

NAME = "dr. Śri Wahyuni"  # the look-alike's doctor 123 of poli 001
EVENING = {"weekday": "0", "start_time": "17:00", "end_time": "18:00", "capacity": "10"}


def post(client: FlaskClient, path: str, data: dict[str, str], *, form: str | None = None):
    token = staff.csrf_token(client, form or path)
    return client.post(path, data={**data, "csrf_token": token})


def evening_template(app: Flask, service_id: int) -> ScheduleTemplate:
    with database(app).transaction() as s:
        return s.scalars(
            select(ScheduleTemplate).where(
                ScheduleTemplate.service_id == service_id,
                ScheduleTemplate.start_time == time(17),
            )
        ).one()


def evening_session(app: Flask, service_id: int, now: datetime) -> ClinicSession:
    with database(app).transaction() as s:
        return s.scalars(
            select(ClinicSession).where(
                ClinicSession.service_id == service_id,
                ClinicSession.day == today(now),
                ClinicSession.start_time == time(17),
            )
        ).one()


def test_a_templates_bpjs_doctor_goes_into_its_sessions_and_their_antrean_add(
    bpjs_app: Flask, fake: fake_bpjs.FakeBpjs, admin: FlaskClient, sid: int, now: datetime
) -> None:
    service = service_of(bpjs_app, sid)
    page = f"/console/admin/services/{service.id}/schedule"
    html = admin.get(page).get_data(as_text=True)
    assert 'list="bpjs-dokter-week"' in html
    assert f'<option value="123">{NAME}</option>' in html
    # Picked from BPJS's list, the doctor's name left empty: the template takes BPJS's name.
    answer = post(admin, page, {**EVENING, "doctor_name": "", "bpjs_doctor_code": " 123 "})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:800]
    template = evening_template(bpjs_app, service.id)
    assert (template.bpjs_doctor_code, template.doctor_name) == ("123", NAME)
    assert '<td class="bpjs-doctor">123</td>' in admin.get(page).get_data(as_text=True)

    generate = f"/console/admin/facilities/{service.facility_id}/generate"
    assert post(admin, generate, {"back": page}, form=page).status_code == 302
    session = evening_session(bpjs_app, service.id, now)
    assert (session.bpjs_doctor_code, session.doctor_name) == ("123", NAME)

    command = TakeNumber(
        session_id=session.id, phone="+6281234567890", channel=Channel.USSD, bpjs_number=CARD
    )
    booking = database(bpjs_app).run(lambda s: take_number(s, command, now))
    [(path, body)] = delivered(bpjs_app, fake, 1)
    assert path == "antrean/add"
    assert (body["kodedokter"], body["namadokter"]) == (123, NAME)
    assert (body["jampraktek"], body["nomorantrean"]) == ("17:00-18:00", booking.display)


def test_a_typed_name_stays_a_bad_code_is_refused_and_the_edit_form_changes_the_code(
    bpjs_app: Flask, admin: FlaskClient, sid: int
) -> None:
    service = service_of(bpjs_app, sid)
    page = f"/console/admin/services/{service.id}/schedule"
    refused = post(admin, page, {**EVENING, "doctor_name": "", "bpjs_doctor_code": "no/such"})
    assert refused.status_code == 400
    assert "Kode dokter BPJS: huruf dan angka" in refused.get_data(as_text=True)
    with database(bpjs_app).transaction() as s:
        found = s.scalars(
            select(ScheduleTemplate).where(ScheduleTemplate.start_time == time(17))
        ).all()
    assert found == []

    typed = post(admin, page, {**EVENING, "doctor_name": "dr. Budi", "bpjs_doctor_code": "123"})
    assert typed.status_code == 302
    template = evening_template(bpjs_app, service.id)
    assert (template.bpjs_doctor_code, template.doctor_name) == ("123", "dr. Budi")

    edit = f"/console/admin/templates/{template.id}/edit"
    html = admin.get(edit).get_data(as_text=True)
    assert 'name="bpjs_doctor_code"' in html and 'value="123"' in html
    assert f'<option value="123">{NAME}</option>' in html
    answer = post(admin, edit, {**EVENING, "doctor_name": "dr. Budi", "bpjs_doctor_code": ""})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:800]
    assert evening_template(bpjs_app, service.id).bpjs_doctor_code is None


def test_a_sessions_bpjs_doctor_picked_names_a_session_that_had_no_doctor(
    bpjs_app: Flask, admin: FlaskClient, sid: int
) -> None:
    with database(bpjs_app).transaction() as s:
        session = s.get_one(ClinicSession, sid)
        session.doctor_name, session.bpjs_doctor_code = None, None
    service = service_of(bpjs_app, sid)
    page = f"/console/admin/services/{service.id}/schedule"
    action = f"/console/admin/sessions/{sid}/bpjs-doctor"
    assert post(admin, action, {"bpjs_doctor_code": "123"}, form=page).status_code == 302
    with database(bpjs_app).transaction() as s:
        session = s.get_one(ClinicSession, sid)
        assert (session.bpjs_doctor_code, session.doctor_name) == ("123", NAME)
        session.doctor_name = "dr. Rina"
    # A session that has its doctor's name keeps it.
    assert post(admin, action, {"bpjs_doctor_code": "123"}, form=page).status_code == 302
    assert "Kode dokter BPJS disimpan." in admin.get(page).get_data(as_text=True)
    with database(bpjs_app).transaction() as s:
        assert s.get_one(ClinicSession, sid).doctor_name == "dr. Rina"


def test_bpjs_finding_nothing_is_said_in_its_own_words_on_the_admin_pages(
    bpjs_app: Flask, fake: fake_bpjs.FakeBpjs, admin: FlaskClient, sid: int, now: datetime
) -> None:
    fake.reference_refusal = "Data tidak ditemukan"
    service = service_of(bpjs_app, sid)
    day = f"{today(now):%d/%m/%Y}"
    html = admin.get(f"/console/admin/services/{service.id}/edit").get_data(as_text=True)
    line = f"BPJS tidak punya data untuk poli {day}: “Data tidak ditemukan”"
    assert line in html and "<datalist" not in html
    html = admin.get(f"/console/admin/services/{service.id}/schedule").get_data(as_text=True)
    assert html.count("Data tidak ditemukan") == 1  # one line for every day's empty list
    assert f"dokter 001 {day}" in html
    template = evening_template_id(bpjs_app, service.id)
    html = admin.get(f"/console/admin/templates/{template}/edit").get_data(as_text=True)
    assert "Data tidak ditemukan" in html and 'list="bpjs-dokter-week"' not in html


def evening_template_id(app: Flask, service_id: int) -> int:
    with database(app).transaction() as s:
        found = s.scalars(
            select(ScheduleTemplate.id).where(ScheduleTemplate.service_id == service_id)
        ).first()
    assert found is not None
    return found


def test_antre_bpjs_poli_and_dokter_say_bpjs_found_nothing_and_exit_0(tmp_path: Path) -> None:
    from click.testing import CliRunner
    from flask.cli import ScriptInfo

    from antre import create_app
    from antre.cli import cli

    with fake_bpjs.running() as fake:
        app = create_app(
            {
                "DATABASE_URL": f"sqlite:///{tmp_path / 'a.sqlite3'}",
                "TESTING": True,
                "SECRET_KEY": "t",
                **fake_bpjs.settings(fake),
            }
        )
        info = ScriptInfo(create_app=lambda: app)
        fake.reference_refusal = "Data tidak ditemukan"
        poli = CliRunner().invoke(cli, ["bpjs", "poli", "--day", "2026-12-03"], obj=info)
        dokter = CliRunner().invoke(cli, ["bpjs", "dokter", "001"], obj=info)
    for result in (poli, dokter):
        assert result.exit_code == 0, result.output
        assert result.stdout == ""
        assert result.stderr == "BPJS: Data tidak ditemukan (code 201): nothing listed\n"
