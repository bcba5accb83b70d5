"""Start-up: settings from the environment, clear one-line errors, the CLI, /healthz."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask

from antre import create_app
from plumbing.config import ConfigError


def antre_command(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ANTRE_")}
    environment.pop("DATABASE_URL", None)
    environment.pop("REDIS_URL", None)
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-c", "from antre.cli import main; main()", *args],
        env=environment,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("DATABASE_URL", "mysql://nope", "DATABASE_URL must be postgresql:// or sqlite://"),
        ("DATABASE_URL", "::not a url::", "is not a database URL"),
        ("REDIS_URL", "localhost:6379", "REDIS_URL must start with redis://"),
        ("ANTRE_DEFAULT_TIMEZONE", "Asia/Atlantis", "is not a known time zone"),
        ("ANTRE_DEFAULT_REGION", "XX", "is not a known region code"),
        ("ANTRE_AT_TIMEOUT_SECONDS", "soon", "must be a number"),
        ("ANTRE_PROXIES", "nginx", "must be a whole number from 0 to 5"),
    ],
)
def test_a_wrong_setting_stops_start_up_with_one_clear_line(
    variable: str, value: str, says: str, tmp_path: Path
) -> None:
    result = antre_command("db", "upgrade", env={variable: value}, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("antre: configuration error:") and says in lines[0]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("env", "says"),
    [
        (
            {"ANTRE_SMS_GATEWAY": "android", "ANTRE_ANDROID_URL": "http://192.168.1.20:8080"},
            "SMS_GATEWAY=android needs ANTRE_ANDROID_USERNAME, ANTRE_ANDROID_PASSWORD, "
            "ANTRE_ANDROID_SIGNING_KEY",
        ),
        ({"ANTRE_SMS_GATEWAY": "kannel"}, "SMS_GATEWAY=kannel needs ANTRE_KANNEL_SENDSMS_URL"),
        # Not the default, but in use (its address is set): its settings must be whole too.
        (
            {"ANTRE_KANNEL_SENDSMS_URL": "http://127.0.0.1:13013/cgi-bin/sendsms"},
            "ANTRE_KANNEL_USERNAME",
        ),
        (
            {"ANTRE_PUBLIC_URL": "antre.example.id"},
            "ANTRE_PUBLIC_URL must be an http:// or https://",
        ),
        ({"ANTRE_ANDROID_TTL_SECONDS": "0"}, "ANTRE_ANDROID_TTL_SECONDS must be above zero"),
    ],
)
def test_a_gateway_configured_in_part_stops_start_up_with_one_clear_line(
    env: dict[str, str], says: str, tmp_path: Path
) -> None:
    result = antre_command("db", "upgrade", env=env, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], result.stderr


def test_settings_come_from_the_environment_with_the_antre_prefix(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ANTRE_DEFAULT_TIMEZONE", "Asia/Jayapura")
    monkeypatch.setenv("ANTRE_CALLBACK_KEY", "s3cret")
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1/antre")
    app = create_app()
    assert app.config["DEFAULT_TIMEZONE"] == "Asia/Jayapura"
    assert app.config["CALLBACK_KEY"] == "s3cret"
    assert app.config["DATABASE_URL"].startswith("postgresql+psycopg://")


def test_create_app_connects_to_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    # Unreachable servers: building the app must still succeed (nothing connects at start-up).
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/none")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    assert isinstance(create_app(), Flask)


def test_the_config_error_is_a_value_not_a_crash(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="ANTRE_DEFAULT_REGION"):
        create_app({"DEFAULT_REGION": "ZZ"})


def test_db_upgrade_seed_demo_and_schedule_generate_work_from_the_command_line(
    tmp_path: Path,
) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}"}
    assert antre_command("db", "upgrade", env=env, cwd=tmp_path).returncode == 0
    seeded = antre_command(
        "seed-demo", "--capacity", "7", "--facilities", "3", env=env, cwd=tmp_path
    )
    assert seeded.returncode == 0 and "9 facilities" in seeded.stdout
    again = antre_command("seed-demo", env=env, cwd=tmp_path)
    assert again.returncode == 0 and "9 facilities" in again.stdout  # idempotent
    generated = antre_command("schedule", "generate", "--days", "7", env=env, cwd=tmp_path)
    assert generated.returncode == 0, generated.stderr
    assert "sessions created" in generated.stdout


def test_healthz_reports_the_database(app: Flask) -> None:
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.json == {
        "status": "ok",
        "database": "ok",
        "redis": "not configured (embedded mode)",
    }


def test_healthz_is_503_when_redis_is_down(database_url: str) -> None:
    app = create_app({"DATABASE_URL": database_url, "REDIS_URL": "redis://127.0.0.1:1/0"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json is not None and response.json["redis"].startswith("down")
    assert response.json["database"] == "ok"


def test_healthz_is_503_when_the_database_is_down() -> None:
    app = create_app({"DATABASE_URL": "postgresql://postgres@127.0.0.1:1/none"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json is not None and response.json["database"].startswith("down")


def test_healthz_with_a_real_redis(redis_app: Flask) -> None:
    response = redis_app.test_client().get("/healthz")
    assert response.status_code == 200 and response.json is not None
    assert response.json["redis"] == "ok"


def test_notifications_run_due_scans_as_of_a_given_moment(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}"}
    assert antre_command("db", "upgrade", env=env, cwd=tmp_path).returncode == 0
    result = antre_command(
        "notifications", "run-due", "--at", "2026-11-23T18:05+07:00", env=env, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "as of 2026-11-23T18:05:00+07:00: nothing due"
    wrong = antre_command("notifications", "run-due", "--at", "soon", env=env, cwd=tmp_path)
    assert wrong.returncode == 2 and "'soon' is not an ISO-8601 time" in wrong.stderr


def test_the_terminal_phone_is_an_antre_command(tmp_path: Path) -> None:
    result = antre_command("phone", "--help", env={}, cwd=tmp_path)
    assert result.returncode == 0 and "Dial the USSD menu" in result.stdout


def test_gateway_callbacks_run_none_of_the_consoles_hooks(app: Flask) -> None:
    """A key press pays for no login, CSRF or throttling hooks (antre.ByPath)."""
    console_hooks: list[str] = []
    app.before_request(lambda: console_hooks.append("before") and None)
    client = app.test_client()
    dial = {"sessionId": "ATUid_1", "serviceCode": "*123#", "phoneNumber": "+6281234567890"}

    answer = client.post("/ussd", data={**dial, "text": ""})  # no CSRF token, as a gateway

    assert answer.status_code == 200 and answer.text.startswith("CON ")
    assert client.post("/sms/delivery", data={}).status_code == 400  # served, and says why
    assert console_hooks == []
    assert client.get("/healthz").status_code == 200
    assert console_hooks == ["before"]
    # Only the gateways' exact paths leave the console app.
    assert client.post("/ussd/", data={**dial, "text": ""}).status_code == 404
    assert console_hooks == ["before", "before"]
