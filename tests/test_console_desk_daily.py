"""The desk's everyday forms over HTTP: the search box answers any text with a page, a walk-in
goes to any bookable day, and priority is marked at booking or on the row."""

from __future__ import annotations

import html
from datetime import datetime, timedelta
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from booking.models import Booking, ClinicSession, Priority
from plumbing.db import Database
from tests.helpers import session_id, take, today
from tests.test_console_queue import PAGE, Desk, booking_id, clock, desk, umum

__all__ = ["clock", "desk", "umum"]  # the fixtures of the queue page's tests


def test_the_search_box_finds_by_phone_digits_and_masks_the_phone(
    desk: Desk, demo: Database, umum: int
) -> None:
    page = desk.page(f"{PAGE}?q=7802")
    hit = booking_id(demo, umum, "A-002")
    assert f'id="hit-{hit}"' in page and "Budi Santoso" in page and "HP …7802" in page
    assert "81234567802" not in page
    assert f'id="hit-arrived-{hit}"' in page  # acted on from the result


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(typed=st.text(st.characters(exclude_categories=("Cs",)), max_size=100))
@example(typed="")
@example(typed="\x00")
@example(typed="%_%")
@example(typed="<script>alert(1)</script>")
def test_any_text_in_the_search_box_is_answered_with_the_page(
    desk: Desk, demo: Database, umum: int, typed: str
) -> None:
    page = desk.page(PAGE + "?" + _query(typed))  # Desk.page asserts a 200
    assert 'id="search-problem"' in page or 'id="search-results"' in page or not typed.strip()
    assert "<script>alert" not in page


def _query(typed: str) -> str:
    return urlencode({"q": typed})


def test_empty_or_unclear_search_says_how_to_search(desk: Desk, demo: Database, umum: int) -> None:
    for typed in ("x", "12", "!!", "Budi123"):
        page = html.unescape(desk.page(f"{PAGE}?{_query(typed)}"))
        assert "Ketik nama (2 huruf atau lebih)" in page, typed


def test_a_walk_in_for_tomorrow_goes_to_tomorrows_session_at_the_same_time(
    desk: Desk, demo: Database, umum: int, now: datetime
) -> None:
    tomorrow = today(now) + timedelta(days=1)
    fields = {"name": "Dewi Lestari", "day": tomorrow.isoformat(), "priority": "pregnant"}
    answer = desk.click(f"/console/sessions/{umum}/walk-in", **fields)
    assert answer.status_code == 303
    tomorrows = session_id(demo, day=tomorrow)
    walk_in = booking_id(demo, tomorrows, "A-001")
    assert answer.headers["Location"] == f"{PAGE}?day={tomorrow.isoformat()}&ticket={walk_in}"
    assert desk.flashes(answer) == [
        f"Dewi Lestari terdaftar untuk {tomorrow:%d/%m/%Y}: nomor A-001."
    ]
    with demo.transaction() as s:
        booking = s.get_one(Booking, walk_in)
        assert booking.priority is Priority.PREGNANT
        assert (
            s.get_one(ClinicSession, booking.session_id).start_time
            == s.get_one(ClinicSession, umum).start_time
        )


@pytest.mark.parametrize("day", ["2026-02-30", "2030-01-01"])
def test_a_walk_in_for_a_day_not_booked_says_until_when(
    desk: Desk, demo: Database, umum: int, day: str
) -> None:
    answer = desk.click(f"/console/sessions/{umum}/walk-in", name="Dewi Lestari", day=day)
    assert answer.status_code == 409
    assert "Antrean hanya bisa diambil hari ini s.d." in html.unescape(
        answer.get_data(as_text=True)
    )


def test_a_priority_is_one_of_three_or_none(desk: Desk, demo: Database, umum: int) -> None:
    first = booking_id(demo, umum, "A-001")
    action = f"/console/bookings/{first}/priority"
    assert desk.click(action, priority="vip").status_code == 400
    answer = desk.click(action, priority="disabled")
    assert desk.flashes(answer) == ["A-001 kini pasien prioritas."]
    with demo.transaction() as s:
        assert s.get_one(Booking, first).priority is Priority.DISABLED
    page = desk.page()
    assert f'id="priority-{first}">Disabilitas<' in page
    answer = desk.click(action, priority="")
    assert desk.flashes(answer) == ["A-001 bukan lagi pasien prioritas."]
    with demo.transaction() as s:
        assert s.scalar(select(Booking.priority).where(Booking.id == first)) is None


def test_the_waiting_list_shows_the_order_calls_take(
    desk: Desk, demo: Database, umum: int, now: datetime
) -> None:
    third = take(demo, umum, "+6281234567803", now)
    desk.click(f"/console/bookings/{third.id}/priority", priority="elderly")
    page = desk.page()
    assert page.index(f'id="booking-{third.id}"') < page.index(
        f'id="booking-{booking_id(demo, umum, "A-001")}"'
    )
