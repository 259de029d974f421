"""Tampered, unsigned, unencrypted and unreadable mail is refused with the code that names the cause."""

from __future__ import annotations

import base64
import re

import pytest
from asn1crypto import cms as asn1_cms
from smime_support import BODY_ENTITY, MESSAGE, Pki, openssl

from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.protocols.smime import decrypt, encrypt, sign, verify


def refusal(call, *args, **kwargs) -> ErrorCode:  # type: ignore[no-untyped-def]
    with pytest.raises(DigitalPostError) as refused:
        call(*args, **kwargs)
    return refused.value.code


def signature_der(signed: bytes) -> bytes:
    b64 = re.search(rb"filename=\"smime.p7s\"\r\n\r\n(.*?)\r\n--", signed, re.DOTALL)
    assert b64 is not None
    return base64.b64decode(b64.group(1))


def replace_signature(signed: bytes, der: bytes) -> bytes:
    old = re.search(rb"(filename=\"smime.p7s\"\r\n\r\n)(.*?)(\r\n--)", signed, re.DOTALL)
    assert old is not None
    return signed[: old.start(2)] + base64.encodebytes(der).rstrip() + signed[old.end(2):]


def with_certificates(der: bytes, certificates: list[bytes]) -> bytes:
    """The same SignedData with its certificate set replaced (the signature does not cover it)."""
    info = asn1_cms.ContentInfo.load(der)
    signed = info["content"].copy()
    signed["certificates"] = asn1_cms.CertificateSet(
        [asn1_cms.CertificateChoices.load(asn1_cms.CertificateChoices({"certificate": _cert(c)}).dump())
         for c in certificates]
    )
    return asn1_cms.ContentInfo({"content_type": "signed_data", "content": signed}).dump()


def _cert(der: bytes):  # type: ignore[no-untyped-def]
    from asn1crypto import x509 as asn1_x509

    return asn1_x509.Certificate.load(der)


def test_one_changed_byte_in_the_signed_content_is_invalid(pki: Pki):
    signed = sign(MESSAGE, certificate=pki.sender.certificate, key=pki.sender.key)
    tampered = signed.replace(b"modtaget", b"modtagEt")

    assert refusal(verify, tampered, at=pki.now) == ErrorCode.SIGNATURE_INVALID


def test_one_changed_byte_in_opaque_signed_content_is_invalid(pki: Pki):
    signed = sign(MESSAGE, certificate=pki.sender.certificate, key=pki.sender.key, detached=False)
    der = base64.b64decode(b"".join(signed.split(b"\r\n\r\n", 1)[1].split()))
    tampered_der = der.replace(b"modtaget", b"modtagEt")
    tampered = signed.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n" + base64.encodebytes(tampered_der)

    assert refusal(verify, tampered, at=pki.now) == ErrorCode.SIGNATURE_INVALID


def test_a_changed_signature_value_is_invalid(pki: Pki):
    signed = sign(MESSAGE, certificate=pki.sender.certificate, key=pki.sender.key)
    der = bytearray(signature_der(signed))
    der[-5] ^= 0x01  # inside the RSA signature value, the last field of the SignerInfo

    assert refusal(verify, replace_signature(signed, bytes(der)), at=pki.now) == ErrorCode.SIGNATURE_INVALID


def test_a_signer_whose_certificate_is_not_embedded_is_invalid_unless_known(pki: Pki):
    entity = pki.file("entity.txt", BODY_ENTITY)
    signed = openssl("cms", "-sign", "-md", "sha256", "-nocerts", "-signer", pki.sender.cert_file,
                     "-inkey", pki.sender.key_file, "-in", entity).stdout

    assert refusal(verify, signed, at=pki.now) == ErrorCode.SIGNATURE_INVALID
    assert verify(signed, at=pki.now, known_certificates=[pki.hub.certificate, pki.sender.certificate]).signer \
        == pki.sender.certificate


