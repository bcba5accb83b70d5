"""The console's queue pages, end to end: a nurse logged in through the real form clicks the
real forms of the page (with their CSRF tokens and request keys) and the database changes.
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from antre import jobs
from booking import notices
from booking.models import (
    Booking,
    BookingStatus,
    Channel,
    ClinicSession,
    Event,
    Outbox,
    Person,
    SessionStatus,
)
from console.models import Role
from plumbing.db import Database
from tests import staff
from tests.helpers import session_id, take, today

PAGE = "/console/facility/1001"
_FORM = re.compile(r'<form[^>]*action="(?P<action>[^"]+)"[^>]*>(?P<body>.*?)</form>', re.S)
_HIDDEN = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)">')
_FLASH = re.compile(r'<p class="flash[^"]*"[^>]*>([^<]*)</p>')


class Desk:
    """A browser at the front desk: reads the page, fills in its forms, follows redirects."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def page(self, path: str = PAGE) -> str:
        answer = self.client.get(path)
        assert answer.status_code == 200, answer.status_code
        return answer.get_data(as_text=True)

    def form(self, action: str, path: str = PAGE) -> dict[str, str]:
        """The hidden fields of the form posting to `action`, as the page rendered them."""
        for found in _FORM.finditer(self.page(path)):
            if found["action"] == action:
                return dict(_HIDDEN.findall(found["body"]))
        raise AssertionError(f"no form for {action} on {path}")

    def click(self, action: str, path: str = PAGE, **fields: str) -> TestResponse:
        return self.client.post(action, data={**self.form(action, path), **fields})

    def flashes(self, answer: TestResponse) -> list[str]:
        """The messages shown after an action: on the page it redirects to, or on itself."""
        if answer.status_code in (302, 303):
            body = self.client.get(answer.headers["Location"]).get_data(as_text=True)
        else:
            body = answer.get_data(as_text=True)
        found = [html.unescape(text) for text in _FLASH.findall(body)]
        return found


@pytest.fixture
def clock(now: datetime) -> Iterator[time_machine.Coordinates]:
    """The views read the wall clock: hold it at Monday 07:30 in Serang."""
    with time_machine.travel(now, tick=False) as traveller:
        yield traveller


@pytest.fixture
def desk(app: Flask, demo: Database, clock: time_machine.Coordinates) -> Iterator[Desk]:
    staff.add_user(demo, "ani", Role.STAFF, facility="1001")
    yield Desk(staff.log_in(app.test_client(), "ani"))
    jobs.runner(app).drain()  # receipts and cancellation SMS handed to the embedded sender


def bookings(db: Database, sid: int) -> dict[str, BookingStatus]:
    with db.transaction() as s:
        rows = s.execute(select(Booking.display, Booking.status).where(Booking.session_id == sid))
        return {display: status for display, status in rows}


def events(db: Database, kind: str) -> list[tuple[str, str, str | None]]:
    """(actor, channel, booking display) of every event of a kind, oldest first."""
    with db.transaction() as s:
        rows = s.execute(
            select(Event.actor, Event.channel, Booking.display)
            .outerjoin(Booking, Event.booking_id == Booking.id)
            .where(Event.kind == kind)
            .order_by(Event.id)
        )
        return [(actor, channel, display) for actor, channel, display in rows]


def count(db: Database, model: type, *where: object) -> int:
    with db.transaction() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0  # type: ignore[arg-type]


def booking_id(db: Database, sid: int, display: str) -> int:
    with db.transaction() as s:
        found = s.scalar(
            select(Booking.id).where(Booking.session_id == sid, Booking.display == display)
        )
    assert found is not None
    return found


@pytest.fixture
def umum(demo: Database, now: datetime) -> int:
    """Today's morning general clinic, with two patients who booked by USSD."""
    sid = session_id(demo, day=today(now))
    take(demo, sid, "+6281234567801", now)
    take(demo, sid, "+6281234567802", now, name="Budi Santoso")
    return sid


# --- the page --------------------------------------------------------------------------------


