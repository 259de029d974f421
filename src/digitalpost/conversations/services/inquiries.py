"""A citizen or company writes to an authority mailbox: the message opens a dialog thread.

The inquiry is stored as a MeMo the hub builds itself (sender CPR/CVR, recipient the authority with the
mailbox as contact point, citizen-entered fields as AdditionalContentData), so every receiver system —
secure mail, REST push, REST pull — forwards the same validated message.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from digitalpost.authorities.models import AuthorityMailbox
from digitalpost.conversations.fields import METADATA_DATA_TYPE, TOPIC_DATA_TYPE, entered_fields
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.lifecycle import EventKind
from digitalpost.core.parties import PartyKind
from digitalpost.core.policy import check_may_write
from digitalpost.filing.services.indexing import index_message, search_text
from digitalpost.hub.blobs import blob_store
from digitalpost.messages.models import Document, Message, Thread
from digitalpost.messages.services.documents import document_parts
from digitalpost.messages.services.events import append_event
from digitalpost.outbox.models import WorkKind
from digitalpost.outbox.services import enqueue
from digitalpost.protocols import memo
from digitalpost.registry.models import Contact

CITIZEN_RULES = memo.ServiceRules(max_attachments=10)
TEXT_FILENAME = "henvendelse.txt"


@dataclass(frozen=True)
class Inquiry:
    subject: str
    text: str
    topic: str = ""
    metadata: tuple[tuple[str, str], ...] = ()
    attachments: Sequence[tuple[str, str, bytes]] = ()


def _check_inquiry(party: Contact, mailbox: AuthorityMailbox, inquiry: Inquiry) -> None:
    check_may_write(PartyKind(party.kind), PartyKind.AUTHORITY)
    if not mailbox.is_open:
        raise DigitalPostError(ErrorCode.MAILBOX_CLOSED, mailbox.name)
    topics = [t.name for t in mailbox.topics.all()]
    if topics and inquiry.topic not in topics:
        raise DigitalPostError(ErrorCode.TOPIC_REQUIRED, ", ".join(topics))
    given = dict(inquiry.metadata)
    missing = [f.label for f in mailbox.metadata_fields.all() if f.is_required and not given.get(f.label, "").strip()]
    if missing:
        raise DigitalPostError(ErrorCode.METADATA_MISSING, ", ".join(missing))
    _check_size(mailbox, inquiry)


def _check_size(mailbox: AuthorityMailbox, inquiry: Inquiry) -> None:
    size = len(inquiry.text.encode()) + sum(len(content) for _, _, content in inquiry.attachments)
    if size > mailbox.max_message_bytes:
        raise DigitalPostError(ErrorCode.MESSAGE_TOO_LARGE, f"{size} bytes, mailbox allows {mailbox.max_message_bytes}")


def build_inquiry_memo(
    party: Contact, mailbox: AuthorityMailbox, inquiry: Inquiry, *, message_uuid: str
) -> memo.Message:
    now = timezone.now()
    files = [(TEXT_FILENAME, "text/plain", inquiry.text.encode()), *inquiry.attachments]
    base = memo.simple_message(
        sender_cvr=party.number, sender_label=party.name, recipient_id=mailbox.authority.cvr,
        recipient_id_type="CVR", label=inquiry.subject, files=files, created=now, message_uuid=message_uuid,
    )
    content = [memo.AdditionalContentData(content_data_type=METADATA_DATA_TYPE, content_data_name=label,
                                          content_data_value=value) for label, value in inquiry.metadata]
    if inquiry.topic:
        content.insert(0, memo.AdditionalContentData(content_data_type=TOPIC_DATA_TYPE, content_data_name="Emne",
                                                     content_data_value=inquiry.topic))
    id_type = "CPR" if party.kind == Contact.Kind.CITIZEN else "CVR"
    header = replace(
        base.header,
        sender=memo.Sender(sender_id=party.number, id_type=id_type, label=party.name),
        recipient=memo.Recipient(
            recipient_id=mailbox.authority.cvr, id_type="CVR", label=mailbox.authority.name,
            contact_point=memo.ContactPoint(contact_point_id=str(mailbox.pk), label=mailbox.name),
        ),
        content_data=memo.ContentData(additional_content_data=tuple(content)) if content else None,
    )
    return replace(base, header=header)


def send_inquiry(*, party: Contact, mailbox: AuthorityMailbox, inquiry: Inquiry, written_by: str = "") -> Message:
    """Validate and store a new inquiry, open its thread, and queue forwarding to the mailbox's receiver.

    `written_by` names a power-of-attorney holder who wrote it on the party's behalf (empty: the party did)."""
    _check_inquiry(party, mailbox, inquiry)
    return _store(party=party, mailbox=mailbox, inquiry=inquiry, thread=None, written_by=written_by)


