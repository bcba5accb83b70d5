"""One-digit replies and YA/YES: answers to the last reminder or cancellation notice we sent.

Reminders invite `1` (I am coming) and `9` (cancel); a notice that the facility cancelled a
session invites `1` (a number in the next open session of the same service). A digit refers to
the latest outbox SMS of a kind in `booking.notices.REPLYABLE_KINDS` sent to the phone about a
booking within `REPLY_WINDOW`, so with several bookings it acts on the one that SMS was about.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from booking import records
from booking.availability import next_open
from booking.commands import CancelBooking, TakeNumber
from booking.errors import Reason, Refused
from booking.models import ACTIVE, Booking, BookingStatus, Channel, Outbox
from booking.notices import REPLYABLE_KINDS, SESSION_CANCELLED
from booking.taking import cancel_booking, take_number
from sms import answers, replies
from sms.replies import Reply
from sms.sender import Sender

# Long enough for an evening reminder (18:00) to be answered the next morning up to noon,
# when the morning sessions run; 12 hours would end at 06:00, before most people reply.
# Older than this, a lone digit is more likely about something else: it gets the help reply.
REPLY_WINDOW = timedelta(hours=18)

COMING = 1
CANCEL = 9


def latest_notice(db: Session, phone: str, now: datetime) -> Outbox | None:
    """The SMS a digit from `phone` answers, if one was sent recently enough."""
    return db.scalars(
        select(Outbox)
        .where(
            Outbox.phone == phone,
            Outbox.kind.in_(REPLYABLE_KINDS),
            Outbox.booking_id.is_not(None),
            Outbox.created_at >= now - REPLY_WINDOW,
            Outbox.created_at <= now,
        )
        .order_by(Outbox.created_at.desc(), Outbox.id.desc())
        .limit(1)
    ).first()


def answer(db: Session, sender: Sender, value: int, now: datetime) -> Reply:
    notice = latest_notice(db, sender.phone, now)
    if notice is None or notice.booking_id is None:
        return Reply(replies.render(sender.language, replies.UNKNOWN), understood=False)
    booking = db.get_one(Booking, notice.booking_id)
    if value == COMING:
        return _coming(db, sender, booking, notice, now)
    if value == CANCEL:
        return Reply(cancel_one(db, sender, booking, now))
    return hint(db, sender, notice)


def in_words(db: Session, sender: Sender, notice: Outbox, text: str, now: datetime) -> Reply | None:
    """A free-text answer to `notice` ("iya insya Allah", "ga jadi"); None if it is none."""
    said = answers.meaning(text)
    if said is None or notice.booking_id is None:
        return None
    booking = db.get_one(Booking, notice.booking_id)
    if said == "cancel":
        return Reply(cancel_one(db, sender, booking, now))
    if said == "yes" or (said == "rebook" and notice.kind == SESSION_CANCELLED):
        return _coming(db, sender, booking, notice, now)
    return hint(db, sender, notice)


def hint(db: Session, sender: Sender, notice: Outbox) -> Reply:
    """Which digits answer `notice`: for a text we will not act on while it waits."""
    booking = db.get_one(Booking, notice.booking_id)
    if notice.kind == SESSION_CANCELLED:
        words = replies.booking_words(booking, sender.language)
        return Reply(replies.render(sender.language, replies.REBOOK_HINT, **words))
    return Reply(replies.render(sender.language, replies.DIGIT_HINT, number=booking.display))


def yes(db: Session, sender: Sender, now: datetime) -> Reply:
    """YA / YES: the same as `1` to the latest notice; without one there is nothing to confirm."""
    notice = latest_notice(db, sender.phone, now)
    if notice is None or notice.booking_id is None:
        return Reply(replies.render(sender.language, replies.NOTHING_TO_CONFIRM))
    booking = db.get_one(Booking, notice.booking_id)
    return _coming(db, sender, booking, notice, now)


def _coming(db: Session, sender: Sender, booking: Booking, notice: Outbox, now: datetime) -> Reply:
    if notice.kind == SESSION_CANCELLED or booking.status == BookingStatus.CANCELLED_BY_FACILITY:
        return Reply(rebook(db, sender, booking, now))
    if booking.status not in ACTIVE:
        raise Refused(Reason.NO_ACTIVE_BOOKING)
    if not booking.confirmed:
        booking.confirmed = True
        records.event(
            db, "confirmed", actor=sender.phone, channel=Channel.SMS, now=now, booking=booking
        )
    return Reply(replies.confirmed(db, booking, sender.language, now))


def rebook(db: Session, sender: Sender, cancelled: Booking, now: datetime) -> str:
    """A number in the next open session of the same service, for the same person."""
    session = cancelled.session
    following = next_open(db, session.service, now, after=session)
    if following is None:
        words = replies.booking_words(cancelled, sender.language)
        return replies.render(sender.language, replies.NO_SESSION_TO_REBOOK, **words)
    with db.begin_nested():
        booking = take_number(
            db,
            TakeNumber(
                session_id=following.id,
                phone=sender.phone,
                channel=Channel.SMS,
                name=cancelled.person.name,
                request_key=sender.request_key,
            ),
            now,
        )
    return replies.receipt(db, booking, sender.language, now)


def cancel_one(db: Session, sender: Sender, booking: Booking, now: datetime) -> str:
    """Cancel one booking of this phone and word the reply."""
    with db.begin_nested():
        cancel_booking(
            db,
            CancelBooking(
                booking.id, Channel.SMS, actor=sender.phone, request_key=sender.request_key
            ),
            now,
        )
    words = replies.booking_words(booking, sender.language)
    return replies.render(sender.language, replies.CANCELLED, **words)