def test_staff_land_on_their_facilitys_day_with_every_queue(
    desk: Desk, demo: Database, umum: int
) -> None:
    home = desk.client.get("/console/")
    assert home.status_code == 302 and home.headers["Location"] == PAGE
    page = html.unescape(desk.page())
    assert "Puskesmas Cipocok Jaya" in page
    for service in ("A · Poli Umum", "B · Poli Gigi", "C · Poli KIA"):
        assert service in page
    table = page.split(f'id="waiting-{umum}"')[1].split("</table>")[0]
    assert "A-001" in table and "HP …7801" in table and "USSD" in table
    assert "A-002" in table and "Budi Santoso" in table and "Menunggu" in table
    assert "+6281234567801" not in page  # the desk sees the last digits, not the number
    places = page.split(f'id="places-{umum}"')[1].split("</p>")[0]
    assert "<strong>2</strong> / 40" in places
    assert f'id="call-next-{umum}"' in page and f'id="walk-in-{umum}"' in page
    assert f'id="save-capacity-{umum}"' not in page  # capacity is for facility admins


def test_tomorrow_shows_its_sessions_without_calling_buttons(
    desk: Desk, demo: Database, now: datetime
) -> None:
    tomorrow = today(now) + timedelta(days=1)
    sid = session_id(demo, day=tomorrow)
    take(demo, sid, "+6281234567801", now)
    page = desk.page(f"{PAGE}?day={tomorrow.isoformat()}")
    assert f'id="session-{sid}"' in page and "A-001" in page
    assert f'id="call-next-{sid}"' not in page and f'id="cancel-session-{sid}"' in page
    # A forged click on a session that is not today's calls nobody.
    token = staff.csrf_token(desk.client, PAGE)
    answer = desk.client.post(f"/console/sessions/{sid}/call-next", data={"csrf_token": token})
    assert answer.status_code == 303
    assert "Pasien hanya bisa dipanggil pada hari jadwalnya." in desk.flashes(answer)[0]
    assert bookings(demo, sid) == {"A-001": BookingStatus.BOOKED}


@pytest.mark.parametrize("day", ["x", "2026-13-01", "2026-11-22", "2027-01-01", "<b>23</b>"])
def test_a_day_that_cannot_be_shown_says_so_and_shows_today(
    desk: Desk, demo: Database, now: datetime, day: str
) -> None:
    answer = desk.client.get(PAGE, query_string={"day": day})
    assert answer.status_code == 302 and answer.headers["Location"] == PAGE
    assert desk.flashes(answer) == [
        f"Tidak ada hari {day} untuk ditampilkan: hanya hari ini dan hari pemesanan berikutnya. "
        "Ini hari ini."
    ]
    assert f'id="call-next-{session_id(demo, day=today(now))}"' in desk.page()


# --- calling the queue -----------------------------------------------------------------------


def test_call_next_calls_the_first_patient_with_the_nurse_as_actor(
    desk: Desk, demo: Database, umum: int
) -> None:
    answer = desk.click(f"/console/sessions/{umum}/call-next")
    assert answer.status_code == 303 and answer.headers["Location"] == PAGE
    assert desk.flashes(answer) == ["Nomor A-001 (HP …7801) dipanggil."]
    assert bookings(demo, umum) == {"A-001": BookingStatus.CALLED, "A-002": BookingStatus.BOOKED}
    assert events(demo, "called") == [("ani", "staff", "A-001")]
    page = desk.page()
    assert f'id="now-serving-{umum}">A-001<' in page

    # The next click finishes A-001 and calls A-002: one click for the nurse.
    desk.click(f"/console/sessions/{umum}/call-next")
    assert bookings(demo, umum) == {"A-001": BookingStatus.SERVED, "A-002": BookingStatus.CALLED}
    assert events(demo, "served") == [("ani", "staff", "A-001")]