def send_followup(
    *, party: Contact, thread: Thread, text: str, attachments: Sequence[tuple[str, str, bytes]] = (),
    written_by: str = "",
) -> Message:
    """The citizen or company writes again in an existing conversation (unless the authority said no reply)."""
    if thread.party_id != party.pk:
        raise DigitalPostError(ErrorCode.MESSAGE_NOT_FOUND, "thread")
    if not thread.party_may_reply:
        raise DigitalPostError(ErrorCode.REPLY_NOT_ALLOWED, thread.subject)
    mailbox = thread.authority_mailbox
    subject = thread.subject if thread.subject.lower().startswith("sv:") else f"SV: {thread.subject}"
    inquiry = Inquiry(subject=subject[:256], text=text, topic=thread.topic, attachments=attachments)
    _check_size(mailbox, inquiry)
    return _store(party=party, mailbox=mailbox, inquiry=inquiry, thread=thread, written_by=written_by)


def may_answer_letter(letter: Message, *, now: datetime | None = None) -> bool:
    """Whether the party may answer this letter now: it asked for an answer, the deadline has not passed, and it
    is not yet part of a conversation (then the party writes in the conversation)."""
    if letter.direction != Message.Direction.TO_PARTY or letter.answer_mailbox_id is None or letter.thread_id:
        return False
    if letter.state != Message.State.DELIVERED:
        return False
    return letter.answer_by is None or (now or timezone.now()) < letter.answer_by


def answer_letter(
    *, party: Contact, letter: Message, text: str, attachments: Sequence[tuple[str, str, bytes]] = (),
    written_by: str = "",
) -> Message:
    """The party answers a letter that asked for an answer: a new conversation, tied to the letter, in the mailbox
    the letter named. Forwarded like any inquiry; its MeMo carries ReplyData naming the letter, so the authority's
    case system can match the answer to what it sent. Callers have loaded `letter` as the party's own.
    """
    if letter.mailbox.owner_id != party.pk or not may_answer_letter(letter):
        raise DigitalPostError(ErrorCode.LETTER_ANSWER_NOT_ALLOWED, letter.label)
    mailbox = letter.answer_mailbox
    assert mailbox is not None
    subject = letter.label if letter.label.lower().startswith("sv:") else f"SV: {letter.label}"
    inquiry = Inquiry(subject=subject[:256], text=text, attachments=tuple(attachments))
    check_may_write(PartyKind(party.kind), PartyKind.AUTHORITY)
    _check_size(mailbox, inquiry)
    answered = memo.ReplyData(message_uuid=str(letter.message_uuid), message_id=letter.sender_message_id or None)
    return _store(party=party, mailbox=mailbox, inquiry=inquiry, thread=None, answering=letter,
                  reply_data=(answered,), written_by=written_by)


