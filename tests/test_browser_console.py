"""In a real browser: a nurse runs today's queue from the console; the waiting room sees it."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from booking.clock import utcnow
from booking.models import Channel
from console.models import Role
from tests.browser import (
    LiveApp,
    display_line,
    log_in,
    press,
    text_of,
    wait_for_display,
    wait_for_text,
)
from tests.helpers import take
from tests.staff import add_user

pytestmark = pytest.mark.browser

NURSE = "perawat.cipocok"
FIRST, SECOND = "+6281277700001", "+6281277700002"
REASON = "Dokter gigi sedang sakit"


def flash(driver: WebDriver) -> str:
    return " ".join(element.text for element in driver.find_elements(By.CSS_SELECTOR, ".flash"))


def test_a_nurse_calls_registers_a_walk_in_and_cancels_and_the_display_follows(
    browser: WebDriver, live_app: LiveApp
) -> None:
    session = live_app.session_today()
    take(live_app.db, session, FIRST, utcnow(), channel=Channel.USSD)
    take(live_app.db, session, SECOND, utcnow(), channel=Channel.SMS)
    add_user(live_app.db, NURSE, Role.STAFF, facility="1001")

    # The waiting-room TV, in its own window, is left alone for the whole test.
    browser.get(live_app.url + "/display/1001")
    display = browser.current_window_handle
    assert display_line(browser, "Poli Gigi") == {
        "serving": "–",
        "next": "Berikutnya: B-001, B-002",
    }
    browser.switch_to.new_window("window")
    console = browser.current_window_handle

    assert log_in(browser, live_app, NURSE) == "/console/facility/1001"
    card = f"#session-{session}"
    assert text_of(browser, f"{card} h2") == "B · Poli Gigi"
    waiting = text_of(browser, f"#waiting-{session}")
    assert "B-001" in waiting and "B-002" in waiting

    # Call next: B-001 goes in.
    press(browser, f"call-next-{session}")
    assert "Nomor B-001" in flash(browser) and "dipanggil" in flash(browser)
    assert text_of(browser, f"#now-serving-{session}") == "B-001"

    # A walk-in without a phone: a number in the same queue, shown large for the nurse to say.
    browser.find_element(By.ID, f"walk-in-name-{session}").send_keys("pak budi santoso")
    press(browser, f"walk-in-{session}")
    assert text_of(browser, "#new-number-value") == "B-003"
    assert text_of(browser, "#new-number-name") == "Pak Budi Santoso"
    assert "B-003" in text_of(browser, f"#waiting-{session}")

    # The TV, untouched, has followed both.
    browser.switch_to.window(display)
    assert wait_for_display(browser, "Poli Gigi", "B-001") == {
        "serving": "B-001",
        "next": "Berikutnya: B-002, B-003",
    }

    # The dentist is ill: cancel the session with a reason; both phones are told.
    browser.switch_to.window(console)
    browser.find_element(By.CSS_SELECTOR, f"#cancel-{session} summary").click()
    browser.find_element(By.ID, f"cancel-reason-{session}").send_keys(REASON)
    press(browser, f"cancel-session-{session}")
    assert "Diberi tahu lewat SMS: 2." in text_of(browser, "#cancel-question")  # are you sure?
    press(browser, f"cancel-session-confirm-{session}")
    assert "2 pasien diberi tahu lewat SMS" in flash(browser)
    assert text_of(browser, f"#cancel-reason-shown-{session}").endswith(REASON)
    assert text_of(browser, f"#session-status-{session}") == "Dibatalkan"
    assert not browser.find_elements(By.ID, f"call-next-{session}")
    browser.switch_to.window(display)
    assert wait_for_display(browser, "Poli Gigi", "–") == {
        "serving": "–",
        "next": f"Hari ini dibatalkan: {REASON}",
    }

    # On the second patient's phone: the SMS with the reason.
    browser.switch_to.window(console)
    browser.get(live_app.url + "/simulator")
    phone = browser.find_element(By.ID, "phone")
    phone.clear()
    phone.send_keys(SECOND)
    sms = wait_for_text(browser, "#inbox li", REASON)
    assert "Poli Gigi" in sms and "sent" in sms
