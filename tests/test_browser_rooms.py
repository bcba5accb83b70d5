"""In a real browser: a desk chooses once which room or counter it calls numbers to; the
call records it, and the waiting-room screen shows and says where to go."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select
from sqlalchemy import select

from booking.clock import utcnow
from booking.models import Channel, Event
from console.models import Role
from tests.browser import LiveApp, log_in, press, text_of, wait_for_display, wait_until
from tests.helpers import take
from tests.staff import add_user

pytestmark = pytest.mark.browser

NURSE = "perawat.ruang"
# A TV with an Indonesian voice; what it says is recorded instead of spoken.
RECORD = """
window.__said = [];
window.speechSynthesis.getVoices = () => [{lang: "id-ID", name: "Bahasa Indonesia"}];
window.speechSynthesis.speak = (u) => window.__said.push(u.text);
"""


def said(driver: WebDriver) -> list[str]:
    return list(driver.execute_script("return window.__said"))


def room_shown(driver: WebDriver) -> str:
    return str(
        driver.execute_script(
            """return [...document.querySelectorAll("#services .service")]
                 .find((s) => s.querySelector(".name").innerText === "Poli Gigi")
                 .querySelector(".room").innerText"""
        )
    )


def last_call_detail(live_app: LiveApp, kind: str) -> object:
    return live_app.db.run(
        lambda s: s.scalars(
            select(Event.detail).where(Event.kind == kind).order_by(Event.id.desc()).limit(1)
        ).first()
    )


def test_a_number_is_called_to_the_room_this_desk_chose(
    browser: WebDriver, live_app: LiveApp
) -> None:
    session = live_app.session_today()
    for n in range(3):
        take(live_app.db, session, f"+62812977000{n:02d}", utcnow(), channel=Channel.SMS)
    add_user(live_app.db, NURSE, Role.STAFF, facility="1001")
    script = browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD})
    try:
        browser.get(live_app.url + "/display/1001")
        display = browser.current_window_handle
        wait_for_display(browser, "Poli Gigi", "–")

        browser.switch_to.new_window("window")
        queue = log_in(browser, live_app, NURSE)
        # The facility's rooms and counters, as its admin listed them; none chosen yet.
        choice = Select(browser.find_element(By.ID, "room"))
        assert [option.text for option in choice.options] == [
            "poli (tanpa ruang)",
            "Loket 1",
            "Loket 2",
            "Ruang Periksa 1",
            "Ruang Periksa 2",
            "Ruang Gigi",
            "Ruang KIA",
        ]
        assert text_of(browser, f"#call-next-{session}") == "Panggil berikutnya"
        choice.select_by_visible_text("Ruang Periksa 2")
        press(browser, "choose-room-button")
        assert "Ruang Periksa 2" in text_of(browser, ".flash")
        # Remembered by this browser: the page opened again still calls to that room.
        browser.get(live_app.url + queue)
        selected = Select(browser.find_element(By.ID, "room")).first_selected_option.text
        assert selected == "Ruang Periksa 2"
        button = f"#call-next-{session}"
        assert text_of(browser, button) == "Panggil berikutnya ke Ruang Periksa 2"
        press(browser, f"call-next-{session}")
        assert last_call_detail(live_app, "called") == {"room": "Ruang Periksa 2"}
        booking = browser.find_element(By.CSS_SELECTOR, "[id^=recall-]").get_attribute("id")
        press(browser, str(booking))  # Panggil ulang: to the same room
        assert last_call_detail(live_app, "recalled") == {"room": "Ruang Periksa 2"}

        browser.switch_to.window(display)
        wait_for_display(browser, "Poli Gigi", "B-001")
        assert room_shown(browser) == "Silakan ke Ruang Periksa 2"
        wait_until(browser, lambda d: len(said(d)) >= 1, "the call to be spoken")
        assert said(browser)[0] == "Nomor antrean B satu, silakan ke Ruang Periksa 2"

        # Back to calling to the poli itself.
        browser.switch_to.window(next(h for h in browser.window_handles if h != display))
        Select(browser.find_element(By.ID, "room")).select_by_index(0)
        press(browser, "choose-room-button")
        assert text_of(browser, ".flash") == "Nomor yang dipanggil dari komputer ini menuju poli."
        press(browser, f"call-next-{session}")
        assert last_call_detail(live_app, "called") is None
        browser.close()
        browser.switch_to.window(display)
        wait_for_display(browser, "Poli Gigi", "B-002")
        assert room_shown(browser) == ""
        wait_until(
            browser, lambda d: "Nomor antrean B dua, silakan ke Poli Gigi" in said(d), "B-002"
        )
    finally:
        browser.execute_cdp_cmd(
            "Page.removeScriptToEvaluateOnNewDocument", {"identifier": script["identifier"]}
        )