def test_served_no_show_skip_and_arrived_each_change_one_number(
    desk: Desk, demo: Database, umum: int, now: datetime
) -> None:
    take(demo, umum, "+6281234567803", now)
    one, two, three = (booking_id(demo, umum, f"A-00{n}") for n in (1, 2, 3))

    answer = desk.click(f"/console/bookings/{three}/arrived")
    assert desk.flashes(answer) == ["A-003 sudah hadir."]
    desk.click(f"/console/sessions/{umum}/call-next")
    answer = desk.click(f"/console/bookings/{one}/skip")
    assert desk.flashes(answer) == ["A-001 dilewati: dipanggil lagi setelah yang lain."]
    desk.click(f"/console/sessions/{umum}/call-next")  # the skipped one waits
    answer = desk.click(f"/console/bookings/{two}/served")
    assert desk.flashes(answer) == ["A-002 selesai dilayani."]
    desk.click(f"/console/sessions/{umum}/call-next")
    desk.click(f"/console/bookings/{three}/served")
    desk.click(f"/console/sessions/{umum}/call-next")  # A-001 at last
    answer = desk.click(f"/console/bookings/{one}/no-show")
    assert "A-001 tidak datang: dicatat tidak hadir." in desk.flashes(answer)[0]

    assert bookings(demo, umum) == {
        "A-001": BookingStatus.NO_SHOW,
        "A-002": BookingStatus.SERVED,
        "A-003": BookingStatus.SERVED,
    }
    for kind, numbers in [
        ("checked_in", ["A-003"]),
        ("skipped", ["A-001"]),
        ("called", ["A-001", "A-002", "A-003", "A-001"]),
        ("served", ["A-002", "A-003"]),
        ("no_show", ["A-001"]),
    ]:
        assert events(demo, kind) == [("ani", "staff", n) for n in numbers], kind


def test_a_double_click_on_call_next_calls_one_patient(
    desk: Desk, demo: Database, umum: int
) -> None:
    form = desk.form(f"/console/sessions/{umum}/call-next")
    first = desk.flashes(desk.client.post(f"/console/sessions/{umum}/call-next", data=form))
    again = desk.flashes(desk.client.post(f"/console/sessions/{umum}/call-next", data=form))
    assert first == again == ["Nomor A-001 (HP …7801) dipanggil."]
    assert bookings(demo, umum) == {"A-001": BookingStatus.CALLED, "A-002": BookingStatus.BOOKED}
    assert len(events(demo, "called")) == 1
    # A freshly rendered form is a new click.
    desk.click(f"/console/sessions/{umum}/call-next")
    assert bookings(demo, umum)["A-002"] is BookingStatus.CALLED


