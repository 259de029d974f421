"""Reads of messages. `visible_messages*` encode who may see what; `access_*` are the only doors to one."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from digitalpost.accounts.selectors import OrgAccess, list_members
from digitalpost.authorities.models import Authority, AuthorityMailbox
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.roles import Action, Role
from digitalpost.messages.blobs import blob_store
from digitalpost.messages.models import Document, Event, Message, Receipt, Thread
from digitalpost.messages.services.documents import received_bytes
from digitalpost.messages.services.inquiries import METADATA_DATA_TYPE
from digitalpost.protocols import memo
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


# The portal: a caseworker's inquiries (only the mailboxes named in their membership) and the organisation's
# message log (metadata and timelines for everyone allowed to see it; content only for the thread's caseworkers).


class InquiryStatus(StrEnum):
    OPEN = "open"
    HANDLED = "handled"
    ALL = "all"


def visible_inquiries(org: OrgAccess) -> QuerySet[Thread]:
    """The conversations a portal user handles: threads of their organisation in their own mailboxes."""
    return Thread.objects.filter(authority=org.authority, authority_mailbox_id__in=org.mailbox_ids)


def list_inquiries(
    org: OrgAccess, *, status: InquiryStatus = InquiryStatus.OPEN, assigned_to_me: bool = False,
    mailbox_id: uuid.UUID | None = None,
) -> QuerySet[Thread]:
    """The inbox, newest activity first, each thread with its latest inquiry's label and time."""
    latest = Message.objects.filter(thread=OuterRef("pk"), direction=Message.Direction.TO_AUTHORITY).order_by(
        "-accepted_at", "-id"
    )
    threads = visible_inquiries(org)
    if status == InquiryStatus.OPEN:
        threads = threads.filter(handled_at=None)
    elif status == InquiryStatus.HANDLED:
        threads = threads.exclude(handled_at=None)
    if assigned_to_me:
        threads = threads.filter(assigned_to=org.user)
    if mailbox_id is not None:
        threads = threads.filter(authority_mailbox_id=mailbox_id)
    return (
        threads.select_related("authority_mailbox", "party", "assigned_to")
        .annotate(latest_label=Subquery(latest.values("label")[:1]),
                  latest_received_at=Subquery(latest.values("accepted_at")[:1]))
        .order_by("-last_activity_at", "-id")
    )


def list_inquiry_mailboxes(org: OrgAccess) -> QuerySet[AuthorityMailbox]:
    return AuthorityMailbox.objects.filter(authority=org.authority, pk__in=org.mailbox_ids).order_by("name")


def access_inquiry(org: OrgAccess, thread_id: uuid.UUID) -> Thread:
    """The only way a portal page loads one conversation: another mailbox's thread is 'not found'."""
    found = (visible_inquiries(org).select_related("authority", "authority_mailbox", "party", "assigned_to")
             .filter(pk=thread_id).first())
    if found is None:
        raise DigitalPostError(ErrorCode.INQUIRY_NOT_FOUND, str(thread_id))
    return found


def list_inquiry_messages(thread: Thread) -> QuerySet[Message]:
    """The whole conversation in order, replies in any state (the caseworker sees what is still on its way)."""
    return thread.messages.prefetch_related("documents").order_by("accepted_at", "id")


def access_inquiry_document(org: OrgAccess, thread_id: uuid.UUID, message_id: uuid.UUID, position: int) -> Document:
    thread = access_inquiry(org, thread_id)
    found = Document.objects.filter(message__thread=thread, message_id=message_id, position=position).first()
    if found is None:
        raise DigitalPostError(ErrorCode.INQUIRY_NOT_FOUND, f"document {position}")
    return found


def get_inquiry_fields(message: Message) -> list[tuple[str, str]]:
    """The fields the citizen filled in, as (label, value), read from the stored MeMo (the topic is the thread's)."""
    if message.direction != Message.Direction.TO_AUTHORITY:
        return []
    letter = memo.parse(received_bytes(message, blob_store()), max_bytes=settings.DIGITALPOST_MAX_MEMO_BYTES)
    content = letter.header.content_data.additional_content_data if letter.header.content_data else ()
    return [(c.content_data_name, c.content_data_value) for c in content
            if c.content_data_type == METADATA_DATA_TYPE]


def list_mailbox_caseworkers(mailbox: AuthorityMailbox) -> list[User]:
    """The users who may be assigned a conversation of `mailbox`: its caseworkers."""
    members = list_members(mailbox.authority).filter(role=Role.CASEWORKER, mailboxes=mailbox)
    return sorted({m.user for m in members}, key=lambda user: user.get_username())


def get_standard_sender_system(authority: Authority) -> SenderSystem | None:
    return SenderSystem.objects.filter(authority=authority, is_standard=True).first()


@dataclass(frozen=True)
class LogQuery:
    """The message log's search: every field optional; the party number is matched exactly."""

    party_number: str = ""
    label: str = ""
    direction: str = ""
    state: str = ""
    accepted_from: date | None = None
    accepted_to: date | None = None


def visible_logged_messages(org: OrgAccess) -> QuerySet[Message]:
    """Every message of the organisation, sent or received: the log shows metadata, never content."""
    return Message.objects.filter(authority=org.authority)


def search_message_log(org: OrgAccess, query: LogQuery) -> QuerySet[Message]:
    found = visible_logged_messages(org)
    if query.party_number:
        found = found.filter(mailbox__owner__number=query.party_number)
    if query.label:
        found = found.filter(label__icontains=query.label)
    if query.direction:
        found = found.filter(direction=query.direction)
    if query.state:
        found = found.filter(state=query.state)
    if query.accepted_from is not None:
        found = found.filter(accepted_at__gte=_start_of(query.accepted_from))
    if query.accepted_to is not None:
        found = found.filter(accepted_at__lt=_start_of(query.accepted_to + timedelta(days=1)))
    return found.select_related("mailbox__owner", "sender_system", "thread__authority_mailbox").order_by(
        "-accepted_at", "-id"
    )


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def access_logged_message(org: OrgAccess, message_id: uuid.UUID) -> Message:
    found = (visible_logged_messages(org)
             .select_related("mailbox__owner", "sender_system", "thread__authority_mailbox")
             .filter(pk=message_id).first())
    if found is None:
        raise DigitalPostError(ErrorCode.MESSAGE_NOT_FOUND, str(message_id))
    return found


def may_read_content(org: OrgAccess, message: Message) -> bool:
    """Content is for the caseworkers of the conversation's mailbox; everyone else sees metadata only."""
    return (message.thread is not None and message.thread.authority_mailbox_id in org.mailbox_ids
            and org.may(Action.HANDLE_INQUIRIES))


def list_receipts(message: Message) -> QuerySet[Receipt]:
    return message.receipts.order_by("id")
