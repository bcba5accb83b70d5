"""An inbound SMS, from any gateway: answer each message once, never loop.

The gateway's callback has already read it into a gateway-neutral `Inbound`; the reply goes
back out through the outbox, by the gateway it came in on and from the number it was sent to.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from booking import facility_numbers, records
from booking.errors import Refused
from booking.phones import normalise
from gateways.contract import Inbound
from sms import handling
from sms.models import InboundSms
from sms.sender import Sender

REPLY_KIND = "reply"
IGNORED = "ignored"  # the command recorded for a message we deliberately do not answer


def receive(
    db: Session, inbound: Inbound, now: datetime, *, own_numbers: Collection[str], region: str
) -> InboundSms:
    """Record one inbound SMS and, unless it must stay unanswered, act on it and queue the
    reply. The same gateway id again finds the first record and does nothing."""
    earlier = db.scalars(select(InboundSms).where(InboundSms.gateway_id == inbound.key)).first()
    if earlier is not None:
        return earlier
    phone = personal_phone(inbound.sender, region)
    record = InboundSms(
        gateway_id=inbound.key,
        phone=phone or inbound.sender,
        to=inbound.to,
        text=inbound.text,
        received_at=now,
        network_code=inbound.network_code,
        command=IGNORED,
        understood=True,
    )
    db.add(record)
    # A twin of this callback racing us fails on the unique gateway id here; the retry of the
    # whole request then finds this record and answers nothing.
    db.flush()
    if phone is None or is_own_number(phone, inbound, own_numbers, region):
        return record
    if facility_numbers.find(db, inbound.sender, region) is not None:
        return record  # one of our own numbers: a reply loop in the making
    line = facility_numbers.find(db, inbound.to, region) if inbound.to else None
    sender = Sender(
        db,
        phone,
        request_key=f"sms:{inbound.key}",
        line_facility=line.facility if line is not None else None,
    )
    command, reply = handling.answer(db, sender, inbound.text, now)
    record.command = command[:24]
    record.understood = reply.understood
    outbox = records.sms(
        db,
        phone=phone,
        body=reply.body,
        kind=REPLY_KIND,
        now=now,
        direct_answer=True,
        dedupe_key=f"reply:{inbound.key}",
        route_gateway=inbound.gateway,
        route_number=inbound.to or None,
    )
    if outbox is not None:
        db.flush()
        record.reply_id = outbox.id
    return record


def personal_phone(sender: str, region: str) -> str | None:
    """The sender in E.164 if it is a personal phone; None for short codes and names."""
    try:
        return normalise(sender, region)
    except Refused:
        return None


def is_own_number(phone: str, inbound: Inbound, own_numbers: Collection[str], region: str) -> bool:
    """Whether the SMS came from one of our own numbers (a reply loop in the making)."""
    ours = {number for number in (inbound.to, *own_numbers) if number}
    ours |= {found for number in ours if (found := personal_phone(number, region))}
    return phone in ours or inbound.sender in ours
