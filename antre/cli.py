"""`antre`: the command line, built on Flask's so it shares the app's settings."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import func, select

from antre import create_app, database_of, migrate
from plumbing.config import ConfigError


def _app() -> Flask:
    return create_app()


@click.group(cls=FlaskGroup, create_app=_app, add_version_option=False, load_dotenv=False)
def cli() -> None:
    """Antre: clinic queue numbers by USSD and SMS."""


@cli.group("db")
def db_group() -> None:
    """The database schema."""


@db_group.command("upgrade")
@click.option("--revision", default="heads", show_default=True)
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Bring the database schema up to date."""
    migrate.upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"database at {revision}")


@cli.group("bpjs")
def bpjs_group() -> None:
    """BPJS Antrean FKTP: the codes to map services and sessions to."""


def _bpjs_list(read: str, *args: str) -> None:
    from bpjs.client import Client, Unreachable
    from bpjs.settings import credentials

    found = credentials(current_app.config)
    if found is None:
        raise click.ClickException(
            "BPJS is not set up: set ANTRE_BPJS_URL, _CONS_ID, _SECRET, _USER_KEY"
        )
    try:
        answer = getattr(Client(found), read)(*args)
    except Unreachable as error:
        raise click.ClickException(f"BPJS did not answer: {error}") from error
    if answer.code in (201, 204):
        # BPJS's "nothing here" (e.g. "Data tidak ditemukan"): an answer, so exit 0, with an
        # empty list on stdout and BPJS's words on stderr.
        click.echo(f"BPJS: {answer.message} (code {answer.code}): nothing listed", err=True)
        return
    if not answer.ok:
        raise click.ClickException(f"BPJS refused: {answer.code} {answer.message}")
    rows = (answer.response or {}).get("list", []) if isinstance(answer.response, dict) else []
    for row in rows:
        click.echo("\t".join(str(value) for value in row.values()))


@bpjs_group.command("poli")
@click.option("--day", default=lambda: datetime.now(UTC).date().isoformat(), help="YYYY-MM-DD")
@with_appcontext
def bpjs_poli(day: str) -> None:
    """BPJS's poli codes on a day (kodepoli, namapoli): for each service's BPJS poli code.

    BPJS answering that it has none (its code 201) is said on stderr, exit status 0; a
    refusal of another kind or no answer is exit status 1."""
    _bpjs_list("poli", day)


@bpjs_group.command("dokter")
@click.argument("kodepoli")
@click.option("--day", default=lambda: datetime.now(UTC).date().isoformat(), help="YYYY-MM-DD")
@with_appcontext
def bpjs_dokter(kodepoli: str, day: str) -> None:
    """BPJS's doctors of a poli on a day: for each session's BPJS doctor code.

    BPJS answering that it has none (its code 201) is said on stderr, exit status 0; a
    refusal of another kind or no answer is exit status 1."""
    _bpjs_list("dokter", kodepoli, day)


@cli.command("seed-demo")
@click.option(
    "--capacity",
    type=click.IntRange(1, 100_000),
    default=None,
    help="capacity of every seeded session",
)
@click.option(
    "--facilities",
    "extra",
    type=click.IntRange(0, 10_000),
    default=0,
    help="add N more facilities with codes from 1002 up (load tests)",
)
@with_appcontext
def seed_demo(capacity: int | None, extra: int) -> None:
    """Load the demo puskesmas (safe to run again)."""
    from antre.demo import seed
    from booking.clock import utcnow

    count = database_of(current_app).run(lambda db: seed(db, utcnow(), capacity, extra))
    click.echo(f"demo data ready: {count} facilities")


@cli.group("schedule")
def schedule_group() -> None:
    """Sessions from the weekly templates."""


@schedule_group.command("generate")
@click.option("--days", type=click.IntRange(1, 366), default=14, show_default=True)
@with_appcontext
def schedule_generate(days: int) -> None:
    """Create the sessions of the next DAYS days from the weekly templates and holidays."""
    from booking import schedule
    from booking.clock import local_today, utcnow

    start = local_today(utcnow(), current_app.config["DEFAULT_TIMEZONE"]) - timedelta(days=1)
    created = database_of(current_app).run(lambda db: schedule.generate(db, start, days + 1))
    click.echo(f"{created} sessions created")


@cli.group("notifications")
def notifications_group() -> None:
    """Reminders and other notifications that are due."""


