"""What our `encrypt` and `sign` write is decrypted and verified by NSS `cmsutil` and GnuPG `gpgsm`, the
engines of Thunderbird and KMail (openssl's verdicts are in test_smime_openssl_accepts_ours.py)."""

from __future__ import annotations

import pytest
from smime_support import BODY_ENTITY, MESSAGE, Pki

from digitalpost.protocols.smime import encrypt, sign, sign_and_encrypt
from digitalpost.protocols.smime.mime import multipart_parts, parse_entity
from helpers.real_tools import Gpgsm, Nss, cms_body

pytestmark = pytest.mark.slow


def detached_parts(mail: bytes) -> tuple[bytes, bytes]:
    """(signed content, DER signature) of our multipart/signed."""
    entity = parse_entity(mail)
    boundary = entity.param("boundary")
    assert boundary is not None
    content, signature = multipart_parts(entity.body, boundary)
    return content, cms_body(signature)


def test_cmsutil_decrypts_what_we_encrypt(pki: Pki, nss: Nss):
    mail = encrypt(MESSAGE, recipients=[pki.sender.certificate, pki.hub.certificate])

    assert nss.cmsutil("-D", stdin=cms_body(mail)) == BODY_ENTITY


def test_cmsutil_verifies_our_opaque_signature_as_trusted(pki: Pki, nss: Nss):
    mail = sign(MESSAGE, certificate=pki.sender.certificate, key=pki.sender.key, detached=False)

    # cmsutil exits non-zero for a bad or untrusted signature.
    assert nss.cmsutil("-D", stdin=cms_body(mail)) == BODY_ENTITY


def test_cmsutil_verifies_our_detached_signature_as_trusted(pki: Pki, nss: Nss):
    content, signature = detached_parts(sign(MESSAGE, certificate=pki.sender.certificate, key=pki.sender.key))
    assert content == BODY_ENTITY

    nss.cmsutil("-D", "-c", pki.file("ours-content.txt", content), stdin=signature)


def test_cmsutil_refuses_our_detached_signature_over_changed_content(pki: Pki, nss: Nss):
    content, signature = detached_parts(sign(MESSAGE, certificate=pki.sender.certificate, key=pki.sender.key))
    changed = pki.file("ours-changed.txt", content.replace(b"modtaget", b"modtagEt"))

    with pytest.raises(AssertionError, match="DigestMismatch"):
        nss.cmsutil("-D", "-v", "-c", changed, stdin=signature)


def test_gpgsm_decrypts_what_we_encrypt(pki: Pki, gpgsm: Gpgsm):
    encrypted = pki.file("ours-enc.p7m", cms_body(encrypt(MESSAGE, recipients=[pki.hub.certificate])))

    assert gpgsm.gpgsm("--decrypt", encrypted) == BODY_ENTITY


@pytest.mark.parametrize("detached", [True, False], ids=["detached", "opaque"])
def test_gpgsm_verifies_our_signature_as_good_and_fully_trusted(pki: Pki, gpgsm: Gpgsm, detached: bool):
    mail = sign(MESSAGE, certificate=pki.sender.certificate, key=pki.sender.key, detached=detached)
    if detached:
        content, signature = detached_parts(mail)
        args = [pki.file("ours.p7s", signature), pki.file("ours-content.txt", content)]
    else:
        args = [pki.file("ours-opaque.p7m", cms_body(mail))]

    status = gpgsm.gpgsm("--status-fd", "1", "--verify", *args).decode()

    assert "[GNUPG:] GOODSIG" in status
    assert "[GNUPG:] TRUST_FULLY" in status
    assert "BADSIG" not in status


def test_gpgsm_decrypts_and_verifies_our_sign_then_encrypt(pki: Pki, gpgsm: Gpgsm):
    mail = encrypt(sign(MESSAGE, certificate=pki.sender.certificate, key=pki.sender.key, detached=False),
                   recipients=[pki.hub.certificate])
    inner = gpgsm.gpgsm("--decrypt", pki.file("ours-se.p7m", cms_body(mail)))
    signed = pki.file("ours-se-inner.p7m", cms_body(inner))

    status = gpgsm.gpgsm("--status-fd", "1", "--verify", signed).decode()

    assert "[GNUPG:] GOODSIG" in status


def test_cmsutil_and_gpgsm_decrypt_and_verify_our_sign_and_encrypt(pki: Pki, nss: Nss, gpgsm: Gpgsm):
    mail = sign_and_encrypt(MESSAGE, certificate=pki.sender.certificate, key=pki.sender.key,
                            recipients=[pki.hub.certificate])

    for inner in (nss.cmsutil("-D", stdin=cms_body(mail)),
                  gpgsm.gpgsm("--decrypt", pki.file("ours-one-pass.p7m", cms_body(mail)))):
        content, signature = detached_parts(inner)
        assert content == BODY_ENTITY
        nss.cmsutil("-D", "-c", pki.file("ours-one-pass-content.txt", content), stdin=signature)
        status = gpgsm.gpgsm("--status-fd", "1", "--verify", pki.file("ours-one-pass.p7s", signature),
                             pki.file("ours-one-pass-content.txt", content)).decode()
        assert "[GNUPG:] GOODSIG" in status