@pytest.mark.slow
def test_two_clicks_racing_with_one_form_call_one_patient(
    app: Flask, desk: Desk, demo: Database, umum: int
) -> None:
    form = desk.form(f"/console/sessions/{umum}/call-next")
    # Two connections of the same browser session (the same cookie), posting at once.
    clients = [desk.client, app.test_client()]
    cookie = desk.client.get_cookie("session")
    assert cookie is not None
    clients[1].set_cookie("session", cookie.value)
    start = threading.Barrier(2)
    statuses: list[int] = []

    def click(client: FlaskClient) -> None:
        start.wait()
        statuses.append(client.post(f"/console/sessions/{umum}/call-next", data=form).status_code)

    threads = [threading.Thread(target=click, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [303, 303]
    assert bookings(demo, umum) == {"A-001": BookingStatus.CALLED, "A-002": BookingStatus.BOOKED}
    assert len(events(demo, "called")) == 1


def test_a_double_click_on_served_is_answered_once(desk: Desk, demo: Database, umum: int) -> None:
    desk.click(f"/console/sessions/{umum}/call-next")
    one = booking_id(demo, umum, "A-001")
    form = desk.form(f"/console/bookings/{one}/served")
    first = desk.flashes(desk.client.post(f"/console/bookings/{one}/served", data=form))
    again = desk.flashes(desk.client.post(f"/console/bookings/{one}/served", data=form))
    assert first == again == ["A-001 selesai dilayani."]
    assert events(demo, "served") == [("ani", "staff", "A-001")]


def test_engine_refusals_are_messages_not_errors(desk: Desk, demo: Database, now: datetime) -> None:
    sid = session_id(demo, service="GIGI", day=today(now))
    answer = desk.click(f"/console/sessions/{sid}/call-next")
    assert answer.status_code == 303
    assert desk.flashes(answer) == ["Tidak ada yang menunggu."]

    take(demo, sid, "+6281234567801", now)
    waiting = booking_id(demo, sid, "B-001")
    token = staff.csrf_token(desk.client, PAGE)
    answer = desk.client.post(f"/console/bookings/{waiting}/served", data={"csrf_token": token})
    assert answer.status_code == 303
    assert desk.flashes(answer) == ["Nomor B-001 tidak sedang dilayani."]
    assert bookings(demo, sid) == {"B-001": BookingStatus.BOOKED}


# --- walk-ins --------------------------------------------------------------------------------


def test_a_walk_in_without_a_phone_joins_the_same_queue(
    desk: Desk, demo: Database, umum: int
) -> None:
    fields = {"name": "  SITI AMINAH ", "phone": "", "bpjs": "0001 2345 67890"}
    answer = desk.click(f"/console/sessions/{umum}/walk-in", **fields)
    assert answer.status_code == 303
    walk_in = booking_id(demo, umum, "A-003")
    assert answer.headers["Location"] == f"{PAGE}?ticket={walk_in}"
    page = desk.client.get(answer.headers["Location"]).get_data(as_text=True)
    assert 'id="new-number-value">A-003<' in page and 'id="new-number-name">Siti Aminah<' in page
    with demo.transaction() as s:
        booking = s.get_one(Booking, walk_in)
        person = s.get_one(Person, booking.person_id)
        assert (booking.channel, booking.booked_by, booking.status) == (
            Channel.STAFF,
            None,
            BookingStatus.BOOKED,
        )
        assert (person.name, person.phone, person.bpjs_number) == (
            "Siti Aminah",
            None,
            "0001234567890",
        )
    assert events(demo, "booked")[-1] == ("ani", "staff", "A-003")
    assert count(demo, Outbox, Outbox.booking_id == walk_in) == 0  # no phone, no SMS
    # In the queue after the two who booked by USSD.
    desk.click(f"/console/sessions/{umum}/call-next")
    desk.click(f"/console/sessions/{umum}/call-next")
    answer = desk.click(f"/console/sessions/{umum}/call-next")
    assert desk.flashes(answer) == ["Nomor A-003 (Siti Aminah) dipanggil."]


def test_a_walk_in_with_a_phone_gets_the_receipt_and_a_double_post_books_once(
    desk: Desk, demo: Database, umum: int
) -> None:
    form = desk.form(f"/console/sessions/{umum}/walk-in")
    fields = {**form, "name": "Ujang", "phone": "0812-3456-7899", "bpjs": ""}
    first = desk.client.post(f"/console/sessions/{umum}/walk-in", data=fields)
    again = desk.client.post(f"/console/sessions/{umum}/walk-in", data=fields)
    assert first.headers["Location"] == again.headers["Location"]
    assert count(demo, Booking, Booking.session_id == umum) == 3
    walk_in = booking_id(demo, umum, "A-003")
    with demo.transaction() as s:
        assert s.get_one(Booking, walk_in).booked_by == "+6281234567899"
    assert (
        count(demo, Outbox, Outbox.booking_id == walk_in, Outbox.kind == notices.RECEIPT_KIND) == 1
    )


def test_a_walk_in_the_engine_refuses_keeps_what_was_typed(
    desk: Desk, demo: Database, umum: int
) -> None:
    answer = desk.click(
        f"/console/sessions/{umum}/walk-in", name="Budi Santoso", phone="+6281234567802"
    )
    assert answer.status_code == 409
    body = html.unescape(answer.get_data(as_text=True))
    assert "Budi Santoso sudah punya nomor A-002 untuk Poli Umum" in body
    assert "already has number" not in body  # one language at a time
    typed = body.split(f'id="walk-in-form-{umum}"')[1].split("</form>")[0]
    assert 'value="Budi Santoso"' in typed and 'value="+6281234567802"' in typed
    assert count(demo, Booking, Booking.session_id == umum) == 2


def test_a_walk_in_name_over_the_limit_is_refused_with_the_limit_and_kept_whole(
    desk: Desk, demo: Database, umum: int
) -> None:
    page = desk.page()
    box = re.search(rf'<input[^>]*id="walk-in-name-{umum}"[^>]*>', page)
    assert box and "maxlength" not in box.group(0)  # the browser cuts nothing silently
    assert f'id="walk-in-name-limit-{umum}">(maks. 30 huruf)' in page
    name = "Raden Ajeng Siti Nurhaliza Kartika Putri"  # 40 letters
    answer = desk.click(f"/console/sessions/{umum}/walk-in", name=name)
    assert answer.status_code == 400
    body = html.unescape(answer.get_data(as_text=True))
    assert "Nama paling banyak 30 huruf; nama ini 40 huruf." in body
    typed = body.split(f'id="walk-in-form-{umum}"')[1].split("</form>")[0]
    assert f'value="{name}"' in typed
    assert count(demo, Booking, Booking.session_id == umum) == 2


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"name": "x" * 500},
            "Nama paling banyak 30 huruf; nama ini 500 huruf. Mohon dipersingkat.",
        ),
        ({"name": ""}, "Ketik nama 2 sampai 30 huruf."),
        ({"name": "Siti", "bpjs": "12345"}, "Nomor kartu BPJS terdiri dari 13 angka."),
        ({"name": "Siti", "phone": "9" * 50}, "Nomor HP itu tidak bisa menerima SMS."),
        ({"name": "Siti", "phone": "12"}, "Nomor HP itu tidak bisa menerima SMS."),
        ({"name": "12345"}, "Ketik nama 2 sampai 30 huruf."),
    ],
)
def test_a_walk_in_form_that_cannot_be_used_says_why(
    desk: Desk, demo: Database, umum: int, fields: dict[str, str], message: str
) -> None:
    answer = desk.click(f"/console/sessions/{umum}/walk-in", **fields)
    assert answer.status_code == 400
    problem = re.search(r'id="problem">([^<]*)<', answer.get_data(as_text=True))
    assert problem and message in html.unescape(problem.group(1))
    assert count(demo, Booking, Booking.session_id == umum) == 2


