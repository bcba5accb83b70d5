"""The checks behind the admin forms (booking/validation.py): pure, so a case table each."""

from __future__ import annotations

from collections.abc import Callable
from datetime import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from booking import limits
from booking import validation as check
from booking.admin import Rules, clean_rules
from booking.validation import Invalid
from texts import translate
from texts.gsm import is_gsm7


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("  Puskesmas   Cipocok\tJaya ", "Puskesmas Cipocok Jaya"),
        ("Puskesmas Pondok Kelapa Baru", "Puskesmas Pondok Kelapa Baru"),
        ("Klinik Café", "Klinik Café"),  # é is in GSM 03.38
        ("Klinik Cafe\u0301", "Klinik Café"),  # typed as e + combining accent: composed first
        ("P" * limits.MAX_FACILITY_NAME, "P" * limits.MAX_FACILITY_NAME),
    ],
)
def test_facility_names_are_stored_tidy(typed: str, stored: str) -> None:
    assert check.facility_name(typed) == stored


@pytest.mark.parametrize(
    "typed",
    ["", "   ", "P" * (limits.MAX_FACILITY_NAME + 1), "Puskesmas …", "Klinik ☺", "Klinik {X}"],
)
def test_facility_names_the_phone_would_change_are_refused(typed: str) -> None:
    with pytest.raises(Invalid) as refused:
        check.facility_name(typed)
    assert refused.value.field == "name"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Gigi, DENTAL ,, sakit  gigi,gigi", "gigi,dental,sakit gigi"),
        ("", ""),
        (" , ,", ""),
    ],
)
def test_synonyms_are_lower_case_unique_and_comma_separated(typed: str, stored: str) -> None:
    assert check.synonyms(typed) == stored


@pytest.mark.parametrize(
    "typed",
    [
        "gigi#",
        "g\u00e9gi",
        "satu dua tiga empat",
        "x" * 25,
        ",".join(f"kata{n}" for n in range(40)),
    ],
)
def test_synonyms_the_sms_parser_could_not_match_are_refused(typed: str) -> None:
    with pytest.raises(Invalid):
        check.synonyms(typed)


@pytest.mark.parametrize(
    ("rule", "typed", "stored"),
    [
        (check.service_code, " gigi ", "GIGI"),
        (check.service_code, "IMUNISASI2", "IMUNISASI2"),
        (check.prefix, "kb", "KB"),
        (check.facility_code, "1001", "1001"),
        (check.facility_code, "123456", "123456"),
        (check.bpjs_poli_code, "", None),
        (check.bpjs_poli_code, " gig ", "GIG"),
        (check.timezone, "Asia/Makassar", "Asia/Makassar"),
    ],
)
def test_codes_are_stored_as_the_channels_read_them(rule: object, typed: str, stored: str) -> None:
    assert rule(typed) == stored  # type: ignore[operator]


@pytest.mark.parametrize(
    ("rule", "typed"),
    [
        (check.service_code, "GIGI-ANAK"),
        (check.service_code, "ÜMUM"),
        (check.prefix, "Ä"),
        (check.facility_code, "123"),
        (check.facility_code, "1234567"),
        (check.facility_code, "12a4"),
        (check.timezone, "WIB"),
        (check.timezone, ""),
    ],
)
def test_codes_the_channels_could_not_read_are_refused(rule: object, typed: str) -> None:
    with pytest.raises(Invalid):
        rule(typed)  # type: ignore[operator]


def test_hours_must_end_after_they_start() -> None:
    assert check.hours(time(8), time(12)) == (time(8), time(12))
    for start, end in [(time(12), time(8)), (time(8), time(8))]:
        with pytest.raises(Invalid) as refused:
            check.hours(start, end)
        assert refused.value.field == "end_time"


DEFAULT_RULES = Rules(1, 60, 10, 5, 3, time(18), time(6), time(21), time(6))


def test_the_default_rules_pass_and_a_reminder_in_quiet_hours_does_not() -> None:
    assert clean_rules(DEFAULT_RULES) == DEFAULT_RULES
    daytime_quiet = Rules(1, 60, 10, 5, 3, time(13), None, time(12), time(14))
    with pytest.raises(Invalid) as refused:
        clean_rules(daytime_quiet)
    assert refused.value.field == "evening_reminder"


@given(st.text(max_size=80))
def test_any_name_is_either_refused_or_stored_within_the_limit_in_gsm7(typed: str) -> None:
    try:
        stored = check.service_name("name_id", typed)
    except Invalid as refused:
        assert refused.field == "name_id" and refused.message
        return
    assert 0 < len(stored) <= limits.MAX_SERVICE_NAME
    assert is_gsm7(stored) and "\n" not in stored and stored == stored.strip()


@given(st.text(max_size=300))
def test_any_synonym_list_is_either_refused_or_stored_as_the_parser_reads_it(typed: str) -> None:
    try:
        stored = check.synonyms(typed)
    except Invalid:
        return
    assert len(stored) <= limits.MAX_SYNONYMS
    for word in filter(None, stored.split(",")):
        assert word == word.casefold().strip() and word.isascii()


def test_a_refusal_carries_its_msgid_and_is_filled_in_after_translation() -> None:
    with pytest.raises(Invalid) as refused:
        check.service_name("name_id", "Poli Kesehatan Ibu dan Anak")
    error = refused.value
    assert error.field == "name_id"
    assert error.msgid == "At most {limit} characters (now {length})."
    assert error.params == {"limit": limits.MAX_SERVICE_NAME, "length": 27}
    assert error.message == "At most 24 characters (now 27)."
    assert (
        translate("id", error.msgid, **error.params) == "Paling banyak 24 karakter (sekarang 27)."
    )
    assert translate("en", error.msgid, **error.params) == error.message


@pytest.mark.parametrize(
    "refuse",
    [
        lambda: check.facility_name(""),
        lambda: check.facility_name("Klinik ☺"),
        lambda: check.plain_text("name", "a\x00b", 60),
        lambda: check.facility_code("12"),
        lambda: check.service_code("GIGI ANAK"),
        lambda: check.prefix("A1"),
        lambda: check.bpjs_doctor_code("D-1"),
        lambda: check.bpjs_poli_code("G-1"),
        lambda: check.synonyms("gigi#"),
        lambda: check.timezone("WIB"),
        lambda: check.number("capacity", 0, 1, 9),
        lambda: check.hours(None, time(9)),
        lambda: check.hours(time(9), None),
        lambda: check.hours(time(9), time(8)),
        lambda: clean_rules(Rules(1, 60, 10, 5, 3, time(18), time(6), time(21), time(21))),
    ],
)
def test_every_check_speaks_one_language_at_a_time(refuse: Callable[[], object]) -> None:
    with pytest.raises(Invalid) as refused:
        refuse()
    error = refused.value
    indonesian = translate("id", error.msgid, **error.params)
    assert " / " not in error.message and " / " not in indonesian
    assert indonesian != error.message  # translated, in booking.po
