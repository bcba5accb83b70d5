"""A facility's own numbers: kept comparable, managed by command and on the facility's admin
page, and an SMS to one books there without a facility code."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from antre.cli import cli
from booking import facility_numbers
from booking.facilities import facility_by_code
from booking.models import Booking
from booking.validation import Invalid
from plumbing.db import Database
from tests.test_sms_incoming import Inbox

# label, as typed, as kept
NUMBER_CASES = [
    ("an international mobile number", "+62 812-3456-7890", "+6281234567890"),
    ("a national mobile number", "0812 3456 7890", "+6281234567890"),
    ("the same without a plus", "6281234567890", "+6281234567890"),
    ("a short code", "1234", "1234"),
    ("a long short code", "99876", "99876"),
    ("the Android phone's line", "Android", "android"),
]


@pytest.mark.parametrize(
    ("typed", "kept"), [c[1:] for c in NUMBER_CASES], ids=[c[0] for c in NUMBER_CASES]
)
def test_a_number_is_kept_as_gateways_give_it(typed: str, kept: str) -> None:
    assert facility_numbers.number_key(typed) == kept


@pytest.mark.parametrize("typed", ["", "12", "+62 abc", "dua belas", "💬", "1" * 40])
def test_what_is_no_number_is_refused_with_a_message(typed: str) -> None:
    with pytest.raises(Invalid) as refused:
        facility_numbers.number_key(typed)
    assert refused.value.field == "number" and "short code" in refused.value.message


def test_antre_number_add_list_remove(app: Flask, demo: Database) -> None:
    runner = app.test_cli_runner()
    added = runner.invoke(cli, ["number", "add", "0812 3456 7890", "--facility", "1001"])
    assert added.exit_code == 0 and "+6281234567890 belongs to facility 1001" in added.output
    listed = runner.invoke(cli, ["number", "list"])
    assert listed.output.splitlines() == ["+6281234567890\t1001\t(default)"]
    unknown = runner.invoke(cli, ["number", "add", "1234", "--facility", "9999"])
    assert unknown.exit_code == 2 and "no facility with the code '9999'" in unknown.output
    nonsense = runner.invoke(cli, ["number", "add", "dua belas", "--facility", "1001"])
    assert nonsense.exit_code == 2 and "short code" in nonsense.output
    removed = runner.invoke(cli, ["number", "remove", "+6281234567890"])
    assert removed.exit_code == 0
    again = runner.invoke(cli, ["number", "remove", "+6281234567890"])
    assert again.exit_code == 2 and "is not a facility number" in again.output


def test_an_sms_to_a_facility_number_books_there_without_a_code(
    app: Flask, demo: Database, clock: object
) -> None:
    demo.run(lambda s: facility_numbers.add(s, "21345", facility_by_code(s, "2001")))
    inbox = Inbox(app, demo)
    reply = inbox.post("ANTRE UMUM BESOK", to="21345")
    assert reply.status_code == 200
    with demo.transaction() as s:
        booking = s.scalars(select(Booking)).one()
        assert booking.session.service.facility.code == "2001"
    # A code in the text still wins over the number it was sent to.
    assert (
        inbox.post("ANTRE GIGI BESOK 1001", to="21345", sender="+6285712345678").status_code == 200
    )
    with demo.transaction() as s:
        codes = sorted(b.session.service.facility.code for b in s.scalars(select(Booking)))
    assert codes == ["1001", "2001"]


def test_an_sms_from_a_facility_number_is_never_answered(
    app: Flask, demo: Database, clock: object
) -> None:
    demo.run(lambda s: facility_numbers.add(s, "+6281111111111", facility_by_code(s, "1001")))
    inbox = Inbox(app, demo)
    assert inbox.send("ANTRE UMUM BESOK 1001", sender="+6281111111111") is None
