"""The phone an inbound SMS came from: what we remember of it, and its request key."""

from __future__ import annotations

from sqlalchemy.orm import Session

from booking.models import Facility, Phone
from texts import language_or_default


class Sender:
    """A personal phone (E.164) that wrote to us; `request_key` makes what it asked happen once.

    `line_facility`: the facility whose own number the SMS was sent to, if it was (then it
    needs no facility code).
    """

    def __init__(
        self, db: Session, phone: str, request_key: str, line_facility: Facility | None = None
    ) -> None:
        self.phone = phone
        self.request_key = request_key
        self.line_facility = line_facility
        self.row = db.get(Phone, phone)

    @property
    def language(self) -> str:
        return language_or_default(self.row.language if self.row is not None else None)

    def settings(self, db: Session) -> Phone:
        """The phone's row, created the first time there is something to remember."""
        if self.row is None:
            self.row = Phone(number=self.phone, language="id", reminders_off=False)
            db.add(self.row)
        return self.row

    def remembered(self, db: Session) -> Facility | None:
        """The facility of the number it texted, else the facility this phone last named."""
        if self.line_facility is not None:
            return self.line_facility
        if self.row is None or self.row.facility_id is None:
            return None
        return db.get(Facility, self.row.facility_id)
