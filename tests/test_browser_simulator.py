"""In a real browser: a person tries Antre on the phone simulator and gets a number by SMS."""

from __future__ import annotations

import re

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from tests.browser import LiveApp, wait_for_text, wait_until

pytestmark = pytest.mark.browser

PHONE = "+6281298765432"


def option(screen: str, words: str) -> str:
    """The digit a person presses for the menu line that says `words`."""
    for line in screen.splitlines():
        found = re.match(r"(\d+)\s+(.*)", line.strip())
        if found and words.casefold() in found.group(2).casefold():
            return found.group(1)
    raise AssertionError(f"no menu line with {words!r} on the screen:\n{screen}")


def press(driver: WebDriver, typed: str) -> str:
    """Type on the keypad, press Panggil, and read the screen once it has changed."""
    screen = driver.find_element(By.ID, "screen")
    before = screen.text
    keypad = driver.find_element(By.ID, "keypad")
    keypad.clear()
    keypad.send_keys(typed)
    driver.find_element(By.ID, "call").click()
    wait_until(driver, lambda _d: screen.text != before, f"a new screen after {typed!r}")
    return str(screen.text)


def test_a_person_dials_the_menu_takes_a_number_and_reads_the_sms_receipt(
    browser: WebDriver, live_app: LiveApp
) -> None:
    browser.get(live_app.url + "/")
    assert browser.current_url == live_app.url + "/simulator"
    phone_box = browser.find_element(By.ID, "phone")
    phone_box.clear()
    phone_box.send_keys(PHONE)
    assert browser.find_element(By.ID, "keypad").get_attribute("value") == "*123#"

    # A first-timer: the page dials what is on the keypad, the menu asks for a puskesmas.
    first = press(browser, "*123#")
    assert "Antre" in first and "Ketik kode" in first
    code_prompt = press(browser, option(first, "Ketik kode"))
    facility = press(browser, "1001")
    assert code_prompt != facility and facility.startswith("Puskesmas Cipocok Jaya")
    services = press(browser, option(facility, "Ambil nomor"))
    days = press(browser, option(services, "Poli Gigi"))
    assert "Poli Gigi" in days
    whom = press(browser, option(days, "Besok"))
    assert "untuk siapa" in whom
    done = press(browser, option(whom, "saya"))

    # The END screen: the number, and the keypad is ready for a new call.
    number = re.search(r"Nomor Anda: (B-\d{3})", done)
    assert number, done
    assert browser.find_element(By.ID, "keypad").get_attribute("value") == "*123#"

    # The receipt reaches the phone: the embedded sender hands it to the console gateway.
    receipt = wait_for_text(browser, "#inbox li", "(receipt, sent)")
    assert number.group(1) in receipt and "Poli Gigi" in receipt
    items = [item.text for item in browser.find_elements(By.CSS_SELECTOR, "#inbox li")]
    assert [text for text in items if number.group(1) in text] == [receipt]
