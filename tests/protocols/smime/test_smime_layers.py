"""`unwrap` opens every S/MIME layer in the order a client applied them and reports each one; the MIME shapes
real clients send (no headers in the decrypted content, mbox lines, 3DES) still parse."""

from __future__ import annotations

from smime_support import BODY_ENTITY, MESSAGE, Pki, openssl

from digitalpost.protocols.smime import decrypt_message, encrypt, sign, strip_mbox_separator, unwrap


def opened(pki: Pki, mail: bytes):  # type: ignore[no-untyped-def]
    return unwrap(mail, certificate=pki.hub.certificate, key=pki.hub.key, at=pki.now)


def kinds(unwrapped) -> list[str]:  # type: ignore[no-untyped-def]
    return ["dec" if layer.decrypted else "sig" for layer in unwrapped.layers]


def test_sign_then_encrypt_opens_as_envelope_then_signature(pki: Pki):
    mail = encrypt(sign(MESSAGE, certificate=pki.sender.certificate, key=pki.sender.key),
                   recipients=[pki.hub.certificate])

    unwrapped = opened(pki, mail)

    assert kinds(unwrapped) == ["dec", "sig"]
    assert unwrapped.signatures[0].signer == pki.sender.certificate
    assert unwrapped.message.endswith(b"MIME-Version: 1.0\r\n" + BODY_ENTITY)
    assert unwrapped.message.startswith(b"From: Nordby Kommune <post@nordby.example>\r\n")


def test_encrypt_then_sign_and_a_second_signature_open_outermost_first(pki: Pki):
    inner = sign(encrypt(MESSAGE, recipients=[pki.hub.certificate]), certificate=pki.sender.certificate,
                 key=pki.sender.key, detached=False)
    mail = sign(inner, certificate=pki.hub.certificate, key=pki.hub.key)

    unwrapped = opened(pki, mail)

    assert kinds(unwrapped) == ["sig", "sig", "dec"]
    assert [v.signer for v in unwrapped.signatures] == [pki.hub.certificate, pki.sender.certificate]
    assert unwrapped.message.endswith(BODY_ENTITY)
    assert unwrapped.content == BODY_ENTITY  # the decrypted entity alone, without the outer fields


def test_the_innermost_content_is_the_signed_entity_without_the_outer_fields(pki: Pki):
    mail = encrypt(sign(MESSAGE, certificate=pki.sender.certificate, key=pki.sender.key),
                   recipients=[pki.hub.certificate])

    unwrapped = opened(pki, mail)

    assert unwrapped.content == unwrapped.signatures[-1].content == BODY_ENTITY
    assert b"Subject:" not in unwrapped.content


def test_a_plain_message_has_no_layers(pki: Pki):
    assert opened(pki, MESSAGE).layers == ()
    assert opened(pki, MESSAGE).message == MESSAGE


def test_decrypted_content_without_header_fields_is_a_plain_text_body(pki: Pki):
    mail = openssl("cms", "-encrypt", "-aes-256-cbc", "-in", pki.file("bare.txt", b"Just the answer.\n"),
                   pki.hub.cert_file).stdout

    decrypted = decrypt_message(mail, certificate=pki.hub.certificate, key=pki.hub.key)

    assert decrypted.message.endswith(b"MIME-Version: 1.0\r\n\r\nJust the answer.\r\n")
    assert decrypted.content == b"\r\nJust the answer.\r\n"


def test_3des_is_decrypted_and_marked_legacy_for_the_doctor(pki: Pki):
    mail = openssl("smime", "-encrypt", "-des3", "-in", pki.file("message.eml", MESSAGE), pki.hub.cert_file).stdout

    unwrapped = opened(pki, mail)

    assert unwrapped.is_legacy
    assert unwrapped.decryptions[0].content_cipher == "tripledes_3key"
    assert unwrapped.message.endswith(BODY_ENTITY)


def test_an_mbox_from_line_is_stripped_before_reading(pki: Pki):
    mail = sign(MESSAGE, certificate=pki.sender.certificate, key=pki.sender.key)
    stored = b"From post@nordby.example Mon Jan 26 14:38:03 2026\n" + mail

    assert strip_mbox_separator(stored) == mail
    assert kinds(opened(pki, stored)) == ["sig"]
    assert strip_mbox_separator(MESSAGE) == MESSAGE
