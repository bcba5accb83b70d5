"""BPJS's reference lists (poli codes, a poli's doctors) for the admin pages, read once a request.

Shown beside the fields where an admin maps a service to a BPJS poli and a session to a BPJS
doctor. Without the BPJS settings there is nothing to show; when BPJS cannot be reached or
refuses, the page says so in one line and the field stays a plain text field. A read BPJS
answers with "nothing" (code 201 or 204, e.g. "Data tidak ditemukan") is an empty list, and
BPJS's words are shown beside it so that the admin knows the list was read and is empty.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta

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
    # BPJS's "nothing" answers: its message, and which lists it gave for (in the order read).
    empty: dict[str, list[str]] = field(default_factory=dict)


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


def empty_answers() -> list[str]:
    """One line per message BPJS gave for lists it had nothing in, naming those lists."""
    return [
        messages.say(messages.BPJS_EMPTY_LIST, message=message, lists=", ".join(lists))
        for message, lists in _reference().empty.items()
    ]


def poli(day: date) -> list[Choice]:
    """BPJS's poli codes on a day; empty when BPJS is off, down or refused."""
    what = f"poli {day:%d/%m/%Y}"
    return _read(f"ref/poli/tanggal/{day.isoformat()}", "kodepoli", "namapoli", what)


def doctors(kodepoli: str, day: date) -> list[Choice]:
    """BPJS's doctors of a poli on a day; empty when BPJS is off, down or refused."""
    path = f"ref/dokter/kodepoli/{kodepoli}/tanggal/{day.isoformat()}"
    return _read(path, "kodedokter", "namadokter", f"dokter {kodepoli} {day:%d/%m/%Y}")


def week_doctors(kodepoli: str, first: date) -> list[Choice]:
    """BPJS's doctors of a poli on any of the seven days from `first`, each once: a weekly
    template's choices (BPJS lists doctors by date, a template is a weekday)."""
    found: dict[str, Choice] = {}
    for offset in range(7):
        for doctor in doctors(kodepoli, first + timedelta(days=offset)):
            found.setdefault(doctor.code, doctor)
    return list(found.values())


def name_of(choices: list[Choice], code: str | None) -> str | None:
    """BPJS's name for a doctor code among the choices read, if the code is one of them."""
    wanted = (code or "").strip().upper()
    return next((choice.name for choice in choices if choice.code.upper() == wanted), None)


def _read(path: str, code_key: str, name_key: str, what: str) -> list[Choice]:
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
        # "Data tidak ditemukan" and the like: BPJS's words, shown as they are.
        reference.lists[path] = []
        if answer.code in (201, 204):
            reference.empty.setdefault(answer.message or str(answer.code), []).append(what)
        else:
            reference.problem = f"BPJS: {answer.message}"
        return []
    choices = [
        Choice(str(row.get(code_key, "")), str(row.get(name_key, "")))
        for row in rows
        if isinstance(row, dict) and row.get(code_key) not in (None, "")
    ]
    reference.lists[path] = choices
    return choices