@notifications_group.command("run-due")
@click.option(
    "--at",
    "at",
    default=None,
    metavar="ISO-8601-TIME",
    help="scan as of this moment instead of now (with a zone, or UTC)",
)
@with_appcontext
def notifications_run_due(at: str | None) -> None:
    """Write every notification due now (or --at) to the outbox, once."""
    from booking import reminders
    from booking.clock import utcnow

    moment = utcnow() if at is None else _moment(at)
    scan = database_of(current_app).run(lambda db: reminders.run_due(db, moment))
    written = ", ".join(f"{kind} {count}" for kind, count in sorted(scan.written.items()))
    click.echo(f"as of {moment.isoformat()}: {written or 'nothing due'}")


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as error:
        raise click.BadParameter(f"{text!r} is not an ISO-8601 time", param_hint="--at") from error
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, type=click.IntRange(1, 65535), show_default=True)
@with_appcontext
def serve(host: str, port: int) -> None:
    """Run the whole product on this machine (embedded default unless configured otherwise)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    prepare_database(app)
    from antre import jobs

    jobs.start(app)  # the embedded sender and its sweep (a no-op with REDIS_URL)
    click.echo(f"Antre is running on http://{host}:{port}/ (Ctrl+C to stop)")
    # Werkzeug's server directly: Flask's app.run refuses to start inside its own CLI.
    from werkzeug.serving import run_simple

    run_simple(host, port, app, threaded=True, use_reloader=False)


def prepare_database(app: Flask) -> None:
    """Migrate, and on an empty database load the demo (first run of the embedded default)."""
    from antre.demo import seed
    from booking.clock import utcnow
    from booking.models import Facility

    migrate.upgrade(app.config["DATABASE_URL"])
    database = database_of(app)
    with database.transaction() as session:
        empty = not session.scalar(select(func.count()).select_from(Facility))
    if empty and app.config["SEED_DEMO_ON_FIRST_RUN"]:
        database.run(lambda session: seed(session, utcnow()))
        click.echo("empty database: demo data loaded")


@cli.command("worker")
@click.option("--burst", is_flag=True, help="send what is queued now, then stop")
@click.option(
    "--sweep-every",
    default=60.0,
    type=click.FloatRange(0),
    show_default=True,
    help="seconds between outbox sweeps (0: never, not even at start)",
)
@with_appcontext
def worker(burst: bool, sweep_every: float) -> None:
    """Send the outbox: an RQ worker for the app's Redis, with RQ's scheduler and the sweep.

    The plain RQ equivalent (jobs build the app from the environment):
    rq worker --url "$REDIS_URL" --with-scheduler --worker-class rq.worker.SimpleWorker sms
    """
    from antre import jobs

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not app.config.get("REDIS_URL"):
        raise click.UsageError("antre worker needs REDIS_URL (without it, antre serve sends)")
    try:
        jobs.switchboard(app)
    except ValueError as error:
        raise ConfigError(str(error)) from error
    jobs.run_worker(app, burst=burst, sweep_every=sweep_every)


@cli.command("figures")
@click.option("--district", default=None, help="district (kabupaten/kota); all when omitted")
@click.option("--facility", default=None, help="one facility code")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), default=None)
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), default=None)
@click.option("--csv", "as_csv", is_flag=True, help="CSV, counts 1-4 as <5 (logged as an export)")
@click.option("--json", "as_json", is_flag=True, help="JSON as served by /api/figures (logged)")
@with_appcontext
def figures_command(
    district: str | None,
    facility: str | None,
    start: datetime | None,
    end: datetime | None,
    as_csv: bool,
    as_json: bool,
) -> None:
    """Print the district figures of a period (default: the last 30 days)."""
    from booking.clock import local_today, utcnow
    from figures.command import period, render
    from figures.queries import Scope

    now = utcnow()
    first, last = period(
        start.date() if start else None,
        end.date() if end else None,
        local_today(now, current_app.config["DEFAULT_TIMEZONE"]),
    )
    scope = Scope(first, last, district, facility)
    if problem := scope.problem():
        raise click.UsageError(problem)
    form = "csv" if as_csv else "json" if as_json else "text"
    click.echo(database_of(current_app).run(lambda db: render(db, scope, form, now)), nl=False)


@cli.command("phone")
@click.argument("number")
@click.option("--url", default=None, help="the running service's /ussd URL (default: in-process)")
@click.option("--dial", "dialled", default="*123#", show_default=True, help="what to dial")
@with_appcontext
def phone_command(number: str, url: str | None, dialled: str) -> None:
    """Dial the USSD menu from the keyboard, as the phone NUMBER would."""
    from ussd.phone import Handset, through_app, through_http

    if url:
        send = through_http(url)
    else:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        prepare_database(app)
        send = through_app(app)
    handset = Handset(send, number)
    click.echo(f"dialling {dialled} as {number} (type an answer and Enter; Ctrl+D hangs up)")
    handset.dial(dialled)
    while True:
        click.echo("-" * 24)
        click.echo(
            handset.screen if handset.status == 200 else f"[{handset.status}] {handset.screen}"
        )
        click.echo("-" * 24)
        if handset.finished or handset.status != 200:
            return
        try:
            typed = click.prompt("", default="", show_default=False, prompt_suffix="> ")
        except click.Abort:
            click.echo("\nhung up")
            return
        handset.press(typed.strip())


from api.commands import token_group  # noqa: E402 - listed here with the other commands
from console.commands import user_group  # noqa: E402
from sms.commands import android_group, number_group, sms_group  # noqa: E402

cli.add_command(user_group)
cli.add_command(token_group)
cli.add_command(number_group)
cli.add_command(android_group)
cli.add_command(sms_group)


def main() -> None:
    try:
        cli.main(prog_name="antre")
    except ConfigError as error:
        click.echo(f"antre: configuration error: {error}", err=True)
        sys.exit(2)
