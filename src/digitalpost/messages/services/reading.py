"""A recipient reads a message: the first read is recorded on the timeline for the sender to see."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from digitalpost.core.lifecycle import EventKind
from digitalpost.messages.models import Message
from digitalpost.messages.services.events import append_event


@transaction.atomic(durable=True)
def record_read(*, message: Message) -> bool:
    """Mark the message read (once) and add MESSAGE_READ to its timeline; False if it was read before."""
    locked = Message.objects.select_for_update(no_key=True).get(pk=message.pk)
    if locked.read_at is not None:
        return False
    now = timezone.now()
    locked.read_at = now
    locked.save(update_fields=["read_at"])
    append_event(locked, EventKind.MESSAGE_READ, at=now)
    message.read_at = now
    return True
