"""Reads of a mailbox by folder, and search. Everything starts from messages.selectors.visible_messages, the one
rule for what a citizen or company sees, so no folder, move or search ever reaches another person's post."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.filing.models import Folder, SearchEntry
from digitalpost.messages.models import Message
from digitalpost.messages.selectors import MailboxViewer, list_needing_action, visible_messages

INBOX = "inbox"
SENT = "sent"
DELETED = "deleted"
BOXES = (INBOX, SENT, DELETED)
# A search word: letters and digits (any script); everything else separates words and is never passed on.
WORD = re.compile(r"\w+", re.UNICODE)
MAX_WORDS = 8


def list_folders(viewer: MailboxViewer) -> QuerySet[Folder]:
    """The viewer's own folders; for a holder of a power limited to folders, the chosen ones."""
    own = Folder.objects.filter(owner_id=viewer.contact_id).order_by("name")
    return own if viewer.folders is None else own.filter(pk__in=viewer.folders.folder_ids)


def access_folder(viewer: MailboxViewer, folder_id: uuid.UUID | str) -> Folder:
    """One of the viewer's own folders; "not found" for anyone else's, as for a message (and for a folder-limited
    holder, for the grantor's folders not chosen)."""
    try:
        wanted = uuid.UUID(str(folder_id))
    except ValueError:
        raise DigitalPostError(ErrorCode.MESSAGE_NOT_FOUND, "folder") from None
    found = list_folders(viewer).filter(pk=wanted).first()
    if found is None:
        raise DigitalPostError(ErrorCode.MESSAGE_NOT_FOUND, "folder")
    return found


def box_in_view(viewer: MailboxViewer, box: str) -> bool:
    """Whether Inbox, Sent or Deleted is the viewer's to see: always in one's own mailbox; for a folder-limited
    holder Inbox and Sent when chosen, Deleted never."""
    scope = viewer.folders
    if scope is None:
        return box in BOXES
    return (box == INBOX and scope.inbox) or (box == SENT and scope.sent)


def boxes_in_view(viewer: MailboxViewer) -> dict[str, bool]:
    """box_in_view for each of Inbox, Sent and Deleted (what the folder list and the move menus offer)."""
    return {box: box_in_view(viewer, box) for box in BOXES}


def list_box(viewer: MailboxViewer, box: str) -> QuerySet[Message]:
    """Inbox (letters not moved), Sent (what the person wrote, not moved) or Deleted, newest first. A box outside
    a folder-limited holder's power is "not found", as another person's folder is."""
    if not box_in_view(viewer, box):
        raise DigitalPostError(ErrorCode.MESSAGE_NOT_FOUND, "folder")
    visible = visible_messages(viewer)
    if box == INBOX:
        # state=DELIVERED repeats what visible_messages says for letters, so the database sees it matches the
        # partial index "mailbox_letters" and reads the list and its counts from the index alone.
        return (visible.filter(direction=Message.Direction.TO_PARTY, state=Message.State.DELIVERED,
                               placement__isnull=True).order_by("-delivered_at", "-id"))
    if box == SENT:
        return (visible.filter(direction=Message.Direction.TO_AUTHORITY, placement__isnull=True)
                .order_by("-accepted_at", "-id"))
    if box == DELETED:
        return visible.filter(placement__deleted_at__isnull=False).order_by("-placement__deleted_at", "-id")
    raise DigitalPostError(ErrorCode.MESSAGE_NOT_FOUND, "folder")


def list_folder(viewer: MailboxViewer, folder: Folder) -> QuerySet[Message]:
    # The folder is the viewer's own (access_folder), and visible_messages holds the messages to the viewer too.
    return visible_messages(viewer).filter(placement__folder=folder).order_by("-accepted_at", "-id")


def count_unread(viewer: MailboxViewer) -> int:
    return list_box(viewer, INBOX).filter(read_at=None).count() if box_in_view(viewer, INBOX) else 0


@dataclass(frozen=True)
class InboxCounts:
    total: int
    unread: int


def count_inbox(viewer: MailboxViewer) -> InboxCounts:
    """The inbox's size and its unread letters in one pass over the mailbox's index (the page's count and badge)."""
    counts = list_box(viewer, INBOX).aggregate(total=Count("pk"), unread=Count("pk", filter=Q(read_at=None)))
    return InboxCounts(total=counts["total"], unread=counts["unread"])