def _store(
    *, party: Contact, mailbox: AuthorityMailbox, inquiry: Inquiry, thread: Thread | None,
    answering: Message | None = None, reply_data: tuple[memo.ReplyData, ...] = (), written_by: str = "",
) -> Message:
    message_uuid = str(uuid.uuid4())
    letter = build_inquiry_memo(party, mailbox, inquiry, message_uuid=message_uuid)
    if reply_data:
        letter = replace(letter, header=replace(letter.header, reply_data=reply_data))
    problems = memo.validate(letter, rules=CITIZEN_RULES, today=timezone.localdate())
    if problems:
        raise DigitalPostError(problems[0].code, memo.describe_problems(problems))
    body = memo.build(letter)
    store = blob_store()
    memo_key = store.put(body).key
    documents = [(role, file, store.put(file.content).key) for _, role, file in memo.iter_files(letter)]
    return _record_inquiry(party=party, mailbox=mailbox, inquiry=inquiry, message_uuid=message_uuid, body=body,
                           memo_key=memo_key, documents=documents, thread=thread, answering=answering,
                           written_by=written_by, parts=document_parts(letter, body, copyable=True),
                           fields=entered_fields(letter))


@transaction.atomic(durable=True)
def _record_inquiry(
    *, party: Contact, mailbox: AuthorityMailbox, inquiry: Inquiry, message_uuid: str, body: bytes, memo_key: str,
    documents: list[tuple[str, memo.File, str]], thread: Thread | None, answering: Message | None = None,
    written_by: str = "", parts: list[dict[str, Any]] | None = None, fields: list[tuple[str, str]] | None = None,
) -> Message:
    now = timezone.now()
    if answering is not None:
        # Tie the letter into the new conversation, once: a second answer (a double click) is refused.
        locked = Message.objects.select_for_update(no_key=True).get(pk=answering.pk)
        if locked.thread_id is not None:
            raise DigitalPostError(ErrorCode.LETTER_ANSWER_NOT_ALLOWED, "already answered: write in the conversation")
    if thread is None:
        thread = Thread.objects.create(
            authority=mailbox.authority, authority_mailbox=mailbox, topic=inquiry.topic, party=party,
            subject=inquiry.subject, created_at=now, last_activity_at=now,
        )
        if answering is not None:
            Message.objects.filter(pk=answering.pk).update(thread=thread)
    else:
        # A new inquiry in a conversation marked handled opens it again in the caseworkers' inbox.
        Thread.objects.filter(pk=thread.pk).update(last_activity_at=now, handled_at=None)
    data = {"thread": str(thread.pk), "mailbox": str(mailbox.pk)}
    if answering is not None:
        data["answers"] = str(answering.pk)
    if written_by:
        data["writtenOnBehalfBy"] = written_by
    message = Message.objects.create(
        message_uuid=message_uuid, authority=mailbox.authority, direction=Message.Direction.TO_AUTHORITY,
        mailbox=party.mailbox, thread=thread, sender_label=party.name, written_by=written_by, label=inquiry.subject,
        message_type="DIGITALPOST", memo_version="1.2", memo_blob=memo_key,
        memo_sha256=hashlib.sha256(body).hexdigest(), memo_size=len(body), accepted_at=now,
        document_parts=parts,  # the forward decodes the files there instead of parsing the MeMo
        entered_fields=None if fields is None else [list(field) for field in fields],  # and takes these as they are
    )
    Document.objects.bulk_create(
        Document(message=message, position=position, role=role, label=file.filename, filename=file.filename,
                 media_type=file.encoding_format, language=file.language, size=len(file.content), blob=key)
        for position, (role, file, key) in enumerate(documents, start=1)
    )
    append_event(message, EventKind.MESSAGE_RECEIVED, at=now, data=data)
    # The person's own search finds what they wrote under the authority and mailbox they wrote to.
    index_message(message, search_text(sender=f"{mailbox.authority.name} {mailbox.name}", label=inquiry.subject,
                                       body=inquiry.text, documents=message.documents.all()))
    # One lane per receiver system: a slow endpoint delays only its own organisation's inquiries.
    lane = f"receiver:{mailbox.receiver_system_id}" if mailbox.receiver_system_id else ""
    enqueue(WorkKind.FORWARD, key=f"forward:{message.pk}", payload={"message": str(message.pk)}, lane=lane)
    return message
