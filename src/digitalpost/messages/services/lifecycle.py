"""The one lifecycle of a message: every change of `Message.state` happens here, and nowhere else.

Each change locks the message row, asks `core.lifecycle` whether the move is allowed, writes the state, appends
the event and writes what follows from it — the sender system's COMPLETED receipt and the recipient's notices
for a delivery — in the same transaction. A move that is no longer allowed (delivered, failed or recalled
meanwhile) changes nothing and returns False, so every caller is idempotent: a worker run twice after a crash
delivers once in effect. `record_*` run inside the caller's transaction with the row locked by `lock_message`
(a batch of deliveries, a recall with its audit entry); `mark_delivered` is the same as one durable transaction
that also finishes the job. A contract test (tests/contracts/test_one_lifecycle.py) fails if any other module
writes the state. Not for: events that leave the state alone (read, letter rendered, notices) or deciding
*whether* a message may go (ingest and the channels decide that).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from digitalpost.core.kombi import Channel
from digitalpost.core.lifecycle import EventKind, MessageState, ReceiptStatus, may_become
from digitalpost.hub.metrics import ACCEPT_TO_DELIVERED
from digitalpost.hub.queries import Param, PreparedIn, PreparedSelect, PreparedUpdate
from digitalpost.hub.rows import insert_many
from digitalpost.messages.models import Message, Receipt
from digitalpost.messages.services.events import append_event, append_events
from digitalpost.outbox.models import Job, WorkKind
from digitalpost.outbox.services import add_job, add_jobs, finish_job
from digitalpost.registry.models import Contact, Mailbox
from digitalpost.systems.models import ReceiverSystem
from digitalpost.systems.receiver_health import note_receiver_success

_MESSAGE_ID = Message._meta.pk


def _locked(ids: list[Param], *, without_content: bool) -> PreparedSelect[Message]:
    locked = Message.objects.select_for_update(no_key=True).filter(pk__in=ids).order_by("pk")  # type: ignore[misc]  # Params stand in for the ids
    return PreparedSelect(locked.defer("pending_memo", "document_parts") if without_content else locked)


# The batch paths' statements, compiled once per database and batch length (hub.queries, decision 0025).
_LOCK = PreparedIn(lambda ids: _locked(ids, without_content=False), ids=_MESSAGE_ID)
_LOCK_WITHOUT_CONTENT = PreparedIn(lambda ids: _locked(ids, without_content=True), ids=_MESSAGE_ID)
_DELIVERED_AT = Message._meta.get_field("delivered_at")
_DELIVER = PreparedIn(lambda ids: PreparedUpdate(Message.objects.filter(pk__in=ids), state=Message.State.DELIVERED,
                                                 delivered_at=Param("at", _DELIVERED_AT)), ids=_MESSAGE_ID)
_DELIVER_CLEARING = PreparedIn(lambda ids: PreparedUpdate(
    Message.objects.filter(pk__in=ids), state=Message.State.DELIVERED, delivered_at=Param("at", _DELIVERED_AT),
    pending_memo=None, document_parts=None), ids=_MESSAGE_ID)
_WANTING_NOTICES = PreparedIn(lambda mailboxes: PreparedSelect(
    Contact.objects.filter(mailbox__pk__in=mailboxes, notify_by_email=True).exclude(notification_email="")
    .values_list("mailbox")), mailboxes=Mailbox._meta.pk)


def lock_message(message_id: uuid.UUID | str) -> Message:
    """The message row, locked until the caller's transaction ends (never deleted here: no-key lock)."""
    return Message.objects.select_for_update(no_key=True).get(pk=message_id)


def lock_messages(message_ids: list[uuid.UUID], *, without_content: bool = False) -> list[Message]:
    """`lock_message` for many rows in one statement, always in primary-key order (two batches never deadlock).

    `without_content` leaves the MeMo kept in the row and its document parts unread (a caller that has them).
    """
    return (_LOCK_WITHOUT_CONTENT if without_content else _LOCK).objects(ids=message_ids)


def _in_transaction() -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("a state change must run inside the transaction that locked the message")


def record_delivered(
    message: Message, *, at: datetime, data: dict[str, Any] | None = None, event: bool = True,
    delivered_at: datetime | None = None, clear_pending_memo: bool = False,
) -> bool:
    """ACCEPTED → DELIVERED inside the caller's transaction; False (and nothing written) when not allowed.

    Appends MESSAGE_DELIVERED with `data` unless `event` is False (print: PHYSICAL_LETTER_SENT, appended by the
    caller, already says it). The sender system, if any, gets its COMPLETED receipt; a digital letter to a party
    queues its notices. `clear_pending_memo` drops the MeMo kept in the row, and its document parts, once its
    documents are stored.
    """
    _in_transaction()
    if not may_become(message.state, MessageState.DELIVERED):
        return False
    message.state = Message.State.DELIVERED
    message.delivered_at = delivered_at or at
    waited = (message.delivered_at - message.accepted_at).total_seconds()
    transaction.on_commit(lambda: ACCEPT_TO_DELIVERED.observe(max(waited, 0.0)))
    fields = ["state", "delivered_at"]
    if clear_pending_memo:
        message.pending_memo = message.document_parts = None
        fields += ["pending_memo", "document_parts"]
    message.save(update_fields=fields)
    if event:
        append_event(message, EventKind.MESSAGE_DELIVERED, at=at, data=data or {})
    if message.sender_system_id is not None:
        # Once: only this move writes COMPLETED, and it happens once (one_receipt_per_status backs it up).
        Receipt.objects.create(message=message, sender_system_id=message.sender_system_id,
                               status=ReceiptStatus.COMPLETED, created_at=at)
    queue_notices(message, at)
    return True


