"""A person's own folders, and moving and marking messages. Only the mailbox's own messages are ever touched:
every write starts from the viewer's visible messages (messages.selectors.visible_messages).

A holder of a power limited to chosen folders arranges nothing beyond them: they make, rename and remove no
folders, delete nothing (Deleted is never theirs to see), and move only between the folders they were given."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.lifecycle import EventKind
from digitalpost.filing.models import Folder, Placement
from digitalpost.filing.selectors import DELETED, INBOX, access_folder
from digitalpost.messages.models import Message
from digitalpost.messages.selectors import MailboxViewer, visible_messages
from digitalpost.messages.services.events import append_event

MAX_NAME = 80
# A bulk action touches at most this many messages (a page of the list, with room to spare).
MAX_BULK = 200


def _clean_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned or len(cleaned) > MAX_NAME:
        raise DigitalPostError(ErrorCode.FOLDER_NAME_INVALID, f"1 to {MAX_NAME} characters")
    return cleaned


def _taken(viewer: MailboxViewer, name: str, *, other_than: uuid.UUID | None = None) -> bool:
    same = Folder.objects.filter(owner_id=viewer.contact_id, name__iexact=name)
    return (same.exclude(pk=other_than) if other_than is not None else same).exists()


def _refuse_folder_limited(viewer: MailboxViewer) -> None:
    """The folders are the owner's to arrange: a folder-limited holder would make or remove folders beyond them."""
    if viewer.folders is not None:
        raise DigitalPostError(ErrorCode.ATTORNEY_OUTSIDE_FOLDERS, "the folders themselves")


@transaction.atomic(durable=True)
def create_folder(*, viewer: MailboxViewer, name: str, now: datetime | None = None) -> Folder:
    _refuse_folder_limited(viewer)
    cleaned = _clean_name(name)
    if _taken(viewer, cleaned):
        raise DigitalPostError(ErrorCode.FOLDER_NAME_TAKEN, cleaned)
    try:
        with transaction.atomic():
            return Folder.objects.create(owner_id=viewer.contact_id, name=cleaned, created_at=now or timezone.now())
    except IntegrityError:  # the same name at the same moment, from another tab
        raise DigitalPostError(ErrorCode.FOLDER_NAME_TAKEN, cleaned) from None


@transaction.atomic(durable=True)
def rename_folder(*, viewer: MailboxViewer, folder_id: uuid.UUID, name: str) -> Folder:
    folder = access_folder(viewer, folder_id)
    _refuse_folder_limited(viewer)
    cleaned = _clean_name(name)
    if _taken(viewer, cleaned, other_than=folder.pk):
        raise DigitalPostError(ErrorCode.FOLDER_NAME_TAKEN, cleaned)
    folder.name = cleaned
    folder.save(update_fields=["name"])
    return folder


@transaction.atomic(durable=True)
def delete_folder(*, viewer: MailboxViewer, folder_id: uuid.UUID) -> int:
    """Remove the folder; its messages go back where they came from (Inbox or Sent). Nothing is deleted."""
    folder = access_folder(viewer, folder_id)
    _refuse_folder_limited(viewer)
    returned, _ = Placement.objects.filter(folder=folder).delete()
    folder.delete()
    return returned


def _own(viewer: MailboxViewer, message_ids: Iterable[uuid.UUID | str]) -> list[uuid.UUID]:
    wanted = []
    for raw in list(message_ids)[:MAX_BULK]:
        try:
            wanted.append(uuid.UUID(str(raw)))
        except ValueError:
            continue
    return list(visible_messages(viewer).filter(pk__in=wanted).values_list("pk", flat=True))


@transaction.atomic(durable=True)
def move_messages(*, viewer: MailboxViewer, message_ids: Iterable[uuid.UUID | str], target: str,
                  now: datetime | None = None) -> int:
    """Move the viewer's messages to `target`: "inbox" (back where they came from: Inbox, or Sent for what the
    person wrote), "deleted", or the id of one of the viewer's folders. Ids not the viewer's are ignored.

    A folder-limited holder moves only into what their power covers: a chosen folder (access_folder finds no
    other), or back to Inbox and Sent when those are chosen; never to Deleted. Otherwise nothing moves."""
    moment = now or timezone.now()
    folder = None if target in (INBOX, DELETED) else access_folder(viewer, target)
    ids = _own(viewer, message_ids)
    _check_target_in_scope(viewer, target, ids)
    if target == INBOX:
        Placement.objects.filter(message_id__in=ids).delete()
        return len(ids)
    existing = set(Placement.objects.filter(message_id__in=ids).values_list("message_id", flat=True))
    deleted_at = moment if target == DELETED else None
    Placement.objects.filter(message_id__in=existing).update(folder=folder, deleted_at=deleted_at, moved_at=moment)
    Placement.objects.bulk_create(
        Placement(message_id=pk, owner_id=viewer.contact_id, folder=folder, deleted_at=deleted_at, moved_at=moment)
        for pk in ids if pk not in existing
    )
    return len(ids)


def _check_target_in_scope(viewer: MailboxViewer, target: str, ids: list[uuid.UUID]) -> None:
    scope = viewer.folders
    if scope is None or target not in (INBOX, DELETED):
        return  # one's own mailbox; or a folder, which access_folder found among the chosen ones
    if target == DELETED:
        raise DigitalPostError(ErrorCode.ATTORNEY_OUTSIDE_FOLDERS, "Deleted")
    # "Back where it came from" is Inbox for a letter and Sent for what the owner wrote: both must be chosen.
    directions = set(Message.objects.filter(pk__in=ids).values_list("direction", flat=True))
    if (Message.Direction.TO_PARTY in directions and not scope.inbox) or (
            Message.Direction.TO_AUTHORITY in directions and not scope.sent):
        raise DigitalPostError(ErrorCode.ATTORNEY_OUTSIDE_FOLDERS, "Inbox or Sent")


@transaction.atomic(durable=True)
def mark_messages(*, viewer: MailboxViewer, message_ids: Iterable[uuid.UUID | str], read: bool,
                  now: datetime | None = None) -> int:
    """Mark letters read or unread. Marking read tells the sender once (MESSAGE_READ), as opening does; marking
    unread changes only the mark. Neither is a legal notification: that takes opening the letter."""
    moment = now or timezone.now()
    ids = _own(viewer, message_ids)
    letters = Message.objects.filter(pk__in=ids, direction=Message.Direction.TO_PARTY)
    if not read:
        return letters.exclude(read_at=None).update(read_at=None)
    marked = 0
    for message in letters.filter(read_at=None).select_for_update(no_key=True).order_by("pk"):
        message.read_at = moment
        message.save(update_fields=["read_at"])
        if not message.events.filter(kind=EventKind.MESSAGE_READ).exists():
            append_event(message, EventKind.MESSAGE_READ, at=moment, data={"marked": True})
        marked += 1
    return marked
