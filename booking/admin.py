"""Facilities, their rules and their services, as staff set them up in the console.

Every function takes a session, never commits, runs the checks of booking/validation.py
(so no caller can store what a form would refuse) and writes one event with the staff member
as actor. Errors a person can fix are `Invalid` values naming the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime, time
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from booking import limits, records
from booking import validation as check
from booking.models import Channel, ClinicSession, Facility, PriorityRule, Service
from booking.validation import Invalid
from texts import DEFAULT_LANGUAGE, LANGUAGES, N_

STAFF = Channel.STAFF.value


@dataclass(frozen=True)
class FacilityFields:
    code: str
    name: str
    district: str
    subdistrict: str
    timezone: str
    active: bool = True
    rooms: str = ""  # one a line


@dataclass(frozen=True)
class Rules:
    """The rules a facility may set (design §3); None turns a reminder off."""

    days_ahead: int
    cutoff_minutes: int
    minutes_per_patient: int
    people_per_phone_per_day: int
    almost_turn_ahead: int
    evening_reminder: time | None
    morning_reminder: time | None
    quiet_from: time
    quiet_until: time
    # How priority patients are called (booking.calling.calling_order).
    priority_rule: PriorityRule = PriorityRule.FIRST
    priority_every: int = 3


@dataclass(frozen=True)
class ServiceFields:
    code: str
    names: dict[str, str]  # {language: name}, one for each of texts.LANGUAGES
    prefix: str
    bpjs_poli_code: str | None
    synonyms: str
    active: bool = True


# --- facilities ------------------------------------------------------------------------------


def clean_facility(given: FacilityFields) -> FacilityFields:
    return FacilityFields(
        code=check.facility_code(given.code),
        name=check.facility_name(given.name),
        district=check.phone_name("district", given.district, limits.MAX_DISTRICT_NAME),
        subdistrict=check.plain_text(
            "subdistrict", given.subdistrict, limits.MAX_SUBDISTRICT_NAME, required=False
        ),
        timezone=check.timezone(given.timezone),
        active=given.active,
        rooms=check.rooms(given.rooms),
    )


def create_facility(db: Session, given: FacilityFields, *, actor: str, now: datetime) -> Facility:
    wanted = _same_district_spelling(db, clean_facility(given))
    _code_is_free(db, wanted.code, None)
    facility = Facility(**_values(wanted))
    db.add(facility)
    db.flush()
    records.event(
        db,
        "facility_created",
        actor=actor,
        channel=STAFF,
        now=now,
        detail={"facility": facility.code, "values": _json(_values(wanted))},
    )
    return facility


def update_facility(
    db: Session, facility_id: int, given: FacilityFields, *, actor: str, now: datetime
) -> Facility:
    facility = _facility(db, facility_id)
    wanted = _same_district_spelling(db, clean_facility(given))
    _code_is_free(db, wanted.code, facility.id)
    changes = _apply(facility, _values(wanted))
    if changes:
        records.event(
            db,
            "facility_changed",
            actor=actor,
            channel=STAFF,
            now=now,
            detail={"facility": facility.code, "changes": changes},
        )
    return facility


def clean_rules(rules: Rules) -> Rules:
    check.number("days_ahead", rules.days_ahead, 0, limits.MAX_DAYS_AHEAD)
    check.number("cutoff_minutes", rules.cutoff_minutes, 0, limits.MAX_CUTOFF_MINUTES)
    check.number(
        "minutes_per_patient",
        rules.minutes_per_patient,
        limits.MIN_MINUTES_PER_PATIENT,
        limits.MAX_MINUTES_PER_PATIENT,
    )
    check.number(
        "people_per_phone_per_day",
        rules.people_per_phone_per_day,
        limits.MIN_PEOPLE_PER_PHONE,
        limits.MAX_PEOPLE_PER_PHONE,
    )
    check.number("almost_turn_ahead", rules.almost_turn_ahead, 0, limits.MAX_ALMOST_TURN_AHEAD)
    check.number(
        "priority_every",
        rules.priority_every,
        limits.MIN_PRIORITY_EVERY,
        limits.MAX_PRIORITY_EVERY,
    )
    if rules.quiet_from == rules.quiet_until:
        raise Invalid("quiet_until", N_("Quiet hours must end at another time than they start."))
    for field in ("evening_reminder", "morning_reminder"):
        moment: time | None = getattr(rules, field)
        # The reminder scan sends nothing in quiet hours, so a reminder set inside them would
        # never go out (or go out the next day, for the wrong session).
        if moment is not None and check.in_window(moment, rules.quiet_from, rules.quiet_until):
            raise Invalid(
                field,
                N_("{time} falls in quiet hours; the reminder would never be sent."),
                time=f"{moment:%H:%M}",
            )
    return rules


def update_rules(
    db: Session, facility_id: int, rules: Rules, *, actor: str, now: datetime
) -> Facility:
    facility = _facility(db, facility_id)
    values = {field.name: getattr(clean_rules(rules), field.name) for field in fields(Rules)}
    changes = _apply(facility, values)
    if changes:
        records.event(
            db,
            "rules_changed",
            actor=actor,
            channel=STAFF,
            now=now,
            detail={"facility": facility.code, "changes": changes},
        )
    return facility


def _facility(db: Session, facility_id: int, *, lock: bool = False) -> Facility:
    facility = db.get(Facility, facility_id, with_for_update=lock)
    if facility is None:
        raise Invalid("facility", N_("No such facility."))
    return facility


def _code_is_free(db: Session, code: str, own_id: int | None) -> None:
    holder = db.scalars(select(Facility).where(Facility.code == code)).first()
    if holder is not None and holder.id != own_id:
        raise Invalid("code", N_("Code {code} is already {name}'s."), code=code, name=holder.name)


def _same_district_spelling(db: Session, wanted: FacilityFields) -> FacilityFields:
    """Reuse a district's stored spelling: USSD lists districts by name, one entry each."""
    known = db.scalars(
        select(Facility.district)
        .where(func.lower(Facility.district) == wanted.district.lower())
        .limit(1)
    ).first()
    if known is None or known == wanted.district:
        return wanted
    return FacilityFields(**{**_values(wanted), "district": known})


