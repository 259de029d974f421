"""What sign and encrypt make is accepted by the real openssl command line, and uses CRLF only."""

from __future__ import annotations

import pytest
from smime_support import BARE_LF, BODY_ENTITY, MESSAGE, Pki, openssl

from digitalpost.protocols.smime import encrypt, sign, sign_and_encrypt


@pytest.mark.parametrize("tool", ["cms", "smime"])
@pytest.mark.parametrize("detached", [True, False], ids=["detached", "opaque"])
def test_openssl_verifies_our_signature(pki: Pki, tool: str, detached: bool):
    signed = pki.file(f"signed-{tool}-{detached}.eml",
                      sign(MESSAGE, certificate=pki.sender.certificate, key=pki.sender.key, detached=detached))

    out = openssl(tool, "-verify", "-CAfile", pki.ca.cert_file, "-in", signed)

    assert out.stdout == BODY_ENTITY
    assert b"Verification successful" in out.stderr


def test_openssl_refuses_our_signature_from_an_untrusted_issuer(pki: Pki):
    signed = pki.file("signed-twin.eml", sign(MESSAGE, certificate=pki.twin.certificate, key=pki.twin.key))

    out = openssl("cms", "-verify", "-CAfile", pki.ca.cert_file, "-in", signed, check=False)

    assert out.returncode != 0


def test_openssl_decrypts_what_we_encrypt_with_aes_256_cbc(pki: Pki):
    encrypted = pki.file("encrypted.eml", encrypt(MESSAGE, recipients=[pki.hub.certificate, pki.sender.certificate]))

    for party in (pki.hub, pki.sender):
        out = openssl("cms", "-decrypt", "-recip", party.cert_file, "-inkey", party.key_file, "-in", encrypted)
        assert out.stdout == BODY_ENTITY
    info = openssl("cms", "-cmsout", "-print", "-in", encrypted).stdout
    assert b"aes-256-cbc" in info
    assert b"rsaEncryption" in info


def test_sign_then_encrypt_round_trips_through_openssl(pki: Pki):
    mail = encrypt(sign(MESSAGE, certificate=pki.sender.certificate, key=pki.sender.key),
                   recipients=[pki.hub.certificate])
    assert mail.startswith(b"From: Nordby Kommune <post@nordby.example>\r\nTo: hub@digitalpost.example\r\n")

    decrypted = openssl("cms", "-decrypt", "-recip", pki.hub.cert_file, "-inkey", pki.hub.key_file,
                        stdin=mail).stdout
    content = openssl("smime", "-verify", "-CAfile", pki.ca.cert_file, stdin=decrypted).stdout

    assert content == BODY_ENTITY


def test_sign_and_encrypt_in_one_pass_round_trips_through_openssl(pki: Pki):
    mail = sign_and_encrypt(MESSAGE, certificate=pki.sender.certificate, key=pki.sender.key,
                            recipients=[pki.hub.certificate])
    two_passes = encrypt(sign(MESSAGE, certificate=pki.sender.certificate, key=pki.sender.key),
                         recipients=[pki.hub.certificate])
    # The same outside fields and entity headers as encrypt(sign(...)); only the ciphertext differs.
    assert mail.split(b"\r\n\r\n", 1)[0] == two_passes.split(b"\r\n\r\n", 1)[0]

    decrypted = openssl("cms", "-decrypt", "-recip", pki.hub.cert_file, "-inkey", pki.hub.key_file,
                        stdin=mail).stdout
    out = openssl("cms", "-verify", "-CAfile", pki.ca.cert_file, stdin=decrypted)

    assert out.stdout == BODY_ENTITY
    assert b"Verification successful" in out.stderr
    assert decrypted.startswith(b'Content-Type: multipart/signed; protocol="application/pkcs7-signature"; '
                                b'micalg=sha-256;\r\n boundary="')


@pytest.mark.parametrize("make", ["sign", "sign-opaque", "encrypt", "sign-encrypt", "sign-and-encrypt"])
def test_our_output_has_crlf_line_endings_only(pki: Pki, make: str):
    lf_only = MESSAGE.replace(b"\r\n", b"\n")
    cert, key = pki.sender.certificate, pki.sender.key
    out = {
        "sign": lambda: sign(lf_only, certificate=cert, key=key),
        "sign-opaque": lambda: sign(lf_only, certificate=cert, key=key, detached=False),
        "encrypt": lambda: encrypt(lf_only, recipients=[cert]),
        "sign-encrypt": lambda: encrypt(sign(lf_only, certificate=cert, key=key), recipients=[cert]),
        "sign-and-encrypt": lambda: sign_and_encrypt(lf_only, certificate=cert, key=key, recipients=[cert]),
    }[make]()

    assert BARE_LF.search(out) is None
    assert b"\r" not in out.replace(b"\r\n", b"")
