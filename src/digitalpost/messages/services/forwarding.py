"""Forwarding a letter from one Digital Post mailbox to another: a new message, the original untouched.

The copy is a message of its own in the new recipient's mailbox, "forwarded by" the person who sent it on
(`written_by`) and naming the original sender (`sender_label`); it points at the original (`forwarded_from`). Its
documents are new rows over the same content-addressed blobs, so no byte is copied. It is delivered at once (the
one lifecycle: DELIVERED, notices queued) and has no sender system: the authority's receipts, pushes and
timeline are the original's alone, and a forward never has legal effect, actions or an answer of its own.
"""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils import timezone

from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.lifecycle import EventKind
from digitalpost.core.parties import IdType, normalise_party_id
from digitalpost.messages.models import Document, Message
from digitalpost.messages.services.events import append_event
from digitalpost.messages.services.lifecycle import lock_message, record_delivered
from digitalpost.registry.models import Contact
from digitalpost.registry.selectors import effective_status, get_contact

FORWARD_PREFIX = "VS: "


def find_forward_recipient(number: str) -> Contact:
    """The citizen (10-digit CPR) or company (8-digit CVR) a number names, if they take Digital Post today."""
    cleaned = number.replace(" ", "").replace("-", "")
    kind, id_type = (Contact.Kind.COMPANY, IdType.CVR) if len(cleaned) == 8 else (Contact.Kind.CITIZEN, IdType.CPR)
    try:
        cleaned = normalise_party_id(id_type, cleaned)
    except DigitalPostError:
        raise DigitalPostError(ErrorCode.FORWARD_RECIPIENT_UNKNOWN) from None
    recipient = get_contact(kind, cleaned)
    if recipient is None:
        raise DigitalPostError(ErrorCode.FORWARD_RECIPIENT_UNKNOWN)
    if effective_status(recipient) != Contact.Status.REGISTERED:
        raise DigitalPostError(ErrorCode.FORWARD_RECIPIENT_NOT_DIGITAL)
    return recipient


def forward_letter(*, letter: Message, recipient: Contact, forwarded_by: str) -> Message:
    """Deliver a copy of `letter` (a delivered letter the caller has loaded as the forwarder's) to `recipient`."""
    if letter.direction != Message.Direction.TO_PARTY or letter.state != Message.State.DELIVERED:
        raise DigitalPostError(ErrorCode.MESSAGE_NOT_FOUND, "only delivered letters are forwarded")
    if recipient.pk == letter.mailbox.owner_id:
        raise DigitalPostError(ErrorCode.FORWARD_RECIPIENT_UNKNOWN, "the letter is in this mailbox already")
    return _record_forward(letter=letter, recipient=recipient, forwarded_by=forwarded_by)


@transaction.atomic(durable=True)
def _record_forward(*, letter: Message, recipient: Contact, forwarded_by: str) -> Message:
    now = timezone.now()
    label = letter.label if letter.label.upper().startswith(FORWARD_PREFIX.strip()) else FORWARD_PREFIX + letter.label
    copy = Message.objects.create(
        message_uuid=uuid.uuid4(), authority=letter.authority, direction=Message.Direction.TO_PARTY,
        mailbox=recipient.mailbox, sender_label=letter.sender_label, written_by=forwarded_by[:200],
        forwarded_from=letter, label=label[:256], message_type="DIGITALPOST", memo_version=letter.memo_version,
        memo_blob=letter.memo_blob, memo_sha256=letter.memo_sha256, memo_size=letter.memo_size, accepted_at=now,
    )
    Document.objects.bulk_create(
        Document(message=copy, position=d.position, role=d.role, label=d.label, filename=d.filename,
                 media_type=d.media_type, language=d.language, size=d.size, blob=d.blob)
        for d in letter.documents.all()
    )
    append_event(copy, EventKind.MESSAGE_RECEIVED, at=now, first=True,
                 data={"forwardedFrom": str(letter.pk), "forwardedBy": forwarded_by[:200]})
    record_delivered(lock_message(copy.pk), at=now, data={"channel": "forward"})
    return copy