NAMES = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80)
FREE_TEXT = st.one_of(
    NAMES,
    st.sampled_from(["", "0812 3456 7890", "+6281234567811", "081234", "0001234567890", " "]),
)


@pytest.mark.slow
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(name=NAMES, phone=FREE_TEXT, bpjs=FREE_TEXT)
def test_any_text_in_the_walk_in_form_books_or_says_why(
    desk: Desk, demo: Database, umum: int, name: str, phone: str, bpjs: str
) -> None:
    before = count(demo, Booking, Booking.session_id == umum)
    token = staff.csrf_token(desk.client, PAGE)
    answer = desk.client.post(
        f"/console/sessions/{umum}/walk-in",
        data={"csrf_token": token, "name": name, "phone": phone, "bpjs": bpjs},
    )
    after = count(demo, Booking, Booking.session_id == umum)
    if answer.status_code == 303:
        assert "?ticket=" in answer.headers["Location"]
        assert after == before + 1
    else:
        assert answer.status_code in (400, 409), answer.status_code
        assert re.search(r'id="problem">[^<]{10,}<', answer.get_data(as_text=True))
        assert after == before


# --- sessions: cancel and capacity -----------------------------------------------------------


def test_cancelling_a_session_tells_every_patient_with_a_phone(
    desk: Desk, demo: Database, umum: int
) -> None:
    desk.click(f"/console/sessions/{umum}/walk-in", name="Siti Aminah")  # no phone
    desk.click(f"/console/sessions/{umum}/call-next")  # A-001 in the room: cancelled too
    asked = desk.click(f"/console/sessions/{umum}/cancel", reason="dokter tugas luar kota")
    # It texts every patient: first the page asks, saying how many, and nothing changes yet.
    assert asked.status_code == 200
    question = html.unescape(asked.get_data(as_text=True))
    assert (
        "Batalkan Poli Umum 08:00 tanggal 23/11/2026? Pasien dibatalkan: 3. "
        "Diberi tahu lewat SMS: 2."
    ) in question
    assert "dokter tugas luar kota" in question
    with demo.transaction() as s:
        assert s.get_one(ClinicSession, umum).status == SessionStatus.OPEN
    assert count(demo, Outbox, Outbox.kind == notices.SESSION_CANCELLED) == 0
    confirm = confirm_form(asked, f"/console/sessions/{umum}/cancel")
    assert confirm["confirmed"] == "1"
    answer = desk.client.post(f"/console/sessions/{umum}/cancel", data=confirm)
    assert answer.status_code == 303
    assert desk.flashes(answer) == ["Poli Umum 08:00 dibatalkan; 2 pasien diberi tahu lewat SMS."]
    with demo.transaction() as s:
        session = s.get_one(ClinicSession, umum)
        assert (session.status, session.cancel_reason) == (
            SessionStatus.CANCELLED,
            "dokter tugas luar kota",
        )
        sms = s.execute(
            select(Outbox.phone, Outbox.body).where(Outbox.kind == notices.SESSION_CANCELLED)
        ).all()
    assert set(bookings(demo, umum).values()) == {BookingStatus.CANCELLED_BY_FACILITY}
    assert sorted(phone for phone, _ in sms) == ["+6281234567801", "+6281234567802"]
    assert all("dokter tugas luar kota" in body for _, body in sms)
    assert events(demo, "session_cancelled") == [("ani", "staff", None)]
    told = events(demo, "cancelled_by_facility")
    assert sorted(number or "" for _, _, number in told) == ["A-001", "A-002", "A-003"]
    assert {(actor, channel) for actor, channel, _ in told} == {("ani", "staff")}

    page = html.unescape(desk.page())
    assert "Dibatalkan: dokter tugas luar kota" in page
    assert f'id="call-next-{umum}"' not in page and f'id="walk-in-{umum}"' not in page
    token = staff.csrf_token(desk.client, PAGE)
    again = desk.client.post(
        f"/console/sessions/{umum}/cancel", data={"csrf_token": token, "reason": "lagi"}
    )
    assert desk.flashes(again) == ["Poli Umum 08:00 sudah dibatalkan."]
    assert count(demo, Outbox, Outbox.kind == notices.SESSION_CANCELLED) == 2


