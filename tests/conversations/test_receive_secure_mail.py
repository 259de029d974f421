"""Edge cases of filing a reply, straight through receive_secure_mail: mixed-up threads, tampered signatures,
deactivated systems, and a certificate more than one authority registered."""

from __future__ import annotations

import uuid

import pytest
from django.utils import timezone

from digitalpost.conversations.services.receive import receive_secure_mail
from digitalpost.core.errors import ErrorCode
from digitalpost.gateway.answers import smtp_answer
from digitalpost.messages.models import Message, RefusedReply
from digitalpost.outbox.models import WorkKind
from digitalpost.protocols import mail, smime
from digitalpost.systems.models import Certificate, SenderSystem
from digitalpost.systems.selectors import hash_token
from digitalpost.systems.services.tokens import new_token
from helpers.secure_mail import open_forwarded, plain_entity, protect, reply_entity

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("hub_settings")]


def forward_all(nordby_secure, authority_mail_server, drain, pki, count: int):
    for n in range(count):
        nordby_secure.inquiry(subject=f"Henvendelse {n}")
    assert drain(WorkKind.FORWARD) == count
    return [open_forwarded(m.data, address=pki.nordby_address, at=timezone.now()) for m in authority_mail_server.mails]


def filed_replies():
    return Message.objects.filter(direction=Message.Direction.TO_PARTY)


def test_reply_carrying_valid_tokens_of_two_threads_is_refused_not_guessed(
    nordby_secure, authority_mail_server, drain, securemail_pki
):
    first, second = forward_all(nordby_secure, authority_mail_server, drain, securemail_pki, 2)
    entity, _ = reply_entity(first, text="Svar")  # attachment and header: the first thread
    _, envelope = reply_entity(second, text="Svar")  # subject tag: the second thread

    outcome = receive_secure_mail(
        raw=protect(entity, envelope, signer=securemail_pki.nordby_sender, hub=securemail_pki.hub))

    assert outcome.code == ErrorCode.THREAD_INVALID
    assert not filed_replies().exists()
    assert RefusedReply.objects.get().code == ErrorCode.THREAD_INVALID


def test_reply_is_filed_in_the_thread_its_token_names_not_another_of_annas(
    nordby_secure, authority_mail_server, drain, securemail_pki
):
    _, second = forward_all(nordby_secure, authority_mail_server, drain, securemail_pki, 2)
    entity, envelope = reply_entity(second, text="Svar til nummer to")
    named = mail.read_metadata_file(second.part(mail.METADATA_FILENAME)).thread_id

    outcome = receive_secure_mail(
        raw=protect(entity, envelope, signer=securemail_pki.nordby_sender, hub=securemail_pki.hub))

    assert outcome.code is None, outcome.detail
    assert outcome.message.thread_id == named
    assert filed_replies().count() == 1


def test_reply_whose_signed_content_was_changed_after_signing_is_refused_as_signature_invalid(
    nordby_secure, authority_mail_server, drain, securemail_pki
):
    (opened,) = forward_all(nordby_secure, authority_mail_server, drain, securemail_pki, 1)
    entity, envelope = reply_entity(opened, text="Dit pas er klar.")
    signed = smime.sign(entity, certificate=securemail_pki.nordby_sender.certificate,
                        key=securemail_pki.nordby_sender.key)
    assert b"Dit pas er klar." in signed
    tampered = signed.replace(b"Dit pas er klar.", b"Dit pas er tabt.")
    raw = mail.with_envelope(envelope, smime.encrypt(tampered, recipients=[securemail_pki.hub.certificate]))

    outcome = receive_secure_mail(raw=raw)

    assert outcome.code == ErrorCode.SIGNATURE_INVALID
    assert not filed_replies().exists()


def test_reply_from_a_deactivated_sender_system_is_refused_as_unknown_certificate(
    nordby_secure, authority_mail_server, drain, securemail_pki
):
    (opened,) = forward_all(nordby_secure, authority_mail_server, drain, securemail_pki, 1)
    SenderSystem.objects.filter(pk=nordby_secure.sender.pk).update(is_active=False)
    entity, envelope = reply_entity(opened, text="Svar")

    outcome = receive_secure_mail(
        raw=protect(entity, envelope, signer=securemail_pki.nordby_sender, hub=securemail_pki.hub))

    assert outcome.code == ErrorCode.SENDER_CERTIFICATE_UNKNOWN
    assert not filed_replies().exists()


def test_unsigned_plain_mail_without_encryption_is_refused_as_encryption_missing(nordby_secure, securemail_pki):
    envelope = mail.Envelope(from_addr="x@nordby.localhost", to_addr="post@digitalpost.localhost", subject="Hej",
                             message_id="<1@nordby.localhost>", date=timezone.now())

    outcome = receive_secure_mail(raw=mail.with_envelope(envelope, plain_entity("Hej")))

    assert outcome.code == ErrorCode.ENCRYPTION_MISSING
    assert smtp_answer(outcome).startswith("554")
    assert "encryption.missing" in smtp_answer(outcome)


def test_garbage_is_refused_and_recorded_never_raises(nordby_secure):
    for raw in (b"", b"\r\n\r\n", b"not a mail at all", b"Content-Type: application/pkcs7-mime\r\n\r\n!!!"):
        outcome = receive_secure_mail(raw=raw)
        assert outcome.code is not None
        assert smtp_answer(outcome).startswith("554")
    assert RefusedReply.objects.count() == 4
    assert not filed_replies().exists()


def test_nordbys_reply_is_filed_even_when_sydby_registered_the_same_certificate(
    nordby_secure, authority_mail_server, drain, securemail_pki
):
    """A shared provider's certificate may be registered by several authorities; the thread's owner decides."""
    (opened,) = forward_all(nordby_secure, authority_mail_server, drain, securemail_pki, 1)
    cert = securemail_pki.nordby_sender.certificate
    row = Certificate.objects.create(  # the lowest id, so an unordered look-up meets Sydby's row first
        id=uuid.UUID(int=0), authority=nordby_secure.cast.sydby.authority, pem=cert.pem.decode(),
        sha256=cert.fingerprint, subject=cert.subject, issuer=cert.issuer, serial=str(cert.serial),
        emails=list(cert.emails), not_before=cert.not_before, not_after=cert.not_after,
    )
    SenderSystem.objects.create(
        authority=nordby_secure.cast.sydby.authority, name="Sydby via fælles leverandør",
        channel=SenderSystem.Channel.SECURE_MAIL, certificate=row, token_sha256=hash_token(new_token()),
        token_issued_at=timezone.now(),
    )
    entity, envelope = reply_entity(opened, text="Svar fra Nordby")

    outcome = receive_secure_mail(
        raw=protect(entity, envelope, signer=securemail_pki.nordby_sender, hub=securemail_pki.hub))

    assert outcome.code is None, (outcome.code, outcome.detail)
    assert outcome.message.sender_system == nordby_secure.sender


def test_refusal_reply_names_the_code_in_english_and_danish_in_7_bit():
    from digitalpost.conversations.services.receive import ReceiveOutcome

    reply = smtp_answer(ReceiveOutcome(code=ErrorCode.THREAD_MISSING))
    first, second = reply.split("\r\n")
    assert first.startswith("554-5.7.1 thread.missing: The reply carries no dialog thread.")
    assert second.startswith("554 5.7.1 Dansk: Svaret mangler dialogtraaden.")
    assert reply.isascii()
    assert all(len(line) <= 512 for line in (first, second))
