"""Background work: sending the outbox. RQ on Redis in production; in-process when embedded.

Contract used by the rest of the app:
- `init_app(app)` wires `Database.on_outbox_committed` so that every outbox row is handed
  to the sender right after the transaction that wrote it commits.
- Nothing here may raise into a request: if Redis is down, rows wait in the outbox.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Not wired yet: outbox rows stay pending (the SMS issue adds the sender)."""
