"""What openssl, NSS `cmsutil` and GnuPG `gpgsm` write, in BER or DER, with every RFC 8551 algorithm, we read.

The matrix: RSA PKCS#1 v1.5 and RSAES-OAEP (SHA-1, SHA-256, MGF1-SHA-256, with a label), ECDH key agreement
(stdDH and cofactorDH, KDF with SHA-1 to SHA-512, P-256 and P-384), AES-CBC, AES-GCM AuthEnvelopedData, legacy
3DES, several recipients, recipients named by key identifier, and opaque and detached signatures, streamed
(indefinite-length BER) or not.
"""

from __future__ import annotations

import pytest
from smime_support import BODY_ENTITY, Party, Pki, openssl

from digitalpost.protocols.smime import decrypt_message, verify
from helpers.real_tools import Gpgsm, Nss, detached_mail, enveloped_mail

pytestmark = pytest.mark.slow


# id -> (openssl cms -encrypt arguments, recipient, expected content cipher, expected key management)
OPENSSL_ENCRYPTION = {
    "v15-aes256-cbc-stream": (["-aes-256-cbc", "-stream"], "hub", "aes256_cbc", "rsaes_pkcs1v15"),
    "v15-aes128-cbc-der": (["-aes-128-cbc"], "hub", "aes128_cbc", "rsaes_pkcs1v15"),
    "v15-aes192-cbc-keyid": (["-aes-192-cbc", "-keyid", "-stream"], "hub", "aes192_cbc", "rsaes_pkcs1v15"),
    "oaep-sha1": (["-aes-256-cbc", "-stream", "-keyopt", "rsa_padding_mode:oaep"], "hub", "aes256_cbc",
                  "rsaes_oaep/sha1"),
    "oaep-sha256": (["-aes-256-cbc", "-stream", "-keyopt", "rsa_padding_mode:oaep", "-keyopt", "rsa_oaep_md:sha256"],
                    "hub", "aes256_cbc", "rsaes_oaep/sha256"),
    "oaep-sha256-mgf1-sha256-label": (
        ["-aes-128-cbc", "-keyopt", "rsa_padding_mode:oaep", "-keyopt", "rsa_oaep_md:sha256", "-keyopt",
         "rsa_mgf1_md:sha256", "-keyopt", "rsa_oaep_label:0a0b0c"], "hub", "aes128_cbc", "rsaes_oaep/sha256"),
    "v15-aes256-gcm": (["-aes-256-gcm", "-stream"], "hub", "aes256_gcm", "rsaes_pkcs1v15"),
    "oaep-aes128-gcm": (["-aes-128-gcm", "-keyopt", "rsa_padding_mode:oaep"], "hub", "aes128_gcm", "rsaes_oaep/sha1"),
    "v15-3des": (["-des3", "-stream"], "hub", "tripledes_3key", "rsaes_pkcs1v15"),
    # openssl 3.0's default KDF digest for ECDH is SHA-1.
    "ecdh-p256-default": (["-aes-256-cbc", "-stream"], "p256", "aes256_cbc", "ecdh_stdDH/sha1kdf/aes256_wrap"),
    "ecdh-p256-sha256": (["-aes-256-cbc", "-keyopt", "ecdh_kdf_md:sha256"], "p256", "aes256_cbc",
                         "ecdh_stdDH/sha256kdf/aes256_wrap"),
    "ecdh-p256-sha1-aes128": (["-aes-128-cbc", "-keyopt", "ecdh_kdf_md:sha1"], "p256", "aes128_cbc",
                              "ecdh_stdDH/sha1kdf/aes128_wrap"),
    "ecdh-p256-cofactor-sha512": (["-aes-256-cbc", "-keyopt", "ecdh_cofactor_mode:1", "-keyopt", "ecdh_kdf_md:sha512"],
                                  "p256", "aes256_cbc", "ecdh_cofactorDH/sha512kdf/aes256_wrap"),
    "ecdh-p384-sha384-gcm": (["-aes-256-gcm", "-keyopt", "ecdh_kdf_md:sha384"], "p384", "aes256_gcm",
                             "ecdh_stdDH/sha384kdf/aes256_wrap"),
    "ecdh-p384-sha224": (["-aes-192-cbc", "-keyopt", "ecdh_kdf_md:sha224"], "p384", "aes192_cbc",
                         "ecdh_stdDH/sha224kdf/aes192_wrap"),
}


@pytest.mark.parametrize("case", OPENSSL_ENCRYPTION, ids=OPENSSL_ENCRYPTION)
def test_we_decrypt_what_openssl_encrypts(pki: Pki, p256: Party, p384: Party, case: str):
    args, who, cipher, management = OPENSSL_ENCRYPTION[case]
    recipient = {"hub": pki.hub, "p256": p256, "p384": p384}[who]
    # A key option belongs to the recipient named before it.
    mail = openssl("cms", "-encrypt", "-in", pki.file("entity.txt", BODY_ENTITY), "-recip", recipient.cert_file,
                   *args).stdout

    decrypted = decrypt_message(mail, certificate=recipient.certificate, key=recipient.key)

    assert decrypted.message.endswith(b"MIME-Version: 1.0\r\n" + BODY_ENTITY)
    assert (decrypted.content_cipher, decrypted.key_management) == (cipher, management)
    assert decrypted.is_legacy == (cipher == "tripledes_3key")
    assert decrypted.is_authenticated == cipher.endswith("_gcm")


