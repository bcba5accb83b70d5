"""In a real browser: the console in Indonesian, the header's switch to English, and the
account keeping English at its next login."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from booking.clock import utcnow
from console.models import Role
from tests.browser import LiveApp, forget_cookies, log_in, press, text_of
from tests.helpers import take
from tests.staff import add_user

pytestmark = pytest.mark.browser

NURSE = "perawat.bahasa"


def test_a_nurse_switches_the_console_to_english_and_it_stays_english(
    browser: WebDriver, live_app: LiveApp
) -> None:
    session = live_app.session_today()
    take(live_app.db, session, "+6281288800011", utcnow())
    add_user(live_app.db, NURSE, Role.STAFF, facility="1001")
    log_in(browser, live_app, NURSE)
    call = f"#call-next-{session}"
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "id"
    assert text_of(browser, call) == "Panggil berikutnya"
    assert text_of(browser, f"#session-status-{session}") == "Buka"

    press(browser, "language-en")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    assert text_of(browser, call) == "Call next"
    assert text_of(browser, f"#session-status-{session}") == "Open"
    assert "Panggil" not in browser.find_element(By.TAG_NAME, "body").text

    # A new login, without the cookie the switch left: the account remembers.
    forget_cookies(browser)
    log_in(browser, live_app, NURSE)
    assert text_of(browser, call) == "Call next"
    press(browser, "language-id")
    assert text_of(browser, call) == "Panggil berikutnya"
