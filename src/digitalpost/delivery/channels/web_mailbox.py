"""The web-mailbox channel: delivery into a citizen's or company's mailbox, one by one or in batches; giving up.

`prepare` stores the message's documents (outside any transaction); `send` makes the message visible — the
documents' rows and the DELIVERED state with its event, the sender's COMPLETED receipt and the recipient's
notices (lifecycle service) — and finishes the job, in one commit. Everything is idempotent: run twice (a
worker killed after the effect, before finishing its job), it changes nothing the second time. Not for: the
notices themselves (notifications) or letters on paper (the print hand-off).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from digitalpost.blobstore import BlobStore
from digitalpost.delivery.channels.base import Sent
from digitalpost.filing.models import SearchEntry
from digitalpost.filing.services.indexing import (
    SearchText,
    index_message,
    search_rows,
    search_text,
    write_search_rows,
)
from digitalpost.hub.blobs import blob_store
from digitalpost.hub.queries import PreparedIn, PreparedSelect
from digitalpost.hub.rows import PreparedRows, insert_many
from digitalpost.messages.models import Document, Message
from digitalpost.messages.services.documents import prepare_documents
from digitalpost.messages.services.lifecycle import (
    lock_message,
    lock_messages,
    record_delivered,
    record_delivered_batch,
    record_failed,
)
from digitalpost.outbox.models import Job
from digitalpost.outbox.services import bury, complete, finish_job, finish_jobs

WEB_MAILBOX_CHANNEL = "web-mailbox"
# The fields of a message that `prepare` and its search entry read.
_PREPARED_FROM = ("id", "state", "mailbox", "pending_memo", "memo_blob", "document_parts", "sender_label", "label")
# A batch's statements, compiled once per database and batch length (hub.queries, decision 0025).
_WAITING = PreparedIn(lambda ids: PreparedSelect(Message.objects.filter(pk__in=ids, state=Message.State.ACCEPTED)
                                                 .only(*_PREPARED_FROM)), ids=Message._meta.pk)
_WITH_DOCUMENTS = PreparedIn(lambda ids: PreparedSelect(Document.objects.filter(message__pk__in=ids)
                                                        .values_list("message_id").distinct()),
                             ids=Message._meta.pk)


@dataclass(frozen=True)
class MailboxDelivery:
    message_id: uuid.UUID
    documents: list[Document] | None  # None: stored before (a delivery retried after a crash)
    search: SearchText  # what the recipient's search finds it by


class WebMailboxChannel:
    name = WEB_MAILBOX_CHANNEL

    def __init__(self, store: BlobStore | None = None) -> None:
        self.store = store

    def prepare(self, message: Message, /) -> MailboxDelivery:
        """The message's documents, written to the blob store (not yet synced when a batch passes its own)."""
        store = self.store or blob_store()
        documents = prepare_documents(message, store)
        words = search_text(sender=message.sender_label, label=message.label, store=store,
                            documents=documents if documents is not None else message.documents.all())
        return MailboxDelivery(message_id=message.pk, documents=documents, search=words)

    def send(self, outgoing: MailboxDelivery, /, *, job: Job | None = None) -> Sent:
        return Sent(answer="", recorded=_deliver(outgoing, job=job))


def deliver_to_mailbox(*, message_id: uuid.UUID | str, job: Job | None = None) -> bool:
    """Make the message visible in its mailbox and tell the sender COMPLETED; False if already done.

    With `job`, the job is finished in the same transaction: one commit per delivery.
    """
    message = Message.objects.filter(pk=message_id).first()
    if message is None or message.state != Message.State.ACCEPTED:
        if job is not None:
            complete(job)
        return False
    channel = WebMailboxChannel()
    return channel.send(channel.prepare(message), job=job).recorded


def deliver_batch(jobs: list[Job]) -> None:
    """Deliver many messages with one blob sync and one commit, finishing their jobs (DELIVER, DELIVER_BULK).

    The same effects as deliver_to_mailbox for each; the blobs of the whole batch are made durable by one
    sync before the transaction that records the deliveries commits, and the transaction writes each table
    with one multi-row statement (lifecycle.record_delivered_batch).
    """
    batch_store = blob_store().write_behind()  # the batch's blobs written together at its sync
    channel = WebMailboxChannel(batch_store)
    # Only what preparing reads (the rest is read again under the lock, in _record_deliveries).
    waiting = {m.pk: m for m in _WAITING.objects(ids=[job.payload["message"] for job in jobs])}
    prepared: dict[uuid.UUID, MailboxDelivery] = {}
    try:
        for message in waiting.values():
            prepared[message.pk] = channel.prepare(message)
    finally:
        # Also when preparing fails: the one-by-one fallback finds these blobs present and does not write them
        # again, so they must be durable before any delivery that relies on them commits.
        batch_store.sync()
    # The rows are built before the transaction; inside it, under the messages' locks, only those of messages
    # still waiting are written (decision 0021).
    documents = PreparedRows([document for delivery in prepared.values() for document in delivery.documents or ()])
    search = search_rows((waiting[pk], delivery.search) for pk, delivery in prepared.items())
    _record_deliveries(list(prepared.values()), jobs, documents=documents, search=search)


@transaction.atomic(durable=True)
def _record_deliveries(deliveries: list[MailboxDelivery], jobs: list[Job], *, documents: PreparedRows[Document],
                       search: PreparedRows[SearchEntry]) -> None:
    """The writes of many deliveries in one transaction; every job is finished (those already done too).

    `documents` and `search` are the deliveries' prepared rows: those of messages no longer waiting, or whose
    documents were recorded before (a batch claimed again after a crash), are left out here.
    """
    by_message = {delivery.message_id: delivery for delivery in deliveries}
    messages = lock_messages(list(by_message), without_content=True)  # the MeMo bytes were read before the lock
    waiting = {m.pk for m in messages if m.state == Message.State.ACCEPTED}
    stored = {message_id for message_id, in _WITH_DOCUMENTS.rows(ids=list(waiting))}
    insert_many(documents.where(lambda document: document.message_id in waiting
                                and document.message_id not in stored))
    record_delivered_batch(messages, at=timezone.now(), data={"channel": WEB_MAILBOX_CHANNEL},
                           clear_pending_memo=True)
    write_search_rows(search.where(lambda entry: entry.message_id in waiting))
    finish_jobs(jobs)


@transaction.atomic(durable=True)
def _deliver(delivery: MailboxDelivery, *, job: Job | None) -> bool:
    return _record_delivery(delivery, job=job)


def _record_delivery(delivery: MailboxDelivery, *, job: Job | None) -> bool:
    """The writes of one delivery, inside the caller's transaction; False when it was already delivered."""
    message = lock_message(delivery.message_id)
    if message.state != Message.State.ACCEPTED:
        return False
    if delivery.documents is not None and not message.documents.exists():
        Document.objects.bulk_create(delivery.documents)
    record_delivered(message, at=timezone.now(), data={"channel": WEB_MAILBOX_CHANNEL}, clear_pending_memo=True)
    index_message(message, delivery.search)
    if job is not None:
        finish_job(job)
    return True


@transaction.atomic(durable=True)
def give_up_delivery(job: Job, reason: str) -> None:
    """Dead-letter the delivery job and record the failure, with its reason, on the message's timeline."""
    record_failed(lock_message(job.payload["message"]), at=timezone.now(), reason=reason)
    bury(job, reason)
