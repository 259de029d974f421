"""Reads of conversations: a party's threads (web mailbox), a caseworker's inquiries (portal), an operator's view.

`visible_threads` and `visible_inquiries` encode who may see which conversation; `access_thread` and
`access_inquiry` are the only doors to one. Not for: single messages outside a conversation (messages.selectors).
"""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Q, QuerySet, Subquery

from digitalpost.accounts.selectors import OrgAccess, list_members
from digitalpost.authorities.models import Authority, AuthorityMailbox
from digitalpost.conversations.fields import entered_fields
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.roles import Role
from digitalpost.hub.blobs import blob_store
from digitalpost.messages.models import Document, Message, Thread
from digitalpost.messages.selectors import MailboxViewer, in_chosen_folders, visible_messages
from digitalpost.messages.services.documents import received_bytes
from digitalpost.protocols import memo
from digitalpost.systems.models import SenderSystem


def visible_threads(viewer: MailboxViewer) -> QuerySet[Thread]:
    """The conversations of a signed-in citizen or company: only their own; for a holder of a power limited to
    chosen folders, only those with a message in them (and list_thread_messages shows only those messages)."""
    own = Thread.objects.filter(party_id=viewer.contact_id)
    if viewer.folders is None:
        return own
    return own.filter(pk__in=visible_messages(viewer).exclude(thread=None).values("thread_id"))


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
        .filter(own).filter(in_chosen_folders(viewer))
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
    return entered_fields(letter)


def list_mailbox_caseworkers(mailbox: AuthorityMailbox) -> list[User]:
    """The users who may be assigned a conversation of `mailbox`: its caseworkers."""
    members = list_members(mailbox.authority).filter(role=Role.CASEWORKER, mailboxes=mailbox)
    return sorted({m.user for m in members}, key=lambda user: user.get_username())


def get_standard_sender_system(authority: Authority) -> SenderSystem | None:
    return SenderSystem.objects.filter(authority=authority, is_standard=True).first()