def record_delivered_batch(
    messages: list[Message], *, at: datetime, data: dict[str, Any], clear_pending_memo: bool = False,
) -> list[Message]:
    """`record_delivered` for many messages locked by `lock_messages`, with multi-row writes; those delivered now.

    The same effects per message — DELIVERED with `at`, MESSAGE_DELIVERED with `data` (its hash chained from the
    message's own head), the sender's COMPLETED receipt, the recipient's notices — in one UPDATE and one INSERT
    per table instead of a round of statements per message. Messages no longer ACCEPTED are left alone.
    """
    _in_transaction()
    moving = [m for m in messages if may_become(m.state, MessageState.DELIVERED)]
    if not moving:
        return []
    changes: dict[str, Any] = {"state": Message.State.DELIVERED, "delivered_at": at}
    if clear_pending_memo:
        changes["pending_memo"] = changes["document_parts"] = None
    (_DELIVER_CLEARING if clear_pending_memo else _DELIVER).run(ids=[m.pk for m in moving], at=at)
    waits = []
    for message in moving:
        for name, value in changes.items():
            setattr(message, name, value)
        waits.append(max((at - message.accepted_at).total_seconds(), 0.0))
    transaction.on_commit(lambda: _observe_waits(waits))
    append_events([(m, EventKind.MESSAGE_DELIVERED, dict(data)) for m in moving], at=at)
    insert_many([
        Receipt(message=m, sender_system_id=m.sender_system_id, status=ReceiptStatus.COMPLETED, created_at=at)
        for m in moving if m.sender_system_id is not None
    ])
    queue_notices_batch(moving, at)
    return moving


def _observe_waits(waits: list[float]) -> None:
    for waited in waits:
        ACCEPT_TO_DELIVERED.observe(waited)


def record_failed(message: Message, *, at: datetime, reason: str | None) -> bool:
    """ACCEPTED → FAILED inside the caller's transaction, with DELIVERY_FAILED {reason}; False when not allowed.

    `reason` None appends no event: the caller's own (PRINT_REFUSED) already says why.
    """
    _in_transaction()
    if not may_become(message.state, MessageState.FAILED):
        return False
    message.state = Message.State.FAILED
    message.save(update_fields=["state"])
    if reason is not None:
        append_event(message, EventKind.DELIVERY_FAILED, at=at, data={"reason": reason[:500]})
    return True


def record_recalled(message: Message, *, at: datetime, by: str) -> bool:
    """ACCEPTED → RECALLED inside the caller's transaction, with MESSAGE_RECALLED {by}; False when not allowed."""
    _in_transaction()
    if not may_become(message.state, MessageState.RECALLED):
        return False
    message.state = Message.State.RECALLED
    message.save(update_fields=["state"])
    append_event(message, EventKind.MESSAGE_RECALLED, at=at, data={"by": by})
    return True


@transaction.atomic(durable=True)
def mark_delivered(
    *, message_id: uuid.UUID | str, data: dict[str, Any], job: Job | None = None,
    receiver: ReceiverSystem | None = None,
) -> bool:
    """Record a delivery in one transaction and finish its job; False (job left alone) when it was done before.

    With `receiver` (an authority's receiver system took the message), the receiver counts as working again.
    """
    delivered = record_delivered(lock_message(message_id), at=timezone.now(), data=data)
    if delivered:
        if receiver is not None:
            note_receiver_success(receiver=receiver)
        if job is not None:
            finish_job(job)
    return delivered


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


def queue_notices_batch(messages: list[Message], now: datetime) -> None:
    """`queue_notices` for many deliveries: one look-up of who wants e-mail, one INSERT of the jobs."""
    letters = [m for m in messages if m.channel == Channel.DIGITAL and m.direction == Message.Direction.TO_PARTY]
    if not letters:
        return
    wanting = {mailbox for mailbox, in _WANTING_NOTICES.rows(mailboxes=list({m.mailbox_id for m in letters}))}
    due = now + timedelta(days=settings.DIGITALPOST_LEGAL_REMINDER_DAYS)
    jobs: list[tuple[WorkKind, str, dict[str, Any], datetime | None]] = []
    for message in letters:
        payload = {"message": str(message.pk)}
        if message.mailbox_id in wanting:
            jobs.append((WorkKind.NOTIFY, f"notice:{message.pk}", payload | {"notice": "NEW_MAIL"}, None))
        if message.is_legal_notification:
            jobs.append((WorkKind.NOTIFY, f"reminder:{message.pk}", payload | {"notice": "REMINDER"}, due))
        if message.message_type == "NEMSMS":
            jobs.append((WorkKind.SMS, f"sms:{message.pk}", payload, None))
    add_jobs(jobs)
