"""In a real browser: what the desk needs every day. Search by name, phone or card digits and
ticket code; a walk-in or phone-in for tomorrow; priority patients marked and called first, or
one in every N calls, as the facility's rules page says."""

from __future__ import annotations

from datetime import timedelta

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select
from sqlalchemy import select

from booking.clock import utcnow
from booking.commands import TakeNumber
from booking.models import Booking, Channel, ClinicSession, Facility, Service
from booking.taking import take_number
from console.models import Role
from tests.browser import LiveApp, log_in, press, text_of, wait_for_text
from tests.staff import add_user

pytestmark = pytest.mark.browser

HEAD_NURSE = "kepala.meja"  # runs the queue and may set the facility's rules
PHONE = "+6281234561234"
CARD = "0009876543210"


@pytest.fixture(scope="module")
def desk(browser: WebDriver, live_app: LiveApp) -> WebDriver:
    add_user(live_app.db, HEAD_NURSE, Role.FACILITY_ADMIN, facility="1001")
    assert log_in(browser, live_app, HEAD_NURSE) == "/console/facility/1001"
    return browser


def book(
    live_app: LiveApp, name: str, phone: str | None = None, card: str | None = None
) -> Booking:
    command = TakeNumber(
        session_id=live_app.session_today(),
        phone=phone,
        channel=Channel.USSD if phone else Channel.STAFF,
        name=name,
        bpjs_number=card,
    )
    return live_app.db.run(lambda s: take_number(s, command, utcnow()))


def search_for(driver: WebDriver, typed: str) -> None:
    box = driver.find_element(By.ID, "search-text")
    box.clear()
    box.send_keys(typed)
    press(driver, "search-button")


def test_search_finds_a_patient_by_phone_digits_card_or_ticket_and_checks_them_in(
    desk: WebDriver, live_app: LiveApp
) -> None:
    wulan = book(live_app, "Wulan Sari", PHONE, CARD)
    desk.get(live_app.url + "/console/facility/1001")

    search_for(desk, "1234")  # the last four digits of her phone
    row = text_of(desk, f"#hit-{wulan.id}")
    assert "Wulan Sari" in row and "HP …1234" in row and wulan.display in row
    assert "81234561234" not in desk.page_source  # the phone is never shown whole

    search_for(desk, "43210")  # the end of her BPJS card
    assert "BPJS …3210" in text_of(desk, f"#hit-{wulan.id}")
    assert CARD not in desk.page_source
    search_for(desk, wulan.display.replace("-", "").replace("0", "").lower())  # "a1", scanned
    assert "Wulan Sari" in text_of(desk, f"#hit-{wulan.id}")
    search_for(desk, "wulan")

    press(desk, f"hit-arrived-{wulan.id}")
    assert f"{wulan.display} sudah hadir." in text_of(desk, "main")

    search_for(desk, "!!")
    assert "Ketik nama" in text_of(desk, "#search-problem")
    search_for(desk, "Zainab")
    assert "Tidak ditemukan" in text_of(desk, "#search-nothing")


def test_a_walk_in_for_tomorrow_lands_in_tomorrows_session_with_its_ticket(
    desk: WebDriver, live_app: LiveApp
) -> None:
    today_session = live_app.session_today()
    tomorrow = live_app.today + timedelta(days=1)
    desk.get(live_app.url + "/console/facility/1001")
    Select(desk.find_element(By.ID, f"walk-in-day-{today_session}")).select_by_value(
        tomorrow.isoformat()
    )
    desk.find_element(By.ID, f"walk-in-name-{today_session}").send_keys("Dewi Lestari")
    press(desk, f"walk-in-{today_session}")

    assert f"day={tomorrow.isoformat()}" in desk.current_url
    assert tomorrow.strftime("%d/%m/%Y") in text_of(desk, "#new-number-day")
    number = text_of(desk, "#new-number-value")
    with live_app.db.transaction() as s:
        booking = s.scalars(
            select(Booking).where(Booking.display == number, Booking.day == tomorrow)
        ).one()
        service = s.get_one(Service, booking.service_id)
        assert s.get_one(ClinicSession, booking.session_id).day == tomorrow
        assert service.code == "GIGI"  # the card's own poli
        booking_id = booking.id
    assert text_of(desk, f"#booking-{booking_id}").startswith(number)  # on tomorrow's card

    desk.get(live_app.url + f"/console/bookings/{booking_id}/ticket")
    assert text_of(desk, "#ticket-day") == tomorrow.strftime("%d/%m/%Y")


def set_rule(desk: WebDriver, live_app: LiveApp, rule: str, every: int) -> None:
    with live_app.db.transaction() as s:
        facility_id = s.scalars(select(Facility.id).where(Facility.code == "1001")).one()
    desk.get(live_app.url + f"/console/admin/facilities/{facility_id}/rules")
    Select(desk.find_element(By.ID, "priority_rule")).select_by_value(rule)
    box = desk.find_element(By.ID, "priority_every")
    box.clear()
    box.send_keys(str(every))
    desk.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    # The saved page replaces the form's: read it once it is there, not the one going away.
    wait_for_text(desk, "main", "Aturan disimpan.")


def test_priority_patients_are_marked_shown_and_called_by_the_facilitys_rule(
    desk: WebDriver, live_app: LiveApp
) -> None:
    sid = live_app.session_today()
    set_rule(desk, live_app, "first", 3)
    desk.get(live_app.url + "/console/facility/1001")
    regular = book(live_app, "Pasien Satu")
    desk.get(live_app.url + "/console/facility/1001")
    # At booking: the walk-in form marks her.
    desk.find_element(By.ID, f"walk-in-name-{sid}").send_keys("Pasien Dua")
    Select(desk.find_element(By.ID, f"walk-in-priority-{sid}")).select_by_value("elderly")
    press(desk, f"walk-in-{sid}")
    elderly = int(desk.current_url.split("ticket=")[1].split("&")[0])
    pregnant = book(live_app, "Pasien Tiga")
    desk.get(live_app.url + "/console/facility/1001")
    # At arrival: one click on her row.
    press(desk, f"priority-pregnant-{pregnant.id}")
    assert text_of(desk, f"#priority-{elderly}") == "Lansia"
    assert text_of(desk, f"#priority-{pregnant.id}") == "Ibu hamil"

    rows = [
        row.get_attribute("id")
        for row in desk.find_elements(By.CSS_SELECTOR, f"#waiting-{sid} tbody tr")
    ]
    mine = [
        r
        for r in rows
        if r in {f"booking-{elderly}", f"booking-{pregnant.id}", f"booking-{regular.id}"}
    ]
    assert mine == [f"booking-{elderly}", f"booking-{pregnant.id}", f"booking-{regular.id}"]
    press(desk, f"call-next-{sid}")
    assert "(Pasien Dua) dipanggil" in text_of(desk, "main")

    # One priority patient after every other call: the next call is someone else's turn.
    set_rule(desk, live_app, "every_nth", 2)
    desk.get(live_app.url + "/console/facility/1001")
    press(desk, f"call-next-{sid}")
    assert "(Pasien Tiga) dipanggil" not in text_of(desk, "main")
    press(desk, f"call-next-{sid}")
    assert "(Pasien Tiga) dipanggil" in text_of(desk, "main")
