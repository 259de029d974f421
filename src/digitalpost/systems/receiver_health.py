"""Receiver-system health: since when a receiver fails, switching it off after the configured days, and recovery.

The delivery channels call these after each attempt to hand an inquiry to an authority's receiver system: a
failure sets `failing_since` (once) and, after DIGITALPOST_RECEIVER_DEACTIVATE_AFTER_DAYS, deactivates the
receiver (its mail waits; the doctor alerts); a success clears `failing_since`. `record_*` and
`note_receiver_success` join the caller's transaction (the one recording the delivery, or the deactivation on a
message's timeline); `note_receiver_failure` is the same as a transaction of its own. Not for: setting receivers
up or switching them back on (systems.services) or what the failure means for the message (delivery).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from digitalpost.systems.models import ReceiverSystem

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Deactivation:
    """A receiver switched off just now because it kept failing."""

    receiver: ReceiverSystem
    failing_since: datetime
    at: datetime


def record_receiver_failure(*, receiver: ReceiverSystem, reason: str) -> Deactivation | None:
    """Remember since when the receiver fails, inside the caller's transaction; the deactivation, if it is now.

    Deactivation is an alert: it is logged here, and the caller puts it on the timeline of the waiting message.
    """
    now = timezone.now()
    locked = ReceiverSystem.objects.select_for_update(no_key=True).get(pk=receiver.pk)
    if locked.failing_since is None:
        locked.failing_since = now
        locked.save(update_fields=["failing_since"])
    limit = timedelta(days=settings.DIGITALPOST_RECEIVER_DEACTIVATE_AFTER_DAYS)
    if not (locked.is_active and now - locked.failing_since >= limit):
        return None
    locked.is_active = False
    locked.deactivated_at = now
    locked.save(update_fields=["is_active", "deactivated_at"])
    log.warning("receiver system %s (%s) deactivated after failing since %s: %s", locked.name, locked.pk,
                locked.failing_since.isoformat(), reason)
    return Deactivation(receiver=locked, failing_since=locked.failing_since, at=now)


@transaction.atomic(durable=True)
def note_receiver_failure(*, receiver: ReceiverSystem, reason: str) -> Deactivation | None:
    """`record_receiver_failure` in a transaction of its own (no message to tell)."""
    return record_receiver_failure(receiver=receiver, reason=reason)


def note_receiver_success(*, receiver: ReceiverSystem) -> None:
    """The receiver took a message: it no longer counts as failing (inside the caller's transaction)."""
    ReceiverSystem.objects.filter(pk=receiver.pk).update(failing_since=None)