# --- services --------------------------------------------------------------------------------


def clean_service(given: ServiceFields) -> ServiceFields:
    return ServiceFields(
        code=check.service_code(given.code),
        names={
            language: check.service_name(check.name_field(language), given.names.get(language))
            for language in LANGUAGES
        },
        prefix=check.prefix(given.prefix),
        bpjs_poli_code=check.bpjs_poli_code(given.bpjs_poli_code),
        synonyms=check.synonyms(given.synonyms),
        active=given.active,
    )


def create_service(
    db: Session, facility_id: int, given: ServiceFields, *, actor: str, now: datetime
) -> Service:
    # The facility row is locked so that two admins cannot both take the last free prefix.
    facility = _facility(db, facility_id, lock=True)
    wanted = clean_service(given)
    _no_clash(db, facility, wanted, None)
    service = Service(facility_id=facility.id, **_values(wanted))
    db.add(service)
    db.flush()
    records.event(
        db,
        "service_created",
        actor=actor,
        channel=STAFF,
        now=now,
        detail={"facility": facility.code, "service": service.id, "values": _values(wanted)},
    )
    return service


def update_service(
    db: Session, service_id: int, given: ServiceFields, *, actor: str, now: datetime
) -> Service:
    service = db.get(Service, service_id)
    if service is None:
        raise Invalid("service", N_("No such service."))
    facility = _facility(db, service.facility_id, lock=True)
    wanted = clean_service(given)
    _no_clash(db, facility, wanted, service.id)
    changes = _apply(service, _values(wanted))
    if changes:
        records.event(
            db,
            "service_changed",
            actor=actor,
            channel=STAFF,
            now=now,
            detail={"facility": facility.code, "service": service.id, "changes": changes},
        )
    return service


def set_bpjs_doctor(
    db: Session,
    session_id: int,
    code: str | None,
    *,
    doctor_name: str | None = None,
    actor: str,
    now: datetime,
) -> ClinicSession:
    """The BPJS doctor of one session (antrean/add sends it as kodedokter, and the session's
    doctor as namadokter): `doctor_name`, BPJS's name for the code, names a session that has
    no doctor's name yet."""
    session = db.get(ClinicSession, session_id)
    if session is None:
        raise Invalid("session", N_("No such session."))
    wanted = check.bpjs_doctor_code(code)
    changes: dict[str, list[str | None]] = {}
    if session.bpjs_doctor_code != wanted:
        changes["bpjs_doctor_code"] = [session.bpjs_doctor_code, wanted]
        session.bpjs_doctor_code = wanted
    if wanted and doctor_name and not session.doctor_name:
        name = check.plain_text("doctor_name", doctor_name, limits.MAX_DOCTOR_NAME)
        changes["doctor_name"] = [None, name]
        session.doctor_name = name
    if changes:
        records.event(
            db,
            "session_changed",
            actor=actor,
            channel=STAFF,
            now=now,
            detail={"session": session.id, "changes": changes},
        )
    return session


def _no_clash(db: Session, facility: Facility, wanted: ServiceFields, own_id: int | None) -> None:
    """Codes, prefixes and words must each point to one service of the facility."""
    others = [
        service
        for service in db.scalars(select(Service).where(Service.facility_id == facility.id))
        if service.id != own_id
    ]
    for other in others:
        name = other.name(DEFAULT_LANGUAGE)
        if other.code == wanted.code:
            raise Invalid("code", N_("Code already used by {name}."), name=name)
        if other.prefix == wanted.prefix:
            raise Invalid("prefix", N_("Prefix already used by {name}."), name=name)
        # The bridge finds a service by its code or its BPJS poli code: neither may be shared.
        their_codes = {other.code, other.bpjs_poli_code} - {None}
        if wanted.bpjs_poli_code is not None and wanted.bpjs_poli_code in their_codes:
            raise Invalid("bpjs_poli_code", N_("Code already used by {name}."), name=name)
        if other.bpjs_poli_code == wanted.code:
            raise Invalid("code", N_("It is {name}'s BPJS poli code."), name=name)
        # The SMS parser maps each word to the first service that has it: a shared word would
        # quietly book the other service.
        their_words = {other.code.casefold(), *filter(None, other.synonyms.split(","))}
        shared = [word for word in wanted.synonyms.split(",") if word and word in their_words]
        if shared:
            raise Invalid("synonyms", N_("Word '{word}' is {name}'s."), word=shared[0], name=name)


# --- shared ----------------------------------------------------------------------------------


def _values(dataclass_value: Any) -> dict[str, Any]:
    return {field.name: getattr(dataclass_value, field.name) for field in fields(dataclass_value)}


def _apply(row: Any, values: dict[str, Any]) -> dict[str, list[Any]]:
    """Set the values on the row; the changed ones as {field: [old, new]} for the event."""
    changes: dict[str, list[Any]] = {}
    for name, new in values.items():
        old = getattr(row, name)
        if old != new:
            changes[name] = [_json_value(old), _json_value(new)]
            setattr(row, name, new)
    return changes


def _json(values: dict[str, Any]) -> dict[str, Any]:
    return {name: _json_value(value) for name, value in values.items()}


def _json_value(value: Any) -> Any:
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, Mapping):  # a service's names
        return dict(value)
    return value
