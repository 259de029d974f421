"""What every receiver channel shares: postponing, recording the outcome and counting receiver failures.

Secure address, REST pull and REST push differ only in how the inquiry leaves; marking it delivered (the
messages lifecycle) and counting receiver failures (systems.receiver_health) are the same for all of them.
"""

from __future__ import annotations

import uuid

from django.db import transaction

from digitalpost.core.lifecycle import EventKind
from digitalpost.messages.models import Message
from digitalpost.messages.services.events import append_event
from digitalpost.messages.services.lifecycle import lock_message, mark_delivered
from digitalpost.outbox.models import Job
from digitalpost.outbox.worker import RetryLater
from digitalpost.systems.models import ReceiverSystem
from digitalpost.systems.receiver_health import record_receiver_failure


class ForwardPostponed(RetryLater):
    """The mail cannot go yet (no receiver, receiver down); the job is retried later, nothing is lost."""


def mark_forwarded(
    *, message_id: uuid.UUID, receiver: ReceiverSystem, answer: str, job: Job | None, channel: str = "secure-address"
) -> bool:
    """The receiver took the inquiry: DELIVERED, the receiver works again, the job is done; False if done before."""
    return mark_delivered(message_id=message_id, job=job, receiver=receiver,
                          data={"channel": channel, "receiver": str(receiver.pk), "relay": answer[:200]})


@transaction.atomic(durable=True)
def note_receiver_failure(*, receiver: ReceiverSystem, reason: str, message: Message | None = None) -> None:
    """Count a failed hand-over; a deactivation it causes goes on the timeline of the message that could not go."""
    deactivated = record_receiver_failure(receiver=receiver, reason=reason)
    if deactivated is not None and message is not None:
        append_event(lock_message(message.pk), EventKind.RECEIVER_DEACTIVATED, at=deactivated.at,
                     data={"receiver": str(deactivated.receiver.pk),
                           "failingSince": deactivated.failing_since.isoformat(), "reason": reason[:500]})
