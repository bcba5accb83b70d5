"""The store's record of a screen reads the same across a deploy: a Context field renamed in
the code keeps the name the store has always used, both ways."""

from __future__ import annotations

from ussd.context import Context
from ussd.conversation import _place_of, _place_record

PHONE = "+6281234567801"


def test_a_screen_kept_by_the_version_before_is_read_with_its_clinic_session() -> None:
    written_before = {
        "screen": "confirm",
        "context": {"language": "id", "facility_id": 1, "service_id": 2, "session_id": 7},
        "page": 0,
        "input": "1",
        "index": 3,
    }
    place = _place_of(written_before, PHONE)
    assert place.context == Context(PHONE, "id", 1, service_id=2, clinic_session_id=7)
    # And what this version writes, the version before reads: the same key as it wrote.
    assert _place_record(place) == written_before
