"""In a real browser: the waiting-room screen changes by itself when a number is called."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from booking.clock import utcnow
from booking.models import Channel
from booking.queue import call_next
from tests.browser import LiveApp, display_line, wait_for_display
from tests.helpers import take

pytestmark = pytest.mark.browser


def test_the_display_shows_a_called_number_without_anyone_touching_it(
    browser: WebDriver, live_app: LiveApp
) -> None:
    session = live_app.session_today()
    for n in range(3):
        take(live_app.db, session, f"+628129000000{n}", utcnow(), channel=Channel.USSD)
    browser.get(live_app.url + "/display/1001")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Puskesmas Cipocok Jaya"
    assert display_line(browser, "Poli Gigi") == {
        "serving": "–",
        "next": "Berikutnya: B-001, B-002, B-003",
    }
    page = browser.execute_script("return window.performance.timeOrigin")

    live_app.db.run(lambda s: call_next(s, session, actor="nurse", channel="staff", now=utcnow()))
    changed = wait_for_display(browser, "Poli Gigi", "B-001")
    assert changed == {"serving": "B-001", "next": "Berikutnya: B-002, B-003"}
    # Redrawn in place from the JSON, not by reloading the page.
    assert browser.execute_script("return window.performance.timeOrigin") == page
