"""Delivery into a citizen's or company's web mailbox, and giving up on a delivery.

Both are idempotent: run twice (a worker killed after the effect, before finishing its job), they
change nothing the second time.
"""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils import timezone

from digitalpost.hub.blobs import blob_store
from digitalpost.messages.models import Document, Message
from digitalpost.messages.services.documents import prepare_documents
from digitalpost.messages.services.lifecycle import lock_message, record_delivered, record_failed
from digitalpost.outbox.models import Job
from digitalpost.outbox.services import bury, complete, finish_job


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
    message = lock_message(message_id)
    if message.state != Message.State.ACCEPTED:
        return False
    now = timezone.now()
    if documents is not None and not message.documents.exists():
        Document.objects.bulk_create(documents)
    record_delivered(message, at=now, data={"channel": "web-mailbox"}, clear_pending_memo=True)
    if job is not None:
        finish_job(job)
    return True


@transaction.atomic(durable=True)
def give_up_delivery(job: Job, reason: str) -> None:
    """Dead-letter the delivery job and record the failure, with its reason, on the message's timeline."""
    record_failed(lock_message(job.payload["message"]), at=timezone.now(), reason=reason)
    bury(job, reason)
