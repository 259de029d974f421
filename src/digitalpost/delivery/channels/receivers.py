"""What the channels to an authority's receiver system share: the inquiry that leaves, recording, failures.

Secure address, REST push and REST pull differ only in how the inquiry leaves. They all take an
`OutgoingInquiry`: a value object built from a stored inquiry (`inquiry_of`) or, by the doctor's probe, from
nothing stored at all — so the probe is prepared and sent by the very code that forwards real inquiries.
Marking an inquiry delivered (the messages lifecycle) and counting receiver failures (systems.receiver_health)
are the same for every channel. Not for: building a mail or a request (the channel modules) or choosing the
channel (delivery.forward).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property, partial
from typing import Generic, TypeVar

from django.conf import settings
from django.db import transaction

from digitalpost.conversations.fields import entered_fields, header_fields
from digitalpost.conversations.tokens import thread_token
from digitalpost.core.lifecycle import EventKind
from digitalpost.delivery.channels.base import Sent
from digitalpost.hub.blobs import blob_store
from digitalpost.messages.models import Message
from digitalpost.messages.services.documents import encoded_files_of, received_bytes
from digitalpost.messages.services.events import append_event
from digitalpost.messages.services.lifecycle import lock_message, mark_delivered
from digitalpost.outbox.models import Job
from digitalpost.protocols import mail, memo
from digitalpost.protocols.threads import ReplyRule
from digitalpost.registry.models import Contact
from digitalpost.systems.models import ReceiverSystem
from digitalpost.systems.receiver_health import record_receiver_failure

OutgoingT = TypeVar("OutgoingT")


@dataclass(frozen=True)
class OutgoingInquiry:
    """An inquiry on its way to an authority's receiver system; `probe` for the doctor's synthetic one.

    `files` are the MeMo's files as (name, media type, content), the first the text, the others attachments, a
    content as bytes or as its base64 text (`mail.EncodedContent`, copied from the MeMo into the mail);
    `letter` the MeMo as accepted, read by `read_letter` only when a channel asks for it (the REST channels send
    the MeMo itself; the secure address needs only the files and `meta`); `meta` what the metadata file says;
    `subject_text` the citizen's subject (for a probe: the whole subject line).
    """

    message_id: uuid.UUID
    message_uuid: str
    created_at: datetime
    meta: mail.InquiryMetadata
    subject_text: str
    thread_token: str
    files: tuple[tuple[str, str, mail.FileContent], ...]
    read_letter: Callable[[], memo.Message]
    probe: bool = False

    @cached_property
    def letter(self) -> memo.Message:
        return self.read_letter()


def letter_files(letter: memo.Message) -> list[tuple[str, str, mail.FileContent]]:
    return [(file.filename, file.encoding_format, file.content) for _, _, file in memo.iter_files(letter)]


def inquiry_of(message: Message) -> OutgoingInquiry:
    """The `OutgoingInquiry` of a stored inquiry (thread, its authority, mailbox and party loaded).

    The files are taken at the spans acceptance recorded (`Message.document_parts`: as their base64 text where it
    is canonical, else decoded) and the fields the citizen entered as recorded too (`Message.entered_fields`), so
    the MeMo is not parsed: the whole parse cost more than signing the mail, the header's alone a third of it at
    5 KB. An inquiry stored before either record (by an older version) has its header, or all of it, parsed.
    """
    thread = message.thread
    assert thread is not None  # inquiries always open a thread
    raw = received_bytes(message, blob_store())
    max_bytes = settings.DIGITALPOST_MAX_MEMO_BYTES

    read_letter: Callable[[], memo.Message]
    files: list[tuple[str, str, mail.FileContent]]
    if message.document_parts is not None:
        files = encoded_files_of(raw, message.document_parts)
        if message.entered_fields is not None:  # recorded when the inquiry was stored: no parse at all
            fields = [(label, value) for label, value in message.entered_fields]
        else:
            fields = header_fields(memo.parse_header(raw, max_bytes=max_bytes))
        read_letter = partial(memo.parse, raw, max_bytes=max_bytes)
    else:
        letter = memo.parse(raw, max_bytes=max_bytes)
        files, fields = letter_files(letter), entered_fields(letter)
        read_letter = lambda: letter  # noqa: E731 - parsed already
    party = thread.party
    meta = mail.InquiryMetadata(
        message_id=message.pk, created_at=message.accepted_at,
        sender_type=mail.IdentityType.CPR if party.kind == Contact.Kind.CITIZEN else mail.IdentityType.CVR,
        sender_number=party.number, sender_name=party.name, authority_cvr=thread.authority.cvr,
        mailbox_id=thread.authority_mailbox_id, mailbox_name=thread.authority_mailbox.name, thread_id=thread.pk,
        reply_rule=ReplyRule.REPLY_ALLOWED if thread.party_may_reply else ReplyRule.NO_REPLY,
        topic=thread.topic or None, fields=tuple(fields),
        attachments=mail.describe_attachments(files[1:]),
    )
    return OutgoingInquiry(message_id=message.pk, message_uuid=str(message.message_uuid),
                           created_at=message.accepted_at, meta=meta, subject_text=message.label,
                           thread_token=thread_token(thread), files=tuple(files), read_letter=read_letter)


class ReceiverChannel(Generic[OutgoingT]):
    """A channel (base.Channel) bound to one receiver system. `sends_probes` is False where no probe is sent."""

    name = ""
    sends_probes = True

    def __init__(self, receiver: ReceiverSystem) -> None:
        self.receiver = receiver

    def prepare(self, inquiry: OutgoingInquiry, /) -> OutgoingT:
        raise NotImplementedError

    def send(self, outgoing: OutgoingT, /, *, job: Job | None = None) -> Sent:
        raise NotImplementedError

    @property
    def target(self) -> str:
        """Where inquiries go, for people: the secure address or the endpoint."""
        address = self.receiver.secure_address
        return address.email if address is not None else self.receiver.endpoint_url

    def acceptance(self, sent: Sent) -> str:
        """The receiver's answer to a send that went through, for people."""
        return sent.answer

    def unusable_because(self, now: datetime) -> str | None:
        """Why nothing can be sent through this receiver now (checked by the probe before sending), or None."""
        return None

    def recorded(self, inquiry_id: uuid.UUID, answer: str, job: Job | None) -> bool:
        """The receiver took the inquiry: DELIVERED, the receiver works again, the job is done."""
        return mark_delivered(message_id=inquiry_id, job=job, receiver=self.receiver,
                              data={"channel": self.name, "receiver": str(self.receiver.pk), "relay": answer[:200]})

    def failed(self, inquiry_id: uuid.UUID, reason: str) -> None:
        record_failed_hand_over(receiver=self.receiver, reason=reason, message_id=inquiry_id)


@transaction.atomic(durable=True)
def record_failed_hand_over(*, receiver: ReceiverSystem, reason: str, message_id: uuid.UUID) -> None:
    """Count the receiver's failure (systems.receiver_health); a deactivation it causes goes on the timeline of
    the message that could not go, in the same transaction."""
    deactivated = record_receiver_failure(receiver=receiver, reason=reason)
    if deactivated is not None:
        append_event(lock_message(message_id), EventKind.RECEIVER_DEACTIVATED, at=deactivated.at,
                     data={"receiver": str(deactivated.receiver.pk),
                           "failingSince": deactivated.failing_since.isoformat(), "reason": reason[:500]})
