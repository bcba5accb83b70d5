"""In a real browser: a printed ticket for 58 mm paper, the kiosk at the entrance, and the
desk checking a patient in by the code on the ticket."""

from __future__ import annotations

import base64
import io
import re

import pytest
import zxingcpp
from PIL import Image
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from booking.clock import utcnow
from booking.models import BookingStatus, Channel
from console.models import Role
from tests.browser import LiveApp, artefact, log_in, press, text_of, wait_until
from tests.escpos_printer import printing
from tests.faults import free_port
from tests.helpers import take
from tests.staff import add_user

pytestmark = pytest.mark.browser

NURSE = "perawat.loket"
MM = 72 / 25.4  # PDF points per millimetre


def status_of(live: LiveApp, booking_id: int) -> BookingStatus:
    from booking.models import Booking

    with live.db.transaction() as s:
        return s.get_one(Booking, booking_id).status


def test_a_ticket_prints_on_58_mm_paper_and_its_qr_code_checks_the_patient_in(
    browser: WebDriver, live_app: LiveApp
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
    artefact("ticket-58mm.pdf").write_bytes(pdf)
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert len(boxes) == 1, boxes
    assert abs(float(boxes[0][0]) - 58 * MM) < 1.5
    # And what a person sees at that width, kept as the run's artefact.
    browser.set_window_size(58 * 96 / 25.4 + 16, 700)
    try:
        browser.refresh()
        ticket = browser.find_element(By.ID, "ticket")
        assert ticket.size["width"] <= 58 * 96 / 25.4
        # The QR code as the browser draws it, read back as a desk scanner would read it.
        qr = browser.find_element(By.ID, "ticket-qr").screenshot_as_png
        scanned = [found.text for found in zxingcpp.read_barcodes(Image.open(io.BytesIO(qr)))]
    finally:
        browser.set_window_size(1280, 1000)
    assert scanned == [second.display]

    # At the desk the scanner types what the QR code carries: that patient is checked in.
    browser.get(live_app.url + "/console/facility/1001")
    browser.find_element(By.ID, "check-in-code").send_keys(scanned[0])
    press(browser, "check-in-code-button")
    assert f"{second.display} sudah hadir" in text_of(browser, ".flash")
    assert status_of(live_app, second.id) is BookingStatus.CHECKED_IN
    assert status_of(live_app, first.id) is BookingStatus.BOOKED
    # Typed by hand, the code may come any way ("a1" for A-001).
    browser.find_element(By.ID, "check-in-code").send_keys(first.display.lower().replace("-00", ""))
    press(browser, "check-in-code-button")
    assert f"{first.display} sudah hadir" in text_of(browser, ".flash")
    assert status_of(live_app, first.id) is BookingStatus.CHECKED_IN
    browser.find_element(By.ID, "check-in-code").send_keys("Z-999")
    press(browser, "check-in-code-button")
    assert "error" in str(browser.find_element(By.CSS_SELECTOR, ".flash").get_attribute("class"))


# The longest names a facility and a poli may have (booking/limits.py), in real words.
LONGEST_FACILITY = "Puskesmas Kecamatan Pasar Minggu"
LONGEST_SERVICE = "Poli Kesehatan Ibu (KIA)"
OVERFLOWING = """
const ticket = document.getElementById("ticket").getBoundingClientRect();
const out = [];
for (const element of document.querySelectorAll("#ticket, #ticket *")) {
  const box = element.getBoundingClientRect();
  const name = element.id || element.getAttribute("class") || element.tagName;
  if (box.left < ticket.left - 0.5 || box.right > ticket.right + 0.5) out.push(name);
  const wider = element instanceof HTMLElement && element.scrollWidth > element.clientWidth + 1;
  if (wider) out.push(name);
}
return {out: out, ticket: ticket.width, page: document.documentElement.scrollWidth};
"""


@pytest.mark.parametrize("paper", [58, 80])
def test_the_ticket_fits_its_paper_width_with_the_longest_names(
    browser: WebDriver, live_app: LiveApp, paper: int
) -> None:
    from booking.models import Facility, Service

    session = live_app.session_today()
    booking = take(live_app.db, session, f"+62812888000{paper}", utcnow(), channel=Channel.SMS)
    add_user(live_app.db, f"{NURSE}{paper}", Role.STAFF, facility="1001")
    log_in(browser, live_app, f"{NURSE}{paper}")

    def rename(facility: str, service: str) -> tuple[str, str]:
        with live_app.db.transaction() as s:
            place = s.query(Facility).filter_by(code="1001").one()
            poli = s.query(Service).filter_by(facility_id=place.id, code="GIGI").one()
            before = place.name, poli.name("id")
            place.name, poli.names["id"] = facility, service
        return before

    width = round(paper * 96 / 25.4)  # CSS pixels across the roll
    before = rename(LONGEST_FACILITY, LONGEST_SERVICE)
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 640, "deviceScaleFactor": 2, "mobile": False},
    )
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        browser.get(live_app.url + f"/console/bookings/{booking.id}/ticket?paper={paper}")
        assert text_of(browser, "#ticket-facility") == LONGEST_FACILITY
        assert text_of(browser, "#ticket-service") == LONGEST_SERVICE
        assert browser.find_element(By.CSS_SELECTOR, "#ticket #ticket-qr svg").is_displayed()
        fit = browser.execute_script(OVERFLOWING)
        shot = artefact(f"ticket-{paper}mm.png")
        assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 1000
        assert fit["out"] == [], fit
        assert fit["ticket"] <= width and fit["page"] <= width, fit
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        rename(*before)


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


def test_cetak_ke_printer_from_the_ticket_page_and_a_printer_that_is_off(
    browser: WebDriver, live_app: LiveApp
) -> None:
    from booking.models import Facility

    booking = take(live_app.db, live_app.session_today(), "+6281288800077", utcnow())
    add_user(live_app.db, NURSE + "p", Role.STAFF, facility="1001")
    log_in(browser, live_app, NURSE + "p")

    def set_printer(address: str | None) -> None:
        with live_app.db.transaction() as s:
            s.query(Facility).filter_by(code="1001").one().ticket_printer = address

    with printing() as printer:
        set_printer(printer.address)
        try:
            browser.get(live_app.url + f"/console/bookings/{booking.id}/ticket?paper=80")
            press(browser, "to-printer")
            assert text_of(browser, "#printer-message") == (
                f"Tiket {booking.display} dikirim ke printer."
            )
            assert browser.current_url.endswith("paper=80")  # the same ticket, as it was
            [job] = printer.printed(1)
            assert booking.display.encode() in job
        finally:
            set_printer(None)
    off = f"127.0.0.1:{free_port()}"
    set_printer(off)
    try:
        browser.get(live_app.url + f"/console/bookings/{booking.id}/ticket")
        press(browser, "to-printer")
        message = browser.find_element(By.ID, "printer-message")
        assert "error" in str(message.get_attribute("class"))
        assert message.text.startswith(f"Printer di {off} tidak menjawab")
        assert text_of(browser, "#ticket-number") == booking.display
    finally:
        set_printer(None)
