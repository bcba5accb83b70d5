"""In a real browser: the waiting-room screen changes by itself when a number is called."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from booking.clock import utcnow
from booking.models import Channel
from booking.queue import call_next
from console.display import REFRESH_SECONDS
from tests.browser import LiveApp, wait_until
from tests.helpers import take

pytestmark = pytest.mark.browser


def dental_line(driver: WebDriver) -> dict[str, str]:
    """What the TV shows for Poli Gigi: the number served and the next numbers.

    Read in one script: the page redraws its sections every few seconds, and elements found
    one by one could belong to two different drawings.
    """
    lines = driver.execute_script(
        """return [...document.querySelectorAll("#services .service")].map((section) => ({
             name: section.querySelector(".name").innerText,
             serving: section.querySelector(".serving").innerText,
             next: section.querySelector(".next").innerText}));"""
    )
    for line in lines:
        if line["name"] == "Poli Gigi":
            return {"serving": line["serving"], "next": line["next"]}
    raise AssertionError(f"no Poli Gigi on the display: {lines}")


def test_the_display_shows_a_called_number_without_anyone_touching_it(
    browser: WebDriver, live_app: LiveApp
) -> None:
    session = live_app.session_today()
    for n in range(3):
        take(live_app.db, session, f"+628129000000{n}", utcnow(), channel=Channel.USSD)
    browser.get(live_app.url + "/display/1001")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Puskesmas Cipocok Jaya"
    assert dental_line(browser) == {"serving": "–", "next": "Berikutnya: B-001, B-002, B-003"}
    page = browser.execute_script("return window.performance.timeOrigin")

    live_app.db.run(lambda s: call_next(s, session, actor="nurse", channel="staff", now=utcnow()))
    changed = wait_until(
        browser,
        lambda d: dental_line(d)["serving"] == "B-001" and dental_line(d),
        "B-001 on the display",
        timeout=REFRESH_SECONDS * 3,
    )
    assert changed == {"serving": "B-001", "next": "Berikutnya: B-002, B-003"}
    # Redrawn in place from the JSON, not by reloading the page.
    assert browser.execute_script("return window.performance.timeOrigin") == page
