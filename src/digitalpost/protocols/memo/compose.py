"""Conveniences for producers of MeMo messages (tests, demo data, a caseworker's reply form) and readers.

`simple_message` makes a valid letter from a few values; `iter_files` walks every file of a message in
document order with its `where` path. Not for: anything a full producer needs beyond the common case —
build the model classes directly for that.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from digitalpost.protocols.memo.model import (
    AdditionalDocument,
    File,
    MainDocument,
    Message,
    MessageBody,
    MessageHeader,
    Recipient,
    Sender,
)
from digitalpost.protocols.memo.spec import MemoVersion, MessageType

MEMO_SCH_VERSION_1_1 = "1.1.0"


def simple_message(
    *,
    sender_cvr: str,
    sender_label: str,
    recipient_id: str,
    recipient_id_type: str = "CPR",
    label: str,
    files: Sequence[tuple[str, str, bytes]],
    created: datetime,
    message_uuid: str | None = None,
    version: MemoVersion | str = MemoVersion.V1_2,
    language: str = "da",
    **header_options: Any,
) -> Message:
    """A letter from an authority (CVR) to one recipient.

    `files` are (filename, media type, content): the first is the main document, each further file an
    attachment (an AdditionalDocument labelled with its file name). No files gives a message without a body
    (for NEMSMS, pass message_type=MessageType.NEMSMS and a notification). `header_options` are further
    MessageHeader fields (notification, reply, do_not_deliver_until_date, ...). `created` is a parameter
    rather than the clock, so callers decide the time.
    """
    version = MemoVersion(version)
    defaults: dict[str, Any] = {"message_type": MessageType.DIGITALPOST}
    if version is MemoVersion.V1_1:
        defaults |= {"mandatory": False, "legal_notification": False}
    header = MessageHeader(
        **(defaults | header_options),
        message_uuid=message_uuid if message_uuid is not None else str(uuid.uuid4()),
        label=label,
        sender=Sender(sender_id=sender_cvr, id_type="CVR", label=sender_label),
        recipient=Recipient(recipient_id=recipient_id, id_type=recipient_id_type),
    )
    body = None
    if files:
        made = [
            File(encoding_format=media_type, filename=filename, language=language, content=content)
            for filename, media_type, content in files
        ]
        body = MessageBody(
            created_date_time=created,
            main_document=MainDocument(files=(made[0],)),
            additional_documents=tuple(AdditionalDocument(label=f.filename, files=(f,)) for f in made[1:]),
        )
    sch_version = MEMO_SCH_VERSION_1_1 if version is MemoVersion.V1_1 else None
    return Message(version=version, memo_sch_version=sch_version, header=header, body=body)


def iter_files(message: Message) -> Iterator[tuple[str, str, File]]:
    """(where, role, file) for every file in document order; role is "main", "additional" or "technical"."""
    body = message.body
    if body is None:
        return
    base = "/Message/MessageBody"
    for index, file in enumerate(body.main_document.files, start=1):
        yield f"{base}/MainDocument/File[{index}]", "main", file
    for number, additional in enumerate(body.additional_documents, start=1):
        for index, file in enumerate(additional.files, start=1):
            yield f"{base}/AdditionalDocument[{number}]/File[{index}]", "additional", file
    for number, technical in enumerate(body.technical_documents, start=1):
        for index, file in enumerate(technical.files, start=1):
            yield f"{base}/TechnicalDocument[{number}]/File[{index}]", "technical", file
