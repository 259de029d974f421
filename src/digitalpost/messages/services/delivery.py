"""Delivery into a citizen's or company's web mailbox, and giving up on a delivery.

Both are idempotent: run twice (a worker killed after the effect, before finishing its job), they
change nothing the second time.
"""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils import timezone

from digitalpost.core.lifecycle import EventKind, ReceiptStatus
from digitalpost.messages.models import Message, Receipt
from digitalpost.messages.services.events import append_event
from digitalpost.outbox.models import Job
from digitalpost.outbox.services import bury


def _locked(message_id: uuid.UUID | str) -> Message:
    return Message.objects.select_for_update(no_key=True).get(pk=message_id)


@transaction.atomic(durable=True)
def deliver_to_mailbox(*, message_id: uuid.UUID | str) -> bool:
    """Make the message visible in its mailbox and tell the sender COMPLETED; False if already done."""
    message = _locked(message_id)
    if message.state != Message.State.ACCEPTED:
        return False
    now = timezone.now()
    message.state = Message.State.DELIVERED
    message.delivered_at = now
    message.save(update_fields=["state", "delivered_at"])
    append_event(message, EventKind.MESSAGE_DELIVERED, at=now, data={"channel": "web-mailbox"})
    if message.sender_system_id is not None:
        Receipt.objects.create(
            message=message, sender_system_id=message.sender_system_id, status=ReceiptStatus.COMPLETED,
            created_at=now,
        )
    return True


@transaction.atomic(durable=True)
def give_up_delivery(job: Job, reason: str) -> None:
    """Dead-letter the delivery job and record the failure, with its reason, on the message's timeline."""
    message = _locked(job.payload["message"])
    if message.state == Message.State.ACCEPTED:
        message.state = Message.State.FAILED
        message.save(update_fields=["state"])
        append_event(message, EventKind.DELIVERY_FAILED, at=timezone.now(), data={"reason": reason[:500]})
    bury(job, reason)