def confirm_form(answer: TestResponse, action: str) -> dict[str, str]:
    """The hidden fields of the "are you sure?" form on a page that answered a POST."""
    for found in _FORM.finditer(answer.get_data(as_text=True)):
        if found["action"] == action:
            return {name: html.unescape(value) for name, value in _HIDDEN.findall(found["body"])}
    raise AssertionError(f"no form for {action}")


def test_going_back_from_are_you_sure_cancels_nothing(
    desk: Desk, demo: Database, umum: int
) -> None:
    asked = desk.click(f"/console/sessions/{umum}/cancel", reason="hujan deras & banjir")
    body = asked.get_data(as_text=True)
    assert 'id="cancel-session-back" href="/console/facility/1001"' in body
    assert confirm_form(asked, f"/console/sessions/{umum}/cancel")["reason"] == (
        "hujan deras & banjir"
    )
    desk.page()  # the nurse goes back instead
    with demo.transaction() as s:
        assert s.get_one(ClinicSession, umum).status == SessionStatus.OPEN
    assert set(bookings(demo, umum).values()) == {BookingStatus.BOOKED}


@pytest.mark.parametrize("reason", ["", "   ", "x" * 161])
def test_a_session_is_not_cancelled_without_a_reason(
    desk: Desk, demo: Database, umum: int, reason: str
) -> None:
    answer = desk.click(f"/console/sessions/{umum}/cancel", reason=reason)
    assert answer.status_code == 400
    assert "Tulis alasan jadwal dibatalkan" in answer.get_data(as_text=True)
    assert f'<details id="cancel-{umum}" open>' in answer.get_data(as_text=True)
    with demo.transaction() as s:
        assert s.get_one(ClinicSession, umum).status == SessionStatus.OPEN
    assert count(demo, Outbox, Outbox.kind == notices.SESSION_CANCELLED) == 0


