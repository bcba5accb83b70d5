"""`antre number add|list|remove` (a facility's own numbers), `antre sms failed|resend` (the
outbox) and `antre android register`."""

from __future__ import annotations

from datetime import timedelta

import click
import requests
from android_sms_gateway.errors import APIError
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.orm import Session

from booking import facility_numbers, failed_sms
from booking.clock import utcnow
from booking.errors import Refused
from booking.facilities import facility_by_code
from booking.validation import Invalid
from gateways import GATEWAYS
from gateways.android import LINE
from gateways.android import register as android_register
from gateways.contract import mask_phone
from plumbing.db import database_of
from sms import sending


@click.group("number")
def number_group() -> None:
    """A facility's own numbers: an SMS to one needs no facility code."""


@number_group.command("add")
@click.argument("number")
@click.option("--facility", "facility_code", required=True, help="the facility code")
@click.option(
    "--gateway",
    type=click.Choice(sorted(GATEWAYS)),
    default=None,
    help="the gateway that carries the number (default: ANTRE_SMS_GATEWAY's)",
)
@with_appcontext
def add(number: str, facility_code: str, gateway: str | None) -> None:
    """Tie NUMBER (a long number, a short code) to a facility."""
    region = str(current_app.config["DEFAULT_REGION"])

    def tie(db: Session) -> str:
        facility = facility_by_code(db, facility_code)
        return facility_numbers.add(db, number, facility, gateway=gateway, region=region).number

    try:
        stored = database_of(current_app).run(tie)
    except Invalid as problem:
        raise click.UsageError(problem.message) from None
    except Refused:
        raise click.UsageError(f"no facility with the code {facility_code!r}") from None
    click.echo(f"{stored} belongs to facility {facility_code}")


@number_group.command("list")
@with_appcontext
def list_numbers() -> None:
    """Every facility number: the number, the facility, the gateway."""

    def rows(db: Session) -> list[tuple[str, str, str]]:
        return [
            (row.number, row.facility.code, row.gateway or "(default)")
            for row in facility_numbers.every(db)
        ]

    for number, code, gateway in database_of(current_app).run(rows):
        click.echo(f"{number}\t{code}\t{gateway}")


@number_group.command("remove")
@click.argument("number")
@with_appcontext
def remove(number: str) -> None:
    """Untie NUMBER from its facility."""
    region = str(current_app.config["DEFAULT_REGION"])
    if not database_of(current_app).run(lambda db: facility_numbers.remove(db, number, region)):
        raise click.UsageError(f"{number!r} is not a facility number")
    click.echo(f"{number} removed")


@click.group("sms")
def sms_group() -> None:
    """The outbox: what failed, and sending it again."""


@sms_group.command("failed")
@click.option("--hours", default=24.0, type=click.FloatRange(0), show_default=True)
@with_appcontext
def failed(hours: float) -> None:
    """Every SMS that failed in the last HOURS: id, kind, phone (masked), why."""
    since = utcnow() - timedelta(hours=hours)
    rows = sending.failed(database_of(current_app), since)
    doubt = 0
    for row in rows:
        doubt += failed_sms.in_doubt(row)
        when = f"{row.updated_at:%Y-%m-%d %H:%M}"
        click.echo(f"{row.id}\t{row.kind}\t{mask_phone(row.phone)}\t{when}\t{row.error or ''}")
    click.echo(f"{len(rows)} failed, {doubt} of them in doubt (perhaps sent)", err=True)


@sms_group.command("resend")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all-failed", is_flag=True, help="every SMS that failed in the last --hours")
@click.option("--hours", default=24.0, type=click.FloatRange(0), show_default=True)
@click.option("--in-doubt", is_flag=True, help="also those that may have been sent already")
@with_appcontext
def resend(ids: tuple[int, ...], all_failed: bool, hours: float, in_doubt: bool) -> None:
    """Send failed SMS again (by id, or --all-failed): the next sweep sends them."""
    database = database_of(current_app)
    now = utcnow()
    wanted = list(ids)
    if all_failed:
        wanted += [row.id for row in sending.failed(database, now - timedelta(hours=hours))]
    if not wanted:
        raise click.UsageError("name the SMS to resend by id, or give --all-failed")
    again = sending.resend(database, wanted, now, in_doubt=in_doubt)
    left = len(set(wanted)) - len(again)
    click.echo(f"{len(again)} SMS will be sent again within a minute; {left} left as they are")


@click.group("android")
def android_group() -> None:
    """SMS Gateway for Android: the phone at the puskesmas."""


@android_group.command("register")
@click.option("--facility", "facility_code", default=None, help="every SMS it receives is for it")
@with_appcontext
def register(facility_code: str | None) -> None:
    """Point the phone's webhooks (ANTRE_ANDROID_URL) at ANTRE_PUBLIC_URL, one per event."""
    settings = current_app.config
    missing = [
        f"ANTRE_{name}"
        for name in ("ANDROID_URL", "ANDROID_USERNAME", "ANDROID_PASSWORD", "PUBLIC_URL")
        if not settings.get(name)
    ]
    if missing:
        raise click.UsageError(f"set {', '.join(missing)} first")
    if facility_code is not None:
        region = str(settings["DEFAULT_REGION"])

        def tie(db: Session) -> None:
            facility = facility_by_code(db, facility_code)
            facility_numbers.add(db, LINE, facility, gateway="android", region=region)

        try:
            database_of(current_app).run(tie)
        except Refused:
            raise click.UsageError(f"no facility with the code {facility_code!r}") from None
    try:
        events = android_register.register(settings)
    except (APIError, requests.RequestException) as error:
        raise click.ClickException(f"the phone refused or did not answer: {error}") from None
    where = str(settings["PUBLIC_URL"]).rstrip("/") + android_register.PATH
    keyed = " (with the callback key)" if settings.get("CALLBACK_KEY") else ""
    click.echo(f"webhooks registered for {', '.join(events)} at {where}{keyed}")
    if facility_code is not None:
        click.echo(f"every SMS the phone receives is for facility {facility_code}")
