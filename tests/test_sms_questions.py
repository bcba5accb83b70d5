"""Precision before recall, through `POST /sms/incoming`: an unclear request gets one question
with digit choices, the answer completes it, and a reminder's answer in words is an answer.

The demo puskesmas 1001 books today (Monday 23/11) and tomorrow; the clock says 07:30 WIB.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from booking.models import BookingStatus, Outbox
from sms.models import InboundSms, PendingRequest
from tests.helpers import today
from tests.test_sms_incoming import PHONE, Inbox, clock, inbox

__all__ = ["clock", "inbox"]  # the fixtures these tests use
from tests.test_sms_replies import MONDAY, TUESDAY, bookings, cancel_by_the_facility, reminder


def sms_from_patient(box: Inbox) -> int:
    return box.count(InboundSms, InboundSms.phone == PHONE)


@pytest.mark.parametrize("unclear", ["nanti", "isuk", "xyzq", "3", "45/13"])
def test_an_unclear_day_gets_one_question_and_the_digit_books_that_day(
    inbox: Inbox, unclear: str
) -> None:
    reply = inbox.send(f"ANTRE GIGI {unclear} 1001")
    assert reply == "Poli Gigi, Puskesmas Cipocok Jaya: hari apa? Balas 1 hari ini, 2 besok"
    assert bookings(inbox) == []
    reply = inbox.send("2")
    assert reply is not None and "B-001, Poli Gigi, " + TUESDAY in reply
    [booking] = bookings(inbox)
    assert booking.day == today(booking.created_at) + timedelta(days=1)
    assert sms_from_patient(inbox) == 2
    # The question is answered: a later "1" is no answer to it any more.
    assert (inbox.send("1") or "").startswith("Maaf")


def test_the_answer_to_the_day_question_may_be_a_day_word(inbox: Inbox) -> None:
    inbox.send("antre umum pagi2 bgt 1001")
    reply = inbox.send("hari ini")
    assert reply is not None and "A-001, Poli Umum, " + MONDAY in reply


def test_a_regional_or_misspelt_tomorrow_books_tomorrow_not_today(inbox: Inbox) -> None:
    for text in ("antre umum isukan 1001", "antri gigi sesuk", "antre kia beshok"):
        assert TUESDAY in (inbox.send(text) or ""), text
    assert {b.day for b in bookings(inbox)} == {today(bookings(inbox)[0].created_at) + timedelta(1)}


def test_two_different_days_are_asked_about(inbox: Inbox) -> None:
    # Today is Monday, so "besok senin" names two days.
    reply = inbox.send("antre umum besok senin 1001")
    assert reply is not None and "hari apa?" in reply and bookings(inbox) == []


def test_a_question_left_unanswered_expires(inbox: Inbox, clock: time_machine.Coordinates) -> None:
    inbox.send("ANTRE GIGI nanti 1001")
    clock.shift(timedelta(minutes=11))
    assert (inbox.send("2") or "").startswith("Maaf")
    assert bookings(inbox) == []


def test_another_command_instead_of_the_answer_drops_the_question(inbox: Inbox) -> None:
    inbox.send("ANTRE GIGI nanti 1001")
    assert inbox.send("CEK") == "Anda tidak punya nomor antrean aktif."
    with inbox.db.transaction() as s:
        assert s.scalars(select(PendingRequest)).first() is None


def test_untuk_besok_is_a_day_and_a_code_after_the_name_is_a_code(inbox: Inbox) -> None:
    assert TUESDAY in (inbox.send("antre gigi buat bsk? 1001") or "")
    reply = inbox.send("antre umum untuk siti aminah 1001 besok")
    assert reply is not None and reply.startswith("Siti Aminah: A-001, Poli Umum, " + TUESDAY)


def test_glued_and_decorated_requests_book(inbox: Inbox) -> None:
    assert TUESDAY in (inbox.send("“ANTRE”-GIGI-BESOK1001") or "")
    assert TUESDAY in (inbox.send("antreumumbesok") or "")


# --- answers to a reminder in words -----------------------------------------------------------


@pytest.mark.parametrize("text", ["iya insya Allah", "ok 👍", "Insya Allah datang bu", "siap"])
def test_a_yes_in_words_to_a_reminder_confirms(inbox: Inbox, text: str) -> None:
    inbox.send("ANTRE UMUM BESOK 1001")
    [booking] = bookings(inbox)
    reminder(inbox, booking)
    assert (inbox.send(text) or "").startswith("Terima kasih, kami tunggu: A-001")
    assert [b.confirmed for b in bookings(inbox)] == [True]


@pytest.mark.parametrize("text", ["ga jadi", "tdk jd", "batal aja", "maaf tidak bisa datang"])
def test_a_cancel_in_words_to_a_reminder_cancels_that_booking(inbox: Inbox, text: str) -> None:
    inbox.send("ANTRE UMUM BESOK 1001")
    inbox.send("ANTRE KIA BESOK 1001 UNTUK Siti")
    _, siti = bookings(inbox)
    reminder(inbox, siti)
    assert (inbox.send(text) or "").startswith("Nomor C-001, Poli KIA, Sel 24/11 sudah dibatalkan")
    assert [b.status for b in bookings(inbox)] == [BookingStatus.BOOKED, BookingStatus.CANCELLED]


def test_a_service_word_in_a_reply_to_a_reminder_makes_no_new_booking(inbox: Inbox) -> None:
    inbox.send("ANTRE UMUM BESOK 1001")
    [booking] = bookings(inbox)
    reminder(inbox, booking)
    assert inbox.send("poli umum jam berapa?") == (
        "Balas 1 jika Anda akan datang, atau 9 untuk membatalkan nomor A-001."
    )
    assert len(bookings(inbox)) == 1
    # An explicit keyword is still a new booking.
    assert "B-001" in (inbox.send("ANTRE GIGI BESOK") or "")


def test_pindah_after_a_cancelled_session_rebooks(inbox: Inbox) -> None:
    inbox.send("ANTRE UMUM 1001 UNTUK Siti Aminah")
    [cancelled] = bookings(inbox)
    cancel_by_the_facility(inbox, cancelled, "dokter sakit")
    # The afternoon continues the day's numbers: A-001 was the cancelled morning number.
    assert (inbox.send("iya mau pindah") or "").startswith("Siti Aminah: A-002, Poli Umum")
    assert inbox.count(Outbox) >= 2
