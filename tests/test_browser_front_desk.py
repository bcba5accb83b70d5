"""In a real browser: what the front desk's forms let a nurse type, and how they look."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from console.models import Role
from tests.browser import LiveApp, log_in, press, text_of
from tests.staff import add_user

pytestmark = pytest.mark.browser

NURSE = "perawat.meja"


@pytest.fixture(scope="module")
def nurse(browser: WebDriver, live_app: LiveApp) -> WebDriver:
    add_user(live_app.db, NURSE, Role.STAFF, facility="1001")
    assert log_in(browser, live_app, NURSE) == "/console/facility/1001"
    return browser


def width(driver: WebDriver, css: str) -> float:
    return float(
        driver.execute_script(
            "return document.querySelector(arguments[0]).getBoundingClientRect().width;", css
        )
    )


def test_the_cancel_reason_box_spans_its_card_and_cancelling_asks_first(
    nurse: WebDriver, live_app: LiveApp
) -> None:
    session = live_app.session_today()
    nurse.get(live_app.url + "/console/facility/1001")
    nurse.find_element(By.CSS_SELECTOR, f"#cancel-{session} summary").click()
    box = width(nurse, f"#cancel-reason-{session}")
    card = width(nurse, f"#cancel-{session}")
    assert box >= 0.95 * card, (box, card)  # the reason goes out by SMS: room to read it

    nurse.find_element(By.ID, f"cancel-reason-{session}").send_keys("Dokter cuti")
    press(nurse, f"cancel-session-{session}")
    assert "Pasien dibatalkan: 0" in text_of(nurse, "#cancel-question")
    assert text_of(nurse, "#cancel-reason-confirm") == "Dokter cuti"
    nurse.find_element(By.ID, "cancel-session-back").click()  # no: nothing is cancelled
    assert text_of(nurse, f"#session-status-{session}") == "Buka"


def test_a_walk_in_name_over_the_limit_is_kept_whole_and_refused_with_the_limit(
    nurse: WebDriver, live_app: LiveApp
) -> None:
    session = live_app.session_today()
    nurse.get(live_app.url + "/console/facility/1001")
    name = "Raden Ajeng Siti Nurhaliza Kartika Putri"  # 40 letters: 10 more than fit
    box = nurse.find_element(By.ID, f"walk-in-name-{session}")
    box.send_keys(name)
    assert box.get_property("value") == name  # the box cuts nothing silently
    assert "30" in text_of(nurse, f"#walk-in-name-limit-{session}")
    press(nurse, f"walk-in-{session}")
    assert "paling banyak 30 huruf; nama ini 40 huruf" in text_of(nurse, "#problem")
    kept = nurse.find_element(By.ID, f"walk-in-name-{session}").get_property("value")
    assert kept == name  # to shorten, not to type again
