"""In a real browser on a TV with no Indonesian speech voice: the waiting-room screen says a
call with its sound files (console/static/voice), one after another."""

from __future__ import annotations

import pytest
from selenium.webdriver.remote.webdriver import WebDriver

from booking.clock import utcnow
from booking.models import Channel
from booking.queue import call_next
from tests.browser import LiveApp, wait_for_display, wait_until
from tests.helpers import take

pytestmark = pytest.mark.browser

# No voice at all, as on many TV browsers; whatever the page plays is recorded (a played clip
# ends a moment later), whatever it would speak too.
NO_VOICE = """
window.__said = [];
window.__played = [];
window.speechSynthesis.getVoices = () => [];
window.speechSynthesis.speak = (u) => window.__said.push(u.text);
HTMLMediaElement.prototype.play = function () {
  window.__played.push(new URL(this.src).pathname);
  setTimeout(() => this.dispatchEvent(new Event("ended")), 30);
  return Promise.resolve();
};
"""


def played(driver: WebDriver) -> list[str]:
    paths = driver.execute_script("return window.__played")
    return [path.removeprefix("/display/voice/").removesuffix(".wav") for path in paths]


def test_a_tv_without_an_indonesian_voice_plays_the_calls_sound_files(
    browser: WebDriver, live_app: LiveApp
) -> None:
    session = live_app.session_today()
    for n in range(13):
        take(live_app.db, session, f"+62812988000{n:02d}", utcnow(), channel=Channel.SMS)
    for _ in range(11):
        live_app.db.run(lambda s: call_next(s, session, actor="n", channel="staff", now=utcnow()))
    script = browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": NO_VOICE})
    try:
        browser.get(live_app.url + "/display/1001")
        wait_for_display(browser, "Poli Gigi", "B-011")

        live_app.db.run(
            lambda s: call_next(
                s, session, actor="n", channel="staff", now=utcnow(), room="Ruang Periksa 2"
            )
        )
        wait_for_display(browser, "Poli Gigi", "B-012")
        wait_until(browser, lambda d: len(played(d)) >= 8, "the call to be played")
        assert played(browser) == [
            "nomor-antrean", "huruf-b", "dua", "belas", "silakan-ke", "ruang", "periksa", "dua",
        ]  # fmt: skip

        live_app.db.run(lambda s: call_next(s, session, actor="n", channel="staff", now=utcnow()))
        wait_for_display(browser, "Poli Gigi", "B-013")
        wait_until(browser, lambda d: len(played(d)) >= 15, "the next call to be played")
        assert played(browser)[8:] == [
            "nomor-antrean", "huruf-b", "tiga", "belas", "silakan-ke", "poli", "gigi",
        ]  # fmt: skip
        assert browser.execute_script("return window.__said") == []
        # Every file it played is there to be played.
        answers = browser.execute_script(
            """return Promise.all(window.__played.map((path) => fetch(path).then(
                 (r) => [r.ok, r.headers.get("content-type")])))"""
        )
        assert {(ok, kind) for ok, kind in answers} == {(True, "audio/wav")}
    finally:
        browser.execute_cdp_cmd(
            "Page.removeScriptToEvaluateOnNewDocument", {"identifier": script["identifier"]}
        )
