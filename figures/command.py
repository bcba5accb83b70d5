"""`antre figures`: the same figures in a terminal, as aligned text, CSV or JSON."""

from __future__ import annotations

import getpass
import json
from datetime import date, datetime

from sqlalchemy.orm import Session

from booking import records
from figures import export
from figures.queries import Scope, compute


def render(db: Session, scope: Scope, form: str, now: datetime, actor: str | None = None) -> str:
    """The figures as "text", "csv" or "json"; CSV and JSON are exports and are logged."""
    figures = compute(db, scope)
    if form == "text":
        return export.figures_text(figures)
    records.event(
        db,
        "figures_exported",
        actor=actor or f"cli:{_os_user()}",
        channel="cli",
        now=now,
        detail={**scope.as_dict(), "format": form},
    )
    if form == "csv":
        return export.figures_csv(figures)
    return json.dumps(export.figures_json(figures), indent=2, ensure_ascii=False) + "\n"


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def period(start: date | None, end: date | None, today: date, days: int = 30) -> tuple[date, date]:
    from datetime import timedelta

    end = end or today
    return start or end - timedelta(days=days - 1), end