def list_needing_action_not_deleted(viewer: MailboxViewer, *, now: datetime) -> QuerySet[Message]:
    """The "needs action" list without what the person deleted."""
    return list_needing_action(viewer, now=now).exclude(placement__deleted_at__isnull=False)


@dataclass(frozen=True)
class SearchQuery:
    """A search of one's own mailbox (Deleted left out). Every part optional; `text` matches whole words and
    word beginnings in sender, subject, text and attachment names."""

    text: str = ""
    sender: str = ""
    received_from: date | None = None
    received_to: date | None = None
    unread: bool = False
    needs_action: bool = False

    @property
    def words(self) -> list[str]:
        return WORD.findall(self.text)[:MAX_WORDS]

    @property
    def is_empty(self) -> bool:
        return not (self.words or self.sender or self.received_from or self.received_to or self.unread
                    or self.needs_action)


def list_senders(viewer: MailboxViewer) -> list[str]:
    """The senders of the viewer's letters, for the search's sender filter."""
    return sorted(set(visible_messages(viewer).filter(direction=Message.Direction.TO_PARTY)
                      .values_list("sender_label", flat=True).distinct()[:200]))


def search(viewer: MailboxViewer, query: SearchQuery, *, now: datetime | None = None) -> QuerySet[Message]:
    found = visible_messages(viewer).exclude(placement__deleted_at__isnull=False)
    words = query.words
    if words:
        # The matches first (the person's own, found inside the full-text index), then the visible rows among them.
        found = found.filter(id__in=_full_text_matches(viewer.contact_id, words))
    if query.sender:
        found = found.filter(sender_label=query.sender)
    if query.received_from is not None:
        found = found.filter(accepted_at__gte=_start_of(query.received_from))
    if query.received_to is not None:
        found = found.filter(accepted_at__lt=_start_of(query.received_to + timedelta(days=1)))
    if query.unread:
        found = found.filter(direction=Message.Direction.TO_PARTY, read_at=None)
    if query.needs_action:
        moment = now or timezone.now()
        found = found.filter(direction=Message.Direction.TO_PARTY).filter(
            Q(actions_open_until__gt=moment) | Q(has_undated_action=True, read_at=None))
    return found.order_by("-accepted_at", "-id")


def _full_text_matches(owner_id: uuid.UUID, words: list[str]) -> RawSQL | list[uuid.UUID]:
    """The ids of the owner's messages whose entry holds every word (as a word or a word's beginning), found in
    the database's full-text index. Only \\w+ words get here, and they travel as parameters.

    Both planners walk the person's mailbox and test each message against the matches (decision 0010). SQLite
    gets them as a subquery it reads once into a lookup table; PostgreSQL as a list of ids, which it tests by hash
    on the mailbox's index — a subquery it would join by looking up each of the mailbox's messages in the index."""
    if connection.vendor == "postgresql":
        tsquery = " & ".join(f"{word}:*" for word in words)
        # The person's entries first, then the words among them: with a prefix term (every word is one), the GIN
        # index reads the term's entries of every mailbox (~50,000 for a common word in a million messages, 260 ms
        # measured), where one person's few thousand entries are tested in a few ms.
        sql = ("WITH own AS MATERIALIZED (SELECT message_id, document FROM filing_searchentry WHERE owner_id = %s) "
               "SELECT message_id FROM own WHERE document @@ to_tsquery('danish'::regconfig, %s)")
        id_field = SearchEntry._meta.get_field("message")
        with connection.cursor() as cursor:
            cursor.execute(sql, [owner_id, tsquery])
            return [id_field.to_python(row[0]) for row in cursor.fetchall()]
    if connection.vendor == "sqlite":
        terms = " AND ".join(f'"{word}"*' for word in words)
        sql = ("SELECT e.message_id FROM filing_search f JOIN filing_searchentry e ON e.id = f.rowid "
               "WHERE filing_search MATCH %s")
        params: list[Any] = [f'owner_key:"{owner_id.hex}" AND {{sender label body attachments}}: ({terms})']
        return RawSQL(sql, params)  # noqa: S611 - fixed SQL, the words only as parameters
    raise NotImplementedError(f"no full-text search on {connection.vendor}")


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())
