"""Keeping the search index in step: every service that files a message into a mailbox calls `index_message`.

The words are gathered outside any transaction (`search_text`, which may read a text document from the blob
store); `index_message` writes the entry inside the filing transaction, and the database updates its own
full-text index from the row (migration 0002). Filed today: letters delivered to the web mailbox
(delivery.channels.web_mailbox) and what a person writes (conversations.services.inquiries).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from digitalpost.blobstore import BlobStore
from digitalpost.filing.models import SearchEntry
from digitalpost.hub.queries import PreparedIn, PreparedSelect
from digitalpost.hub.rows import PreparedRows, insert_many
from digitalpost.messages.models import Document, Message
from digitalpost.registry.models import Mailbox

# Enough of a letter's text to find it by; the rest adds size to the index, not findability.
MAX_BODY_CHARS = 20_000


@dataclass(frozen=True)
class SearchText:
    sender: str
    label: str
    body: str
    attachments: str


def search_text(*, sender: str, label: str, documents: Iterable[Document], store: BlobStore | None = None,
                body: str | None = None) -> SearchText:
    """The words of a message: the main document's text when it is plain text, and every file name."""
    documents = list(documents)
    if body is None:
        body = ""
        main = next((d for d in documents if d.role == Document.Role.MAIN), None)
        if main is not None and main.media_type == "text/plain" and store is not None:
            body = store.read(main.blob)[: MAX_BODY_CHARS * 4].decode("utf-8", errors="replace")
    return SearchText(sender=sender[:256], label=label[:256], body=body[:MAX_BODY_CHARS],
                      attachments=" ".join(d.filename for d in documents))


def index_message(message: Message, text: SearchText) -> None:
    """Write (or rewrite) the message's entry, in the caller's transaction."""
    index_messages([(message, text)])


# The owners of a batch's mailboxes, compiled once per database and batch length (decision 0025).
_OWNERS = PreparedIn(lambda ids: PreparedSelect(Mailbox.objects.filter(pk__in=ids).values_list("pk", "owner_id")),
                     ids=Mailbox._meta.pk)
_ENTRY_FIELDS = ["owner_id", "owner_key", "sender", "label", "body", "attachments"]


def index_messages(entries: Iterable[tuple[Message, SearchText]]) -> None:
    """Write (or rewrite) the entries of many messages with one statement, in the caller's transaction."""
    write_search_rows(search_rows(entries))


def search_rows(entries: Iterable[tuple[Message, SearchText]]) -> PreparedRows[SearchEntry]:
    """The search entries of many messages, ready to write: built before the transaction that files them (a
    delivery batch holds the database's writer lock only for the SQL), written by `write_search_rows`."""
    entries = list(entries)
    owners = dict(_OWNERS.rows(ids=list({message.mailbox_id for message, _ in entries})))
    rows = []
    for message, text in entries:
        owner_id = owners[message.mailbox_id]
        rows.append(SearchEntry(message=message, owner_id=owner_id, owner_key=owner_id.hex, sender=text.sender,
                                label=text.label, body=text.body, attachments=text.attachments))
    return PreparedRows(rows)


def write_search_rows(rows: PreparedRows[SearchEntry]) -> None:
    """Write (or rewrite: one entry per message) the prepared entries with one statement, in the caller's
    transaction."""
    if rows:
        insert_many(rows, update_conflicts=(["message"], _ENTRY_FIELDS))
