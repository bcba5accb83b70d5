"""Browser tests' fixtures: the real app served over HTTP, and a headless Chromium to drive it.

- `live_app` (one per test module): `create_app` on a fresh SQLite file (a copy of the run's
  migrated template), brought up to date and seeded with the demo as `antre serve` does
  (`prepare_database`), the embedded sender running (`jobs.start`), served by Werkzeug in a
  thread on 127.0.0.1 at a free port.
- `browser` (one per test module, on a Chromium started once per run): Debian's Chromium
  through its own chromedriver (Selenium is given the driver's path, so Selenium Manager never
  looks for a download), headless, in a fresh profile that saves downloads to a folder of the
  run's. Each module starts with no cookies and one window.

The demo is seeded for the real "now" and the browser runs on the real clock, so the fixture
makes the tests independent of the time of day: the dental session (GIGI) of facility 1001
today runs from 00:00 to 23:59:59 and that facility's bookings close only at a session's end.
Whatever hour the tests run, a staff member can register a walk-in today and the display shows
today's queue; phones book tomorrow's sessions, which are open at any hour.

Where Chromium or chromedriver is not installed, the tests skip naming what is missing, unless
ANTRE_REQUIRE_SERVICES=1 (CI) makes that a failure (`service_missing`).
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import threading
import time as clock
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from selenium import webdriver
from selenium.common.exceptions import (
    NoSuchElementException,
    StaleElementReferenceException,
    WebDriverException,
)
from selenium.webdriver.chrome.service import Service as DriverService
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.serving import BaseWSGIServer, make_server

from antre import create_app, jobs
from antre import database_of as database
from antre.cli import prepare_database
from booking.clock import local_now, local_today, utcnow
from booking.models import ClinicSession, Facility, Service
from console.display import REFRESH_SECONDS as DISPLAY_REFRESH_SECONDS
from plumbing.db import Database
from tests.conftest import service_missing
from tests.helpers import session_id
from tests.staff import PASSWORD

CHROMIUM = os.environ.get("ANTRE_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("ANTRE_TEST_CHROMEDRIVER", "/usr/bin/chromedriver")
FACILITY = "1001"
ALL_DAY_SERVICE = "GIGI"
TIMEZONE = "Asia/Jakarta"  # the demo puskesmas are in WIB
WAIT_SECONDS = 15.0  # how long a test waits for the screen to show something

# As root, in a closed network: no sandbox, and none of Chromium's own calls home (refused
# here, and each refusal slows the browser down).
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,1000",
    "--lang=en-US",  # date boxes take digits in the order of the browser's language
)


@dataclass(frozen=True)
class LiveApp:
    app: Flask
    url: str
    db: Database
    today: date

    def session_today(self) -> int:
        """The id of today's all-day session at the test facility (it starts at midnight)."""
        return session_id(
            self.db, facility=FACILITY, service=ALL_DAY_SERVICE, day=self.today, start=time(0)
        )


def _away_from_midnight() -> None:
    """Seeded "today" must stay today while a module runs: never start just before midnight."""
    local = local_now(utcnow(), TIMEZONE)
    to_midnight = (datetime.combine(local.date() + timedelta(days=1), time(), local.tzinfo)) - local
    if to_midnight < timedelta(minutes=3):
        clock.sleep(to_midnight.total_seconds() + 1)


def _open_all_day(db: Database, today: date) -> None:
    def widen(s: Session) -> None:
        facility = s.scalars(select(Facility).where(Facility.code == FACILITY)).one()
        facility.cutoff_minutes = 0
        session = s.scalars(
            select(ClinicSession)
            .join(Service, ClinicSession.service_id == Service.id)
            .where(
                Service.facility_id == facility.id,
                Service.code == ALL_DAY_SERVICE,
                ClinicSession.day == today,
            )
        ).one()
        session.start_time, session.end_time = time(0, 0), time(23, 59, 59)

    db.run(widen)


@pytest.fixture(scope="module")
def live_app(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[LiveApp]:
    _away_from_midnight()
    folder = tmp_path_factory.mktemp("live")
    shutil.copy(sqlite_template, folder / "antre.sqlite3")
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{folder / 'antre.sqlite3'}",
            "SECRET_KEY": secrets.token_hex(16),  # no module's login is valid in another
            "REDIS_URL": None,
            # Chromium fires a background window's overdue timer the moment it comes to the
            # front: a queue page reloading itself then would pull the page from under a click.
            "CONSOLE_REFRESH_SECONDS": 3600,
            # The tests' ticket printers listen on loopback, the facility's network here.
            "TICKET_PRINTER_NETWORKS": "127.0.0.0/8",
        }
    )
    app.instance_path = str(folder / "instance")
    prepare_database(app)
    db = database(app)
    today = local_today(utcnow(), TIMEZONE)
    _open_all_day(db, today)
    jobs.start(app, sweep_every=5.0)
    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-app", daemon=True)
    thread.start()
    try:
        yield LiveApp(app, f"http://127.0.0.1:{server.server_port}", db, today)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        jobs.runner(app).stop()
        db.dispose()


@pytest.fixture(scope="session")
def downloads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def browser(chromium: WebDriver) -> Iterator[WebDriver]:
    """The run's Chromium, for one module: it leaves with one blank window and no cookies."""
    yield chromium
    first, *others = chromium.window_handles
    for handle in others:
        chromium.switch_to.window(handle)
        chromium.close()
    chromium.switch_to.window(first)
    chromium.get("about:blank")
    forget_cookies(chromium)


def forget_cookies(driver: WebDriver) -> None:
    """Every cookie of every site (WebDriver's own delete only reaches the page's site, and
    cookies ignore the port: each module's app is another port of the same 127.0.0.1)."""
    driver.execute_cdp_cmd("Network.clearBrowserCookies", {})