@pytest.fixture
def admin_desk(app: Flask, demo: Database, clock: time_machine.Coordinates) -> Desk:
    staff.add_user(demo, "kepala", Role.FACILITY_ADMIN, facility="1001")
    return Desk(staff.log_in(app.test_client(), "kepala"))


def test_a_facility_admin_changes_capacity_but_not_below_places_taken(
    admin_desk: Desk, demo: Database, umum: int
) -> None:
    action = f"/console/sessions/{umum}/capacity"
    answer = admin_desk.click(action, capacity="55")
    assert admin_desk.flashes(answer) == ["Kapasitas Poli Umum 08:00 sekarang 55 pasien."]
    answer = admin_desk.click(action, capacity="1")
    assert answer.status_code == 303
    assert admin_desk.flashes(answer) == ["Kuota tidak bisa di bawah 2 tempat yang sudah terisi."]
    for bad in ("abc", "", "-3", "1e3", "99999", "4.5"):
        answer = admin_desk.click(action, capacity=bad)
        assert answer.status_code == 400, bad
        assert "Kapasitas harus bilangan bulat dari 0 sampai 9999." in answer.get_data(as_text=True)
    with demo.transaction() as s:
        assert s.get_one(ClinicSession, umum).capacity == 55
        detail = s.scalars(select(Event.detail).where(Event.kind == "capacity_changed")).all()
    assert detail == [{"from": 40, "to": 55}]
    assert events(demo, "capacity_changed") == [("kepala", "staff", None)]


# --- who may do what -------------------------------------------------------------------------


def _routes(demo: Database, now: datetime) -> list[tuple[str, str, dict[str, str]]]:
    """Every page and action of facility 1001, with fields that would work for its own staff."""
    sid = session_id(demo, day=today(now))
    take(demo, sid, "+6281234567801", now)
    bid = booking_id(demo, sid, "A-001")
    return [
        ("GET", PAGE, {}),
        ("GET", f"{PAGE}?day={(today(now) + timedelta(days=1)).isoformat()}", {}),
        ("POST", f"/console/sessions/{sid}/call-next", {}),
        ("POST", f"/console/bookings/{bid}/served", {}),
        ("POST", f"/console/bookings/{bid}/no-show", {}),
        ("POST", f"/console/bookings/{bid}/skip", {}),
        ("POST", f"/console/bookings/{bid}/arrived", {}),
        ("POST", f"/console/sessions/{sid}/walk-in", {"name": "Siti Aminah"}),
        ("POST", f"/console/sessions/{sid}/cancel", {"reason": "dokter sakit"}),
        ("POST", f"/console/sessions/{sid}/capacity", {"capacity": "50"}),
    ]


def _state(db: Database) -> tuple[int, int, int]:
    return count(db, Event), count(db, Booking), count(db, Outbox)


@pytest.mark.parametrize(
    ("role", "facility", "district"),
    [
        (Role.STAFF, "2001", None),
        (Role.FACILITY_ADMIN, "2001", None),
        (Role.DISTRICT_VIEWER, None, "Kota Serang"),
    ],
)
def test_nobody_reads_or_changes_another_facilitys_queue(
    app: Flask,
    demo: Database,
    now: datetime,
    clock: time_machine.Coordinates,
    role: Role,
    facility: str | None,
    district: str | None,
) -> None:
    routes = _routes(demo, now)
    staff.add_user(demo, "outsider", role, facility=facility, district=district)
    client = staff.log_in(app.test_client(), "outsider")
    token = staff.csrf_token(client, "/console/login")  # a valid token of their own session
    before = _state(demo)
    for method, path, fields in routes:
        answer = client.open(path, method=method, data={**fields, "csrf_token": token})
        assert answer.status_code == 403, (method, path, answer.status_code)
        assert "Anda tidak boleh membuka halaman ini" in answer.get_data(as_text=True)
    assert _state(demo) == before
    home = client.get("/console/")
    if role == Role.DISTRICT_VIEWER:
        assert home.headers["Location"] == "/console/figures"
    else:
        assert home.headers["Location"] == "/console/facility/2001"


