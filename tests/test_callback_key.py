"""The gateways' callback key: sent in the `X-Antre-Key` header or as `?key=`, and never
written to a log, neither by our handlers nor in the dev server's or gunicorn's request lines."""

from __future__ import annotations

import logging
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from flask import Flask

from plumbing.db import Database
from tests.servers import ROOT, dev_server, gunicorn, wait_for

KEY = "s3cret-Kunci-42"
PHONE = "+6281234567890"
USSD_FORM = {"sessionId": "s-key", "serviceCode": "*123#", "phoneNumber": PHONE, "text": ""}
SMS_FORM = {"from": PHONE, "to": "21345", "text": "BANTUAN", "id": "ATXid_header"}


def test_a_callback_may_carry_its_key_in_the_x_antre_key_header(app: Flask, demo: Database) -> None:
    app.config["CALLBACK_KEY"] = KEY
    client = app.test_client()
    for path, form in (("/ussd", USSD_FORM), ("/sms/incoming", SMS_FORM)):
        assert client.post(path, data=form, headers={"X-Antre-Key": KEY}).status_code == 200
        assert client.post(f"{path}?key={KEY}", data=form).status_code == 200, path
        assert client.post(path, data=form).status_code == 403, path
        wrong = client.post(f"{path}?key={KEY}", data=form, headers={"X-Antre-Key": "nope"})
        assert wrong.status_code == 403, (
            path
        )  # a header sent is the key; the query does not mend it


def test_the_dev_servers_request_lines_show_no_callback_key(
    app: Flask, demo: Database, caplog: pytest.LogCaptureFixture
) -> None:
    app.config["CALLBACK_KEY"] = KEY
    caplog.set_level(logging.INFO)
    with dev_server(app) as port:
        answer = _post(f"http://127.0.0.1:{port}/ussd?key={KEY}", USSD_FORM)
        assert answer == 200
        lines = _werkzeug_lines(caplog, "/ussd")
    assert any("/ussd?key=***" in line for line in lines), lines
    assert KEY not in caplog.text


def test_the_log_lines_create_app_writes_show_no_callback_key(tmp_path: Path) -> None:
    # A process of its own: under pytest the root logger already has handlers, so the one
    # create_app sets up for a real run is only seen where nothing else configured logging.
    script = f"""
import logging, urllib.error, urllib.request
from antre import create_app
from tests.servers import dev_server

app = create_app({{"DATABASE_URL": "sqlite:///{tmp_path}/antre.sqlite3", "SECRET_KEY": "t",
                  "REDIS_URL": None, "CALLBACK_KEY": "{KEY}"}})
logging.getLogger("sms.views").warning(
    "callback from https://antre.example.id/sms/incoming?key={KEY}&id=1")
with dev_server(app) as port:
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{{port}}/no/such/page?key={KEY}", timeout=10)
    except urllib.error.HTTPError:
        pass
"""
    run = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    assert "WARNING sms.views: callback from" in run.stderr
    assert "/sms/incoming?key=***&id=1" in run.stderr
    assert "/no/such/page?key=*** HTTP/1.1" in run.stderr, run.stderr
    assert KEY not in run.stderr + run.stdout


@pytest.mark.slow
def test_gunicorns_access_log_shows_no_callback_key(tmp_path: Path) -> None:
    log = tmp_path / "gunicorn.log"
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/antre.sqlite3", "ANTRE_CALLBACK_KEY": KEY}
    with gunicorn(env, log) as port:
        assert _get(f"http://127.0.0.1:{port}/no/such/page?key={KEY}&x=1") == 404
        written = wait_for(log, "/no/such/page")
    assert '"GET /no/such/page?key=***&x=1 HTTP/1.1" 404' in written, written
    assert KEY not in written


def _post(url: str, form: dict[str, str]) -> int:
    data = "&".join(f"{name}={value}" for name, value in form.items()).encode()
    request = urllib.request.Request(url, data=data)
    request.add_header("Content-Type", "application/x-www-form-urlencoded")
    with urllib.request.urlopen(request, timeout=10) as answer:
        status: int = answer.status
        return status


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            status: int = answer.status
            return status
    except urllib.error.HTTPError as error:
        return error.code


def _werkzeug_lines(caplog: pytest.LogCaptureFixture, path: str) -> list[str]:
    """The dev server's request lines for `path`: written just after the answer, so waited for."""
    deadline = time.monotonic() + 5
    while True:
        lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
        if any(path in line for line in lines) or time.monotonic() > deadline:
            return lines
        time.sleep(0.02)
