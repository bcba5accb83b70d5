"""An inbound SMS from the gateway: read the callback, answer each message once, never loop.

Africa's Talking posts `from`, `to`, `text`, `date`, `id`, `linkId`, `networkCode`. We use
our own clock rather than `date`, and never `linkId` (it is for premium subscriptions; our
replies are ordinary SMS from the outbox).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from booking import records
from booking.errors import Refused
from booking.phones import normalise
from sms import handling
from sms.models import InboundSms
from sms.sender import Sender

MAX_TEXT = 480  # longer texts are cut here and still answered
MAX_ID = 80
MAX_PHONE = 32
REPLY_KIND = "reply"
IGNORED = "ignored"  # the command recorded for a message we deliberately do not answer


class Malformed(ValueError):
    """A callback that is not an inbound SMS; the message says which field is wrong."""


@dataclass(frozen=True)
class Inbound:
    gateway_id: str
    sender: str
    to: str
    text: str
    network_code: str | None


def from_form(form: Mapping[str, str]) -> Inbound:
    """The callback's fields, checked; raises Malformed with the reason."""
    fields = {name: _clean(form.get(name)) for name in ("id", "from", "to", "text")}
    for name, value in fields.items():
        if value is None:
            raise Malformed(f"missing field '{name}'")
    gateway_id, sender, to, text = (str(fields[name]) for name in ("id", "from", "to", "text"))
    if not gateway_id.strip():
        raise Malformed("empty field 'id'")
    if len(gateway_id) > MAX_ID:
        raise Malformed(f"field 'id' is longer than {MAX_ID} characters")
    for name, value in (("from", sender), ("to", to)):
        if not value.strip():
            raise Malformed(f"empty field '{name}'")
        if len(value) > MAX_PHONE:
            raise Malformed(f"field '{name}' is longer than {MAX_PHONE} characters")
    network = (_clean(form.get("networkCode")) or "").strip()[:10]
    return Inbound(
        gateway_id=gateway_id.strip(),
        sender=sender.strip(),
        to=to.strip(),
        text=text[:MAX_TEXT],
        network_code=network or None,
    )


def _clean(value: str | None) -> str | None:
    # PostgreSQL cannot store NUL in text; nobody types it.
    return None if value is None else value.replace("\x00", "")


def receive(
    db: Session, inbound: Inbound, now: datetime, *, own_numbers: Collection[str], region: str
) -> InboundSms:
    """Record one inbound SMS and, unless it must stay unanswered, act on it and queue the
    reply. The same gateway id again finds the first record and does nothing."""
    earlier = db.scalars(
        select(InboundSms).where(InboundSms.gateway_id == inbound.gateway_id)
    ).first()
    if earlier is not None:
        return earlier
    phone = personal_phone(inbound.sender, region)
    record = InboundSms(
        gateway_id=inbound.gateway_id,
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
    sender = Sender(db, phone, request_key=f"sms:{inbound.gateway_id}")
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
        dedupe_key=f"reply:{inbound.gateway_id}",
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
