"""Delivery into a citizen's or company's web mailbox, and giving up on a delivery.

Both are idempotent: run twice (a worker killed after the effect, before finishing its job), they
change nothing the second time.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from digitalpost.core.kombi import Channel
from digitalpost.core.lifecycle import EventKind, ReceiptStatus
from digitalpost.hub.blobs import blob_store
from digitalpost.messages.models import Document, Message, Receipt
from digitalpost.messages.services.documents import prepare_documents
from digitalpost.messages.services.events import append_event
from digitalpost.outbox.models import Job, WorkKind
from digitalpost.outbox.services import add_job, bury, complete, finish_job
from digitalpost.registry.models import Contact


def _locked(message_id: uuid.UUID | str) -> Message:
    return Message.objects.select_for_update(no_key=True).get(pk=message_id)


def deliver_to_mailbox(*, message_id: uuid.UUID | str, job: Job | None = None) -> bool:
    """Make the message visible in its mailbox and tell the sender COMPLETED; False if already done.

    With `job`, the job is finished in the same transaction: one commit per delivery.
    """
    message = Message.objects.filter(pk=message_id).first()
    if message is None or message.state != Message.State.ACCEPTED:
        if job is not None:
            complete(job)
        return False
    documents = prepare_documents(message, blob_store())
    return _deliver(message_id=message.pk, documents=documents, job=job)


def deliver_batch(jobs: list[Job]) -> None:
    """Deliver many messages (mass-send items) with one blob sync and one commit, finishing their jobs.

    The same effects as deliver_to_mailbox for each; the blobs of the whole batch are made durable by one
    sync before the transaction that records the deliveries commits.
    """
    store = blob_store()
    unsynced = store.unsynced()
    prepared: list[tuple[Job, uuid.UUID | None, list[Document] | None]] = []
    try:
        for job in jobs:
            message = Message.objects.filter(pk=job.payload["message"]).first()
            if message is None or message.state != Message.State.ACCEPTED:
                prepared.append((job, None, None))
                continue
            prepared.append((job, message.pk, prepare_documents(message, unsynced)))
    finally:
        # Also when preparing fails: the one-by-one fallback finds these blobs present and does not write them
        # again, so they must be durable before any delivery that relies on them commits.
        store.sync()
    with transaction.atomic(durable=True):
        for job, message_id, documents in prepared:
            if message_id is None or not _record_delivery(message_id=message_id, documents=documents, job=job):
                finish_job(job)


@transaction.atomic(durable=True)
def _deliver(*, message_id: uuid.UUID, documents: list[Document] | None, job: Job | None) -> bool:
    return _record_delivery(message_id=message_id, documents=documents, job=job)


def _record_delivery(*, message_id: uuid.UUID, documents: list[Document] | None, job: Job | None) -> bool:
    """The writes of one delivery, inside the caller's transaction; False when it was already delivered."""
    message = _locked(message_id)
    if message.state != Message.State.ACCEPTED:
        return False
    now = timezone.now()
    if documents is not None and not message.documents.exists():
        Document.objects.bulk_create(documents)
    message.state = Message.State.DELIVERED
    message.delivered_at = now
    message.pending_memo = None
    message.save(update_fields=["state", "delivered_at", "pending_memo"])
    append_event(message, EventKind.MESSAGE_DELIVERED, at=now, data={"channel": "web-mailbox"})
    if message.sender_system_id is not None:
        Receipt.objects.create(
            message=message, sender_system_id=message.sender_system_id, status=ReceiptStatus.COMPLETED,
            created_at=now,
        )
    queue_notices(message, now)
    if job is not None:
        finish_job(job)
    return True


def queue_notices(message: Message, now: datetime) -> None:
    """Queue what the recipient is told outside the mailbox (sent by the notifications app's handlers).

    In the delivery's own transaction, so a delivery and its notices commit together or not at all. The notice
    is queued only for a recipient who wants e-mail notices (one indexed look-up, so deliveries to everyone
    else cost nothing more); its handler looks again when it runs, as do the reminder's and the SMS's.
    """
    if message.channel != Channel.DIGITAL or message.direction != Message.Direction.TO_PARTY:
        return
    payload = {"message": str(message.pk)}
    wants_notice = (Contact.objects.filter(mailbox=message.mailbox_id, notify_by_email=True)
                    .exclude(notification_email="").exists())
    if wants_notice:
        add_job(WorkKind.NOTIFY, key=f"notice:{message.pk}", payload=payload | {"notice": "NEW_MAIL"})
    if message.is_legal_notification:
        due = now + timedelta(days=settings.DIGITALPOST_LEGAL_REMINDER_DAYS)
        add_job(WorkKind.NOTIFY, key=f"reminder:{message.pk}", payload=payload | {"notice": "REMINDER"},
                run_after=due)
    if message.message_type == "NEMSMS":
        add_job(WorkKind.SMS, key=f"sms:{message.pk}", payload=payload)


@transaction.atomic(durable=True)
def give_up_delivery(job: Job, reason: str) -> None:
    """Dead-letter the delivery job and record the failure, with its reason, on the message's timeline."""
    message = _locked(job.payload["message"])
    if message.state == Message.State.ACCEPTED:
        message.state = Message.State.FAILED
        message.save(update_fields=["state"])
        append_event(message, EventKind.DELIVERY_FAILED, at=timezone.now(), data={"reason": reason[:500]})
    bury(job, reason)
