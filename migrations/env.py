"""Alembic environment: the URL comes from the caller (antre db upgrade) or from the settings."""

from __future__ import annotations

from pathlib import Path

from alembic import context
from sqlalchemy import create_engine

from antre.schema import metadata
from booking.models import UtcDateTime
from plumbing import config as settings

alembic_config = context.config
url = (
    alembic_config.attributes.get("url")
    or settings.load(str(Path.cwd() / "instance"))["DATABASE_URL"]
)
render_as_batch = url.startswith("sqlite")  # SQLite alters tables by copying them


def run_migrations_offline() -> None:
    context.configure(url=url, target_metadata=metadata, render_as_batch=render_as_batch)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = alembic_config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(url, hide_parameters=True)  # as plumbing.db: no values in errors
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def render_item(kind: str, item: object, autogen_context: object) -> str | bool:
    """Write our column types as the plain SQLAlchemy types they store."""
    if kind == "type" and isinstance(item, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=metadata,
        render_as_batch=render_as_batch,
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
