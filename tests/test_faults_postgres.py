"""PostgreSQL crash-stopped (`pg_ctl stop -m immediate`) and started again, on a throwaway
cluster of the test's own: honest /healthz, clear answers during the outage, and afterwards no
booking lost or twice and every SMS receipt sent once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import select

from antre import database, jobs, migrate
from antre.demo import seed
from booking import models
from booking.clock import utcnow
from booking.models import Booking
from tests import fake_africastalking as fake_at
from tests.conftest import service_missing
from tests.fake_africastalking import FakeAfricasTalking
from tests.faults import ThrowawayPostgres
from tests.test_sending import make_app

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

PHONES = ["+6281234567890", "+6285712345678"]


def sms(phone: str, message_id: str) -> dict[str, str]:
    return {"from": phone, "to": "21345", "text": "antre gigi 1001", "id": message_id}


@pytest.fixture
def postgres(tmp_path: Path) -> Iterator[ThrowawayPostgres]:
    if (missing := ThrowawayPostgres.missing()) is not None:
        service_missing("initdb", RuntimeError(missing))
    server = ThrowawayPostgres(tmp_path / "postgres").start()
    yield server
    server.crash()


@pytest.fixture
def fake() -> Iterator[FakeAfricasTalking]:
    with fake_at.running(hang_seconds=1.0) as server:
        yield server


def test_a_crashed_postgres_gets_clear_answers_and_loses_nothing(
    postgres: ThrowawayPostgres, tmp_path: Path, fake: FakeAfricasTalking, now: datetime
) -> None:
    migrate.upgrade(postgres.url)
    app = make_app(postgres.url, tmp_path, **fake_at.settings(fake))
    client = app.test_client()
    with time_machine.travel(now, tick=True):
        database(app).run(lambda s: seed(s, now))
        try:
            assert client.post("/sms/incoming", data=sms(PHONES[0], "ATX-1")).status_code == 200
            assert jobs.runner(app).drain()
            postgres.crash()
            health = client.get("/healthz")
            assert health.status_code == 503 and health.json is not None
            assert health.json["status"] == "down" and health.json["database"].startswith("down")
            refused = client.post("/sms/incoming", data=sms(PHONES[1], "ATX-2"))
            assert (refused.status_code, refused.headers["Retry-After"]) == (503, "30")
            form = {"sessionId": "s-1", "phoneNumber": PHONES[1], "serviceCode": "*123#"}
            ussd = client.post("/ussd", data=form | {"text": ""})
            assert ussd.status_code == 200
            screen = ussd.get_data(as_text=True)
            assert screen.startswith("END ") and "lagi" in screen and len(screen) <= 160
            postgres.start()
            # The gateway calls again with the same SMS; and once more, as a lost answer would.
            for _ in range(2):
                again = client.post("/sms/incoming", data=sms(PHONES[1], "ATX-2"))
                assert again.status_code == 200
            assert client.get("/healthz").status_code == 200
            assert jobs.runner(app).drain()
            # A pooled connection used within the second before the crash fails once (see
            # plumbing.db); the row stays pending and the worker's minute sweep sends it.
            jobs.sweep(app, utcnow() + timedelta(minutes=5))
            assert jobs.runner(app).drain()
            with database(app).transaction() as s:
                booked = sorted(b.booked_by for b in s.scalars(select(Booking)))
                taken = sum(c.places_taken for c in s.scalars(select(models.ClinicSession)))
        finally:
            jobs.runner(app).stop()
            database(app).dispose()
    assert booked == sorted(PHONES)  # none lost, none twice
    assert taken == 2
    assert [len(fake.sent_to(phone)) for phone in PHONES] == [1, 1]  # each receipt once
