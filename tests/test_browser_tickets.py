"""In a real browser: a printed ticket for 58 mm paper, the kiosk at the entrance, and the
desk checking a patient in by the code on the ticket."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from booking.clock import utcnow
from booking.models import BookingStatus, Channel
from console.models import Role
from tests.browser import LiveApp, log_in, press, text_of, wait_until
from tests.helpers import take
from tests.staff import add_user

pytestmark = pytest.mark.browser

NURSE = "perawat.loket"
MM = 72 / 25.4  # PDF points per millimetre


def status_of(live: LiveApp, booking_id: int) -> BookingStatus:
    from booking.models import Booking

    with live.db.transaction() as s:
        return s.get_one(Booking, booking_id).status


def test_a_ticket_prints_on_58_mm_paper_and_its_code_checks_the_patient_in(
    browser: WebDriver, live_app: LiveApp, tmp_path: Path
) -> None:
    session = live_app.session_today()
    first = take(live_app.db, session, "+6281288800001", utcnow(), channel=Channel.SMS)
    second = take(live_app.db, session, "+6281288800002", utcnow(), channel=Channel.USSD)
    add_user(live_app.db, NURSE, Role.STAFF, facility="1001")
    log_in(browser, live_app, NURSE)

    link = browser.find_element(By.ID, f"print-{second.id}")
    assert link.get_attribute("target") == "_blank" and "print=1" in str(link.get_attribute("href"))
    browser.get(live_app.url + f"/console/bookings/{second.id}/ticket?paper=58")
    assert text_of(browser, "#ticket-facility") == "Puskesmas Cipocok Jaya"
    assert text_of(browser, "#ticket-service") == "Poli Gigi"
    assert text_of(browser, "#ticket-number") == second.display
    assert text_of(browser, "#ticket-day") == live_app.today.strftime("%d/%m/%Y")
    assert text_of(browser, "#ticket-ahead") == "1"  # the first patient waits ahead
    assert re.fullmatch(r"\d\d:\d\d", text_of(browser, "#ticket-expected"))
    assert text_of(browser, "#ticket-code") == second.display

    # What the printer gets: one page 58 mm wide, as the page's own print CSS says.
    pdf = base64.b64decode(
        browser.execute_cdp_cmd("Page.printToPDF", {"preferCSSPageSize": True})["data"]
    )
    (tmp_path / "ticket-58mm.pdf").write_bytes(pdf)
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert len(boxes) == 1, boxes
    assert abs(float(boxes[0][0]) - 58 * MM) < 1.5
    # And what a person sees at that width, kept as the run's artefact.
    browser.set_window_size(58 * 96 / 25.4 + 16, 700)
    try:
        browser.refresh()
        ticket = browser.find_element(By.ID, "ticket")
        assert ticket.size["width"] <= 58 * 96 / 25.4
        shot = tmp_path / "ticket-58mm.png"
        assert ticket.screenshot(str(shot)) and shot.stat().st_size > 1000
    finally:
        browser.set_window_size(1280, 1000)

    # At the desk the code on the ticket, typed any way, checks that patient in.
    browser.get(live_app.url + "/console/facility/1001")
    browser.find_element(By.ID, "check-in-code").send_keys(second.display.lower().replace("-0", ""))
    press(browser, "check-in-code-button")
    assert f"{second.display} sudah hadir" in text_of(browser, ".flash")
    assert status_of(live_app, second.id) is BookingStatus.CHECKED_IN
    assert status_of(live_app, first.id) is BookingStatus.BOOKED
    browser.find_element(By.ID, "check-in-code").send_keys("Z-999")
    press(browser, "check-in-code-button")
    assert "error" in str(browser.find_element(By.CSS_SELECTOR, ".flash").get_attribute("class"))


def test_one_touch_at_the_kiosk_takes_a_number_and_prints_its_ticket(
    browser: WebDriver, live_app: LiveApp
) -> None:
    add_user(live_app.db, NURSE + "2", Role.STAFF, facility="1001")
    log_in(browser, live_app, NURSE + "2")
    # Record the print dialog instead of opening it (window.print is the browser's own).
    script = browser.execute_cdp_cmd(
        "Page.addScriptToEvaluateOnNewDocument",
        {"source": "window.print = () => { window.__printed = (window.__printed || 0) + 1; };"},
    )
    try:
        browser.get(live_app.url + "/console/kiosk/1001")
        assert text_of(browser, "#kiosk-facility") == "Puskesmas Cipocok Jaya"
        before = text_of(browser, "#kiosk-GIGI")
        assert before.startswith("Poli Gigi") and "Sisa" in before
        press(browser, "kiosk-GIGI")
        number = text_of(browser, "#ticket-number")
        assert re.fullmatch(r"B-\d{3}", number)
        assert text_of(browser, "#ticket-service") == "Poli Gigi"
        wait_until(browser, lambda d: d.execute_script("return window.__printed") == 1, "print")
        assert (
            browser.find_element(By.ID, "back")
            .get_attribute("href")
            .endswith("/console/kiosk/1001")
        )
        # The next touch is the next number of the same queue.
        browser.get(live_app.url + "/console/kiosk/1001")
        press(browser, "kiosk-GIGI")
        following = text_of(browser, "#ticket-number")
        assert int(following[2:]) == int(number[2:]) + 1
    finally:
        browser.execute_cdp_cmd(
            "Page.removeScriptToEvaluateOnNewDocument", {"identifier": script["identifier"]}
        )
