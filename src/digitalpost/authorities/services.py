"""Writes to authorities."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.db import transaction

from digitalpost.authorities.models import Authority, AuthorityMailbox, MailboxTopic, MetadataField
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.parties import is_valid_cvr

if TYPE_CHECKING:  # systems sits above authorities; the mailbox only refers to a receiver by foreign key
    from digitalpost.systems.models import ReceiverSystem


@transaction.atomic(durable=True)
def create_authority(
    *, cvr: str, name: str, may_send_mandatory: bool = False, may_send_legal_notification: bool = False
) -> Authority:
    if not is_valid_cvr(cvr):
        raise DigitalPostError(ErrorCode.CONTACT_ID_INVALID, f"CVR {cvr!r}")
    return Authority.objects.create(
        cvr=cvr,
        name=name,
        may_send_mandatory=may_send_mandatory,
        may_send_legal_notification=may_send_legal_notification,
    )


@transaction.atomic(durable=True)
def create_mailbox(
    *,
    authority: Authority,
    name: str,
    parent: AuthorityMailbox | None = None,
    topics: Sequence[str] = (),
    metadata_fields: Sequence[tuple[str, bool]] = (),
    receiver_system: ReceiverSystem | None = None,
    is_open: bool = True,
    is_visible: bool = True,
    max_message_bytes: int = 10 * 1024 * 1024,
) -> AuthorityMailbox:
    """A contact point citizens can write to, with its topics and (label, required) metadata fields."""
    if receiver_system is not None and receiver_system.authority_id != authority.pk:
        raise DigitalPostError(ErrorCode.REQUEST_INVALID, "the receiver system belongs to another authority")
    mailbox = AuthorityMailbox.objects.create(
        authority=authority, name=name, parent=parent, receiver_system=receiver_system, is_open=is_open,
        is_visible=is_visible, max_message_bytes=max_message_bytes,
    )
    MailboxTopic.objects.bulk_create(
        MailboxTopic(mailbox=mailbox, name=topic, position=n) for n, topic in enumerate(topics)
    )
    MetadataField.objects.bulk_create(
        MetadataField(mailbox=mailbox, label=label, is_required=required, position=n)
        for n, (label, required) in enumerate(metadata_fields)
    )
    return mailbox
