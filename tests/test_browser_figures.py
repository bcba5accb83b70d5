"""In a real browser: a district viewer reads and downloads the figures; others may not."""

from __future__ import annotations

import csv
import io
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from booking.clock import utcnow
from booking.models import Channel
from console.models import Role
from tests.browser import LiveApp, log_in, status_of_current_page, wait_until
from tests.helpers import session_id, take
from tests.staff import add_user

pytestmark = pytest.mark.browser

VIEWER = "dinkes.serang"
LEBAK_NURSE = "perawat.lebak"


@pytest.fixture(scope="module")
def history(live_app: LiveApp) -> LiveApp:
    """Kota Serang: today 6 USSD bookings and 1 walk-in at 1001, tomorrow 5 by SMS at 2001.
    Kabupaten Lebak: 1 booking tomorrow, which Kota Serang's figures must never count."""
    now, today = utcnow(), live_app.today
    tomorrow = today + timedelta(days=1)
    dental = live_app.session_today()
    for n in range(6):
        take(live_app.db, dental, f"+62812100000{n:02d}", now, channel=Channel.USSD)
    take(live_app.db, dental, None, now, name="Pak Budi", channel=Channel.STAFF)
    walantaka = session_id(live_app.db, facility="2001", service="UMUM", day=tomorrow)
    for n in range(5):
        take(live_app.db, walantaka, f"+62812200000{n:02d}", now, channel=Channel.SMS)
    rangkas = session_id(live_app.db, facility="2201", service="KIA", day=tomorrow)
    take(live_app.db, rangkas, "+6281230000000", now, channel=Channel.USSD)
    add_user(live_app.db, VIEWER, Role.DISTRICT_VIEWER, district="Kota Serang")
    add_user(live_app.db, LEBAK_NURSE, Role.STAFF, facility="2201")
    return live_app


def table_rows(driver: WebDriver, name: str) -> list[list[str]]:
    """The rows of one table on the page, as the cells read on screen."""
    rows = driver.find_elements(By.CSS_SELECTOR, f"h2#{name} + .scroll tbody tr")
    return [[cell.text for cell in row.find_elements(By.TAG_NAME, "td")] for row in rows]


def set_date(driver: WebDriver, name: str, day: date) -> None:
    """Type a date into a date box of the period form, as a person types it (en-US order)."""
    box = driver.find_element(By.NAME, name)
    box.send_keys(f"{day:%m%d%Y}")
    assert box.get_attribute("value") == day.isoformat()


def downloaded(folder: Path, name: str) -> str:
    """The text of a file once Chromium has finished saving it."""
    path = folder / name
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if path.exists() and not list(folder.glob("*.crdownload")):
            return path.read_text(encoding="utf-8")
        time.sleep(0.1)
    raise AssertionError(f"{name} was not downloaded; the folder has {list(folder.iterdir())}")


def test_a_district_viewer_changes_the_period_and_downloads_the_csv(
    browser: WebDriver, downloads: Path, history: LiveApp
) -> None:
    today = history.today
    tomorrow = today + timedelta(days=1)
    assert log_in(browser, history, VIEWER, "/console/figures") == "/console/figures"
    assert browser.find_element(By.TAG_NAME, "h1").text == "Angka: Kota Serang"
    # The default period ends today: today's bookings at 1001, not tomorrow's.
    assert table_rows(browser, "bookings_by_channel") == [
        ["USSD", "6"],
        ["SMS", "0"],
        ["datang langsung", "1"],
        ["API", "0"],
        ["semua", "7"],
    ]

    set_date(browser, "from", today)
    set_date(browser, "to", tomorrow)
    browser.find_element(By.CSS_SELECTOR, "form.period button[type=submit]").click()
    wait_until(browser, lambda d: f"to={tomorrow}" in d.current_url, "the new period")
    assert browser.find_element(By.NAME, "from").get_attribute("value") == today.isoformat()
    assert table_rows(browser, "bookings_by_channel") == [
        ["USSD", "6"],
        ["SMS", "5"],
        ["datang langsung", "1"],
        ["API", "0"],
        ["semua", "12"],  # never Kabupaten Lebak's booking
    ]
    assert table_rows(browser, "bookings_by_day") == [
        [today.isoformat(), "6", "0", "1", "0", "7"],
        [tomorrow.isoformat(), "0", "5", "0", "0", "5"],
    ]

    browser.find_element(By.ID, "export-all").click()
    text = downloaded(downloads, f"antre-kota-serang-{today}-{tomorrow}.csv")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [
        "Angka Antre",
        "district=Kota Serang",
        "facility=all",
        f"from={today}",
        f"to={tomorrow}",
    ]
    start = rows.index(["Pemesanan per saluran"])
    # Counts from 1 to 4 leave the building as "<5".
    assert rows[start + 1 : start + 7] == [
        ["saluran", "pemesanan"],
        ["USSD", "6"],
        ["SMS", "5"],
        ["datang langsung", "<5"],
        ["API", "0"],
        ["semua", "12"],
    ]
    assert "+62812" not in text and "Budi" not in text


def test_facility_staff_cannot_open_another_districts_figures(
    browser: WebDriver, history: LiveApp
) -> None:
    assert log_in(browser, history, LEBAK_NURSE, "/console/figures") == "/console/figures"
    assert browser.find_element(By.TAG_NAME, "h1").text == "Angka: Kabupaten Lebak, puskesmas 2201"
    assert table_rows(browser, "bookings_by_channel")[-1] == ["semua", "0"]  # tomorrow is not in

    browser.get(history.url + "/console/figures?district=Kota+Serang")
    alert = browser.find_element(By.CSS_SELECTOR, "[role=alert]")
    assert alert.text == "angka ini bukan untuk Anda lihat"
    assert status_of_current_page(browser) == 403
    assert not browser.find_elements(By.ID, "bookings_by_channel")
    assert not browser.find_elements(By.ID, "export-all")

    browser.get(history.url + "/console/figures?facility=1001")
    assert browser.find_element(By.CSS_SELECTOR, "[role=alert]").text == (
        "angka ini bukan untuk Anda lihat"
    )
    assert status_of_current_page(browser) == 403