@pytest.fixture(scope="session")
def chromium(downloads: Path) -> Iterator[WebDriver]:
    for name, path in (("Chromium", CHROMIUM), ("chromedriver", CHROMEDRIVER)):
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            service_missing(
                name,
                FileNotFoundError(
                    f"{path} is not installed (apt-get install chromium chromium-driver)"
                ),
            )
    profile = tempfile.mkdtemp(prefix="antre-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_experimental_option(
        "prefs",
        {
            "download.default_directory": str(downloads),
            "download.prompt_for_download": False,
            "safebrowsing.enabled": False,
        },
    )
    driver = webdriver.Chrome(service=DriverService(CHROMEDRIVER), options=options)
    try:
        # Headless Chromium saves downloads only when told where, per browser session.
        driver.execute_cdp_cmd(
            "Browser.setDownloadBehavior",
            {"behavior": "allow", "downloadPath": str(downloads)},
        )
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


# --- what a person does and sees -------------------------------------------------------------


def wait_until(
    driver: WebDriver, condition: Callable[[WebDriver], object], what: str, timeout: float = 0
) -> object:
    """Wait until the screen shows something; on a timeout say what was awaited."""
    # Pages redraw parts of themselves: an element found a moment ago may be gone; look again.
    return WebDriverWait(
        driver,
        timeout or WAIT_SECONDS,
        poll_frequency=0.1,
        ignored_exceptions=(NoSuchElementException, StaleElementReferenceException),
    ).until(condition, message=f"waited {timeout or WAIT_SECONDS:g} s for {what}")


def text_of(driver: WebDriver, css: str) -> str:
    return str(driver.find_element(By.CSS_SELECTOR, css).text)


def wait_for_text(driver: WebDriver, css: str, wanted: str, timeout: float = 0) -> str:
    """Wait until the element shows `wanted`; return its whole text."""

    def shown(d: WebDriver) -> str | None:
        found = d.find_elements(By.CSS_SELECTOR, css)
        texts = [element.text for element in found]
        return next((text for text in texts if wanted in text), None)

    return str(wait_until(driver, shown, f"{wanted!r} in {css}", timeout))


def _gone(element: WebElement) -> Callable[[WebDriver], bool]:
    """Selenium's staleness_of, also when Chromium answers a page being replaced with "Node
    with given id does not belong to the document" instead of a stale element."""
    stale = staleness_of(element)

    def gone(driver: WebDriver) -> bool:
        try:
            return bool(stale(driver))
        except WebDriverException as error:
            if "does not belong to the document" in str(error):
                return False  # mid-replacement: ask again a moment later
            raise

    return gone


def press(driver: WebDriver, button_id: str) -> None:
    """Press a button that posts a form, and wait until the page that answers it is shown."""
    old_page = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.ID, button_id).click()
    wait_until(driver, _gone(old_page), f"the page after pressing {button_id}")
    wait_until(
        driver,
        lambda d: d.execute_script("return document.readyState") == "complete",
        f"the page after pressing {button_id} to load",
    )


def log_in(driver: WebDriver, live: LiveApp, username: str, path: str = "/console/") -> str:
    """Open a console page as a stranger, get sent to the login page, log in; return the path
    of the page the console then shows."""
    forget_cookies(driver)
    driver.get(live.url + path)
    wait_until(driver, lambda d: "/console/login" in d.current_url, "the login page")
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "main button[type=submit]").click()
    wait_until(driver, lambda d: "/console/login" not in d.current_url, f"{username} logged in")
    return urlsplit(driver.current_url).path


def display_line(driver: WebDriver, service: str) -> dict[str, str]:
    """What the waiting-room screen shows for a service: the number served, the next numbers.

    Read in one script: the page redraws its sections every few seconds, and elements found
    one by one could belong to two different drawings. Chromium can still refuse a script that
    runs while a redraw replaces the nodes ("Node with given id does not belong to the
    document"): that read is made again, a moment later.
    """
    script = """return [...document.querySelectorAll("#services .service")].map((section) => ({
             name: section.querySelector(".name").innerText,
             serving: section.querySelector(".serving").innerText,
             next: section.querySelector(".next").innerText}));"""
    for attempt in range(3):
        try:
            lines = driver.execute_script(script)
            break
        except WebDriverException as error:
            if "does not belong to the document" not in str(error) or attempt == 2:
                raise
            clock.sleep(0.2)
    for line in lines:
        if line["name"] == service:
            return {"serving": line["serving"], "next": line["next"]}
    raise AssertionError(f"no {service} on the display: {lines}")


def wait_for_display(driver: WebDriver, service: str, serving: str) -> dict[str, str]:
    """Wait, hands off, until the waiting-room screen redraws itself to show `serving`."""

    def shown(d: WebDriver) -> dict[str, str] | None:
        line = display_line(d, service)
        return line if line["serving"] == serving else None

    found = wait_until(
        driver, shown, f"{serving} for {service} on the display", 3 * DISPLAY_REFRESH_SECONDS
    )
    assert isinstance(found, dict)
    return found


def status_of_current_page(driver: WebDriver) -> int:
    """The HTTP status of the page on screen (fetched again by the page itself)."""
    status = driver.execute_script(
        "return fetch(location.href, {credentials: 'same-origin'}).then(r => r.status);"
    )
    return int(status)


def artefact(name: str) -> Path:
    """Where a test keeps a file for people to look at after the run (a screenshot, a PDF):
    the folder ANTRE_TEST_ARTEFACTS names, else tests/artefacts/ (kept out of git)."""
    folder = Path(os.environ.get("ANTRE_TEST_ARTEFACTS") or Path(__file__).parent / "artefacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name
