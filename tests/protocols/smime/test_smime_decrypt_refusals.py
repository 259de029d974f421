"""Envelopes we cannot or must not open are refused with the code that names the cause, and every failure
after our key is used reads the same (no padding or tag oracle)."""

from __future__ import annotations

from datetime import datetime

import pytest
from asn1crypto import cms as asn1_cms
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from smime_support import BODY_ENTITY, MESSAGE, Party, Pki, openssl

from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.protocols.smime import decrypt_message, sign, verify
from digitalpost.protocols.smime.envelope import _GcmParameters
from helpers.real_tools import cms_body, enveloped_mail


def refused(mail: bytes, party: Party) -> DigitalPostError:
    with pytest.raises(DigitalPostError) as caught:
        decrypt_message(mail, certificate=party.certificate, key=party.key)
    return caught.value


def openssl_envelope(pki: Pki, party: Party, *args: str) -> asn1_cms.ContentInfo:
    mail = openssl("cms", "-encrypt", "-in", pki.file("entity.txt", BODY_ENTITY), "-recip", party.cert_file,
                   *args).stdout
    return asn1_cms.ContentInfo.load(cms_body(mail.replace(b"\n", b"\r\n").replace(b"\r\r\n", b"\r\n")))


def rewrapped(info: asn1_cms.ContentInfo) -> bytes:
    kind = "authenveloped-data" if info["content_type"].native == "authenticated_enveloped_data" else "enveloped-data"
    return enveloped_mail(info.dump(force=True), kind)


def test_a_changed_gcm_tag_fails_as_decryption_failed(pki: Pki):
    info = openssl_envelope(pki, pki.hub, "-aes-256-gcm")
    mac = bytearray(info["content"]["mac"].native)
    mac[0] ^= 0x01
    info["content"]["mac"] = bytes(mac)

    assert refused(rewrapped(info), pki.hub).code == ErrorCode.DECRYPTION_FAILED


def test_a_changed_gcm_ciphertext_fails_as_decryption_failed(pki: Pki):
    info = openssl_envelope(pki, pki.hub, "-aes-128-gcm")
    encrypted = info["content"]["auth_encrypted_content_info"]
    data = bytearray(encrypted["encrypted_content"].native)
    data[3] ^= 0x20
    encrypted["encrypted_content"] = bytes(data)

    assert refused(rewrapped(info), pki.hub).code == ErrorCode.DECRYPTION_FAILED


def test_broken_cbc_padding_a_wrong_tag_and_a_wrong_key_read_the_same(pki: Pki):
    cbc = openssl_envelope(pki, pki.hub, "-aes-256-cbc")
    data = bytearray(cbc["content"]["encrypted_content_info"]["encrypted_content"].native)
    data[-20] ^= 0x55  # the block before the last: the padding of the last block changes
    cbc["content"]["encrypted_content_info"]["encrypted_content"] = bytes(data)
    gcm = openssl_envelope(pki, pki.hub, "-aes-256-gcm")
    gcm["content"]["mac"] = bytes(16)
    # With a wrong RSA key decryption goes on with a random content key (RFC 3218); GCM's tag then always fails
    # (with CBC, 1 in 256 random keys gives valid padding and garbage, as in every CMS implementation).
    wrong_key = rewrapped(openssl_envelope(pki, pki.hub, "-aes-128-gcm"))

    padding = refused(rewrapped(cbc), pki.hub)
    tag = refused(rewrapped(gcm), pki.hub)
    with pytest.raises(DigitalPostError) as key:
        decrypt_message(wrong_key, certificate=pki.hub.certificate, key=pki.sender.key)

    assert padding.code == tag.code == key.value.code == ErrorCode.DECRYPTION_FAILED
    assert str(padding) == str(tag) == str(key.value)


@pytest.mark.parametrize(("field", "oid"), [
    ("content", "2.16.840.1.101.3.4.1.43"),  # aes256-OFB: not a content encryption RFC 8551 lets senders use
    ("key", "1.2.840.113549.1.1.10"),  # RSASSA-PSS named as key transport
])
def test_an_unknown_algorithm_is_refused_before_our_key_is_used(pki: Pki, field: str, oid: str):
    info = openssl_envelope(pki, pki.hub, "-aes-256-cbc")
    if field == "content":
        info["content"]["encrypted_content_info"]["content_encryption_algorithm"]["algorithm"] = oid
    else:
        info["content"]["recipient_infos"][0].chosen["key_encryption_algorithm"] = {"algorithm": oid}

    assert refused(rewrapped(info), pki.hub).code == ErrorCode.ENCRYPTION_ALGORITHM_UNSUPPORTED


