"""The product's screenshots in docs/screenshots/: the desk's queue page, the waiting-room
display and the figures page at 1366×768, in Indonesian and in English, taken in headless
Chromium from the app serving the demo puskesmas on a Monday at 09:30 (WIB).

    make screenshots        # or: .venv/bin/python -m docs.screenshots

The clock is fixed (the app's through time-machine, the browser's through a Date that stands
still, its time zone Asia/Jakarta) and the queue is made the same way every run, so a rerun
draws the same pictures; only a change to a page changes them. Needs Debian's chromium and
chromedriver, as the browser tests do.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from time import sleep as pause

import time_machine
from selenium import webdriver
from selenium.webdriver.chrome.service import Service as DriverService
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from antre import create_app, database_of
from antre.cli import prepare_database
from booking.commands import TakeNumber
from booking.models import Channel, ClinicSession, Facility, Service
from booking.queue import call_next, check_in
from booking.taking import take_number
from console.models import Role, StaffUser

OUT = Path(__file__).resolve().parent / "screenshots"
WIDTH, HEIGHT = 1366, 768  # the TV and laptop screen puskesmas have most
MONDAY_0930_WIB = datetime(2026, 12, 7, 2, 30, tzinfo=UTC)
FACILITY = "1001"
CHROMIUM = os.environ.get("ANTRE_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("ANTRE_TEST_CHROMEDRIVER", "/usr/bin/chromedriver")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--hide-scrollbars",
    "--force-color-profile=srgb",
    "--font-render-hinting=none",
)
PASSWORD = "tangkapan-layar-1"  # noqa: S105 - a throwaway account in a throwaway database
SETTLE_SECONDS = 2.5  # the display fetches its queue after loading, then draws it

# Who is in the morning queues: (service, name or "" for the phone's owner, channel).
PATIENTS = (
    ("UMUM", "Siti Aminah", Channel.STAFF),
    ("UMUM", "", Channel.USSD),
    ("UMUM", "Budi Santoso", Channel.SMS),
    ("UMUM", "", Channel.SMS),
    ("UMUM", "Dewi Lestari", Channel.STAFF),
    ("UMUM", "", Channel.USSD),
    ("UMUM", "Agus Salim", Channel.SMS),
    ("UMUM", "", Channel.USSD),
    ("GIGI", "Rina Wati", Channel.STAFF),
    ("GIGI", "", Channel.SMS),
    ("GIGI", "", Channel.USSD),
    ("KIA", "Nur Hasanah", Channel.SMS),
    ("KIA", "", Channel.USSD),
    ("KIA", "Yuliani", Channel.STAFF),
)
CALLS = {"UMUM": 3, "GIGI": 1, "KIA": 1}  # numbers called so far this morning
PAGES = (
    ("queue", f"/console/facility/{FACILITY}"),
    ("display", f"/display/{FACILITY}"),
    ("figures", "/console/figures"),
)


def main() -> None:
    logging.disable(logging.INFO)  # every request and SMS of the run would be logged
    OUT.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="antre-screenshots-"))
    try:
        with (
            time_machine.travel(MONDAY_0930_WIB, tick=True),
            serving(folder) as url,
            chromium() as browser,
        ):
            for language in ("id", "en"):
                for name, path in PAGES:
                    shoot(browser, url, language, name, path)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def serving(folder: Path) -> Iterator[str]:
    """The app on the demo data with this morning's queues, on a free port of 127.0.0.1."""
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{folder / 'antre.sqlite3'}",
            "SECRET_KEY": secrets.token_hex(16),
            "REDIS_URL": None,
            "CONSOLE_REFRESH_SECONDS": 3600,
        }
    )
    app.instance_path = str(folder / "instance")
    prepare_database(app)
    database = database_of(app)
    database.run(past_weeks)
    database.run(morning)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        database.dispose()


