"""USSD flows replayed as Africa's Talking sends them: one POST per key press."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine
from flask import Flask
from sqlalchemy import func, select

from antre.demo import seed
from booking.models import Booking, BookingStatus, Channel, Facility, Outbox, Phone
from plumbing.db import Database
from tests.helpers import session_id, set_capacity, take, today
from ussd.models import UssdSession, UssdStep
from ussd.phone import Handset, through_app

PHONE = "+6281234567890"


@pytest.fixture
def phone(app: Flask, demo: Database, clock: time_machine.Coordinates) -> Handset:
    return Handset(through_app(app), PHONE)


def remember(db: Database, code: str = "1001", language: str = "id") -> None:
    with db.transaction() as s:
        facility = s.scalars(select(Facility).where(Facility.code == code)).one()
        s.add(Phone(number=PHONE, language=language, facility_id=facility.id))


def bookings(db: Database) -> list[Booking]:
    with db.transaction() as s:
        return list(s.scalars(select(Booking).order_by(Booking.id)))


def outbox_count(db: Database) -> int:
    with db.transaction() as s:
        return s.scalar(select(func.count()).select_from(Outbox)) or 0


def test_a_first_timer_is_asked_for_a_health_centre(phone: Handset) -> None:
    screen = phone.dial()
    assert phone.status == 200
    assert screen.startswith("CON Antre: nomor antrean puskesmas")
    assert "1 Ketik kodenya" in screen


def test_a_returning_phone_gets_a_number_in_five_requests(phone: Handset, demo: Database) -> None:
    remember(demo)
    assert phone.dial().startswith("CON Puskesmas Cipocok Jaya\n1 Ambil nomor antrean")
    assert "1 Poli Umum" in phone.press("1")
    assert "1 Hari ini 08:00-12:00 (40)" in phone.press("1")
    assert "Nomor ini untuk siapa?" in phone.press("1")
    screen = phone.press("1")
    assert screen.startswith("END Nomor Anda: A-001\nPoli Umum, Sen 23/11 08:00")
    assert "0 orang di depan, kira2 08:00" in screen
    [booking] = bookings(demo)
    assert booking.channel == Channel.USSD and booking.booked_by == PHONE
    assert outbox_count(demo) == 1  # the receipt, written by the engine


def test_a_code_dialled_with_the_short_code_opens_that_facility(
    phone: Handset, demo: Database
) -> None:
    screen = phone.dial("*123*2101#")
    assert screen.startswith("CON Puskesmas Pandeglang\n")
    with demo.transaction() as s:
        assert s.get_one(Phone, PHONE).facility_id is not None
    assert phone.dial().startswith("CON Puskesmas Pandeglang\n")  # remembered


def test_an_unknown_dialled_code_says_so_on_the_first_screen(phone: Handset) -> None:
    screen = phone.dial("*123*9999#")
    assert screen == "CON Kode puskesmas 9999 tidak kami kenal.\n0 Kembali 00 Menu"
    assert phone.press("0").startswith("CON Antre: nomor antrean puskesmas.")


def test_a_whole_path_in_one_dial_books_as_if_typed(phone: Handset, demo: Database) -> None:
    screen = phone.dial("*123*1001*1*2*2*1*1#")
    # 1001 → take a number → Poli Gigi → tomorrow 08:00 → for me; the last 1 is past the end.
    assert screen.startswith("END Nomor Anda: B-001\nPoli Gigi, Sel 24/11 08:00")
    assert len(bookings(demo)) == 1


def test_a_whole_path_stops_at_the_first_screen_that_needs_more(phone: Handset) -> None:
    screen = phone.dial("*123*1001*1*1*2*2#")
    assert screen.startswith("CON Ketik nama pasien:")
    assert phone.press("siti aminah").startswith("END Nomor A-001 untuk Siti Aminah\n")


def test_a_retried_request_gets_the_same_screen_and_books_once(
    phone: Handset, demo: Database
) -> None:
    remember(demo)
    phone.dial()
    for typed in ("1", "1", "1"):
        phone.press(typed)
    first = phone.press("1")
    again = phone.again()
    assert first == again and first.startswith("END Nomor Anda: A-001")
    assert len(bookings(demo)) == 1
    assert outbox_count(demo) == 1


def test_a_retried_confirm_books_once_even_when_the_store_forgot(
    app: Flask, phone: Handset, demo: Database
) -> None:
    remember(demo)
    phone.dial()
    for typed in ("1", "1", "1"):
        phone.press(typed)
    first = phone.press("1")
    app.extensions.pop("ussd.store")  # a worker that never saw this session
    assert phone.again() == first
    assert len(bookings(demo)) == 1


def test_back_and_home(phone: Handset, demo: Database) -> None:
    remember(demo)
    phone.dial()
    phone.press("1")
    phone.press("2")
    assert phone.press("0").startswith("CON Pilih layanan:")
    assert phone.press("0").startswith("CON Puskesmas Cipocok Jaya")
    phone.press("1")
    phone.press("3")
    assert phone.press("00").startswith("CON Puskesmas Cipocok Jaya")
    assert phone.press("0").startswith("CON Puskesmas Cipocok Jaya")


def test_wrong_input_shows_the_same_screen_with_a_hint(phone: Handset, demo: Database) -> None:
    remember(demo)
    phone.dial()
    service = phone.press("1")
    for typed in ("7", "abc", "", "#", "1 1", "*", "²"):  # "²" is a digit to str.isdigit
        screen = phone.press(typed)
        assert screen.startswith("CON Pilihan salah, coba lagi.\n1 Poli Umum"), typed
        assert screen.split("\n")[1:] == service.split("\n")[1:]
    assert "Poli Umum: kapan?" in phone.press("1")


def test_paging_through_a_long_list(app: Flask, demo: Database, now: datetime) -> None:
    demo.run(lambda s: seed(s, now, extra_facilities=20))
    phone = Handset(through_app(app), PHONE)
    with time_machine.travel(now, tick=True):
        phone.dial()
        districts = phone.press("2")
        assert "Kota Serang" in districts
        number = next(
            line.split(" ", 1)[0] for line in districts.split("\n") if "Kota Serang" in line
        )
        first = phone.press(number)
        assert first.startswith("CON Pilih puskesmas:\n1 ")
        assert first.endswith("99 Lagi 0 Kembali 00 Menu")
        second = phone.press("99")
        assert second.startswith("CON Pilih puskesmas:\n1 ") and second != first
        assert phone.press("0") == first
        seen = [second]
        while seen[-1].endswith("99 Lagi 0 Kembali 00 Menu"):
            seen.append(phone.press("99"))
        assert phone.press("99").startswith("CON Tidak ada halaman lagi.\n1 ")
        name = seen[-1].split("\n")[1][2:]
        assert phone.press("1").startswith(f"CON {name}\n1 Ambil nomor antrean")
        for screen in [first, *seen]:
            assert len(screen) <= 160


def test_a_redial_within_two_minutes_continues_where_it_was(
    phone: Handset, demo: Database, clock: time_machine.Coordinates
) -> None:
    remember(demo)
    phone.dial()
    phone.press("1")
    phone.press("1")
    confirm = phone.press("1")
    clock.shift(timedelta(seconds=90))
    resumed = phone.dial()  # cut off: a new sessionId, the same phone
    assert resumed == confirm.replace("CON ", "CON Lanjut dari yang tadi.\n", 1)
    assert phone.press("1").startswith("END Nomor Anda: A-001")


def test_a_redial_after_two_minutes_starts_afresh(
    phone: Handset, demo: Database, clock: time_machine.Coordinates
) -> None:
    remember(demo)
    phone.dial()
    phone.press("1")
    clock.shift(timedelta(seconds=150))
    assert phone.dial().startswith("CON Puskesmas Cipocok Jaya\n")


def test_a_redial_after_a_booking_starts_afresh(phone: Handset, demo: Database) -> None:
    phone.dial("*123*1001*1*1*1*1#")
    assert phone.finished
    assert phone.dial().startswith("CON Puskesmas Cipocok Jaya\n")


def test_booking_for_someone_else(phone: Handset, demo: Database) -> None:
    remember(demo)
    phone.dial()
    for typed in ("1", "3", "1"):
        phone.press(typed)
    assert phone.press("2").startswith("CON Ketik nama pasien:")
    assert phone.press("x").startswith("CON Ketik nama 2 sampai 30 huruf.\nKetik nama pasien:")
    screen = phone.press("Siti Aminah")
    assert screen.startswith("END Nomor C-001 untuk Siti Aminah\nPoli KIA, Sen 23/11 08:00")
    [booking] = bookings(demo)
    assert booking.booked_by == PHONE


def test_a_refused_booking_says_why_and_lets_the_user_go_back(
    phone: Handset, demo: Database, now: datetime
) -> None:
    remember(demo)
    take(demo, session_id(demo, day=today(now)), PHONE, now)
    phone.dial()
    for typed in ("1", "1", "2"):
        phone.press(typed)
    screen = phone.press("1")
    assert screen == (
        "CON Anda sudah punya nomor A-001 untuk Poli Umum Sen 23/11.\n0 Kembali 00 Menu"
    )
    assert phone.press("5").startswith("CON Pilihan salah, coba lagi.\n")
    assert "Nomor ini untuk siapa?" in phone.press("0")
    assert len(bookings(demo)) == 1


def test_a_full_time_cannot_be_chosen(phone: Handset, demo: Database, now: datetime) -> None:
    remember(demo)
    set_capacity(demo, session_id(demo, day=today(now)), 0)
    phone.dial()
    phone.press("1")
    assert "1 Hari ini 08:00-12:00 (penuh)" in phone.press("1")
    assert phone.press("1").startswith("CON Jam itu sudah penuh.\n1 Hari ini")


def test_my_numbers_show_the_queue_and_cancel_from_there(
    phone: Handset, demo: Database, now: datetime
) -> None:
    remember(demo)
    sid = session_id(demo, day=today(now))
    take(demo, sid, "+6281234567801", now)
    mine = take(demo, sid, PHONE, now)
    phone.dial()
    assert "1 A-002 Poli Umum Sen 23/11" in phone.press("2")
    ticket = phone.press("1")
    assert ticket.startswith("CON A-002 Poli Umum Sen 23/11 08:00\nDilayani: belum mulai\n")
    assert "1 di depan, ~08:10" in ticket
    assert phone.press("1").startswith("CON Batalkan nomor A-002")
    assert phone.press("1") == "END Nomor A-002 untuk Poli Umum, Sen 23/11 08:00 sudah dibatalkan."
    with demo.transaction() as s:
        assert s.get_one(Booking, mine.id).status == BookingStatus.CANCELLED


def test_cancel_from_the_main_menu(phone: Handset, demo: Database, now: datetime) -> None:
    remember(demo)
    take(demo, session_id(demo, service="GIGI", day=today(now)), PHONE, now)
    phone.dial()
    assert "1 B-001 Poli Gigi Sen 23/11" in phone.press("3")
    phone.press("1")
    assert phone.press("1").startswith("END Nomor B-001")
    phone.dial()
    assert phone.press("3").startswith("CON Anda tidak punya nomor antrean aktif.")


def test_changing_facility_by_code_and_language_are_remembered(
    phone: Handset, demo: Database
) -> None:
    remember(demo)
    phone.dial()
    phone.press("4")
    assert phone.press("1").startswith("CON Ketik kode puskesmas")
    assert phone.press("12").startswith("CON Kode terdiri dari 3-8 angka.")
    assert phone.press("2201").startswith("CON Puskesmas Rangkasbitung\n")
    phone.press("5")
    assert phone.press("2").startswith("CON Puskesmas Rangkasbitung\n1 Take a queue number")
    assert phone.dial().startswith("CON Puskesmas Rangkasbitung\n1 Take a queue number")
    with demo.transaction() as s:
        assert s.get_one(Phone, PHONE).language == "en"


def test_a_first_timer_chooses_district_then_facility(phone: Handset) -> None:
    phone.dial()
    districts = phone.press("2")
    assert districts.startswith("CON Pilih kabupaten/kota:\n1 Kabupaten Lebak")
    assert phone.press("2").startswith("CON Pilih puskesmas:\n1 Puskesmas Labuan\n2 Puskesmas")
    assert phone.press("1").startswith("CON Puskesmas Labuan\n1 Ambil nomor antrean")


def test_drop_off_records_every_screen_and_how_sessions_ended(
    phone: Handset, demo: Database
) -> None:
    remember(demo)
    phone.dial()
    phone.press("1")
    phone.press("9")
    abandoned = phone.session_id
    phone.dial("*123*1001*1*1*1*1#")
    finished = phone.session_id
    with demo.transaction() as s:
        first = s.get_one(UssdSession, abandoned)
        assert (first.outcome, first.last_screen, first.steps) == ("abandoned", "service", 3)
        steps = s.scalars(
            select(UssdStep).where(UssdStep.session_id == abandoned).order_by(UssdStep.id)
        ).all()
        assert [(step.screen, step.input_ok) for step in steps] == [
            ("main", True),
            ("service", True),
            ("service", False),
        ]
        second = s.get_one(UssdSession, finished)
        assert (second.outcome, second.last_screen) == ("finished", "booked")


@pytest.mark.parametrize(
    ("form", "reason"),
    [
        ({"serviceCode": "*123#", "phoneNumber": PHONE, "text": ""}, "missing field sessionId"),
        ({"sessionId": "s1", "serviceCode": "*123#", "text": ""}, "missing field phoneNumber"),
        (
            {"sessionId": "s1", "serviceCode": "*123#", "phoneNumber": "12", "text": ""},
            "phoneNumber is not a mobile phone number",
        ),
        (
            {"sessionId": "x" * 81, "serviceCode": "*1#", "phoneNumber": PHONE, "text": ""},
            "sessionId must be",
        ),
    ],
)
def test_malformed_callbacks_get_a_400_with_one_line(
    app: Flask, form: dict[str, str], reason: str
) -> None:
    response = app.test_client().post("/ussd", data=form)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert body.startswith(f"bad request: {reason}") and body.count("\n") == 1


def test_the_callback_key_guards_the_endpoint(
    database_url: str, demo: Database, tmp_path: object
) -> None:
    from antre import create_app
    from antre import database_of as database

    guarded = create_app({"DATABASE_URL": database_url, "CALLBACK_KEY": "s3cret"})
    form = {"sessionId": "s1", "serviceCode": "*123#", "phoneNumber": PHONE, "text": ""}
    client = guarded.test_client()
    try:
        assert client.post("/ussd", data=form).status_code == 403
        assert client.post("/ussd?key=s3cret", data=form).status_code == 200
    finally:
        database(guarded).dispose()
