"""Reads of messages. `visible_messages*` encode who may see what; `access_*` are the only doors to one."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Q, QuerySet

from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.messages.models import Document, Event, Message, Receipt, Thread
from digitalpost.systems.models import SenderSystem


@dataclass(frozen=True)
class MailboxViewer:
    """A signed-in citizen or company: sees only what was delivered to its own mailbox."""

    contact_id: uuid.UUID


def visible_messages(viewer: MailboxViewer) -> QuerySet[Message]:
    """Mail delivered to the viewer's own mailbox, and what the viewer wrote to authorities."""
    sent_or_delivered = Q(direction=Message.Direction.TO_AUTHORITY) | Q(state=Message.State.DELIVERED)
    return Message.objects.filter(mailbox__owner_id=viewer.contact_id).filter(sent_or_delivered)


def list_inbox(viewer: MailboxViewer) -> QuerySet[Message]:
    return visible_messages(viewer).filter(direction=Message.Direction.TO_PARTY).order_by("-delivered_at", "-id")


def count_unread(viewer: MailboxViewer) -> int:
    return visible_messages(viewer).filter(direction=Message.Direction.TO_PARTY, read_at=None).count()


def access_message(viewer: MailboxViewer, message_id: uuid.UUID) -> Message:
    # Same answer for "absent" and "not yours": never reveal that it exists.
    found = visible_messages(viewer).select_related("authority").filter(pk=message_id).first()
    if found is None:
        raise DigitalPostError(ErrorCode.MESSAGE_NOT_FOUND)
    return found


def access_document(viewer: MailboxViewer, message_id: uuid.UUID, position: int) -> Document:
    message = access_message(viewer, message_id)
    document = message.documents.filter(position=position).first()
    if document is None:
        raise DigitalPostError(ErrorCode.MESSAGE_NOT_FOUND, f"document {position}")
    return document


def visible_messages_for_system(system: SenderSystem) -> QuerySet[Message]:
    """A sender system sees the messages of its own authority, whichever of its systems sent them."""
    return Message.objects.filter(authority_id=system.authority_id)


def access_message_for_system(system: SenderSystem, message_uuid: uuid.UUID) -> Message:
    found = visible_messages_for_system(system).filter(message_uuid=message_uuid).first()
    if found is None:
        raise DigitalPostError(ErrorCode.MESSAGE_NOT_FOUND, str(message_uuid))
    return found


def list_timeline(message: Message) -> QuerySet[Event]:
    return message.events.order_by("seq")


def list_receipts_after(system: SenderSystem, after: int, limit: int) -> list[Receipt]:
    return list(
        Receipt.objects.filter(sender_system=system, id__gt=after)
        .select_related("message")
        .order_by("id")[:limit]
    )


def find_accepted_digest(authority_id: uuid.UUID, message_uuid: uuid.UUID) -> tuple[uuid.UUID, str] | None:
    """(message id, SHA-256 of its bytes) of an already accepted messageUUID, for replays and conflicts.

    Raw SQL on purpose: this runs on every submission, and building the ORM query costs more than running it.
    """
    table = Message._meta.db_table
    uuid_field = Message._meta.get_field("message_uuid")
    id_field = Message._meta.get_field("id")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, memo_sha256 FROM {table} WHERE authority_id = %s AND message_uuid = %s",  # noqa: S608
            [Message._meta.get_field("authority").get_db_prep_value(authority_id, connection),
             uuid_field.get_db_prep_value(message_uuid, connection)],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    return id_field.to_python(row[0]), str(row[1])


def visible_threads(viewer: MailboxViewer) -> QuerySet[Thread]:
    """The conversations of a signed-in citizen or company: only their own."""
    return Thread.objects.filter(party_id=viewer.contact_id)


def list_threads(viewer: MailboxViewer) -> QuerySet[Thread]:
    return visible_threads(viewer).select_related("authority", "authority_mailbox").order_by("-last_activity_at")


def access_thread(viewer: MailboxViewer, thread_id: uuid.UUID) -> Thread:
    found = list_threads(viewer).filter(pk=thread_id).first()
    if found is None:
        raise DigitalPostError(ErrorCode.MESSAGE_NOT_FOUND, "thread")
    return found


def list_thread_messages(viewer: MailboxViewer, thread: Thread) -> QuerySet[Message]:
    """The conversation in order: what the party wrote (in any state) and what was delivered to them."""
    own = Q(direction=Message.Direction.TO_AUTHORITY) | Q(state=Message.State.DELIVERED)
    return (
        Message.objects.filter(thread=thread, mailbox__owner_id=viewer.contact_id)
        .filter(own)
        .prefetch_related("documents")
        .order_by("accepted_at", "id")
    )


def describe_thread(thread_id: str) -> dict[str, Any]:
    """Operator view of one thread (no content): its messages and the refusals recorded against it."""
    try:
        thread = Thread.objects.select_related("authority", "authority_mailbox").get(pk=thread_id)
    except (Thread.DoesNotExist, ValueError, ValidationError) as exc:
        raise LookupError(thread_id) from exc
    return {
        "thread": str(thread.pk),
        "subject": thread.subject,
        "authority": thread.authority.cvr,
        "mailbox": thread.authority_mailbox.name,
        "topic": thread.topic,
        "messages": [
            {"id": str(m.pk), "direction": m.direction, "state": m.state, "label": m.label, "at": m.accepted_at,
             "delivered_at": m.delivered_at}
            for m in thread.messages.order_by("accepted_at")
        ],
        "refusals": [
            {"code": r.code, "detail": r.detail, "sender": r.sender_address, "at": r.received_at}
            for r in thread.refusals.order_by("received_at")
        ],
    }
