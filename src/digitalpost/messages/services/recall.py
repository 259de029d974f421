"""Recalling a letter before its delivery date (doNotDeliverUntilDate): it is then never delivered.

Ingest postpones such a letter by giving its DELIVER job the delivery time as `run_after`. Recalling locks
the message row, checks it is still waiting, marks it RECALLED with a MESSAGE_RECALLED event through the
lifecycle service (a final event, so the sender system's timeline shows it) and finishes the DELIVER job, all
in one transaction, with an audit entry. Delivery locks the same row and only delivers an ACCEPTED message, so
a recall racing the worker either wins (nothing is delivered) or finds the letter delivered (RECALL_TOO_LATE);
neither loses it.
"""

from __future__ import annotations

import uuid
from datetime import datetime, time

from django.db import transaction
from django.utils import timezone

from digitalpost.audit.services import record_change
from digitalpost.authorities.models import Authority
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.roles import Actor
from digitalpost.messages.models import Message
from digitalpost.messages.services.ingest import COPENHAGEN
from digitalpost.messages.services.lifecycle import record_recalled
from digitalpost.outbox.models import Job
from digitalpost.outbox.services import finish_job

AUDITED_FIELDS = ["state", "label", "do_not_deliver_until", "message_uuid"]


def delivery_time(message: Message) -> datetime | None:
    """When a postponed letter becomes due: the start of its delivery date in Danish time."""
    if message.do_not_deliver_until is None:
        return None
    return datetime.combine(message.do_not_deliver_until, time.min, tzinfo=COPENHAGEN)


def check_recall(message: Message, now: datetime) -> None:
    """Raise the reason a message cannot be recalled now; return when it can."""
    due = delivery_time(message)
    if message.direction != Message.Direction.TO_PARTY or due is None:
        raise DigitalPostError(ErrorCode.RECALL_NOT_POSSIBLE, "the message has no later delivery date")
    if message.state == Message.State.DELIVERED:
        raise DigitalPostError(ErrorCode.RECALL_TOO_LATE, f"delivered {message.delivered_at:%Y-%m-%d %H:%M}")
    if message.state != Message.State.ACCEPTED:
        raise DigitalPostError(ErrorCode.RECALL_NOT_POSSIBLE, f"the message is {message.state.lower()}")
    if now >= due:
        raise DigitalPostError(ErrorCode.RECALL_TOO_LATE, f"its delivery date {message.do_not_deliver_until} has come")


def may_recall(message: Message) -> bool:
    try:
        check_recall(message, timezone.now())
    except DigitalPostError:
        return False
    return True


@transaction.atomic(durable=True)
def recall_message(*, authority: Authority, message_id: uuid.UUID, actor: Actor) -> Message:
    """Withdraw a postponed letter of `authority` so it is never delivered, or say why it cannot be."""
    locked = (Message.objects.select_for_update(no_key=True)
              .filter(pk=message_id, authority=authority).first())
    if locked is None:
        raise DigitalPostError(ErrorCode.MESSAGE_NOT_FOUND, str(message_id))
    now = timezone.now()
    check_recall(locked, now)
    before = {name: getattr(locked, name) for name in AUDITED_FIELDS}
    record_recalled(locked, at=now, by=actor.label)
    # The worker never runs it now; one that already claimed it finds the message RECALLED and skips it.
    job = Job.objects.filter(key=f"deliver:{locked.pk}").first()
    if job is not None:
        finish_job(job)
    record_change(actor=actor, organisation=authority.cvr, action="message.recalled", target=locked,
                  before=before, after={name: getattr(locked, name) for name in AUDITED_FIELDS})
    return locked
