"""In a real browser: after every button of the queue page the waiting room shows what the
console shows (the number in the room, then who is next)."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from booking.clock import utcnow
from booking.commands import CancelBooking
from booking.models import Channel
from booking.taking import cancel_booking
from console.models import Role
from tests.browser import (
    DISPLAY_REFRESH_SECONDS,
    LiveApp,
    display_line,
    log_in,
    press,
    text_of,
    wait_until,
)
from tests.helpers import take
from tests.staff import add_user

pytestmark = pytest.mark.browser

NURSE = "perawat.layar"
SERVICE = "Poli Gigi"


def console_queue(driver: WebDriver, session: int) -> tuple[str, list[str]]:
    """The number the console shows in the room and the numbers it lists as waiting, in order."""
    in_room = text_of(driver, f"#now-serving-{session}")
    rows = driver.find_elements(By.CSS_SELECTOR, f"#waiting-{session} tbody td.num")
    return in_room, [row.text for row in rows]


def hidden_text(driver: WebDriver, element_id: str) -> str:
    """The text of a folded <details>, opened or not."""
    return str(driver.find_element(By.ID, element_id).get_attribute("textContent"))


def display_matches(driver: WebDriver, display: str, console: str, session: int) -> str:
    """Switch to the TV, wait for it to show the console's number in the room, compare the
    next numbers too, and come back to the console; return what the TV shows next."""
    in_room, waiting = console_queue(driver, session)
    wanted = "Berikutnya: " + (", ".join(waiting[:4]) or "–")
    driver.switch_to.window(display)
    # The number in the room may be the same before and after a button (nobody, "–"): wait
    # for both lines, or a screen drawn before the button would pass for one drawn after it.
    found = wait_until(
        driver,
        lambda d: display_line(d, SERVICE) == {"serving": in_room, "next": wanted} or None,
        f"{in_room} in the room and {wanted!r} on the display",
        3 * DISPLAY_REFRESH_SECONDS,
    )
    driver.switch_to.window(console)
    assert found
    return wanted


def test_the_display_after_call_skip_served_and_no_show_matches_the_console(
    browser: WebDriver, live_app: LiveApp
) -> None:
    session = live_app.session_today()
    booked = [
        take(live_app.db, session, f"+628127710000{n}", utcnow(), channel=Channel.USSD)
        for n in range(4)
    ]
    add_user(live_app.db, NURSE, Role.STAFF, facility="1001")
    browser.get(live_app.url + "/display/1001")
    display = browser.current_window_handle
    browser.switch_to.new_window("window")
    console = browser.current_window_handle
    log_in(browser, live_app, NURSE)

    # The fourth patient cancels by phone: off the queue, and not "already called".
    last = booked[3]
    command = CancelBooking(last.id, Channel.USSD, last.booked_by or "")
    live_app.db.run(lambda s: cancel_booking(s, command, utcnow()))
    browser.refresh()
    assert console_queue(browser, session) == ("–", ["B-001", "B-002", "B-003"])
    assert not browser.find_elements(By.ID, f"done-{session}")
    assert "B-004" in hidden_text(browser, f"cancelled-{session}")

    press(browser, f"call-next-{session}")
    assert console_queue(browser, session) == ("B-001", ["B-002", "B-003"])
    assert display_matches(browser, display, console, session) == "Berikutnya: B-002, B-003"

    # Skipped: nobody is in the room and B-001 waits behind the others, on both screens.
    press(browser, f"skip-{booked[0].id}")
    assert console_queue(browser, session) == ("–", ["B-002", "B-003", "B-001"])
    assert display_matches(browser, display, console, session) == (
        "Berikutnya: B-002, B-003, B-001"
    )

    press(browser, f"call-next-{session}")
    display_matches(browser, display, console, session)
    press(browser, f"served-{booked[1].id}")
    assert console_queue(browser, session) == ("–", ["B-003", "B-001"])
    assert display_matches(browser, display, console, session) == "Berikutnya: B-003, B-001"

    press(browser, f"call-next-{session}")
    display_matches(browser, display, console, session)
    press(browser, f"no-show-{booked[2].id}")
    assert console_queue(browser, session) == ("–", ["B-001"])
    assert display_matches(browser, display, console, session) == "Berikutnya: B-001"

    done = hidden_text(browser, f"done-{session}")
    assert "B-001" not in done and "B-004" not in done
    assert "B-002" in done and "B-003" in done
