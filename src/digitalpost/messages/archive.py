"""'My data': everything in a person's mailbox as one zip, written as it is sent (never whole in memory).

The archive holds every document under `documents/`, `index.json` (each message's metadata, its actions and
where its documents are in the zip) and `index.html` (the same for reading, with links to the documents and no
script). `zipfile` writes into a pipe that the response drains after every few writes; documents are copied from
the blob store in chunks, so memory use stays flat whatever the mailbox holds. Reads only: nothing is changed.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Sum
from django.template.loader import render_to_string
from django.utils import translation

from digitalpost.hub.blobs import blob_store
from digitalpost.messages.models import Document, Message
from digitalpost.messages.selectors import MailboxViewer, list_archive

CHUNK = 64 * 1024
UNSAFE_NAME = re.compile(r'[\x00-\x1f<>:"/\\|?*]+')


@dataclass(frozen=True)
class ArchiveSummary:
    """What the archive will hold, shown before the download starts."""

    messages: int
    documents: int
    document_bytes: int


def summarise_archive(viewer: MailboxViewer) -> ArchiveSummary:
    found = list_archive(viewer).order_by().aggregate(message_count=Count("id", distinct=True),
                                                       document_count=Count("documents"),
                                                       document_bytes=Sum("documents__size"))
    return ArchiveSummary(messages=found["message_count"], documents=found["document_count"],
                          document_bytes=found["document_bytes"] or 0)


class _Pipe:
    """A write-only file for zipfile: collects what is written until the response takes it (unseekable, so
    zipfile writes data descriptors and never goes back)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def take(self) -> bytes:
        data, self.parts = b"".join(self.parts), []
        return data


def _folder(message: Message) -> str:
    # The whole id: its first characters are not unique (time-ordered ids share them for a minute, decision 0026).
    return f"documents/{message.accepted_at:%Y-%m-%d}_{message.pk}"


def document_path(message: Message, document: Document) -> str:
    name = UNSAFE_NAME.sub("_", document.filename).strip(". ") or "document"
    return f"{_folder(message)}/{document.position:02d}-{name}"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _entry(message: Message) -> dict[str, Any]:
    return {
        "id": str(message.pk),
        "direction": "received" if message.direction == Message.Direction.TO_PARTY else "sent",
        "from": message.sender_label if message.direction == Message.Direction.TO_PARTY else None,
        "to": (message.thread.authority_mailbox.name if message.thread is not None else message.authority.name)
        if message.direction == Message.Direction.TO_AUTHORITY else None,
        "authority": message.authority.name, "label": message.label, "type": message.message_type,
        "acceptedAt": _iso(message.accepted_at), "deliveredAt": _iso(message.delivered_at),
        "readAt": _iso(message.read_at), "mandatory": message.is_mandatory,
        "legalNotification": message.is_legal_notification, "legallyNotifiedAt": _iso(message.legally_notified_at),
        "answerBy": _iso(message.answer_by), "conversation": str(message.thread_id) if message.thread_id else None,
        "actions": message.actions,
        "documents": [
            {"path": document_path(message, d), "filename": d.filename, "label": d.label, "role": d.role,
             "mediaType": d.media_type, "language": d.language, "size": d.size, "sha256": d.blob}
            for d in message.documents.all()
        ],
    }


def stream_archive(viewer: MailboxViewer, *, owner_name: str, now: datetime, language: str) -> Iterator[bytes]:
    """The zip's bytes, in pieces, as they are written; index.html in `language` (the page's, when it is sent:
    the pieces are made after the view has returned)."""
    pipe = _Pipe()
    store = blob_store()
    entries: list[dict[str, Any]] = []
    with zipfile.ZipFile(pipe, mode="w", compression=zipfile.ZIP_DEFLATED) as archive:
        for message in list_archive(viewer).iterator(chunk_size=200):
            entry = _entry(message)
            entries.append(entry)
            for document, listed in zip(message.documents.all(), entry["documents"], strict=True):
                info = zipfile.ZipInfo(listed["path"], date_time=message.accepted_at.timetuple()[:6])
                info.compress_type = zipfile.ZIP_DEFLATED
                info.file_size = document.size  # lets zipfile choose ZIP64 up front for a large document
                with store.open(document.blob) as source, archive.open(info, mode="w") as target:
                    while block := source.read(CHUNK):
                        target.write(block)
                        yield pipe.take()
            yield pipe.take()
        index = {"owner": owner_name, "createdAt": now.isoformat(), "messages": entries}
        archive.writestr("index.json", json.dumps(index, ensure_ascii=False, indent=2))
        with translation.override(language):
            archive.writestr("index.html", render_to_string("messages/archive_index.html", index))
    yield pipe.take()
