"""Forwarding an inquiry to the authority mailbox's receiver system: the dispatch, and the secure-mail channel.

REST pull and push are in pull.py and push.py; what all channels share is in channel.py. For secure mail, the
mail is built (text, the citizen's files, dkalmetadata.xml, dkaldialogtraad.xml), signed with the hub's
certificate, encrypted to the secure address's certificate and sent through the configured relay, outside any
transaction. Only then is the message marked forwarded. A crash between the relay's 250 and that commit sends
the mail again on retry, with the same Message-ID, so the authority's system can recognise it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import aiosmtplib
from django.conf import settings

from digitalpost.conversations.fields import entered_fields
from digitalpost.conversations.tokens import thread_token
from digitalpost.delivery.channels.receivers import ForwardPostponed, mark_forwarded, note_receiver_failure
from digitalpost.delivery.channels.rest_pull import make_available
from digitalpost.delivery.channels.rest_push import push_inquiry
from digitalpost.hub.blobs import blob_store
from digitalpost.hub.keys import hub_identity
from digitalpost.hub.relay import send_via_relay
from digitalpost.messages.models import Message
from digitalpost.messages.services.documents import received_bytes
from digitalpost.outbox.models import Job
from digitalpost.protocols import mail, memo, smime
from digitalpost.protocols.threads import ReplyRule
from digitalpost.registry.models import Contact
from digitalpost.systems.models import ReceiverSystem


@dataclass(frozen=True)
class PreparedMail:
    recipient: str
    data: bytes


def prepare_inquiry_mail(message: Message, receiver: ReceiverSystem) -> PreparedMail:
    """The signed and encrypted mail for `message`, ready for the relay."""
    thread = message.thread
    assert thread is not None
    assert receiver.secure_address is not None
    raw = received_bytes(message, blob_store())
    letter = memo.parse(raw, max_bytes=settings.DIGITALPOST_MAX_MEMO_BYTES)
    files = [(file.filename, file.encoding_format, file.content) for _, _, file in memo.iter_files(letter)]
    body_text = files[0][2].decode("utf-8", errors="replace") if files else ""
    attachments = files[1:]
    party = thread.party
    token = thread_token(thread)
    meta = mail.InquiryMetadata(
        message_id=message.pk, created_at=message.accepted_at,
        sender_type=mail.IdentityType.CPR if party.kind == Contact.Kind.CITIZEN else mail.IdentityType.CVR,
        sender_number=party.number, sender_name=party.name, authority_cvr=thread.authority.cvr,
        mailbox_id=thread.authority_mailbox_id, mailbox_name=thread.authority_mailbox.name, thread_id=thread.pk,
        reply_rule=ReplyRule.REPLY_ALLOWED if thread.party_may_reply else ReplyRule.NO_REPLY,
        topic=thread.topic or None,
        fields=tuple(entered_fields(letter)),
        attachments=mail.describe_attachments(attachments),
    )
    hub = hub_identity()
    entity = mail.build_inner_entity(meta=meta, body_text=body_text, attachments=attachments, thread_token=token)
    recipient_cert = smime.load_certificate(receiver.secure_address.certificate.pem.encode())
    protected = smime.encrypt(smime.sign(entity, certificate=hub.certificate, key=hub.key),
                              recipients=[recipient_cert])
    envelope = mail.inquiry_envelope(
        meta=meta, subject_text=message.label, thread_token=token, from_addr=settings.DIGITALPOST_HUB_ADDRESS,
        to_addr=receiver.secure_address.email, message_id_domain=settings.DIGITALPOST_HUB_DOMAIN,
        now=message.accepted_at,
    )
    return PreparedMail(recipient=receiver.secure_address.email, data=mail.with_envelope(envelope, protected))


def send_mail(prepared: PreparedMail) -> str:
    """Hand the mail to the relay; the relay's answer, or an exception naming why not."""
    return send_via_relay(prepared.data, sender=settings.DIGITALPOST_HUB_ADDRESS, recipients=[prepared.recipient])


def forward_inquiry(*, message_id: uuid.UUID | str, job: Job | None = None) -> bool:
    """Deliver an inquiry to its mailbox's receiver system; False when it was already forwarded."""
    message = Message.objects.select_related("thread__authority", "thread__authority_mailbox__receiver_system",
                                             "thread__party").filter(pk=message_id).first()
    if message is None or message.state != Message.State.ACCEPTED or message.thread is None:
        return False
    receiver = message.thread.authority_mailbox.receiver_system
    if receiver is None or not receiver.is_active:
        raise ForwardPostponed(f"mailbox {message.thread.authority_mailbox.name!r} has no active receiver system")
    if receiver.kind == ReceiverSystem.Kind.REST_PULL:
        return make_available(message_id=message.pk, receiver=receiver, job=job)
    if receiver.kind == ReceiverSystem.Kind.REST_PUSH:
        return push_inquiry(message, receiver, job=job)
    if receiver.kind != ReceiverSystem.Kind.SECURE_ADDRESS:
        raise ForwardPostponed(f"receiver kind {receiver.kind} is not supported yet")
    try:
        answer = send_mail(prepare_inquiry_mail(message, receiver))
    except (aiosmtplib.SMTPException, OSError) as exc:
        note_receiver_failure(receiver=receiver, reason=str(exc), message=message)
        raise ForwardPostponed(f"{receiver.secure_address}: {exc}") from exc
    return mark_forwarded(message_id=message.pk, receiver=receiver, answer=answer, job=job)
