"""A ticket straight to a network ESC/POS printer (python-escpos): the facility's setting, the
bytes a printer on a local TCP port receives, and a printer that does not answer."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from datetime import datetime
from ipaddress import ip_network

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from booking.models import Booking, Channel, Facility
from console.models import Role
from plumbing.db import Database
from tests import staff
from tests.escpos_printer import Printer, printing
from tests.faults import free_port
from tests.helpers import session_id, take, today

INIT = b"\x1b@"  # ESC @: the printer starts from its defaults
CUT = b"\x1dV"  # GS V: cut the paper
QR_STORE = b"\x1d(k"  # GS ( k: the printer's own QR code


@pytest.fixture
def printer() -> Iterator[Printer]:
    with printing() as server:
        yield server


def set_printer(client: FlaskClient, facility_id: int, address: str) -> tuple[int, str]:
    path = f"/console/admin/facilities/{facility_id}/printer"
    token = staff.csrf_token(client, path)
    answer = client.post(path, data={"address": address, "csrf_token": token})
    return answer.status_code, answer.get_data(as_text=True)


def stored(db: Database) -> str | None:
    with db.transaction() as s:
        return s.scalars(select(Facility.ticket_printer).where(Facility.code == "1001")).one()


def press_print(client: FlaskClient, booking_id: int) -> str:
    """Press "Cetak ke printer" on the ticket page, as it rendered the button; the page after."""
    path = f"/console/bookings/{booking_id}/ticket"
    page = client.get(path).get_data(as_text=True)
    form = re.search(
        r'<form[^>]*action="([^"]+/ticket/printer[^"]*)"[^>]*>\s*'
        r'<input id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)">',
        page,
    )
    assert form, "no Cetak ke printer button"
    answer = client.post(form.group(1).replace("&amp;", "&"), data={"csrf_token": form.group(2)})
    assert answer.status_code == 303, answer.status_code
    after = client.get(answer.headers["Location"])
    assert after.status_code == 200
    return after.get_data(as_text=True)


@pytest.fixture
def booking(demo: Database, now: datetime) -> Booking:
    sid = session_id(demo, day=today(now))
    take(demo, sid, "+6281234567801", now)
    return take(demo, sid, "+6281234567802", now, channel=Channel.SMS)


def facility_id(db: Database) -> int:
    with db.transaction() as s:
        return s.scalars(select(Facility.id).where(Facility.code == "1001")).one()


@pytest.fixture
def loopback_lan(app: Flask) -> None:
    """The tests' printers listen on loopback: here it stands for the facility's network."""
    app.config["TICKET_PRINTER_NETWORKS"] = (ip_network("127.0.0.0/8"),)


def test_a_facility_admin_sets_the_printer_and_it_is_off_by_default(
    app: Flask, demo: Database
) -> None:
    staff.add_user(demo, "kepala", Role.FACILITY_ADMIN, facility="1001")
    staff.add_user(demo, "lain", Role.FACILITY_ADMIN, facility="2001")
    head = staff.log_in(app.test_client(), "kepala")
    place = facility_id(demo)
    assert stored(demo) is None
    status, page = set_printer(head, place, "printer loket 1")
    assert status == 400 and "IP:port" in page and stored(demo) is None
    assert set_printer(head, place, " 192.168.1.50 ")[0] == 303
    assert stored(demo) == "192.168.1.50:9100"  # the raw printing port when none is given
    assert set_printer(head, place, "10.0.0.7:9101")[0] == 303
    assert stored(demo) == "10.0.0.7:9101"
    assert set_printer(head, place, "")[0] == 303 and stored(demo) is None  # off again
    other = staff.log_in(app.test_client(), "lain")
    assert other.get(f"/console/admin/facilities/{place}/printer").status_code == 403


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1:6379",  # the server's own Redis
        "127.0.0.1:5432",  # and PostgreSQL
        "169.254.169.254:80",  # a cloud's metadata service
        "8.8.8.8:9100",  # the internet
        "kasir.local:9101",  # a name: it could point anywhere later
        "0.0.0.0:9100",
    ],
)
def test_the_server_writes_to_no_printer_outside_the_facilitys_network(
    app: Flask, demo: Database, booking: Booking, address: str
) -> None:
    """The web server connects to the printer and writes: an admin's setting must not point it
    at the server itself, the cloud or the internet (ANTRE_TICKET_PRINTER_NETWORKS)."""
    staff.add_user(demo, "kepala", Role.FACILITY_ADMIN, facility="1001")
    head = staff.log_in(app.test_client(), "kepala")
    status, page = set_printer(head, facility_id(demo), address)
    assert status == 400 and "IP:port" in page and stored(demo) is None
    # Stored before the setting narrowed (or by hand): still never connected to.
    with demo.transaction() as s:
        s.scalars(select(Facility).where(Facility.code == "1001")).one().ticket_printer = address
    assert "tidak menjawab" in press_print(head, booking.id)


def test_cetak_ke_printer_sends_the_ticket_as_esc_pos_with_init_qr_and_cut(
    app: Flask, demo: Database, booking: Booking, printer: Printer, loopback_lan: None
) -> None:
    staff.add_user(demo, "kepala", Role.FACILITY_ADMIN, facility="1001")
    desk = staff.log_in(app.test_client(), "kepala")
    ticket = desk.get(f"/console/bookings/{booking.id}/ticket").get_data(as_text=True)
    assert 'id="to-printer"' not in ticket  # no printer set: the print dialog only
    assert set_printer(desk, facility_id(demo), printer.address)[0] == 303

    page = press_print(desk, booking.id)
    assert f"Tiket {booking.display} dikirim ke printer." in page
    [job] = printer.printed(1)
    assert job.startswith(INIT) and CUT in job[-8:]  # from the defaults, and cut at the end
    for words in ("Puskesmas Cipocok Jaya", "Poli Umum", booking.display, "Antrean di depan"):
        assert words.encode() in job, words
    qr = job.index(QR_STORE)
    assert booking.display.encode() in job[qr : job.index(CUT)]  # the QR code carries the code


def test_a_printer_that_does_not_answer_is_a_message_on_the_ticket_page_not_an_error(
    app: Flask, demo: Database, booking: Booking, loopback_lan: None
) -> None:
    staff.add_user(demo, "kepala", Role.FACILITY_ADMIN, facility="1001")
    desk = staff.log_in(app.test_client(), "kepala")
    nobody = f"127.0.0.1:{free_port()}"  # nothing listens there
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", int(nobody.rsplit(":", 1)[1]))) != 0
    assert set_printer(desk, facility_id(demo), nobody)[0] == 303
    page = press_print(desk, booking.id)
    assert f"Printer di {nobody} tidak menjawab" in page
    assert 'class="flash error"' in page and 'id="ticket-number"' in page


def touch(client: FlaskClient, service: str) -> str:
    """One touch on a poli of the kiosk, as the page rendered its button; where it leads."""
    page = client.get("/console/kiosk/1001").get_data(as_text=True)
    form = re.search(
        rf'action="(/console/kiosk/1001/{service})">\s*'
        r'<input type="hidden" name="csrf_token" value="([^"]+)">\s*'
        r'<input type="hidden" name="request_key" value="([^"]+)">',
        page,
    )
    assert form, page[:2000]
    answer = client.post(
        form.group(1), data={"csrf_token": form.group(2), "request_key": form.group(3)}
    )
    assert answer.status_code == 303
    return answer.headers["Location"]


def test_the_kiosk_prints_on_the_network_printer_and_falls_back_to_the_print_dialog(
    app: Flask, demo: Database, printer: Printer, now: datetime, loopback_lan: None
) -> None:
    with time_machine.travel(now, tick=False):  # the demo's Monday morning, its sessions open
        kiosk_prints(app, demo, printer)


def kiosk_prints(app: Flask, demo: Database, printer: Printer) -> None:
    staff.add_user(demo, "kepala", Role.FACILITY_ADMIN, facility="1001")
    kiosk = staff.log_in(app.test_client(), "kepala")
    assert set_printer(kiosk, facility_id(demo), printer.address)[0] == 303
    assert touch(kiosk, "UMUM") == "/console/kiosk/1001"  # ready for the next patient
    [job] = printer.printed(1)
    number = re.search(rb"A-\d{3}", job)
    assert number
    page = kiosk.get("/console/kiosk/1001").get_data(as_text=True)
    assert f"Nomor Anda {number.group().decode()}: silakan ambil tiketnya." in page

    assert set_printer(kiosk, facility_id(demo), f"127.0.0.1:{free_port()}")[0] == 303
    after = touch(kiosk, "UMUM")
    assert re.fullmatch(r"/console/bookings/\d+/ticket\?print=1&back=kiosk", after), after
    assert len(printer.printed(2, timeout=0.5)) == 1