@pytest.mark.parametrize("ours", ["hub", "p256"])
def test_we_find_our_recipient_among_several_of_both_kinds(pki: Pki, p256: Party, ours: str):
    mail = openssl("cms", "-encrypt", "-aes-256-cbc", "-stream", "-in", pki.file("entity.txt", BODY_ENTITY),
                   "-recip", pki.sender.cert_file, "-recip", p256.cert_file, "-recip", pki.hub.cert_file).stdout
    party = {"hub": pki.hub, "p256": p256}[ours]

    assert decrypt_message(mail, certificate=party.certificate, key=party.key).message.endswith(BODY_ENTITY)


OPENSSL_SIGNING = {
    "detached-stream": ["-md", "sha256", "-stream"],
    "opaque-stream": ["-md", "sha256", "-nodetach", "-stream"],
    "opaque-sha1-stream": ["-md", "sha1", "-nodetach", "-stream"],
    "detached-sha512-keyid": ["-md", "sha512", "-keyid", "-stream"],
}


@pytest.mark.parametrize("case", OPENSSL_SIGNING, ids=OPENSSL_SIGNING)
def test_we_verify_what_openssl_signs_in_ber(pki: Pki, case: str):
    args = OPENSSL_SIGNING[case]
    mail = openssl("cms", "-sign", *args, "-signer", pki.sender.cert_file, "-inkey", pki.sender.key_file,
                   "-in", pki.file("entity.txt", BODY_ENTITY)).stdout

    verified = verify(mail, at=pki.now)

    assert verified.signer == pki.sender.certificate
    assert verified.content == BODY_ENTITY
    assert verified.digest_algorithm == args[1]


def test_we_verify_an_ecdsa_signature_from_openssl(pki: Pki, p256: Party):
    mail = openssl("cms", "-sign", "-md", "sha384", "-stream", "-signer", p256.cert_file, "-inkey", p256.key_file,
                   "-in", pki.file("entity.txt", BODY_ENTITY)).stdout

    assert verify(mail, at=pki.now).signer == p256.certificate


# --- NSS cmsutil (Thunderbird) and GnuPG gpgsm (KMail) -------------------------------------------------------


def test_we_decrypt_what_cmsutil_encrypts(pki: Pki, nss: Nss):
    der = nss.cmsutil("-E", "-r", "hub@digitalpost.example", stdin=BODY_ENTITY)
    assert der[:2] == b"\x30\x80"  # NSS writes indefinite-length BER

    decrypted = decrypt_message(enveloped_mail(der), certificate=pki.hub.certificate, key=pki.hub.key)

    assert decrypted.message.endswith(BODY_ENTITY)
    assert decrypted.key_management == "rsaes_pkcs1v15"


@pytest.mark.parametrize("digest", ["SHA1", "SHA256", "SHA512"])
def test_we_verify_what_cmsutil_signs_opaque_and_detached(pki: Pki, nss: Nss, digest: str):
    opaque = nss.cmsutil("-S", "-N", "sender", "-H", digest, stdin=BODY_ENTITY)
    detached = nss.cmsutil("-S", "-T", "-N", "sender", "-H", digest, stdin=BODY_ENTITY)

    for mail in (enveloped_mail(opaque, "signed-data"), detached_mail(BODY_ENTITY, detached)):
        verified = verify(mail, at=pki.now)
        assert verified.signer == pki.sender.certificate
        assert verified.content == BODY_ENTITY
        assert verified.digest_algorithm == digest.lower()


def test_we_decrypt_what_gpgsm_encrypts(pki: Pki, gpgsm: Gpgsm):
    source = pki.file("gpgsm-in.txt", BODY_ENTITY)
    out = pki.folder / "gpgsm-enc.p7m"
    out.unlink(missing_ok=True)
    gpgsm.gpgsm("--encrypt", "-r", "hub@digitalpost.example", "-o", out, source)

    decrypted = decrypt_message(enveloped_mail(out.read_bytes()), certificate=pki.hub.certificate, key=pki.hub.key)

    assert decrypted.message.endswith(BODY_ENTITY)


@pytest.mark.parametrize("mode", ["--sign", "--detach-sign"])
def test_we_verify_what_gpgsm_signs(pki: Pki, gpgsm: Gpgsm, mode: str):
    source = pki.file("gpgsm-in.txt", BODY_ENTITY)
    out = pki.folder / f"gpgsm{mode}.p7s"
    out.unlink(missing_ok=True)
    gpgsm.gpgsm("-u", "post@nordby.example", "--include-certs", "1", mode, "-o", out, source)
    mail = enveloped_mail(out.read_bytes(), "signed-data") if mode == "--sign" else detached_mail(
        BODY_ENTITY, out.read_bytes())

    verified = verify(mail, at=pki.now)

    assert verified.signer == pki.sender.certificate
    assert verified.content == BODY_ENTITY