def past_weeks(db: Session) -> None:
    """Three weeks of mornings before this one, so that the figures page has days to draw."""
    today = MONDAY_0930_WIB.date()
    facility = db.scalars(select(Facility).where(Facility.code == FACILITY)).one()
    services = db.scalars(select(Service).where(Service.facility_id == facility.id)).all()
    for back in range(21, 0, -1):
        day = today - timedelta(days=back)
        if day.weekday() == 6:
            continue  # closed on Sundays
        opening = datetime.combine(day, time(0, 0), UTC)  # 07:00 WIB, before the doors open
        for s_index, service in enumerate(services):
            session = ClinicSession(
                service_id=service.id,
                day=day,
                start_time=time(8, 0),
                end_time=time(12, 0),
                capacity=40,
            )
            db.add(session)
            db.flush()
            channels = (Channel.USSD, Channel.SMS, Channel.STAFF, Channel.USSD, Channel.SMS)
            booked = 4 + (back * 7 + s_index * 3) % 9
            for n in range(booked):
                channel = channels[(n + back) % len(channels)]
                phone = None if channel is Channel.STAFF else f"+6281{back:02d}{s_index}{n:05d}"
                name = f"Pasien {n + 1}" if channel is Channel.STAFF else ""
                command = TakeNumber(session.id, phone, channel, name=name)
                take_number(db, command, opening + timedelta(minutes=n))
            for n in range(booked - back % 3):  # the last ones of some days never came
                served = opening + timedelta(hours=1, minutes=12 * n)
                call_next(db, session.id, actor="perawat", channel="staff", now=served)


def morning(db: Session) -> None:
    """The demo facility's morning so far, and an admin account per language to look at it."""
    now = datetime.now(UTC)
    facility = db.scalars(select(Facility).where(Facility.code == FACILITY)).one()
    sessions = {
        service.code: db.scalars(
            select(ClinicSession)
            .where(ClinicSession.service_id == service.id, ClinicSession.day == now.date())
            .order_by(ClinicSession.start_time)
        ).first()
        for service in db.scalars(select(Service).where(Service.facility_id == facility.id))
    }
    for n, (code, name, channel) in enumerate(PATIENTS):
        session = sessions[code]
        assert session is not None, code
        phone = None if channel is Channel.STAFF else f"+62812110{n:05d}"
        command = TakeNumber(session_id=session.id, phone=phone, channel=channel, name=name)
        booking = take_number(db, command, now)
        if n % 3 == 0:
            check_in(db, booking.id, actor="perawat", channel=Channel.STAFF.value, now=now)
    for code, calls in CALLS.items():
        called = sessions[code]
        assert called is not None, code
        for _ in range(calls):
            call_next(db, called.id, actor="perawat", channel="staff", now=now)
    for language in ("id", "en"):
        user = StaffUser(
            username=f"admin-{language}",
            role=Role.ADMIN,
            active=True,
            language=language,
            created_at=now,
        )
        user.set_password(PASSWORD)
        db.add(user)


@contextmanager
def chromium() -> Iterator[WebDriver]:
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            sys.exit(f"{path} is not installed (apt-get install chromium chromium-driver)")
    profile = tempfile.mkdtemp(prefix="antre-screenshots-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=DriverService(CHROMEDRIVER), options=options)
    try:
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False},
        )
        driver.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": "Asia/Jakarta"})
        # The pages' own clocks (the display's) stand at the same minute as the app's.
        fixed = int(MONDAY_0930_WIB.timestamp() * 1000)
        driver.execute_cdp_cmd(
            "Page.addScriptToEvaluateOnNewDocument",
            {
                "source": f"""(() => {{
  const Real = Date;
  class Fixed extends Real {{
    constructor(...given) {{ super(...(given.length ? given : [{fixed}])); }}
    static now() {{ return {fixed}; }}
  }}
  window.Date = Fixed;
}})();"""
            },
        )
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def shoot(browser: WebDriver, url: str, language: str, name: str, path: str) -> None:
    browser.execute_cdp_cmd("Network.clearBrowserCookies", {})
    browser.get(url + "/console/login")
    browser.find_element(By.NAME, "username").send_keys(f"admin-{language}")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD + Keys.ENTER)
    WebDriverWait(browser, 15).until(lambda driver: "/console/login" not in driver.current_url)
    separator = "&" if "?" in path else "?"
    browser.get(url + path + (f"{separator}lang={language}" if name == "display" else ""))
    pause(SETTLE_SECONDS)
    target = OUT / f"{name}-{language}.png"
    target.write_bytes(browser.get_screenshot_as_png())
    print(target.relative_to(OUT.parent.parent))


if __name__ == "__main__":
    main()
