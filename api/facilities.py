"""What a facility offers: its services, and its sessions with the places left."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from api.answers import service_out, session_out
from api.auth import require_facility
from api.schemas import (
    FacilityOut,
    FacilityPath,
    ServicesOut,
    SessionsOut,
    SessionsQuery,
)
from api.spec import operation
from api.tokens import Client
from booking.availability import booking_days
from booking.clock import utcnow
from booking.errors import Reason, Refused
from booking.facilities import services_of
from booking.models import ClinicSession, Facility, Service
from plumbing.db import database_of


def own_facility(db: Session, client: Client, code: str) -> Facility:
    facility = db.scalars(select(Facility).where(Facility.code == code)).first()
    if facility is None:
        raise Refused(Reason.FACILITY_UNKNOWN, code=code)
    require_facility(client, facility.id)
    return facility


@operation(
    "GET",
    "/api/facilities/{code}/services",
    summary="The facility's services",
    response=ServicesOut,
    path_model=FacilityPath,
    tag="facility",
)
def list_services(client: Client, path: FacilityPath) -> ServicesOut:
    def work(db: Session) -> ServicesOut:
        facility = own_facility(db, client, path.code)
        return ServicesOut(
            facility=FacilityOut(
                code=facility.code,
                name=facility.name,
                district=facility.district,
                timezone=facility.timezone,
            ),
            services=[service_out(service) for service in services_of(db, facility)],
        )

    return database_of(current_app).run(work)


@operation(
    "GET",
    "/api/facilities/{code}/sessions",
    summary="The facility's sessions of a day (default: the days it takes bookings for)",
    response=SessionsOut,
    path_model=FacilityPath,
    query=SessionsQuery,
    tag="facility",
)
def list_sessions(client: Client, path: FacilityPath, query: SessionsQuery) -> SessionsOut:
    now = utcnow()

    def work(db: Session) -> SessionsOut:
        facility = own_facility(db, client, path.code)
        services = services_of(db, facility)
        if query.service is not None:
            services = [s for s in services if s.code == query.service.strip().upper()]
            if not services:
                raise Refused(Reason.SERVICE_UNKNOWN)
        days = [query.day] if query.day is not None else booking_days(facility, now)
        sessions = db.scalars(
            select(ClinicSession)
            .join(Service, ClinicSession.service_id == Service.id)
            .options(joinedload(ClinicSession.service).joinedload(Service.facility))
            .where(
                ClinicSession.service_id.in_([s.id for s in services]),
                ClinicSession.day.in_(days),
            )
            .order_by(ClinicSession.day, ClinicSession.start_time, Service.prefix)
        ).all()
        return SessionsOut(
            facility=facility.code,
            days=days,
            sessions=[session_out(session, now) for session in sessions],
        )

    return database_of(current_app).run(work)
