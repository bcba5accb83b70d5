"""Printed tickets and the kiosk (anjungan): a number on paper for a patient without a phone.

The ticket page is sized for 58 mm and 80 mm thermal printers and printed with the browser's
own print dialog; its QR code carries the ticket's code, which a desk scanner types into the
check-in box as a person would. The kiosk runs in a browser at the entrance where a staff
member of the facility has logged in once: one touch on a poli takes a walk-in number and
prints its ticket, on the facility's network printer when it has one (console/ticket_printer.py).
"""

from __future__ import annotations

import logging

import segno
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext, lazy_gettext
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms import StringField
from wtforms.validators import Length, ValidationError

from booking import availability, tickets
from booking.clock import local_today, utcnow
from booking.commands import TakeNumber
from booking.errors import Reason, Refused
from booking.facilities import services_of
from booking.limits import LARGEST_ID
from booking.models import Booking, Channel, Facility, Service
from booking.queue import check_in
from booking.taking import take_number
from booking.words import service_words
from console import messages
from console.admin import ADMINS
from console.auth import require_facility, roles_required, staff
from console.forms import ActionForm, new_request_key
from console.queue import RUNNERS
from console.ticket_printer import PrinterUnreachable, print_ticket, printer_address
from plumbing.db import database_of

log = logging.getLogger(__name__)

blueprint = Blueprint("tickets", __name__, template_folder="templates")

PAPERS = ("58", "80")  # thermal roll widths in mm
KIOSK_NAME = "Pasien Anjungan"  # a walk-in without phone needs a name; the kiosk asks none


@blueprint.get("/console/bookings/<int:booking_id>/ticket")
@roles_required(*RUNNERS)
def ticket(booking_id: int) -> ResponseReturnValue:
    paper = request.args.get("paper", "58")
    paper = paper if paper in PAPERS else "58"
    shown, printer = _ticket(booking_id)
    return render_template(
        "console/ticket.html",
        ticket=shown,
        qr=qr_svg(shown.code),
        printer=printer,
        action_form=ActionForm(),
        paper=paper,
        papers=PAPERS,
        print_now=request.args.get("print") == "1",
        back=url_for("tickets.kiosk", code=shown.facility_code)
        if request.args.get("back") == "kiosk"
        else None,
    )


def _ticket(booking_id: int) -> tuple[tickets.Ticket, str | None]:
    """The booking's ticket and its facility's network printer, for staff of that facility."""
    if booking_id > LARGEST_ID:
        abort(404)
    with database_of(current_app).transaction() as db:
        facility_id = db.scalar(
            select(Service.facility_id)
            .join(Booking, Booking.service_id == Service.id)
            .where(Booking.id == booking_id)
        )
        if facility_id is None:
            abort(404)
        require_facility(facility_id)
        return tickets.ticket(db, booking_id, utcnow()), db.get_one(
            Facility, facility_id
        ).ticket_printer


@blueprint.post("/console/bookings/<int:booking_id>/ticket/printer")
@roles_required(*RUNNERS)
def to_printer(booking_id: int) -> ResponseReturnValue:
    """ "Cetak ke printer": the ticket straight to the facility's ESC/POS printer."""
    shown, printer = _ticket(booking_id)
    if not ActionForm().validate():
        abort(400)
    if printer is None:
        flash(gettext("This facility has no ticket printer set."), "error")
    else:
        try:
            print_ticket(shown, printer, current_app.config["TICKET_PRINTER_NETWORKS"])
            flash(gettext("Ticket %(number)s sent to the printer.", number=shown.number))
        except PrinterUnreachable:
            message = gettext(
                "The printer at %(address)s did not answer: is it on and connected? "
                "Print with the Print button instead.",
                address=printer,
            )
            flash(message, "error")
    paper = request.args.get("paper", "58")
    return redirect(url_for("tickets.ticket", booking_id=booking_id, paper=paper), 303)


def _address(_form: FlaskForm, field: StringField) -> None:
    try:
        field.data = printer_address(
            field.data or "", current_app.config["TICKET_PRINTER_NETWORKS"]
        )
    except ValueError:
        raise ValidationError(
            gettext(
                "Write the printer's address on the facility's network as IP:port, "
                "e.g. 192.168.1.50:9100."
            )
        ) from None


class PrinterForm(FlaskForm):
    address = StringField(
        lazy_gettext("Ticket printer (ESC/POS, IP:port; empty = off)"), [Length(max=80), _address]
    )


