"""A ticket sent straight to an ESC/POS thermal printer on the facility's network (python-escpos),
for desks that want no print dialog: the same facts as the ticket page, the number large, the
code as the printer's own QR code, and a cut.

The printer's address is a facility setting ("IP:port"; port 9100, the raw printing port of
such printers, when left out). A printer that is off, unplugged or busy is a message for the
desk, never an error page: the browser's print dialog is still there.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Collection
from ipaddress import IPv4Address, IPv4Network, IPv6Network

from escpos.exceptions import Error as EscposError
from escpos.printer import Network
from flask_babel import gettext

from booking.tickets import Ticket

RAW_PRINTING_PORT = 9100
TIMEOUT_SECONDS = 5.0  # a desk waits this long, at most, for a printer that does not answer
COLUMNS = 32  # characters of the standard font on 58 mm paper; an 80 mm roll has room to spare

_ADDRESS = re.compile(r"^(?P<host>[0-9.]{7,15})(?::(?P<port>\d{1,5}))?$")


class PrinterUnreachable(Exception):
    """The printer did not take the ticket (off, unplugged, wrong address, busy)."""


def printer_address(text: str, networks: Collection[IPv4Network | IPv6Network]) -> str | None:
    """The setting as stored ("192.168.1.50:9100"), None for empty (off); ValueError if it is
    no IPv4 address with an optional port, or an address outside `networks`.

    An address, not a host name: the web server connects there and writes, so where it
    connects must be checked once and stay so (a name could later point at the server itself).
    """
    typed = text.strip()
    if not typed:
        return None
    found = _ADDRESS.match(typed)
    port = int(found.group("port") or RAW_PRINTING_PORT) if found else 0
    if found is None or not 0 < port < 65536:
        raise ValueError(typed)
    try:
        host = IPv4Address(found.group("host"))
    except ValueError:
        raise ValueError(typed) from None
    if not any(host in network for network in networks):
        raise ValueError(typed)
    return f"{host}:{port}"


def print_ticket(
    ticket: Ticket, address: str, networks: Collection[IPv4Network | IPv6Network]
) -> None:
    """Send the ticket to the printer at `address` and cut it; PrinterUnreachable if it fails
    or the address is no longer one of `networks` (the setting may have narrowed since)."""
    try:
        printer_address(address, networks)
    except ValueError:
        raise PrinterUnreachable(address) from None
    host, _, port = address.rpartition(":")
    try:
        connection = socket.create_connection((host, int(port)), timeout=TIMEOUT_SECONDS)
    except OSError as failed:
        raise PrinterUnreachable(address) from failed
    printer = Network(host, int(port), timeout=TIMEOUT_SECONDS)
    # Connected here, not by printer.open(): that leaves its socket unclosed when the printer
    # does not answer, one leaked file descriptor per press of the button.
    printer.device = connection
    try:
        printer.hw("INIT")
        printer.set(align="center", bold=True)
        printer.textln(ticket.facility)
        printer.set(align="center", bold=False)
        printer.textln(ticket.service)
        printer.set(align="center", bold=True, custom_size=True, width=4, height=4)
        printer.textln(ticket.number)
        printer.set(align="left", bold=False, normal_textsize=True)
        for label, value in (
            (gettext("Date"), ticket.day.strftime("%d/%m/%Y")),
            (gettext("Clinic hours"), ticket.hours.replace("–", "-")),  # en dash: no code page
            (gettext("People ahead"), str(ticket.ahead)),
            (gettext("Expected call"), ticket.expected),
        ):
            printer.textln(f"{label} {value:>{COLUMNS - len(label) - 1}}")
        printer.set(align="center")
        printer.qr(ticket.code, native=True, size=6)
        printer.textln(ticket.code)
        printer.textln(gettext("Show this code at the desk when you arrive."))
        printer.cut()
    except (OSError, EscposError) as failed:
        raise PrinterUnreachable(address) from failed
    finally:
        printer.close()
