"""Replies come back through the real gateway (SMTP, STARTTLS): a correct one is filed in Anna's thread, every
wrong one is refused at DATA with 554 and its code, recorded, and filed nowhere."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from digitalpost.core.errors import ErrorCode
from digitalpost.gateway.server import Gateway
from digitalpost.messages.models import Message, RefusedReply
from digitalpost.outbox.models import Job, WorkKind
from digitalpost.protocols import mail, smime
from digitalpost.systems.models import SenderSystem
from helpers.secure_mail import (
    free_port,
    mutated_token,
    plain_entity,
    protect,
    reply_entity,
    smtp_send,
    untagged_envelope,
)
from helpers.secure_mail_pki import openssl
from helpers.secure_mail_world import (
    REPLY_TEXT,
    Forwarded,
    assert_filed_and_delivered,
    register_sender,
    replies_to_anna,
)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("hub_settings")]


def crlf(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def test_signed_and_encrypted_reply_is_accepted_and_delivered_into_annas_thread(forwarded, send_to_gateway, drain):
    code, answer = send_to_gateway(forwarded.reply())

    assert code == 250, answer
    reply = assert_filed_and_delivered(forwarded, drain)
    assert str(reply.pk) in answer
    assert reply.label.startswith("SV:")
    assert set(forwarded.thread.messages.values_list("direction", flat=True)) == {
        Message.Direction.TO_AUTHORITY, Message.Direction.TO_PARTY}


def test_reply_signed_and_encrypted_by_real_openssl_is_filed_in_annas_thread(forwarded, send_to_gateway, drain):
    pki = forwarded.pki
    entity, envelope = reply_entity(forwarded.opened, text=REPLY_TEXT)
    entity_file = pki.file("openssl-reply-entity.eml", entity)
    signed = pki.file("openssl-reply-signed.eml", openssl(
        "smime", "-sign", "-md", "sha256", "-signer", pki.nordby_sender.cert_file, "-inkey",
        pki.nordby_sender.key_file, "-in", entity_file))
    encrypted = openssl("smime", "-encrypt", "-aes256", "-in", signed, pki.hub.cert_file)

    # openssl would not fold the long "[DP:…]" subject, so the envelope headers are ours.
    code, answer = send_to_gateway(mail.with_envelope(envelope, crlf(encrypted)))

    assert code == 250, answer
    assert_filed_and_delivered(forwarded, drain)


def test_reply_that_kept_only_the_subject_tag_is_still_filed(forwarded, send_to_gateway, drain):
    _, envelope = reply_entity(forwarded.opened, text=REPLY_TEXT)
    data = protect(plain_entity(REPLY_TEXT), envelope, signer=forwarded.pki.nordby_sender, hub=forwarded.pki.hub)

    code, answer = send_to_gateway(data)

    assert code == 250, answer
    assert_filed_and_delivered(forwarded, drain)


def no_carrier(f: Forwarded) -> bytes:
    return protect(plain_entity("Tak for din henvendelse."), untagged_envelope(), signer=f.pki.nordby_sender,
                   hub=f.pki.hub)


def edited_token(f: Forwarded) -> bytes:
    bad = mutated_token(f.opened.token)
    assert f.opened.token.encode() in f.opened.thread_file
    return f.reply(token=bad, thread_file=f.opened.thread_file.replace(f.opened.token.encode(), bad.encode()))


def sydby_answers(f: Forwarded) -> bytes:
    return f.reply(signer=f.pki.sydby_sender)


def unsigned(f: Forwarded) -> bytes:
    entity, envelope = reply_entity(f.opened, text=REPLY_TEXT)
    return protect(entity, envelope, signer=None, hub=f.pki.hub)


def unencrypted(f: Forwarded) -> bytes:
    entity, envelope = reply_entity(f.opened, text=REPLY_TEXT)
    return protect(entity, envelope, signer=f.pki.nordby_sender, hub=None)


def camellia(f: Forwarded) -> bytes:
    # 3DES is decrypted since issue 11 (reported as legacy); Camellia is still not accepted.
    entity, envelope = reply_entity(f.opened, text=REPLY_TEXT)
    signed = f.pki.file("camellia-signed.eml", smime.sign(entity, certificate=f.pki.nordby_sender.certificate,
                                                       key=f.pki.nordby_sender.key))
    encrypted = openssl("smime", "-encrypt", "-camellia-256-cbc", "-in", signed, f.pki.hub.cert_file)
    return mail.with_envelope(envelope, crlf(encrypted))


def stranger_signs(f: Forwarded) -> bytes:
    return f.reply(signer=f.pki.stranger)


def expired_signer(f: Forwarded) -> bytes:
    register_sender(f, f.pki.nordby_expired, channel=SenderSystem.Channel.SECURE_MAIL, name="Nordby gammel")
    return f.reply(signer=f.pki.nordby_expired)


def signer_from_an_untrusted_ca(f: Forwarded) -> bytes:
    # Registered straight into the tables, as if its CA had been taken out of the trust anchors since.
    register_sender(f, f.pki.stranger, channel=SenderSystem.Channel.SECURE_MAIL, name="Nordby fremmed CA")
    return f.reply(signer=f.pki.stranger)


def rest_system_signs(f: Forwarded) -> bytes:
    register_sender(f, f.pki.nordby_rest, channel=SenderSystem.Channel.REST, name="Nordby REST med certifikat")
    return f.reply(signer=f.pki.nordby_rest)


REFUSALS: dict[str, tuple[Callable[[Forwarded], bytes], ErrorCode]] = {
    "no-thread-carrier-nor-recipient": (no_carrier, ErrorCode.LETTER_RECIPIENT_MISSING),
    "token-edited-everywhere": (edited_token, ErrorCode.THREAD_INVALID),
    "sydby-replies-in-nordbys-thread": (sydby_answers, ErrorCode.THREAD_NOT_YOURS),
    "encrypted-not-signed": (unsigned, ErrorCode.SIGNATURE_MISSING),
    "signed-not-encrypted": (unencrypted, ErrorCode.ENCRYPTION_MISSING),
    "openssl-camellia": (camellia, ErrorCode.ENCRYPTION_ALGORITHM_UNSUPPORTED),
    "untrusted-unregistered-signer": (stranger_signs, ErrorCode.SENDER_CERTIFICATE_UNKNOWN),
    "expired-signer": (expired_signer, ErrorCode.SENDER_CERTIFICATE_EXPIRED),
    "registered-signer-untrusted-ca": (signer_from_an_untrusted_ca, ErrorCode.CERTIFICATE_UNTRUSTED),
    "rest-non-standard-system": (rest_system_signs, ErrorCode.SENDER_NOT_STANDARD_SYSTEM),
}


@pytest.mark.parametrize(("build", "code"), REFUSALS.values(), ids=REFUSALS.keys())
def test_bad_reply_is_refused_with_554_naming_its_code_recorded_and_filed_nowhere(
    forwarded, send_to_gateway, drain, build, code
):
    data = build(forwarded)

    status, answer = send_to_gateway(data)

    assert status == 554, answer
    assert str(code) in answer
    assert RefusedReply.objects.filter(code=str(code)).count() == 1
    assert RefusedReply.objects.count() == 1
    assert not replies_to_anna(forwarded.thread).exists()
    assert not Job.objects.filter(kind=WorkKind.DELIVER).exists()
    assert drain() == 0


def test_refusal_names_the_signer_and_sender_of_a_reply_in_another_authoritys_thread(forwarded, send_to_gateway):
    send_to_gateway(sydby_answers(forwarded), mail_from="post@sydby.localhost")

    refusal = RefusedReply.objects.get()
    assert refusal.code == ErrorCode.THREAD_NOT_YOURS
    assert refusal.authority == forwarded.secure.cast.sydby.authority
    assert refusal.sender_address == "post@sydby.localhost"
    assert "Sydby sender" in refusal.signer_subject


def test_mail_larger_than_the_limit_is_refused_with_message_too_large(forwarded, send_to_gateway, settings):
    settings.DIGITALPOST_MAX_MAIL_BYTES = 2000  # the gateway was started with the default limit

    status, answer = send_to_gateway(forwarded.reply())

    assert status == 554, answer
    assert str(ErrorCode.MESSAGE_TOO_LARGE) in answer
    assert RefusedReply.objects.filter(code=ErrorCode.MESSAGE_TOO_LARGE).count() == 1
    assert not replies_to_anna(forwarded.thread).exists()


def test_gateway_configured_with_a_small_limit_still_names_message_too_large_and_counts_it(
    forwarded, settings
):
    settings.DIGITALPOST_MAX_MAIL_BYTES = 2000
    port = free_port()
    controller = Gateway("127.0.0.1", port).controller()
    controller.start()
    try:
        status, answer = smtp_send(port, forwarded.reply())
    finally:
        controller.stop()

    assert status == 554, (status, answer)
    assert str(ErrorCode.MESSAGE_TOO_LARGE) in answer
    assert RefusedReply.objects.filter(code=ErrorCode.MESSAGE_TOO_LARGE).count() == 1


def test_recipient_other_than_the_hub_is_refused_at_rcpt_with_550(forwarded, send_to_gateway):
    status, answer = send_to_gateway(forwarded.reply(), rcpt="someone@digitalpost.localhost")

    assert status == 550
    assert "Unknown recipient" in answer
    assert not RefusedReply.objects.exists()
    assert not replies_to_anna(forwarded.thread).exists()


def test_mail_without_starttls_is_refused_before_any_data(forwarded, send_to_gateway):
    status, answer = send_to_gateway(forwarded.reply(), starttls=False)

    assert status == 530
    assert "STARTTLS" in answer
    assert not RefusedReply.objects.exists()
    assert not replies_to_anna(forwarded.thread).exists()


def test_the_same_reply_sent_twice_is_filed_twice_only_as_two_messages_not_lost(forwarded, send_to_gateway, drain):
    data = forwarded.reply()

    assert send_to_gateway(data)[0] == 250
    assert send_to_gateway(data)[0] == 250

    assert drain() == 2
    assert replies_to_anna(forwarded.thread).count() == 2


def test_reply_sent_with_bare_lf_line_endings_is_filed_not_refused_as_a_long_line(forwarded, send_to_gateway, drain):
    bare_lf = forwarded.reply().replace(b"\r\n", b"\n")
    assert b"\r" not in bare_lf  # smtplib sends bytes as given: the DATA stream ends in the only CRLFs

    code, answer = send_to_gateway(bare_lf)

    assert code == 250, answer
    assert_filed_and_delivered(forwarded, drain)


def openssl_reply(f: Forwarded, *, cipher: str, digest: str) -> bytes:
    """A reply the way a legacy client writes it: signed with `digest`, encrypted with `cipher`, BER (-stream)."""
    entity, envelope = reply_entity(f.opened, text=REPLY_TEXT)
    plain = f.pki.file(f"legacy-{cipher}-{digest}.eml", entity)
    signer = f.pki.nordby_sender
    signed = f.pki.file(f"legacy-{cipher}-{digest}-signed.eml", crlf(openssl(
        "cms", "-sign", "-md", digest, "-stream", "-in", plain, "-signer", signer.cert_file,
        "-inkey", signer.key_file)))
    encrypted = openssl("cms", "-encrypt", f"-{cipher}", "-stream", "-in", signed, f.pki.hub.cert_file)
    return mail.with_envelope(envelope, crlf(encrypted))


@pytest.mark.parametrize(("cipher", "digest", "kinds"), [
    ("des3", "sha256", ["cipher.3des"]),
    ("aes-256-cbc", "sha1", ["signature.sha1"]),
    ("aes-256-cbc", "sha256", []),
])
def test_reply_with_a_retiring_algorithm_is_filed_and_recorded_for_the_doctor(
    forwarded, send_to_gateway, drain, cipher, digest, kinds
):
    from digitalpost.conversations.models import LegacyCryptoReply

    code, answer = send_to_gateway(openssl_reply(forwarded, cipher=cipher, digest=digest))

    assert code == 250, answer
    assert_filed_and_delivered(forwarded, drain)
    recorded = list(LegacyCryptoReply.objects.values_list("kind", "sender_system", "authority"))
    assert recorded == [(kind, forwarded.secure.sender.pk, forwarded.thread.authority.pk) for kind in kinds]
