"""In a real browser: the waiting-room screen says each call aloud in Indonesian, once, and
again when staff press Panggil ulang; it shows the clock and fits a 1366×768 TV."""

from __future__ import annotations

import re

import pytest
from selenium.webdriver.remote.webdriver import WebDriver

from booking.clock import utcnow
from booking.models import Channel
from booking.queue import call_next
from console.models import Role
from tests.browser import LiveApp, log_in, press, text_of, wait_for_display, wait_until
from tests.helpers import take
from tests.staff import add_user

pytestmark = pytest.mark.browser

NURSE = "perawat.suara"
# speechSynthesis is the browser's: the page's utterances are recorded instead of spoken, by
# a browser that has an Indonesian voice (headless Chromium has none: tests/
# test_browser_fallback_audio.py is that TV).
RECORD = """
window.__said = [];
if (window.speechSynthesis) {
  window.speechSynthesis.getVoices = () => [{lang: "id-ID", name: "Bahasa Indonesia"}];
  window.speechSynthesis.speak = (u) => window.__said.push({text: u.text, lang: u.lang});
}
"""


def said(driver: WebDriver) -> list[dict[str, str]]:
    return list(driver.execute_script("return window.__said"))


def test_a_call_is_spoken_once_in_indonesian_and_again_on_panggil_ulang(
    browser: WebDriver, live_app: LiveApp
) -> None:
    session = live_app.session_today()
    for n in range(12):
        take(live_app.db, session, f"+62812966000{n:02d}", utcnow(), channel=Channel.SMS)
    for _ in range(11):  # B-001 … B-011 have been and gone
        live_app.db.run(lambda s: call_next(s, session, actor="n", channel="staff", now=utcnow()))
    add_user(live_app.db, NURSE, Role.STAFF, facility="1001")
    script = browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD})
    try:
        browser.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": 1366, "height": 768, "deviceScaleFactor": 1, "mobile": False},
        )
        browser.get(live_app.url + "/display/1001")
        display = browser.current_window_handle
        assert re.fullmatch(r"\d\d[.:]\d\d", text_of(browser, "#time"))
        assert text_of(browser, "#date")  # e.g. "Rabu, 2 Desember 2026"
        # Everything on screen lies inside the TV's 1366×768: nothing needs scrolling.
        fits = """return [...document.querySelectorAll("header, .service")].every((e) => {
                    const box = e.getBoundingClientRect();
                    return box.bottom <= innerHeight && box.right <= innerWidth; })"""
        assert browser.execute_script(fits) is True
        # B-011 was called before the screen opened: it is shown, not said again.
        wait_for_display(browser, "Poli Gigi", "B-011")

        live_app.db.run(lambda s: call_next(s, session, actor="n", channel="staff", now=utcnow()))
        wait_for_display(browser, "Poli Gigi", "B-012")
        wait_until(browser, lambda d: said(d), "the call to be spoken")
        assert said(browser) == [
            {"text": "Nomor antrean B dua belas, silakan ke Poli Gigi", "lang": "id-ID"}
        ]

        browser.switch_to.new_window("window")
        log_in(browser, live_app, NURSE)
        called = text_of(browser, f"#now-serving-{session}")
        assert called == "B-012"
        booking = browser.find_element("css selector", "[id^=recall-]").get_attribute("id")
        press(browser, str(booking))
        assert "dipanggil ulang" in text_of(browser, ".flash")
        browser.close()
        browser.switch_to.window(display)
        wait_until(browser, lambda d: len(said(d)) == 2, "the call to be spoken again")
        assert said(browser)[1]["text"] == "Nomor antrean B dua belas, silakan ke Poli Gigi"
        assert browser.execute_script(fits) is True
    finally:
        browser.execute_cdp_cmd(
            "Page.removeScriptToEvaluateOnNewDocument", {"identifier": script["identifier"]}
        )
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
