"""BPJS's reference lists (poli codes, a poli's doctors) for the admin pages, read once a request.

Shown beside the fields where an admin maps a service to a BPJS poli and a session to a BPJS
doctor. Without the BPJS settings there is nothing to show; when BPJS cannot be reached or
refuses, the page says so in one line and the field stays a plain text field.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date

from flask import current_app, g

from bpjs.client import Client, Unreachable
from bpjs.settings import credentials
from console import messages

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Choice:
    code: str
    name: str


@dataclass
class Reference:
    """What BPJS said this request: lists by their path, and why one could not be read."""

    client: Client | None
    lists: dict[str, list[Choice]] = field(default_factory=dict)
    problem: str | None = None  # said once; after it no further call is tried this request


def _reference() -> Reference:
    if "bpjs_reference" not in g:
        found = credentials(current_app.config)
        g.bpjs_reference = Reference(Client(found) if found is not None else None)
    reference: Reference = g.bpjs_reference
    return reference


def configured() -> bool:
    return _reference().client is not None


def problem() -> str | None:
    return _reference().problem


def poli(day: date) -> list[Choice]:
    """BPJS's poli codes on a day; empty when BPJS is off, down or refused."""
    return _read(f"ref/poli/tanggal/{day.isoformat()}", "kodepoli", "namapoli")


def doctors(kodepoli: str, day: date) -> list[Choice]:
    """BPJS's doctors of a poli on a day; empty when BPJS is off, down or refused."""
    path = f"ref/dokter/kodepoli/{kodepoli}/tanggal/{day.isoformat()}"
    return _read(path, "kodedokter", "namadokter")


def _read(path: str, code_key: str, name_key: str) -> list[Choice]:
    reference = _reference()
    if reference.client is None or reference.problem is not None:
        return []
    if path in reference.lists:
        return reference.lists[path]
    try:
        answer = reference.client.call("GET", path)
    except Unreachable:
        # One wait for a timeout per page, not one per list.
        reference.problem = messages.say(messages.BPJS_UNREACHABLE)
        return []
    rows = answer.response.get("list", []) if isinstance(answer.response, dict) else []
    if not answer.ok:
        # "Tidak ada jadwal" and the like: BPJS's words, shown as they are.
        reference.lists[path] = []
        if answer.code not in (201, 204):
            reference.problem = f"BPJS: {answer.message}"
        return []
    choices = [
        Choice(str(row.get(code_key, "")), str(row.get(name_key, "")))
        for row in rows
        if isinstance(row, dict) and row.get(code_key) not in (None, "")
    ]
    reference.lists[path] = choices
    return choices
