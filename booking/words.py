"""How days, services and sessions are named to patients, per language.

These are the parameters that refusals and SMS fill their templates with: the channels and
the catalogs (texts/) put them in sentences.
"""

from __future__ import annotations

from datetime import date

from booking.models import ClinicSession, Service

WEEKDAYS = {
    "id": ("Sen", "Sel", "Rab", "Kam", "Jum", "Sab", "Min"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}


def day_words(session: ClinicSession) -> dict[str, str]:
    """A session's day as people write it, per language: "Sen 24/11"."""
    return date_words(session.day)


def date_words(day: date) -> dict[str, str]:
    return {lang: f"{names[day.weekday()]} {day:%d/%m}" for lang, names in WEEKDAYS.items()}


def service_words(service: Service) -> dict[str, str]:
    return dict(service.names)


def session_words(session: ClinicSession, service: Service) -> dict[str, object]:
    return {"service": service_words(service), "day": day_words(session)}