def test_the_signer_is_found_by_issuer_and_serial_when_another_certificate_has_the_same_serial(pki: Pki):
    assert pki.twin.certificate.serial == pki.sender.certificate.serial
    signed = sign(MESSAGE, certificate=pki.sender.certificate, key=pki.sender.key)
    both = with_certificates(signature_der(signed), [pki.twin.certificate.der, pki.sender.certificate.der])

    assert verify(replace_signature(signed, both), at=pki.now).signer == pki.sender.certificate


def test_a_certificate_with_only_the_same_serial_is_not_taken_for_the_signer(pki: Pki):
    signed = sign(MESSAGE, certificate=pki.sender.certificate, key=pki.sender.key)
    only_twin = with_certificates(signature_der(signed), [pki.twin.certificate.der])

    assert refusal(verify, replace_signature(signed, only_twin), at=pki.now) == ErrorCode.SIGNATURE_INVALID


def test_a_message_signed_with_another_key_than_its_certificate_is_invalid(pki: Pki):
    signed = sign(MESSAGE, certificate=pki.sender.certificate, key=pki.hub.key)

    assert refusal(verify, signed, at=pki.now) == ErrorCode.SIGNATURE_INVALID


def test_a_signing_time_far_in_the_future_is_invalid(pki: Pki):
    signed = sign(MESSAGE, certificate=pki.sender.certificate, key=pki.sender.key)
    a_year_earlier = pki.now.replace(year=pki.now.year - 1)

    assert refusal(verify, signed, at=a_year_earlier) == ErrorCode.SIGNATURE_INVALID


def test_an_unsigned_message_has_no_signature(pki: Pki):
    assert refusal(verify, MESSAGE, at=pki.now) == ErrorCode.SIGNATURE_MISSING


def test_an_encrypted_message_has_no_signature_until_decrypted(pki: Pki):
    encrypted = encrypt(MESSAGE, recipients=[pki.hub.certificate])

    assert refusal(verify, encrypted, at=pki.now) == ErrorCode.SIGNATURE_MISSING


def test_garbage_in_the_signature_part_is_invalid(pki: Pki):
    signed = sign(MESSAGE, certificate=pki.sender.certificate, key=pki.sender.key)

    assert refusal(verify, replace_signature(signed, b"\x30\x03\x02\x01\x01"), at=pki.now) \
        == ErrorCode.SIGNATURE_INVALID


def test_an_unencrypted_message_is_refused_as_not_encrypted(pki: Pki):
    signed = sign(MESSAGE, certificate=pki.sender.certificate, key=pki.sender.key, detached=False)

    assert refusal(decrypt, MESSAGE, certificate=pki.hub.certificate, key=pki.hub.key) == ErrorCode.ENCRYPTION_MISSING
    assert refusal(decrypt, signed, certificate=pki.hub.certificate, key=pki.hub.key) == ErrorCode.ENCRYPTION_MISSING


def test_a_message_encrypted_to_someone_else_is_refused_as_not_encrypted_to_us(pki: Pki):
    encrypted = encrypt(MESSAGE, recipients=[pki.sender.certificate])

    assert refusal(decrypt, encrypted, certificate=pki.hub.certificate, key=pki.hub.key) \
        == ErrorCode.ENCRYPTION_WRONG_RECIPIENT


@pytest.mark.parametrize("body", [b"bm90IGEgQ01TIG1lc3NhZ2U=\r\n", b"!!! not base64 !!!\r\n", b"MAMCAQE=\r\n"])
def test_garbage_instead_of_enveloped_data_is_malformed(pki: Pki, body: bytes):
    mail = (b"From: x@y.example\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n" + body)

    assert refusal(decrypt, mail, certificate=pki.hub.certificate, key=pki.hub.key) == ErrorCode.MAIL_MALFORMED


def test_text_without_a_header_block_is_malformed(pki: Pki):
    assert refusal(verify, b"just some words", at=pki.now) == ErrorCode.MAIL_MALFORMED
    assert refusal(decrypt, b"just some words", certificate=pki.hub.certificate, key=pki.hub.key) \
        == ErrorCode.MAIL_MALFORMED
