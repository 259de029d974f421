"""Mail signed or encrypted by the real openssl command line is verified and decrypted by ours."""

from __future__ import annotations

import re

import pytest
from smime_support import BODY_ENTITY, MESSAGE, Pki, openssl

from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.protocols.smime import decrypt, verify

SIGNING = {
    "smime-detached": ["smime", "-sign", "-md", "sha256"],
    "smime-opaque": ["smime", "-sign", "-md", "sha256", "-nodetach"],
    "cms-detached": ["cms", "-sign", "-md", "sha256"],
    "cms-opaque": ["cms", "-sign", "-md", "sha256", "-nodetach"],
    "cms-sha1": ["cms", "-sign", "-md", "sha1"],
    "cms-sha384": ["cms", "-sign", "-md", "sha384"],
    "cms-sha512-opaque": ["cms", "-sign", "-md", "sha512", "-nodetach"],
    "cms-keyid": ["cms", "-sign", "-md", "sha256", "-keyid"],
    "cms-no-attributes": ["cms", "-sign", "-md", "sha256", "-noattr"],
    "cms-rsa-pss": ["cms", "-sign", "-md", "sha256", "-keyopt", "rsa_padding_mode:pss"],
}


def openssl_signed(pki: Pki, args: list[str], *extra: str) -> bytes:
    entity = pki.file("entity.txt", BODY_ENTITY)
    if "-keyopt" in args:  # a key option belongs to the signer before it
        at = args.index("-keyopt")
        args, extra = [*args[:at], *args[at + 2:]], (*args[at: at + 2], *extra)
    return openssl(*args, "-signer", pki.sender.cert_file, "-inkey", pki.sender.key_file, *extra,
                   "-in", entity).stdout


@pytest.mark.parametrize("args", SIGNING.values(), ids=SIGNING.keys())
def test_we_verify_what_openssl_signs(pki: Pki, args: list[str]):
    verified = verify(openssl_signed(pki, args), at=pki.now)

    assert verified.signer == pki.sender.certificate
    assert verified.content == BODY_ENTITY


def test_signing_time_is_returned(pki: Pki):
    verified = verify(openssl_signed(pki, SIGNING["cms-detached"]), at=pki.now)

    assert verified.signed_at is not None
    assert verified.signed_at.tzinfo is not None


def test_a_detached_signature_survives_lf_line_endings_on_the_way(pki: Pki):
    signed = openssl_signed(pki, SIGNING["smime-detached"]).replace(b"\r\n", b"\n")

    assert verify(signed, at=pki.now).content == BODY_ENTITY


ENCRYPTION = {
    "smime-aes256": ["smime", "-encrypt", "-aes256"],
    "cms-aes-256-cbc": ["cms", "-encrypt", "-aes-256-cbc"],
    "cms-aes-128-cbc": ["cms", "-encrypt", "-aes-128-cbc"],
    "cms-aes-192-cbc": ["cms", "-encrypt", "-aes-192-cbc"],
    "cms-keyid": ["cms", "-encrypt", "-aes-256-cbc", "-keyid"],
}


def openssl_encrypted(pki: Pki, args: list[str], *recipient: str | object) -> bytes:
    entity = pki.file("message.eml", MESSAGE)
    return openssl(*args, "-in", entity, *(recipient or [pki.hub.cert_file])).stdout  # type: ignore[arg-type]


@pytest.mark.parametrize("args", ENCRYPTION.values(), ids=ENCRYPTION.keys())
def test_we_decrypt_what_openssl_encrypts(pki: Pki, args: list[str]):
    decrypted = decrypt(openssl_encrypted(pki, args), certificate=pki.hub.certificate, key=pki.hub.key)

    assert decrypted.endswith(b"MIME-Version: 1.0\r\n" + MESSAGE)


def test_we_decrypt_and_verify_what_openssl_signs_then_encrypts(pki: Pki):
    signed = pki.file("signed.eml", openssl_signed(pki, SIGNING["smime-detached"], "-to", "hub@digitalpost.example"))
    mail = openssl("smime", "-encrypt", "-aes256", "-in", signed, "-to", "hub@digitalpost.example",
                   "-subject", "Svar", pki.hub.cert_file).stdout

    verified = verify(decrypt(mail, certificate=pki.hub.certificate, key=pki.hub.key), at=pki.now)

    assert verified.signer == pki.sender.certificate
    assert verified.content == BODY_ENTITY


REFUSED = {
    "camellia-256-cbc": ["cms", "-encrypt", "-camellia-256-cbc", "{hub}"],
    "password-recipient": ["cms", "-encrypt", "-aes-256-cbc", "-pwri_password", "secret"],
}


@pytest.mark.parametrize("args", REFUSED.values(), ids=REFUSED.keys())
def test_we_refuse_encryption_algorithms_we_do_not_accept(pki: Pki, args: list[str]):
    entity = pki.file("message.eml", MESSAGE)
    command = [*args[:2], "-in", str(entity), *args[2:]]
    mail = openssl(*[str(pki.hub.cert_file) if a == "{hub}" else a for a in command]).stdout

    with pytest.raises(DigitalPostError) as refused:
        decrypt(mail, certificate=pki.hub.certificate, key=pki.hub.key)

    assert refused.value.code == ErrorCode.ENCRYPTION_ALGORITHM_UNSUPPORTED


def test_a_binary_mode_signature_over_lf_content_verifies_as_signed(pki: Pki):
    lf_entity = pki.file("lf.txt", BODY_ENTITY.replace(b"\r\n", b"\n"))
    signed = openssl("smime", "-sign", "-binary", "-md", "sha256", "-signer", pki.sender.cert_file,
                     "-inkey", pki.sender.key_file, "-in", lf_entity).stdout

    assert verify(signed, at=pki.now).content == BODY_ENTITY.replace(b"\r\n", b"\n")


def test_an_old_style_x_pkcs7_mime_without_smime_type_is_recognised(pki: Pki):
    opaque = openssl_signed(pki, SIGNING["smime-opaque"])
    old_style = re.sub(rb"application/(x-)?pkcs7-mime; smime-type=signed-data;", b"application/x-pkcs7-mime;", opaque)
    assert old_style != opaque

    assert verify(old_style, at=pki.now).content == BODY_ENTITY


def test_decrypt_keeps_the_outer_header_fields(pki: Pki):
    mail = openssl_encrypted(pki, ENCRYPTION["cms-aes-256-cbc"]).replace(b"\r\n", b"\n")
    mail = b"From: post@nordby.example\nSubject: Svar\n" + mail

    decrypted = decrypt(mail, certificate=pki.hub.certificate, key=pki.hub.key)

    assert decrypted.startswith(b"From: post@nordby.example\r\nSubject: Svar\r\nMIME-Version: 1.0\r\n")
