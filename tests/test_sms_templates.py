"""Every SMS template, in every language, with the longest real data, is one GSM-7 segment.

The templates are the SMS replies (sms/replies.py, Indonesian in texts/locale/id/sms.po), the
engine's refusals (booking/errors.py), which are sent as replies, and the engine's own SMS
(booking/notices.py). Each is filled in through `texts.translate` with no shortening, from
a table of the longest value each placeholder can really take.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from booking import notices
from booking.errors import Reason
from sms import replies
from texts import LANGUAGES, catalog, placeholders, translate
from texts.gsm import SEGMENT_SEPTETS, is_gsm7, septets

# The longest real value of every placeholder. Names: facilities up to 32 characters, services
# up to 24, people up to 30; numbers up to A-9999; up to 999 people ahead.
LONGEST: dict[str, object] = {
    "facility": "Puskesmas Karang Tengah Cibodas.",
    "service": "Poli Kesehatan Ibu Anak.",
    "name": "Maria Magdalena Wahyuningtyas.",
    "number": "A-9999",
    "serving": "A-9998",
    "example": "A-9999",
    "day": {"id": "Kam 31/12", "en": "Thu 31/12"},
    "next": {"id": "Kam 31/12 13:00", "en": "Thu 31/12 13:00"},
    "time": "23:59",
    "ahead": 999,
    "count": 10,
    "limit": 99,
    "taken": 9999,
    "card": "*7890",  # a BPJS card number as an SMS shows it: its last four digits
    "code": "12345678",  # a facility code as typed, cut to its column's 8 characters
    # Staff's free-text reason is shortened by notices to fit; the template must leave room
    # for at least a reason this long.
    "reason": "dokter tugas luar kota",
    # List fields hold as many items as fit (tested below); the template must fit one item.
    "codes": "IMUNISASI_BALITA",
    "tickets": "A-9999 Magdalena",
    "numbers": "A-9999",
    # The one question: what was understood, then digit choices (as many as fit).
    "request": "ANTRE IMUNISASI_BALITA Kam 31/12",
    "choices": "1 hari ini, 2 besok",
    "today": "IMUNISASI_BALITA 999",
    "tomorrow": "IMUNISASI_BALITA 999",
}
REAL_LIMITS = {"facility": 32, "service": 24, "name": 30}

SMS_REPLIES = sorted(
    value
    for name, value in vars(replies).items()
    if name.isupper() and not name.startswith("_") and isinstance(value, str)
)
REFUSALS = sorted(reason.message for reason in Reason)
NOTICES = sorted(
    value
    for name, value in vars(notices).items()
    if name.isupper()
    and isinstance(value, str)
    and value not in notices.REPLYABLE_KINDS
    and value != notices.RECEIPT_KIND
)
# Engine templates that overflow with the longest data: owned by booking/notices.py, reported
# to its owner. Strict, so this list has to shrink when they are fixed.
TOO_LONG_IN_ENGINE: set[tuple[str, str]] = set()


def cases() -> list[object]:
    found = []
    for msgid in SMS_REPLIES + REFUSALS + NOTICES:
        for language in LANGUAGES:
            marks = (
                [pytest.mark.xfail(strict=True, reason="booking/notices.py template too long")]
                if (msgid, language) in TOO_LONG_IN_ENGINE
                else []
            )
            found.append(pytest.param(msgid, language, marks=marks, id=f"{language}:{msgid[:40]}"))
    return found


def test_the_longest_values_are_as_long_as_the_real_limits() -> None:
    for field, limit in REAL_LIMITS.items():
        assert len(str(LONGEST[field])) == limit, field


@pytest.mark.parametrize(("msgid", "language"), cases())
def test_every_template_fits_one_gsm7_segment_with_the_longest_data(
    msgid: str, language: str
) -> None:
    missing = [name for name in placeholders(msgid) if name not in LONGEST]
    assert not missing, f"no longest value for {missing}: add it to LONGEST"
    text = translate(language, msgid, **{name: LONGEST[name] for name in placeholders(msgid)})
    assert is_gsm7(text)
    assert septets(text) <= SEGMENT_SEPTETS, f"{septets(text)} septets: {text}"


def test_every_sms_reply_has_an_indonesian_translation_with_the_same_placeholders() -> None:
    indonesian = catalog("id")
    for msgid in SMS_REPLIES:
        assert msgid in indonesian, f"not translated: {msgid}"
        assert sorted(placeholders(indonesian[msgid])) == sorted(placeholders(msgid)), msgid


def test_the_sms_catalog_holds_no_stale_messages() -> None:
    path = Path(__file__).resolve().parent.parent / "texts" / "locale" / "id" / "sms.po"
    with path.open("rb") as handle:
        ids = {str(message.id) for message in read_po(handle) if message.id}
    assert ids == set(SMS_REPLIES)


@pytest.mark.parametrize("language", LANGUAGES)
def test_lists_show_as_many_items_as_fit_and_count_the_rest(language: str) -> None:
    tickets = [f"A-{n:04d} Magdalena" for n in range(9990, 10000)]
    text = replies.with_list(
        language, replies.WHICH_TO_CANCEL, "tickets", tickets, count=10, example="A-9990"
    )
    assert septets(text) <= SEGMENT_SEPTETS
    assert "A-9990 Magdalena" in text
    assert ("+" in text) and "A-9999 Magdalena" not in text

    codes = [f"SERVICE_{n:08d}" for n in range(12)]
    places = [(code, 999, 999) for code in codes]
    text = replies.schedule(language, str(LONGEST["facility"]), places)
    assert septets(text) <= SEGMENT_SEPTETS and codes[0] in text and "+" in text

    lines = [f"A-{n:04d} Kam 31/12: 999 ahead, ~23:59" for n in range(10)]
    text = replies.first_lines(language, lines)
    assert septets(text) <= SEGMENT_SEPTETS and lines[0] in text and "+" in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_data_longer_than_the_real_limits_is_shortened_not_sent_as_two_segments(
    language: str,
) -> None:
    text = replies.render(
        language,
        replies.BOOKED_FOR,
        facility="Puskesmas " + "Sukamaju Kidul " * 5,
        name="Raden Ayu " * 3,
        service="Poli Kesehatan Ibu dan Anak Terpadu",
        number="A-9999",
        day=LONGEST["day"],
        ahead=999,
        time="23:59",
    )
    assert is_gsm7(text) and septets(text) <= SEGMENT_SEPTETS
    assert text.count("A-9999") == 2  # the number and how to cancel survive


@pytest.mark.parametrize("language", LANGUAGES)
def test_staff_typed_accents_and_curly_quotes_are_transliterated(language: str) -> None:
    text = replies.render(
        language,
        replies.BOOKED_FOR,
        facility="Puskesmas “Cipocok” — Jaya",
        name="Zoë Ñuñez 😀",
        service="Poli Umum",
        number="A-012",
        day=LONGEST["day"],
        ahead=3,
        time="08:30",
    )
    assert is_gsm7(text) and '"Cipocok" - Jaya' in text