@blueprint.route("/console/admin/facilities/<int:facility_id>/printer", methods=["GET", "POST"])
@roles_required(*ADMINS)
def printer_setting(facility_id: int) -> ResponseReturnValue:
    """Where the facility's network ticket printer is; off (the print dialog only) by default."""
    if not 0 < facility_id <= LARGEST_ID:
        abort(404)
    with database_of(current_app).transaction() as db:
        place = db.get(Facility, facility_id)
        if place is None:
            abort(404)
        require_facility(place.id, administer=True)
        form = PrinterForm(address=place.ticket_printer or "")
        if form.validate_on_submit():
            db.get_one(Facility, facility_id).ticket_printer = form.address.data
            flash(gettext("Ticket printer saved."))
            return redirect(url_for("admin.facility", facility_id=facility_id), 303)
        body = render_template("console/printer_setting.html", form=form, facility=place)
    return body, 400 if form.errors else 200


@blueprint.get("/console/kiosk/<code>")
@roles_required(*RUNNERS)
def kiosk(code: str) -> ResponseReturnValue:
    with database_of(current_app).transaction() as db:
        place = _facility(db, code)
        now = utcnow()
        today = local_today(now, place.timezone)
        polis = [
            (
                service,
                sum(b.places_left for b in availability.bookable_sessions(db, service, today, now)),
            )
            for service in services_of(db, place)
        ]
        return render_template(
            "console/kiosk.html", facility=place, polis=polis, new_request_key=new_request_key
        )


@blueprint.post("/console/kiosk/<code>/<service_code>")
@roles_required(*RUNNERS)
def kiosk_take(code: str, service_code: str) -> ResponseReturnValue:
    """One touch: a walk-in number in the poli's first session open now, then its ticket."""
    form = ActionForm()
    if not form.validate():
        abort(400)
    token = form.key()
    key = f"kiosk:{staff().id}:{token}" if token else None

    def take(db: Session) -> int:
        place = _facility(db, code)
        service = db.scalars(
            select(Service).where(
                Service.facility_id == place.id, Service.code == service_code[:16], Service.active
            )
        ).first()
        if service is None:
            abort(404)
        now = utcnow()
        today = local_today(now, place.timezone)
        open_now = [
            bookable
            for bookable in availability.bookable_sessions(db, service, today, now)
            if bookable.places_left > 0
        ]
        if not open_now:
            raise Refused(Reason.NO_SESSION, service=service_words(service), day=today)
        command = TakeNumber(
            session_id=open_now[0].session.id,
            phone=None,
            channel=Channel.STAFF,
            name=KIOSK_NAME,
            request_key=key,
            actor=f"kiosk:{staff().username}",
        )
        return take_number(db, command, now).id

    try:
        booking_id = database_of(current_app).run(take)
    except Refused as refused:
        flash(messages.refusal(refused), "error")
        return redirect(url_for("tickets.kiosk", code=code), 303)
    shown, printer = _ticket(booking_id)
    if printer is not None:
        try:
            print_ticket(shown, printer, current_app.config["TICKET_PRINTER_NETWORKS"])
            message = gettext("Your number is %(number)s: take your ticket.", number=shown.number)
            flash(message, "printed")
            return redirect(url_for("tickets.kiosk", code=code), 303)
        except PrinterUnreachable:
            log.warning("kiosk %s: the printer at %s did not answer", code, printer)
    # No network printer, or it is off: the browser's own print (the kiosk's printer).
    return redirect(url_for("tickets.ticket", booking_id=booking_id, print="1", back="kiosk"), 303)


@blueprint.post("/console/facility/<code>/check-in")
@roles_required(*RUNNERS)
def check_in_by_code(code: str) -> ResponseReturnValue:
    """The desk types or scans a ticket's code: that patient has arrived."""
    form = ActionForm()
    if not form.validate():
        abort(400)
    typed = request.form.get("code", "")[:16]

    def arrive(db: Session) -> str:
        place = _facility(db, code)
        now = utcnow()
        booking = tickets.booking_by_code(db, place.id, local_today(now, place.timezone), typed)
        check_in(db, booking.id, actor=staff().username, channel=Channel.STAFF.value, now=now)
        return booking.display

    try:
        number = database_of(current_app).run(arrive)
        flash(messages.say(messages.CHECKED_IN, number=number), "success")
    except Refused as refused:
        unknown = refused.reason is Reason.BOOKING_UNKNOWN
        flash(
            messages.say(messages.BOOKING_UNKNOWN) if unknown else messages.refusal(refused),
            "error",
        )
    return redirect(url_for("queue.facility", code=code), 303)


def qr_svg(code: str) -> Markup:
    """The ticket's code as a QR symbol, inline SVG that prints sharp at any size.

    A full QR (never a Micro QR, which many desk scanners and phones do not read), scaled by
    the page's CSS through its viewBox; the quiet zone of four modules is the standard's.
    """
    svg = segno.make_qr(code, error="m").svg_inline(border=4, omitsize=True)
    return Markup(svg)  # noqa: S704 - segno's own SVG of our code, no outside markup in it


def _facility(db: Session, code: str) -> Facility:
    place = db.scalars(select(Facility).where(Facility.code == code[:8])).first()
    if place is None:
        abort(404)
    require_facility(place.id)
    return place