def test_anonymous_visitors_are_sent_to_the_login(
    app: Flask, demo: Database, now: datetime, clock: time_machine.Coordinates
) -> None:
    routes = _routes(demo, now)
    client = app.test_client()
    token = staff.csrf_token(client, "/console/login")
    before = _state(demo)
    for method, path, fields in [("GET", "/console/", {}), *routes]:
        answer = client.open(path, method=method, data={**fields, "csrf_token": token})
        assert answer.status_code == 302, (method, path)
        assert answer.headers["Location"].startswith("/console/login?next="), path
    assert _state(demo) == before


def test_an_action_without_its_csrf_token_is_refused(
    admin_desk: Desk, demo: Database, now: datetime
) -> None:
    before = _state(demo)
    routes = _routes(demo, now)
    before = _state(demo)
    for method, path, fields in routes:
        if method != "POST":
            continue
        for token in ({}, {"csrf_token": "forged"}):
            answer = admin_desk.client.post(path, data={**fields, **token})
            assert answer.status_code == 400, path
            assert "tidak ada yang diubah" in answer.get_data(as_text=True)
    assert _state(demo) == before


def test_an_admin_picks_any_facility_and_runs_its_queue(
    app: Flask, demo: Database, umum: int, clock: time_machine.Coordinates
) -> None:
    staff.add_user(demo, "root", Role.ADMIN)
    desk = Desk(staff.log_in(app.test_client(), "root"))
    home = desk.client.get("/console/").get_data(as_text=True)
    assert 'id="facility-1001"' in home and 'id="facility-2301"' in home
    assert desk.client.get("/console/?facility=1001").headers["Location"] == PAGE
    assert desk.client.get("/console/?facility=nope").status_code == 200
    desk.click(f"/console/sessions/{umum}/call-next")
    assert events(demo, "called") == [("root", "staff", "A-001")]
    assert f'id="save-capacity-{umum}"' in desk.page()


@pytest.mark.parametrize(
    "path",
    [
        "/console/sessions/999999/call-next",
        "/console/sessions/99999999999999999999/walk-in",
        "/console/bookings/999999/served",
        "/console/sessions/abc/cancel",
    ],
)
def test_an_unknown_session_or_number_is_a_clear_404(desk: Desk, path: str) -> None:
    token = staff.csrf_token(desk.client, PAGE)
    answer = desk.client.post(path, data={"csrf_token": token, "name": "Siti"})
    assert answer.status_code == 404
    if "abc" not in path:  # not even a route: Flask's own page
        assert "Halaman, jadwal atau nomor antrean itu tidak ada." in answer.get_data(as_text=True)
    assert desk.client.get("/console/facility/9999").status_code == 404
    for ticket in ("²", "-1", "9" * 30, "x"):
        assert desk.client.get(f"{PAGE}?ticket={ticket}").status_code == 200
    assert desk.client.get("/console/facility/" + "9" * 300).status_code == 404


def test_the_figures_page_wears_the_console_layout(desk: Desk) -> None:
    page = desk.client.get("/console/figures").get_data(as_text=True)
    assert 'href="/console/">Antrean</a>' in page and ">Keluar</button>" in page
    assert "<h1>Angka" in page


def test_a_staff_account_without_a_facility_is_told_to_ask_an_admin(
    app: Flask, demo: Database, clock: time_machine.Coordinates
) -> None:
    staff.add_user(demo, "lost", Role.STAFF)
    client = staff.log_in(app.test_client(), "lost")
    answer = client.get("/console/")
    assert answer.status_code == 403
    assert "Akun Anda belum terhubung ke puskesmas; hubungi admin." in answer.get_data(as_text=True)
    assert client.get(PAGE).status_code == 403