def test_oaep_with_a_digest_we_do_not_know_is_refused(pki: Pki):
    info = openssl_envelope(pki, pki.hub, "-aes-256-cbc", "-keyopt", "rsa_padding_mode:oaep")
    algorithm = info["content"]["recipient_infos"][0].chosen["key_encryption_algorithm"]
    algorithm["parameters"] = {"hash_algorithm": {"algorithm": "md5"}}

    assert refused(rewrapped(info), pki.hub).code == ErrorCode.ENCRYPTION_ALGORITHM_UNSUPPORTED


def test_an_rsa_envelope_is_not_for_our_ec_key_and_an_ec_envelope_not_for_our_rsa_key(pki: Pki, p256: Party):
    to_rsa = rewrapped(openssl_envelope(pki, pki.hub, "-aes-256-cbc"))
    to_ec = rewrapped(openssl_envelope(pki, p256, "-aes-256-cbc"))

    assert refused(to_rsa, p256).code == ErrorCode.ENCRYPTION_WRONG_RECIPIENT
    assert refused(to_ec, pki.hub).code == ErrorCode.ENCRYPTION_WRONG_RECIPIENT


def test_a_signed_mail_labelled_as_p7m_octet_stream_is_not_encrypted(pki: Pki):
    opaque = sign(MESSAGE, certificate=pki.sender.certificate, key=pki.sender.key, detached=False)
    relabelled = opaque.replace(b"application/pkcs7-mime; smime-type=signed-data;", b"application/octet-stream;")

    assert refused(relabelled, pki.hub).code == ErrorCode.ENCRYPTION_MISSING
    assert verify(relabelled, at=pki.now).content == BODY_ENTITY


def test_sha1_message_signatures_are_accepted_and_reported_or_refused_on_request(pki: Pki):
    mail = openssl("cms", "-sign", "-md", "sha1", "-signer", pki.sender.cert_file, "-inkey", pki.sender.key_file,
                   "-in", pki.file("entity.txt", BODY_ENTITY)).stdout

    assert verify(mail, at=pki.now).digest_algorithm == "sha1"
    with pytest.raises(DigitalPostError) as caught:
        verify(mail, at=pki.now, refuse_sha1=True)
    assert caught.value.code == ErrorCode.SIGNATURE_SHA1_REFUSED


def with_authenticated_attributes(pki: Pki, info: asn1_cms.ContentInfo, signing_time: str) -> asn1_cms.ContentInfo:
    """openssl's AuthEnvelopedData re-sealed with authAttrs (openssl writes none): the same content key, the
    DER of the attributes as additional authenticated data, a new tag."""
    envelope = info["content"]
    key = pki.hub.key.decrypt(envelope["recipient_infos"][0].chosen["encrypted_key"].native, padding.PKCS1v15())
    encrypted = envelope["auth_encrypted_content_info"]
    nonce = _GcmParameters.load(encrypted["content_encryption_algorithm"]["parameters"].dump())["aes_nonce"].native
    plain = AESGCM(key).decrypt(nonce, encrypted["encrypted_content"].native + envelope["mac"].native, None)
    attributes = asn1_cms.CMSAttributes([
        {"type": "content_type", "values": ["data"]},
        {"type": "signing_time", "values": [asn1_cms.Time({"utc_time": datetime.fromisoformat(signing_time)})]},
    ])
    aad = b"\x31" + attributes.dump(force=True)[1:]
    sealed = AESGCM(key).encrypt(nonce, plain, aad)
    encrypted["encrypted_content"] = sealed[:-16]
    envelope["mac"] = sealed[-16:]
    envelope["auth_attrs"] = attributes
    return info


def test_authenticated_attributes_are_checked_with_the_gcm_tag(pki: Pki):
    info = with_authenticated_attributes(pki, openssl_envelope(pki, pki.hub, "-aes-256-gcm"),
                                         "2026-01-26T14:40:07+00:00")
    assert decrypt_message(rewrapped(info), certificate=pki.hub.certificate, key=pki.hub.key).message.endswith(
        BODY_ENTITY)

    later = datetime.fromisoformat("2027-01-26T14:40:07+00:00")
    info["content"]["auth_attrs"][1]["values"][0] = asn1_cms.Time({"utc_time": later})

    assert refused(rewrapped(info), pki.hub).code == ErrorCode.DECRYPTION_FAILED
