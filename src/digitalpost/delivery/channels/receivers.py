"""What every receiver channel shares: postponing, the thread token it carries, and recording the outcome.

Secure address (forward.py), REST pull (pull.py) and REST push (push.py) differ only in how the inquiry leaves;
marking it forwarded and counting receiver failures are the same for all of them.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from digitalpost.core.lifecycle import EventKind
from digitalpost.hub.keys import thread_keyring
from digitalpost.messages.models import Message, Thread
from digitalpost.messages.services.events import append_event
from digitalpost.outbox.models import Job
from digitalpost.outbox.services import finish_job
from digitalpost.outbox.worker import RetryLater
from digitalpost.protocols.threads import ReplyRule, ThreadRef, encode
from digitalpost.systems.models import ReceiverSystem

log = logging.getLogger(__name__)


class ForwardPostponed(RetryLater):
    """The mail cannot go yet (no receiver, receiver down); the job is retried later, nothing is lost."""


def thread_token(thread: Thread) -> str:
    rule = ReplyRule.REPLY_ALLOWED if thread.party_may_reply else ReplyRule.NO_REPLY
    ref = ThreadRef(thread_id=thread.pk, authority_cvr=thread.authority.cvr, mailbox_id=thread.authority_mailbox_id,
                    reply_rule=rule)
    return encode(ref, keyring=thread_keyring(), issued_at=thread.created_at.replace(microsecond=0))


@transaction.atomic(durable=True)
def mark_forwarded(
    *, message_id: uuid.UUID, receiver: ReceiverSystem, answer: str, job: Job | None, channel: str = "secure-address"
) -> bool:
    message = Message.objects.select_for_update(no_key=True).get(pk=message_id)
    if message.state != Message.State.ACCEPTED:
        return False
    now = timezone.now()
    message.state = Message.State.DELIVERED
    message.delivered_at = now
    message.save(update_fields=["state", "delivered_at"])
    append_event(message, EventKind.MESSAGE_DELIVERED, at=now,
                 data={"channel": channel, "receiver": str(receiver.pk), "relay": answer[:200]})
    ReceiverSystem.objects.filter(pk=receiver.pk).update(failing_since=None)
    if job is not None:
        finish_job(job)
    return True


@transaction.atomic(durable=True)
def note_receiver_failure(*, receiver: ReceiverSystem, reason: str, message: Message | None = None) -> None:
    """Remember since when the receiver fails; after the configured days it is deactivated (mail waits).

    Deactivation is an alert: it is logged and put on the timeline of the message that could not go.
    """
    now = timezone.now()
    locked = ReceiverSystem.objects.select_for_update(no_key=True).get(pk=receiver.pk)
    if locked.failing_since is None:
        locked.failing_since = now
        locked.save(update_fields=["failing_since"])
    limit = timedelta(days=settings.DIGITALPOST_RECEIVER_DEACTIVATE_AFTER_DAYS)
    if locked.is_active and now - locked.failing_since >= limit:
        locked.is_active = False
        locked.deactivated_at = now
        locked.save(update_fields=["is_active", "deactivated_at"])
        log.warning("receiver system %s (%s) deactivated after failing since %s: %s", locked.name, locked.pk,
                    locked.failing_since.isoformat(), reason)
        if message is not None:
            append_event(
                Message.objects.select_for_update(no_key=True).get(pk=message.pk), EventKind.RECEIVER_DEACTIVATED,
                at=now, data={"receiver": str(locked.pk), "failingSince": locked.failing_since.isoformat(),
                              "reason": reason[:500]},
            )
