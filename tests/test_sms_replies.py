"""Every SMS keyword, through `POST /sms/incoming`, into the engine and back as a reply.

The demo puskesmas 1001 (Puskesmas Cipocok Jaya) has Poli Umum (A) 08-12 and 13-16, Poli Gigi
(B) and Poli KIA (C) 08-12, today (Monday 23/11) and tomorrow; the clock says 07:30 WIB.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time, timedelta

import pytest
import time_machine
from flask import Flask
from sqlalchemy import select

from booking import notices, records
from booking.clinic_sessions import cancel_session
from booking.clock import utcnow
from booking.models import (
    Booking,
    BookingStatus,
    Channel,
    ClinicSession,
    Event,
    Facility,
    Outbox,
    Phone,
)
from booking.queue import call_next
from plumbing.db import Database
from tests.helpers import session_id, set_capacity, take, today
from tests.test_sms_incoming import OTHER_PHONE, PHONE, Inbox

MONDAY = "Sen 23/11"
TUESDAY = "Sel 24/11"


@pytest.fixture
def clock(now: datetime) -> Iterator[time_machine.Coordinates]:
    """The wall clock the endpoint reads, frozen at Monday 07:30 WIB; tests move it."""
    with time_machine.travel(now, tick=False) as traveller:
        yield traveller


@pytest.fixture
def inbox(app: Flask, demo: Database, clock: time_machine.Coordinates) -> Iterator[Inbox]:
    yield Inbox(app, demo)
    from antre import jobs

    jobs.runner(app).drain()


def bookings(inbox: Inbox, phone: str = PHONE) -> list[Booking]:
    with inbox.db.transaction() as s:
        rows = s.scalars(select(Booking).where(Booking.booked_by == phone).order_by(Booking.id))
        return list(rows)


def phone_row(inbox: Inbox, phone: str = PHONE) -> Phone | None:
    with inbox.db.transaction() as s:
        return s.get(Phone, phone)


def reminder(inbox: Inbox, booking: Booking, kind: str = notices.EVENING_REMINDER) -> None:
    """A reminder about `booking` in the outbox, as the notifications scan writes it."""
    inbox.db.run(
        lambda s: records.sms(
            s,
            phone=PHONE,
            body="Pengingat: balas 1 jika datang, 9 untuk batal.",
            kind=kind,
            now=utcnow(),
            booking_id=booking.id,
            dedupe_key=f"{kind}:{booking.id}",
        )
    )


def cancel_by_the_facility(inbox: Inbox, booking: Booking, reason: str) -> None:
    """Staff cancel the session of `booking`, and its SMS is in the outbox."""
    inbox.db.run(
        lambda s: cancel_session(
            s, booking.session_id, reason=reason, actor="nurse", channel="staff", now=utcnow()
        )
    )
    reminder(inbox, booking, notices.SESSION_CANCELLED)


# --- ANTRE -----------------------------------------------------------------------------------


def test_antre_with_service_and_facility_books_and_the_reply_is_the_receipt(inbox: Inbox) -> None:
    reply = inbox.send("ANTRE UMUM 1001")
    assert reply == (
        "Puskesmas Cipocok Jaya: nomor antrean Anda A-001, Poli Umum, Sen 23/11. "
        "0 orang di depan, perkiraan 08:00. Batal: BATAL A-001"
    )
    [booking] = bookings(inbox)
    assert (booking.channel, booking.display, booking.status) == (
        Channel.SMS,
        "A-001",
        BookingStatus.BOOKED,
    )
    assert inbox.count(Outbox, Outbox.kind == notices.RECEIPT_KIND) == 0  # the reply is it
    row = phone_row(inbox)
    assert row is not None and row.facility_id is not None


def test_the_receipt_counts_the_people_ahead_and_the_expected_time(inbox: Inbox) -> None:
    sid = session_id(inbox.db, service="GIGI", day=today(utcnow()))
    for n in range(3):
        take(inbox.db, sid, f"+62812000000{n:02d}", utcnow())
    reply = inbox.send("ANTRE GIGI 1001")
    assert reply is not None and "B-004" in reply and "3 orang di depan, perkiraan 08:30" in reply


def test_without_a_facility_code_the_phone_last_facility_is_used(inbox: Inbox) -> None:
    inbox.send("JADWAL 2001")
    reply = inbox.send("ANTRE GIGI BESOK")
    assert reply is not None and reply.startswith("Puskesmas Walantaka: nomor antrean Anda B-001")
    assert TUESDAY in reply


def test_a_first_timer_without_a_facility_code_is_asked_for_it_and_the_code_alone_books(
    inbox: Inbox,
) -> None:
    reply = inbox.send("ANTRE GIGI BESOK")
    assert reply is not None and reply.startswith("ANTRE GIGI besok: puskesmas mana?")
    assert "Balas kodenya saja, mis. 1001" in reply
    assert bookings(inbox) == []
    reply = inbox.send("1001")
    assert reply is not None and reply.startswith("Puskesmas Cipocok Jaya: nomor antrean Anda B-")
    assert TUESDAY in reply
    # The facility is remembered, and the question was answered once only.
    assert (inbox.send("ANTRE UMUM") or "").startswith("Puskesmas Cipocok Jaya: nomor antrean")


def test_the_window_refusal_names_the_last_day_the_facility_books(inbox: Inbox) -> None:
    with inbox.db.transaction() as s:
        s.scalars(select(Facility).where(Facility.code == "1001")).one().days_ahead = 3
    assert inbox.send("ANTRE UMUM 30-11 1001") == (
        "Antrean hanya bisa diambil hari ini s.d. Kam 26/11."
    )


def test_an_unknown_facility_code_gets_the_engines_refusal(inbox: Inbox) -> None:
    assert inbox.send("ANTRE UMUM 9999") == "Kode puskesmas 9999 tidak kami kenal."


def test_without_a_service_the_reply_offers_the_services_by_digit(inbox: Inbox) -> None:
    reply = inbox.send("ANTRE BESOK 1001")
    assert reply == "Puskesmas Cipocok Jaya, Sel 24/11: layanan apa? Balas 1 UMUM, 2 GIGI, 3 KIA"
    assert bookings(inbox) == []
    reply = inbox.send("2")
    assert reply is not None and reply.startswith("Puskesmas Cipocok Jaya: nomor antrean Anda B-")
    assert TUESDAY in reply


def test_besok_books_tomorrow_and_a_date_books_that_date(inbox: Inbox) -> None:
    assert TUESDAY in (inbox.send("ANTRE UMUM BESOK 1001") or "")
    assert TUESDAY in (inbox.send("ANTRE KIA 24-11") or "")
    assert [b.day for b in bookings(inbox)] == [today(utcnow()) + timedelta(days=1)] * 2


def test_a_weekday_name_means_the_next_such_day_in_the_facility_time(inbox: Inbox) -> None:
    assert TUESDAY in (inbox.send("antri umum selasa 1001") or "")
    assert MONDAY in (inbox.send("ANTRE GIGI SENIN 1001") or "")
    assert (
        inbox.send("ANTRE KIA RABU 1001") == "Antrean hanya bisa diambil hari ini s.d. Sel 24/11."
    )


def test_service_words_are_read_against_the_facility_own_services(inbox: Inbox) -> None:
    # "KB" is a service of its own in the default list, but at 1001 it is a word for KIA.
    # "ibu" is a relation or a title, not the name: the patient is Ratna.
    reply = inbox.send("mau antre kb bsk 1001 utk ibu ratna")
    assert reply is not None and reply.startswith("Ratna: C-001, Poli KIA, Sel 24/11")
    assert (inbox.send("ANTRE DENTAL") or "").startswith(
        "Puskesmas Cipocok Jaya: nomor antrean Anda B-001"
    )


def test_a_day_outside_the_booking_window_gets_the_engines_refusal(inbox: Inbox) -> None:
    expected = "Antrean hanya bisa diambil hari ini s.d. Sel 24/11."
    assert inbox.send("ANTRE UMUM LUSA 1001") == expected
    assert inbox.send("ANTRE UMUM 31-02 1001") == expected
    assert bookings(inbox) == []


def test_without_a_day_a_full_today_books_the_first_day_with_room(inbox: Inbox) -> None:
    day = today(utcnow())
    for start in (time(8), time(13)):
        set_capacity(inbox.db, session_id(inbox.db, day=day, start=start), 0)
    reply = inbox.send("ANTRE UMUM 1001")
    assert reply is not None and TUESDAY in reply and "A-001" in reply


def test_a_full_day_asked_for_gets_the_full_refusal(inbox: Inbox) -> None:
    set_capacity(inbox.db, session_id(inbox.db, service="GIGI", day=today(utcnow())), 0)
    assert inbox.send("ANTRE GIGI HARIINI 1001") == "Maaf, Poli Gigi 23/11 sudah penuh."


def test_untuk_books_for_a_family_member_by_name(inbox: Inbox) -> None:
    reply = inbox.send("ANTRE KIA BESOK 1001 UNTUK siti aminah")
    assert reply is not None and reply.startswith("Siti Aminah: C-001, Poli KIA, Sel 24/11")
    assert reply.endswith("Batal: BATAL C-001")
    [booking] = bookings(inbox)
    with inbox.db.transaction() as s:
        assert s.get_one(Booking, booking.id).person.name == "Siti Aminah"


def test_booking_twice_for_the_same_service_and_day_is_refused(inbox: Inbox) -> None:
    inbox.send("ANTRE UMUM 1001")
    assert (
        inbox.send("ANTRE UMUM 1001") == "Anda sudah punya nomor A-001 untuk Poli Umum Sen 23/11."
    )
    assert len(bookings(inbox)) == 1


# --- BATAL -----------------------------------------------------------------------------------


def test_batal_without_a_ticket_cancels_the_only_booking(inbox: Inbox) -> None:
    inbox.send("ANTRE UMUM 1001")
    reply = inbox.send("BATAL")
    assert reply is not None and reply.startswith(
        "Nomor A-001, Poli Umum, Sen 23/11 sudah dibatalkan"
    )
    assert [b.status for b in bookings(inbox)] == [BookingStatus.CANCELLED]


@pytest.mark.parametrize("text", ["ga jadi antre gigi besok", "maaf saya batal datang"])
def test_a_cancel_in_ordinary_words_asks_before_it_cancels_the_only_booking(
    inbox: Inbox, text: str
) -> None:
    # The words may mean another booking than the one the phone holds ("gigi besok" here,
    # while the number is Poli Umum today): a wrong cancel is worse than a question.
    inbox.send("ANTRE UMUM 1001")
    assert inbox.send(text) == "Batalkan A-001, Poli Umum, Sen 23/11? Balas BATAL A-001"
    assert [b.status for b in bookings(inbox)] == [BookingStatus.BOOKED]
    assert inbox.send("BATAL A-001") is not None
    assert [b.status for b in bookings(inbox)] == [BookingStatus.CANCELLED]


def test_batal_with_several_bookings_lists_them_and_asks_which(inbox: Inbox) -> None:
    inbox.send("ANTRE UMUM 1001")
    inbox.send("ANTRE GIGI 1001 UNTUK Budi Santoso")
    reply = inbox.send("CANCEL")
    assert reply == "Anda punya 2 nomor: A-001, B-001 Budi. Yang mana? Mis. BATAL A-001"
    assert {b.status for b in bookings(inbox)} == {BookingStatus.BOOKED}
    assert inbox.send("BATAL B-001") is not None
    assert [b.status for b in bookings(inbox)] == [BookingStatus.BOOKED, BookingStatus.CANCELLED]


def test_batal_of_an_unknown_ticket_or_without_bookings_is_refused(inbox: Inbox) -> None:
    assert inbox.send("BATAL") == "Anda tidak punya nomor antrean aktif."
    inbox.send("ANTRE UMUM 1001")
    assert inbox.send("BATAL C-077") == "Nomor antrean itu tidak ada untuk HP ini."


def test_batal_after_being_called_is_refused(inbox: Inbox) -> None:
    inbox.send("ANTRE UMUM 1001")
    [booking] = bookings(inbox)
    inbox.db.run(
        lambda s: call_next(s, booking.session_id, actor="nurse", channel="staff", now=utcnow())
    )
    assert inbox.send("BATAL") == "Nomor A-001 sudah dipanggil, tidak bisa dibatalkan."


# --- CEK, JADWAL, HADIR ----------------------------------------------------------------------


def test_cek_shows_each_booking_with_now_serving_people_ahead_and_time(inbox: Inbox) -> None:
    sid = session_id(inbox.db, day=today(utcnow()))
    take(inbox.db, sid, OTHER_PHONE, utcnow())
    inbox.send("ANTRE UMUM 1001")
    inbox.send("ANTRE GIGI BESOK 1001")
    inbox.db.run(lambda s: call_next(s, sid, actor="nurse", channel="staff", now=utcnow()))
    reply = inbox.send("CEK")
    assert reply == (
        "A-002 Poli Umum Sen 23/11: dilayani A-001, 1 di depan, kira2 08:10\n"
        "B-001 Poli Gigi Sel 24/11: belum mulai, 0 di depan, kira2 08:00"
    )


def test_cek_with_many_bookings_still_fits_one_sms(inbox: Inbox) -> None:
    names = ["Siti Aminah", "Budi Santoso", "Dewi Lestari", "Agus Salim"]
    for name in names:
        inbox.send(f"ANTRE UMUM 1001 UNTUK {name}")
        inbox.send(f"ANTRE GIGI BESOK 1001 UNTUK {name}")
    reply = inbox.send("STATUS")
    assert reply is not None and len(reply) <= 160
    assert reply.startswith("A-001 Sen 23/11: 0 di depan, ~08:00") and "lagi" in reply


def test_cek_without_bookings_says_so(inbox: Inbox) -> None:
    assert inbox.send("CEK") == "Anda tidak punya nomor antrean aktif."


def test_jadwal_shows_places_left_today_and_tomorrow(inbox: Inbox) -> None:
    inbox.send("ANTRE GIGI 1001")
    assert inbox.send("JADWAL 1001") == (
        "Puskesmas Cipocok Jaya, sisa kuota. Hari ini: UMUM 80, GIGI 39, KIA 40. "
        "Besok: UMUM 80, GIGI 40, KIA 40."
    )


def test_jadwal_without_a_code_for_a_first_timer_asks_for_it(inbox: Inbox) -> None:
    reply = inbox.send("INFO")
    assert reply is not None and "JADWAL 1001" in reply


def test_hadir_checks_in_todays_booking(inbox: Inbox) -> None:
    inbox.send("ANTRE UMUM 1001")
    reply = inbox.send("HADIR")
    assert reply is not None and reply.startswith("Selamat datang! A-001 sudah tercatat hadir.")
    assert [b.status for b in bookings(inbox)] == [BookingStatus.CHECKED_IN]


def test_hadir_with_only_a_booking_for_tomorrow_checks_nothing_in(inbox: Inbox) -> None:
    assert inbox.send("HADIR") == "Anda tidak punya nomor antrean aktif."
    inbox.send("ANTRE UMUM BESOK 1001")
    assert inbox.send("HADIR") == (
        "Anda tidak punya nomor antrean untuk hari ini. Kirim CEK untuk melihat nomor Anda."
    )
    assert [b.status for b in bookings(inbox)] == [BookingStatus.BOOKED]


# --- language, reminders on and off, help ----------------------------------------------------


def test_bahasa_en_switches_every_later_reply_to_english(inbox: Inbox) -> None:
    assert inbox.send("BAHASA EN") == "OK, your SMS will be in English from now on."
    reply = inbox.send("ANTRE UMUM 1001")
    assert reply is not None and reply.startswith("Puskesmas Cipocok Jaya: your number is A-001")
    assert "General clinic, Mon 23/11" in reply
    assert inbox.send("LANG ID") == "Baik, SMS untuk Anda sekarang dalam Bahasa Indonesia."
    row = phone_row(inbox)
    assert row is not None and row.language == "id"


def test_stop_turns_reminders_off_and_mulai_turns_them_back_on(inbox: Inbox) -> None:
    reply = inbox.send("STOP")
    assert reply is not None and reply.startswith("Pengingat dimatikan.")
    row = phone_row(inbox)
    assert row is not None and row.reminders_off
    # Answers to the patient's own SMS still go.
    assert inbox.send("CEK") == "Anda tidak punya nomor antrean aktif."
    assert inbox.send("MULAI") == "Pengingat dinyalakan lagi. Kirim STOP untuk mematikannya."
    row = phone_row(inbox)
    assert row is not None and not row.reminders_off


def test_help_and_anything_else_get_a_short_friendly_reply(inbox: Inbox) -> None:
    assert (inbox.send("BANTUAN") or "").startswith("ANTRE UMUM BESOK 1001 = ambil nomor")
    assert inbox.send("?") == inbox.send("HELP")
    assert inbox.send("halo selamat pagi") == inbox.send("HELP")  # a greeting gets the help
    reply = inbox.send("xyzzy qwerty")
    assert reply is not None and reply.startswith("Maaf") and "ANTRE UMUM BESOK 1001" in reply
    assert inbox.inbound().understood is False


# --- YA and digit replies to reminders -------------------------------------------------------


def two_bookings(inbox: Inbox) -> tuple[Booking, Booking]:
    inbox.send("ANTRE UMUM BESOK 1001")
    inbox.send("ANTRE KIA BESOK 1001 UNTUK Siti Aminah")
    own, siti = bookings(inbox)
    return own, siti


def test_digit_1_confirms_the_booking_the_latest_reminder_was_about(inbox: Inbox) -> None:
    _, siti = two_bookings(inbox)
    reminder(inbox, siti)
    reply = inbox.send("1")
    assert reply == "Terima kasih, kami tunggu: C-001, Poli KIA, Sel 24/11, perkiraan 08:00."
    assert [b.confirmed for b in bookings(inbox)] == [False, True]
    with inbox.db.transaction() as s:
        assert s.scalar(select(Event.booking_id).where(Event.kind == "confirmed")) == siti.id


def test_ya_confirms_like_1_and_without_a_reminder_there_is_nothing_to_confirm(
    inbox: Inbox,
) -> None:
    own, _ = two_bookings(inbox)
    assert inbox.send("YA") == (
        "Tidak ada pengingat yang perlu dijawab. Kirim CEK untuk melihat nomor Anda."
    )
    reminder(inbox, own, notices.MORNING_REMINDER)
    assert (inbox.send("YES") or "").startswith("Terima kasih, kami tunggu: A-001")
    assert [b.confirmed for b in bookings(inbox)] == [True, False]


def test_digit_9_cancels_the_booking_the_latest_reminder_was_about(
    inbox: Inbox, clock: time_machine.Coordinates
) -> None:
    own, siti = two_bookings(inbox)
    reminder(inbox, own)
    clock.shift(timedelta(minutes=5))
    reminder(inbox, siti)
    clock.shift(timedelta(minutes=5))
    reply = inbox.send("9")
    assert reply is not None and reply.startswith(
        "Nomor C-001, Poli KIA, Sel 24/11 sudah dibatalkan"
    )
    assert [b.status for b in bookings(inbox)] == [BookingStatus.BOOKED, BookingStatus.CANCELLED]


def test_a_digit_long_after_the_reminder_gets_the_help_reply(
    inbox: Inbox, clock: time_machine.Coordinates
) -> None:
    own, _ = two_bookings(inbox)
    reminder(inbox, own)
    clock.shift(timedelta(hours=18, minutes=1))
    reply = inbox.send("1")
    assert reply is not None and reply.startswith("Maaf, SMS Anda tidak kami pahami.")
    assert inbox.inbound().understood is False
    assert [b.confirmed for b in bookings(inbox)] == [False, False]


def test_a_digit_without_any_reminder_gets_the_help_reply(inbox: Inbox) -> None:
    inbox.send("ANTRE UMUM 1001")
    reply = inbox.send("9")
    assert reply is not None and reply.startswith("Maaf")
    assert [b.status for b in bookings(inbox)] == [BookingStatus.BOOKED]


def test_another_digit_after_a_reminder_says_which_digits_work(inbox: Inbox) -> None:
    own, _ = two_bookings(inbox)
    reminder(inbox, own)
    assert inbox.send("5") == "Balas 1 jika Anda akan datang, atau 9 untuk membatalkan nomor A-001."


def test_1_after_a_cancelled_session_books_the_next_open_session(inbox: Inbox) -> None:
    inbox.send("ANTRE UMUM 1001 UNTUK Siti Aminah")
    [cancelled] = bookings(inbox)
    cancel_by_the_facility(inbox, cancelled, "dokter sakit")
    reply = inbox.send("1")
    # The afternoon continues the day's numbers: A-001 was the cancelled morning number.
    assert reply is not None and reply.startswith("Siti Aminah: A-002, Poli Umum, Sen 23/11")
    old, new = bookings(inbox)
    assert old.status == BookingStatus.CANCELLED_BY_FACILITY
    with inbox.db.transaction() as s:
        session = s.get_one(ClinicSession, new.session_id)
        assert (session.start_time, new.status) == (time(13), BookingStatus.BOOKED)


def test_1_after_a_cancelled_session_with_none_open_says_so(inbox: Inbox) -> None:
    inbox.send("ANTRE GIGI BESOK 1001")
    [cancelled] = bookings(inbox)
    cancel_by_the_facility(inbox, cancelled, "libur")
    assert inbox.send("1") == (
        "Maaf, belum ada jadwal Poli Gigi yang buka. Kirim JADWAL untuk melihat sisa kuota."
    )
    assert len(bookings(inbox)) == 1
