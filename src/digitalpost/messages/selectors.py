"""Reads of messages. `visible_messages*` encode who may see what; `access_*` are the only doors to one."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.db.models import F, Q, QuerySet, Subquery
from django.utils import timezone

from digitalpost.accounts.selectors import OrgAccess
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.roles import Action
from digitalpost.messages.models import Document, Event, Message, Receipt
from digitalpost.registry.models import Mailbox
from digitalpost.systems.models import SenderSystem

# A letter to a party that names who wrote it is a copy a citizen or company forwarded (messages.services.forwarding):
# authorities' letters never carry `written_by`. (Not `forwarded_from`, which empties when the original is deleted.)
FORWARDED_COPIES = Q(direction=Message.Direction.TO_PARTY) & ~Q(written_by="")


@dataclass(frozen=True)
class FolderScope:
    """The part of a mailbox a power of attorney limited to chosen folders opens: some of the owner's own folders,
    and Inbox and Sent if chosen (those are where a message lies that was never moved). Never Deleted."""

    folder_ids: frozenset[uuid.UUID] = frozenset()
    inbox: bool = False
    sent: bool = False


@dataclass(frozen=True)
class MailboxViewer:
    """A signed-in citizen or company: sees only what was delivered to its own mailbox. `folders` is set for a
    power-of-attorney holder whose power covers chosen folders only: they see those and nothing else."""

    contact_id: uuid.UUID
    folders: FolderScope | None = None


def in_chosen_folders(viewer: MailboxViewer) -> Q:
    """The viewer's folder limit as a filter on messages (everything, when there is none).

    Where a message lies is the filing app's placement (read through its reverse relation: filing sits above
    messages, and this is the one place that must know): no placement means its natural folder, Inbox for letters
    and Sent for what the owner wrote; a placement with a folder means that folder; one in Deleted is never chosen.
    """
    scope = viewer.folders
    if scope is None:
        return Q()
    chosen = Q(placement__folder_id__in=scope.folder_ids, placement__deleted_at=None) if scope.folder_ids else Q(
        pk__in=[])
    if scope.inbox:
        chosen |= Q(placement__isnull=True, direction=Message.Direction.TO_PARTY)
    if scope.sent:
        chosen |= Q(placement__isnull=True, direction=Message.Direction.TO_AUTHORITY)
    return chosen


def visible_messages(viewer: MailboxViewer) -> QuerySet[Message]:
    """Mail delivered to the viewer's own mailbox, and what the viewer wrote to authorities; for a holder of a power
    limited to chosen folders, only what lies in them. Every mailbox page, search, download and move starts here."""
    sent_or_delivered = Q(direction=Message.Direction.TO_AUTHORITY) | Q(state=Message.State.DELIVERED)
    # The viewer's one mailbox (owner is one-to-one) as a value the database reads first, not a join: the mailbox's
    # indexes then give a page in order and the database stops at its end (joined, PostgreSQL sorted every letter).
    own_mailbox = Subquery(Mailbox.objects.filter(owner_id=viewer.contact_id).values("pk"))
    return (Message.objects.filter(mailbox_id=own_mailbox, content_deleted_at=None)
            .filter(sent_or_delivered).filter(in_chosen_folders(viewer)))


def list_inbox(viewer: MailboxViewer) -> QuerySet[Message]:
    return visible_messages(viewer).filter(direction=Message.Direction.TO_PARTY).order_by("-delivered_at", "-id")


def list_needing_action(viewer: MailboxViewer, *, now: datetime) -> QuerySet[Message]:
    """Letters with an open action (core.actions.is_open): one whose deadline is still ahead, or one without a
    deadline in a letter not yet read. Soonest latest-deadline first, undated ones after."""
    dated_open = Q(actions_open_until__gt=now)
    undated_unread = Q(has_undated_action=True, read_at=None)
    return (list_inbox(viewer).filter(dated_open | undated_unread)
            .order_by(F("actions_open_until").asc(nulls_last=True), "-delivered_at", "-id"))


def list_archive(viewer: MailboxViewer) -> QuerySet[Message]:
    """Everything in the viewer's mailbox for "my data": letters received and what they wrote, oldest first."""
    return (visible_messages(viewer).select_related("authority", "thread__authority_mailbox")
            .prefetch_related("documents").order_by("accepted_at", "id"))


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
    """A sender system sees the messages of its own authority, whichever of its systems sent them (never the copies
    citizens forwarded to one another: who forwards what to whom is not the authority's business)."""
    return Message.objects.filter(authority_id=system.authority_id).exclude(FORWARDED_COPIES)


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


def find_accepted_digests(
    authority_id: uuid.UUID, message_uuids: list[uuid.UUID],
) -> dict[uuid.UUID, tuple[uuid.UUID, str]]:
    """`find_accepted_digest` for many messageUUIDs in one query (a mass send's group): found ones by messageUUID."""
    if not message_uuids:
        return {}
    table = Message._meta.db_table
    uuid_field = Message._meta.get_field("message_uuid")
    id_field = Message._meta.get_field("id")
    wanted = sorted(set(message_uuids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT message_uuid, id, memo_sha256 FROM {table} WHERE authority_id = %s "  # noqa: S608
            f"AND message_uuid IN ({', '.join(['%s'] * len(wanted))})",
            [Message._meta.get_field("authority").get_db_prep_value(authority_id, connection),
             *(uuid_field.get_db_prep_value(value, connection) for value in wanted)],
        )
        rows = cursor.fetchall()
    return {uuid_field.to_python(row[0]): (id_field.to_python(row[1]), str(row[2])) for row in rows}


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
    """Every message of the organisation, sent or received: the log shows metadata, never content. Copies that
    citizens forwarded to one another are theirs, not the organisation's."""
    return Message.objects.filter(authority=org.authority).exclude(FORWARDED_COPIES)


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
