"""A database error names the statement, never the values it carried: those are phone numbers,
names, BPJS card numbers and SMS bodies, and a logged error would print them.

PostgreSQL's own DETAIL line still names what it refused (a duplicated key's values, a failing
row): the values these tests look for are ones PostgreSQL does not name there."""

from __future__ import annotations

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from booking.models import Person, Phone
from plumbing.db import Database

PHONE = "+6281234567890"
CARD = "0001234567890"


def test_a_failed_statement_says_which_one_and_not_what_it_carried(db: Database) -> None:
    with pytest.raises(IntegrityError) as raised, db.transaction() as s:
        # No facility 999999: the row is refused for its facility, and carries a phone.
        s.execute(insert(Phone).values(number=PHONE, language="id", facility_id=999_999))
    said = str(raised.value)
    assert "INSERT INTO phones" in said
    assert PHONE not in said
    assert "hidden due to hide_parameters" in said


def test_a_failed_flush_does_not_show_a_name_or_a_card_number(db: Database) -> None:
    siti = {"phone": PHONE, "name": "Siti Aminah", "name_key": "siti aminah"}
    with db.transaction() as s:
        s.add(Person(**siti))
    with pytest.raises(IntegrityError) as raised, db.transaction() as s:
        s.add(Person(**siti, bpjs_number=CARD))  # the same person twice
    said = str(raised.value)
    assert "persons" in said
    # The key (phone, name_key) is in PostgreSQL's DETAIL; the card and the name as typed
    # are only in the statement's values.
    assert CARD not in said and "Siti Aminah" not in said
