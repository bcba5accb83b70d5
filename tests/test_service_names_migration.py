"""Migration 0023 moves the services' names from a column per language to a row per language,
and back, on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, text

from antre.migrate import alembic_config
from tests.conftest import POSTGRES_URL, service_missing

BEFORE, AFTER = "0019", "0023"
FACILITY = """INSERT INTO facilities (id, code, name, district, subdistrict, timezone, active,
    days_ahead, cutoff_minutes, minutes_per_patient, people_per_phone_per_day, almost_turn_ahead,
    quiet_from, quiet_until)
    VALUES (1, '1001', 'Puskesmas Cipocok Jaya', 'Kota Serang', 'Cipocok Jaya', 'Asia/Jakarta',
    true, 1, 60, 10, 5, 3, '21:00', '06:00')"""
SERVICES = """INSERT INTO services (id, facility_id, code, name_id, name_en, prefix, synonyms,
    active) VALUES (1, 1, 'UMUM', 'Poli Umum', 'General clinic', 'A', '', true),
    (2, 1, 'GIGI', 'Poli Gigi', 'Dental clinic', 'B', '', true)"""


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database no migration has touched yet."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'antre.sqlite3'}"
        return
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"antre_test_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:
        admin.dispose()
        service_missing("PostgreSQL", error)
    yield admin.url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_the_names_move_to_rows_per_language_and_back(empty_url: str) -> None:
    config = alembic_config(empty_url)
    command.upgrade(config, BEFORE)
    engine = create_engine(empty_url)
    try:
        with engine.begin() as connection:
            connection.execute(text(FACILITY))
            connection.execute(text(SERVICES))

        command.upgrade(config, AFTER)
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT service_id, language, name FROM service_names ORDER BY 1, 2")
            ).all()
        assert [tuple(row) for row in rows] == [
            (1, "en", "General clinic"),
            (1, "id", "Poli Umum"),
            (2, "en", "Dental clinic"),
            (2, "id", "Poli Gigi"),
        ]
        columns = {column["name"] for column in inspect(engine).get_columns("services")}
        assert not {"name_id", "name_en"} & columns

        # A service with no English name yet comes back with its Indonesian one in both.
        with engine.begin() as connection:
            connection.execute(
                text("DELETE FROM service_names WHERE service_id = 2 AND language = 'en'")
            )
        command.downgrade(config, BEFORE)
        engine.dispose()  # the tables changed under the pool's connections
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT id, name_id, name_en FROM services ORDER BY id")
            ).all()
        assert [tuple(row) for row in rows] == [
            (1, "Poli Umum", "General clinic"),
            (2, "Poli Gigi", "Poli Gigi"),
        ]
        assert "service_names" not in inspect(engine).get_table_names()
    finally:
        engine.dispose()
