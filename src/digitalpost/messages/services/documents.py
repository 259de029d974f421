"""Moving an accepted MeMo and its documents into the blob store.

Ingest keeps small MeMos in the message row (one commit for many messages); the worker calls
`prepare_documents` before delivery, outside any transaction, and the delivery transaction then records the
documents and empties the row. Run twice, it writes the same content-addressed blobs again: harmless.
Acceptance records where each file lies in the MeMo's bytes (`document_parts`), so the worker decodes the files
without parsing the MeMo again; a message without that record (accepted by an older version) is parsed.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from digitalpost.blobstore import BlobStore
from digitalpost.messages.models import Document, Message
from digitalpost.protocols import memo
from digitalpost.protocols.mail import EncodedContent, FileContent

log = logging.getLogger(__name__)


def document_labels(message: memo.Message) -> dict[str, str]:
    """The label of the document each file belongs to, keyed by the file's path as iter_files names it."""
    if message.body is None:
        return {}
    documents = {"/Message/MessageBody/MainDocument": message.body.main_document.label}
    for number, doc in enumerate(message.body.additional_documents, start=1):
        documents[f"/Message/MessageBody/AdditionalDocument[{number}]"] = doc.label
    for number, tech in enumerate(message.body.technical_documents, start=1):
        documents[f"/Message/MessageBody/TechnicalDocument[{number}]"] = tech.label
    return {where: documents.get(where.rsplit("/", 1)[0]) or "" for where, _, _ in memo.iter_files(message)}


def received_bytes(message: Message, store: BlobStore) -> bytes:
    """The MeMo exactly as accepted: from its row while it waits there, else from the blob store."""
    return bytes(message.pending_memo) if message.pending_memo is not None else store.read(message.memo_blob)


@dataclass(frozen=True, slots=True)
class DocumentFile:
    """One file of a MeMo, read out of it: what its Document row says, and its bytes."""

    position: int
    role: str
    label: str
    filename: str
    media_type: str
    language: str
    content: bytes


def read_files(raw: bytes) -> list[DocumentFile]:
    """The MeMo's files in order (parse, base64 decoding): CPU only, no store, so it can run in another process."""
    parsed = memo.parse(raw, max_bytes=settings.DIGITALPOST_MAX_MEMO_BYTES)
    labels = document_labels(parsed)
    return [DocumentFile(position=position, role=role, label=labels.get(where, ""), filename=file.filename,
                         media_type=file.encoding_format, language=file.language, content=file.content)
            for position, (where, role, file) in enumerate(memo.iter_files(parsed), start=1)]


def document_parts(message: memo.Message, raw: bytes, *, copyable: bool = False) -> list[dict[str, Any]] | None:
    """What delivery needs of each file of `message` (parsed from `raw`), for `Message.document_parts`.

    Per file in order: `at`, the span of its base64 text in `raw` (memo.content_spans, each one checked to decode
    to the parsed content), its size and what its Document row says. None when a span cannot be shown.
    `copyable` (an inquiry, which is forwarded as mail): also `sha256`, the content's, for each file whose text
    is exactly its canonical base64 (one line, as memo.build writes it), so the forward copies that text into
    the mail without decoding it (`encoded_files_of`). Not for ingest: it costs an encoding and a hash per file.
    """
    spans = memo.content_spans(raw, message)
    if spans is None:
        return None
    labels = document_labels(message)
    parts: list[dict[str, Any]] = []
    for (start, end), (where, role, file) in zip(spans, memo.iter_files(message), strict=True):
        part = {"at": [start, end], "size": len(file.content), "role": role, "label": labels.get(where, ""),
                "filename": file.filename, "media_type": file.encoding_format, "language": file.language}
        if copyable and raw[start:end] == base64.b64encode(file.content):
            part["sha256"] = hashlib.sha256(file.content).hexdigest()
        parts.append(part)
    return parts


def files_of(raw: bytes, parts: list[dict[str, Any]] | None) -> list[DocumentFile]:
    """The files of the accepted MeMo `raw`: decoded at the spans acceptance recorded (`parts`, the message's
    `document_parts`), else by parsing it."""
    if parts is None:
        return read_files(raw)
    files = []
    for position, part in enumerate(parts, start=1):
        start, end = part["at"]
        content = memo.decode_span(raw, (start, end))
        if len(content) != part["size"]:  # never expected: the spans were checked against these very bytes
            log.warning("recorded document parts do not fit their MeMo (%s bytes); parsing it", len(raw))
            return read_files(raw)
        files.append(DocumentFile(position=position, role=part["role"], label=part["label"],
                                  filename=part["filename"], media_type=part["media_type"],
                                  language=part["language"], content=content))
    return files


def encoded_files_of(raw: bytes, parts: list[dict[str, Any]] | None) -> list[tuple[str, str, FileContent]]:
    """(filename, media type, content) of the accepted MeMo `raw`'s files, for a mail: the content as its base64
    text where `parts` (recorded with `copyable`) says that text is canonical, else decoded (`files_of`)."""
    if parts is None or not all("sha256" in part for part in parts):
        return [(f.filename, f.media_type, f.content) for f in files_of(raw, parts)]
    files: list[tuple[str, str, FileContent]] = []
    for part in parts:
        start, end = part["at"]
        if end - start != 4 * -(-part["size"] // 3):  # never expected: the text was checked against these bytes
            log.warning("recorded document parts do not fit their MeMo (%s bytes); parsing it", len(raw))
            return [(f.filename, f.media_type, f.content) for f in read_files(raw)]
        files.append((part["filename"], part["media_type"],
                      EncodedContent(text=raw[start:end], size=part["size"], sha256=part["sha256"])))
    return files


def store_documents(message: Message, raw: bytes, files: list[DocumentFile], store: BlobStore) -> list[Document]:
    """Store the MeMo and its files (read_files of `raw`) as blobs; the unsaved Document rows."""
    store.put(raw)
    return [
        Document(message=message, position=file.position, role=file.role, label=file.label, filename=file.filename,
                 media_type=file.media_type, language=file.language, size=len(file.content),
                 blob=store.put(file.content).key)
        for file in files
    ]


def documents_stored(message: Message) -> bool:
    """Whether `prepare_documents` was done before and recorded (nothing is left to store)."""
    return message.pending_memo is None and message.documents.exists()


def prepare_documents(message: Message, store: BlobStore) -> list[Document] | None:
    """Store the MeMo and its documents as blobs; the unsaved Document rows, or None when already done."""
    if documents_stored(message):
        return None
    raw = received_bytes(message, store)
    return store_documents(message, raw, files_of(raw, message.document_parts), store)
