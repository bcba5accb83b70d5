"""Any text at all: the parser answers with a command, fast, and never raises."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sms.parser import Book, Cancel, Command, Unknown, parse

KEYWORDS = ["antre", "antri", "daftar", "book", "batal", "cek", "jadwal", "hadir", "stop"]
SERVICES = ["gigi", "umum", "kia", "poli gigi", "dental", "lansia"]
DAYS = ["besok", "bsk", "hari ini", "lusa", "senin", "24/11", ""]
SEPARATORS = [" ", "  ", "#", "*", ".", ",", " # "]

COMMAND_TYPES = Command.__args__  # type: ignore[attr-defined]


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=1000))
def test_any_text_parses_to_a_command(text: str) -> None:
    assert isinstance(parse(text), COMMAND_TYPES)


@st.composite
def keyword_messages(draw: st.DrawFn) -> tuple[str, str]:
    parts = [
        draw(st.sampled_from(KEYWORDS)),
        draw(st.sampled_from(SERVICES)),
        draw(st.sampled_from(DAYS)),
        draw(st.sampled_from(["", "1001", "2101"])),
    ]
    separator = draw(st.sampled_from(SEPARATORS))
    return " ".join(p for p in parts if p), separator.join(p for p in parts if p)


@settings(max_examples=300, deadline=None)
@given(keyword_messages(), st.sampled_from([str.upper, str.lower, str.title, str.swapcase]))
def test_case_and_separators_do_not_change_the_command(
    message: tuple[str, str], case: object
) -> None:
    plain, separated = message
    assert callable(case)
    expected = parse(plain)
    assert parse(case(separated)) == expected
    assert parse(f"  {separated}  ") == expected


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(SERVICES), st.text(max_size=60))
def test_a_booking_keyword_always_reads_as_a_booking(service: str, tail: str) -> None:
    command = parse(f"ANTRE {service} {tail}")
    assert isinstance(command, Book)
    if command.for_name is not None:
        assert 2 <= len(command.for_name) <= 30


@settings(max_examples=200, deadline=None)
@given(st.from_regex(r"[A-Za-z] ?-? ?[0-9]{1,4}", fullmatch=True))
def test_any_ticket_after_batal_is_normalised(ticket: str) -> None:
    command = parse(f"batal {ticket}")
    assert isinstance(command, Cancel) and command.ticket is not None
    letter, number = command.ticket.split("-")
    assert letter.isupper() and len(number) >= 3 and number.isdigit()


def test_unknown_keeps_the_text_for_the_figures() -> None:
    assert parse("  apa ini  ") == Unknown("apa ini")
