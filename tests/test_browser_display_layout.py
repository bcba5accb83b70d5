"""In a real browser: the waiting-room screen fits a 1366×768 and a 1920×1080 TV without
scrolling, with its clock and date, and shows more polis than fit a page at a time."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from selenium.webdriver.remote.webdriver import WebDriver
from sqlalchemy import select
from sqlalchemy.orm import Session

from booking.clock import utcnow
from booking.models import Channel, ClinicSession, Facility, Service
from booking.queue import call_next
from console.display import COLUMNS, PAGE_SECONDS, ROWS
from tests.browser import LiveApp, display_line, text_of, wait_until
from tests.helpers import take

pytestmark = pytest.mark.browser

TVS = [(1366, 768), (1920, 1080)]
# Nothing scrolls, every poli shown lies inside the screen, and none has text cut off.
FITS = """
const page = document.scrollingElement;
const shown = [...document.querySelectorAll("#services .service")].filter((s) => !s.hidden);
return {
  scroll: page.scrollHeight <= innerHeight && page.scrollWidth <= innerWidth,
  inside: shown.every((s) => {
    const box = s.getBoundingClientRect();
    return box.top >= 0 && box.left >= 0 && box.bottom <= innerHeight && box.right <= innerWidth;
  }),
  whole: shown.every((s) => s.scrollHeight <= s.clientHeight && s.scrollWidth <= s.clientWidth),
  names: shown.map((s) => s.querySelector(".name").innerText),
};
"""
MORE_POLIS = [
    ("LANSIA", "Poli Lansia", "D"), ("ANAK", "Poli Anak", "E"), ("KB", "Poli KB", "F"),
    ("GIZI", "Poli Gizi", "G"), ("IMUN", "Imunisasi", "H"), ("LAB", "Laboratorium", "J"),
    ("FARMASI", "Farmasi", "K"), ("MTBS", "Poli MTBS", "L"), ("TB", "Poli TB", "M"),
]  # fmt: skip


@pytest.fixture
def tv(browser: WebDriver) -> Iterator[None]:
    yield
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def size(browser: WebDriver, width: int, height: int) -> None:
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
    )


def screen(browser: WebDriver) -> dict[str, object]:
    return dict(browser.execute_script(FITS))


@pytest.mark.parametrize(("width", "height"), TVS)
def test_the_display_fits_the_tv_with_its_clock_and_date(
    browser: WebDriver, live_app: LiveApp, tv: None, width: int, height: int
) -> None:
    size(browser, width, height)
    browser.get(live_app.url + "/display/1001")
    wait_until(browser, lambda d: text_of(d, "#date"), "the date")
    assert re.fullmatch(r"\d\d[.:]\d\d", text_of(browser, "#time"))
    assert re.search(r"\d{4}$", text_of(browser, "#date"))  # "Kamis, 3 Desember 2026"
    assert browser.execute_script("return [innerWidth, innerHeight]") == [width, height]
    shown = screen(browser)
    assert shown == {
        "scroll": True,
        "inside": True,
        "whole": True,
        "names": ["Poli Umum", "Poli Gigi", "Poli KIA"],
    }
    assert text_of(browser, "#page") == ""  # one page: nothing to turn


def _more_polis(s: Session) -> None:
    facility = s.scalars(select(Facility).where(Facility.code == "1001")).one()
    for code, name, prefix in MORE_POLIS:
        names = {"id": name, "en": name}
        s.add(Service(facility_id=facility.id, code=code, names=names, prefix=prefix))


@pytest.mark.parametrize(("width", "height"), TVS)
def test_more_polis_than_fit_are_shown_a_page_at_a_time(
    browser: WebDriver, live_app: LiveApp, tv: None, width: int, height: int
) -> None:
    if not live_app.db.run(lambda s: s.scalar(select(Service.id).where(Service.code == "TB"))):
        live_app.db.run(_more_polis)
    every = {"Poli Umum", "Poli Gigi", "Poli KIA"} | {name for _, name, _ in MORE_POLIS}
    assert len(every) == 12
    size(browser, width, height)
    browser.get(live_app.url + "/display/1001")
    seen: set[str] = set()
    pages: set[str] = set()
    deadline = time.monotonic() + 2 * PAGE_SECONDS + 5
    while time.monotonic() < deadline and (seen != every or len(pages) < 2):
        shown = screen(browser)
        assert shown["scroll"] and shown["inside"] and shown["whole"], shown
        names = shown["names"]
        assert isinstance(names, list)
        assert 0 < len(names) <= COLUMNS * ROWS
        seen |= set(names)
        pages.add(text_of(browser, "#page"))
        time.sleep(0.5)
    assert seen == every
    assert pages == {"1/2", "2/2"}


# The screen's own clock for turning pages stands still: only a call can turn the page.
STILL = "Date.now = () => 0;"


def _tb_session_today(live_app: LiveApp) -> int:
    def add(s: Session) -> int:
        tb = s.scalars(select(Service).where(Service.code == "TB")).one()
        session = ClinicSession(
            service_id=tb.id, day=live_app.today, start_time=dt.time(0),
            end_time=dt.time(23, 59, 59), capacity=40,
        )  # fmt: skip
        s.add(session)
        s.flush()
        return int(session.id)

    return int(live_app.db.run(add))


def test_a_call_on_another_page_brings_that_page_on_screen(
    browser: WebDriver, live_app: LiveApp, tv: None
) -> None:
    if not live_app.db.run(lambda s: s.scalar(select(Service.id).where(Service.code == "TB"))):
        live_app.db.run(_more_polis)
    session = _tb_session_today(live_app)
    take(live_app.db, session, "+6281299100001", utcnow(), channel=Channel.SMS)
    size(browser, 1366, 768)
    script = browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": STILL})
    try:
        browser.get(live_app.url + "/display/1001")
        assert text_of(browser, "#page") == "1/2"
        assert "Poli TB" not in screen(browser)["names"]  # type: ignore[operator]

        live_app.db.run(lambda s: call_next(s, session, actor="n", channel="staff", now=utcnow()))
        wait_until(browser, lambda d: text_of(d, "#page") == "2/2", "the page of Poli TB")
        assert "Poli TB" in screen(browser)["names"]  # type: ignore[operator]
        assert display_line(browser, "Poli TB")["serving"] == "M-001"
    finally:
        browser.execute_cdp_cmd(
            "Page.removeScriptToEvaluateOnNewDocument", {"identifier": script["identifier"]}
        )


@pytest.mark.parametrize(
    ("lang", "days"),
    [
        ("id", ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")),
        ("en", ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")),
    ],
)
def test_the_date_on_the_screen_is_in_the_screens_language(
    browser: WebDriver, live_app: LiveApp, lang: str, days: tuple[str, ...]
) -> None:
    browser.get(f"{live_app.url}/display/1001?lang={lang}")
    wait_until(browser, lambda d: text_of(d, "#date"), "the date")
    weekday = days[dt.datetime.now(ZoneInfo("Asia/Jakarta")).weekday()]
    assert text_of(browser, "#date").startswith(weekday)
