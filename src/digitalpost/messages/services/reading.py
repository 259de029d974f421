"""A recipient opens a message: the first read, and a legal notification's first opening, go on the timeline."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from digitalpost.core.lifecycle import EventKind
from digitalpost.messages.models import Message
from digitalpost.messages.services.events import append_event


@transaction.atomic(durable=True)
def record_read(*, message: Message, by_recipient: bool = True) -> bool:
    """Mark the message read (once, MESSAGE_READ); True when this was its first read.

    `by_recipient` says the opener is the recipient themself (a citizen in their own mailbox, or someone allowed
    to act for a company). Only such an opening of a legal notification is its legal notification: recorded once,
    as MESSAGE_LEGALLY_NOTIFIED with the moment, even when someone who may only look (a company employee with
    read access) opened it before. Opening it again records nothing.
    """
    locked = Message.objects.select_for_update(no_key=True).get(pk=message.pk)
    now = timezone.now()
    first_read = False
    if locked.read_at is None:
        locked.read_at = now
        locked.save(update_fields=["read_at"])
        # The recipient may have marked it unread, or read, in the folder list (filing.services.folders): that
        # changes only the mark, so the first opening is still the sender's MESSAGE_READ, and only once.
        first_read = not locked.events.filter(kind=EventKind.MESSAGE_READ).exists()
        if first_read:
            append_event(locked, EventKind.MESSAGE_READ, at=now)
    if locked.is_legal_notification and by_recipient and locked.legally_notified_at is None:
        locked.legally_notified_at = now
        locked.save(update_fields=["legally_notified_at"])
        append_event(locked, EventKind.MESSAGE_LEGALLY_NOTIFIED, at=now)
    message.read_at = locked.read_at
    message.legally_notified_at = locked.legally_notified_at
    return first_read
