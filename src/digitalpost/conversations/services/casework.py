"""A caseworker handles a conversation in the portal: replies, assigns it to a colleague, marks it handled.

The reply goes through the same path as a secure-mail reply (services/replies.py), sent as the
organisation's standard sender system, so the reply the citizen gets is built and validated by the hub and
cannot lose its thread. Assigning and marking handled are recorded on the timeline of the conversation's
latest inquiry. Callers have already loaded the thread through `access_inquiry`, which proved the caseworker
handles its mailbox. Reading in the portal changes nothing: the citizen's read status is theirs alone.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from digitalpost.conversations.selectors import get_standard_sender_system, list_mailbox_caseworkers
from digitalpost.conversations.services.replies import Attachment, file_reply
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.lifecycle import EventKind
from digitalpost.core.roles import Actor
from digitalpost.messages.models import Message, Thread
from digitalpost.messages.services.events import append_event

PORTAL_CHANNEL = "portal"


def reply_to_inquiry(*, thread: Thread, text: str, attachments: Sequence[Attachment] = (), actor: Actor) -> Message:
    """File the caseworker's reply in the conversation and queue its delivery to the party's web mailbox."""
    if not text.strip():
        raise DigitalPostError(ErrorCode.REPLY_EMPTY)
    mailbox = thread.authority_mailbox
    size = len(text.encode()) + sum(len(content) for _, _, content in attachments)
    if size > mailbox.max_message_bytes:
        raise DigitalPostError(
            ErrorCode.MESSAGE_TOO_LARGE,
            f"{size} bytes; the mailbox {mailbox.name!r} allows {mailbox.max_message_bytes} bytes per message",
        )
    system = get_standard_sender_system(thread.authority)
    if system is None:
        raise DigitalPostError(ErrorCode.STANDARD_SENDER_SYSTEM_REQUIRED, thread.authority.name)
    if not system.is_active:
        raise DigitalPostError(ErrorCode.STANDARD_SENDER_SYSTEM_REQUIRED,
                               f"the standard sender system {system.name!r} is deactivated")
    subject = thread.subject if thread.subject.lower().startswith("sv:") else f"SV: {thread.subject}"
    return file_reply(thread=thread, system=system, subject=subject[:256], text=text, attachments=attachments,
                      channel=PORTAL_CHANNEL, actor=actor)


@transaction.atomic(durable=True)
def assign_inquiry(*, thread: Thread, assignee: User | None, actor: Actor) -> Thread:
    """Give the conversation to a caseworker of its mailbox (or to nobody); INQUIRY_ASSIGNED on its timeline."""
    if assignee is not None and assignee not in list_mailbox_caseworkers(thread.authority_mailbox):
        raise DigitalPostError(
            ErrorCode.USER_NOT_FOUND,
            f"{assignee.get_username()} is not a caseworker of the mailbox {thread.authority_mailbox.name!r}",
        )
    locked = Thread.objects.select_for_update(no_key=True).get(pk=thread.pk)
    locked.assigned_to = assignee
    locked.save(update_fields=["assigned_to"])
    _note(locked, EventKind.INQUIRY_ASSIGNED,
          {"to": assignee.get_username() if assignee is not None else None, "by": actor.label})
    return locked


@transaction.atomic(durable=True)
def mark_inquiry_handled(*, thread: Thread, handled: bool, actor: Actor) -> Thread:
    """Mark the conversation handled, or open it again; a new inquiry from the party also opens it."""
    locked = Thread.objects.select_for_update(no_key=True).get(pk=thread.pk)
    if (locked.handled_at is not None) == handled:
        return locked  # already so: nothing to record
    locked.handled_at = timezone.now() if handled else None
    locked.save(update_fields=["handled_at"])
    _note(locked, EventKind.INQUIRY_HANDLED, {"handled": handled, "by": actor.label})
    return locked


def _note(thread: Thread, kind: EventKind, data: dict[str, object]) -> None:
    """Append to the timeline of the conversation's latest inquiry (its row locked, so the chain never forks)."""
    latest = (Message.objects.select_for_update(no_key=True)
              .filter(thread=thread, direction=Message.Direction.TO_AUTHORITY)
              .order_by("-accepted_at", "-id").first())
    if latest is not None:
        append_event(latest, kind, at=timezone.now(), data=data)
