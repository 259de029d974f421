"""Decrypt CMS EnvelopedData and AuthEnvelopedData (RFC 5652, 5083) as real mail clients write them.

Why it exists: cryptography's `pkcs7_decrypt_der` reads DER only, RSA PKCS#1 v1.5 only, and a few AES-CBC
variants, while Thunderbird (NSS), KMail (gpgsm), Outlook and Apple Mail write indefinite-length BER and RFC 8551
lets senders use more. So this module parses the envelope with asn1crypto (BER or DER alike), finds our
recipient (issuerAndSerialNumber or subjectKeyIdentifier, several recipients allowed), unwraps the content key
with cryptography's primitives and decrypts the content:

- key management: RSA PKCS#1 v1.5 and RSAES-OAEP (SHA-1/224/256/384/512, MGF1, with or without a label);
  ECDH key agreement (dhSinglePass stdDH and cofactorDH, X9.63 KDF with SHA-1/224/256/384/512, AES key wrap,
  ECC-CMS-SharedInfo as in RFC 5753);
- content encryption: AES-128/192/256-CBC, AES-GCM in AuthEnvelopedData (tag and authenticated attributes
  checked), and legacy 3DES-CBC, decrypted so that no citizen's answer is lost but reported as legacy.

Refusals name their cause: `encryption.missing` (not an envelope), `encryption.algorithm.unsupported`
(before any key is used), `encryption.wrong.recipient` (not for our certificate) and `decryption.failed`,
which is the same code and text for every failure once our key is used (no padding or tag oracle). Not for:
MIME (see smime.py), signatures (signed.py) or encrypting (cryptography's builder does that).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from asn1crypto import algos, core
from asn1crypto import cms as asn1_cms
from cryptography.exceptions import InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives import hashes, keywrap
from cryptography.hazmat.primitives import padding as sym_padding
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.x963kdf import X963KDF

from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.protocols.smime.certificates import Certificate, PrivateKey
from digitalpost.protocols.smime.der import der_set, parsed_certificate, same_name

HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1,
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}
# Content encryption: name -> key length in bytes. 3DES is legacy (RFC 8551 §2.7): read, but reported.
CBC_CIPHERS = {"aes128_cbc": 16, "aes192_cbc": 24, "aes256_cbc": 32, "tripledes_3key": 24}
GCM_CIPHERS = {"aes128_gcm": 16, "aes192_gcm": 24, "aes256_gcm": 32}
LEGACY_CIPHERS = frozenset({"tripledes_3key"})
WRAP_KEY_LENGTHS = {"aes128_wrap": 16, "aes192_wrap": 24, "aes256_wrap": 32}
# RFC 5753 / SEC 1: ECDH key agreement schemes -> the KDF's hash. cofactorDH equals stdDH on the NIST prime
# curves (cofactor 1), which are the curves cryptography's ECDH supports.
ECDH_SCHEMES = {
    "1.3.133.16.840.63.0.2": ("stdDH", "sha1"),
    "1.3.133.16.840.63.0.3": ("cofactorDH", "sha1"),
    "1.3.132.1.11.0": ("stdDH", "sha224"),
    "1.3.132.1.11.1": ("stdDH", "sha256"),
    "1.3.132.1.11.2": ("stdDH", "sha384"),
    "1.3.132.1.11.3": ("stdDH", "sha512"),
    "1.3.132.1.14.0": ("cofactorDH", "sha224"),
    "1.3.132.1.14.1": ("cofactorDH", "sha256"),
    "1.3.132.1.14.2": ("cofactorDH", "sha384"),
    "1.3.132.1.14.3": ("cofactorDH", "sha512"),
}


class _GcmParameters(core.Sequence):  # type: ignore[misc]
    """RFC 5084 GCMParameters."""

    _fields = [("aes_nonce", core.OctetString), ("aes_icvlen", core.Integer, {"default": 12})]


class _KeyWrapIdentifier(core.Sequence):  # type: ignore[misc]
    """An AlgorithmIdentifier without parameters: RFC 5753 says the AES wraps have absent parameters."""

    _fields = [("algorithm", core.ObjectIdentifier)]


class _EccCmsSharedInfo(core.Sequence):  # type: ignore[misc]
    _fields = [
        ("key_info", _KeyWrapIdentifier),
        ("entity_u_info", core.OctetString, {"explicit": 0, "optional": True}),
        ("supp_pub_info", core.OctetString, {"explicit": 2}),
    ]


@dataclass(frozen=True, slots=True)
class Decryption:
    """What was decrypted and how: the MIME entity as it was encrypted, and the algorithms the sender used.

    `content_cipher` is e.g. "aes256_cbc", "aes128_gcm" or "tripledes_3key"; `key_management` e.g.
    "rsaes_pkcs1v15", "rsaes_oaep/sha256" or "ecdh_stdDH/sha256kdf/aes256_wrap". `is_legacy` marks algorithms
    RFC 8551 keeps only for reading old mail (3DES) so the caller can warn the sender; `is_authenticated` is
    True for AuthEnvelopedData (AES-GCM), whose tag proves the ciphertext was not changed.
    """

    content: bytes
    content_cipher: str
    key_management: str
    is_legacy: bool
    is_authenticated: bool


def _unsupported(detail: str) -> DigitalPostError:
    return DigitalPostError(ErrorCode.ENCRYPTION_ALGORITHM_UNSUPPORTED, detail)


class _Failed(Exception):
    """Any failure after our private key is used; becomes the one uniform `decryption.failed`."""


def _failed() -> DigitalPostError:
    return DigitalPostError(
        ErrorCode.DECRYPTION_FAILED, "the mail is encrypted to our certificate but could not be decrypted"
    )


def decrypt_envelope(der: bytes, *, certificate: Certificate, key: PrivateKey) -> Decryption:
    """Decrypt a CMS ContentInfo (BER or DER) holding EnvelopedData or AuthEnvelopedData addressed to us."""
    try:
        info = asn1_cms.ContentInfo.load(der)
        kind = info["content_type"].native
        if kind in ("signed_data", "data"):
            raise DigitalPostError(ErrorCode.ENCRYPTION_MISSING, f"the S/MIME body is {kind}, not enveloped data")
        if kind not in ("enveloped_data", "authenticated_enveloped_data"):
            raise DigitalPostError(ErrorCode.MAIL_MALFORMED, f"unexpected CMS content {kind}")
        authenticated = kind == "authenticated_enveloped_data"
        envelope = info["content"]
        encrypted = envelope["auth_encrypted_content_info" if authenticated else "encrypted_content_info"]
        cipher = encrypted["content_encryption_algorithm"]["algorithm"].native
        _check_cipher(cipher, authenticated=authenticated)
        recipient = _our_recipient(envelope["recipient_infos"], certificate, key)
        management = _key_management(recipient)
        ciphertext = encrypted["encrypted_content"].native
        if not isinstance(ciphertext, bytes):
            raise DigitalPostError(ErrorCode.MAIL_MALFORMED, "the envelope carries no encrypted content")
    except DigitalPostError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise DigitalPostError(ErrorCode.MAIL_MALFORMED, f"the encrypted body cannot be parsed: {error}") from None
    key_length = GCM_CIPHERS[cipher] if authenticated else CBC_CIPHERS[cipher]
    try:
        content_key = _unwrap(recipient, certificate, key)
    except (_Failed, ValueError, TypeError, UnsupportedAlgorithm, keywrap.InvalidUnwrap):
        if not isinstance(recipient.info, asn1_cms.KeyTransRecipientInfo):
            raise _failed() from None  # AES key wrap has its own integrity check: no RSA padding to hide
        content_key = b""
    if len(content_key) != key_length:
        # RFC 3218 §2.3.2: after an RSA key transport failure go on with a random key, so it fails where bad
        # content does and its timing tells nothing about the RSA padding.
        content_key = os.urandom(key_length)
    try:
        if authenticated:
            content = _decrypt_gcm(encrypted, content_key, envelope, ciphertext)
        else:
            content = _decrypt_cbc(encrypted, content_key, ciphertext, cipher)
    except (_Failed, ValueError, TypeError, KeyError, InvalidTag, UnsupportedAlgorithm):
        raise _failed() from None
    return Decryption(
        content=content,
        content_cipher=cipher,
        key_management=management,
        is_legacy=cipher in LEGACY_CIPHERS,
        is_authenticated=authenticated,
    )


def _check_cipher(cipher: str, *, authenticated: bool) -> None:
    accepted = GCM_CIPHERS if authenticated else CBC_CIPHERS
    if cipher not in accepted:
        where = "AuthEnvelopedData" if authenticated else "EnvelopedData"
        raise _unsupported(f"content encryption {cipher} in {where} is not accepted; use AES-256-CBC or AES-GCM")


# --- finding our recipient -----------------------------------------------------------------------------------


def _matches(rid: asn1_cms.RecipientIdentifier | asn1_cms.KeyAgreementRecipientIdentifier, cert: Certificate) -> bool:
    parsed = parsed_certificate(cert.der)
    if rid.name == "issuer_and_serial_number":
        wanted_issuer, wanted_serial = rid.chosen["issuer"], rid.chosen["serial_number"].native
        return bool(parsed.serial_number == wanted_serial and same_name(parsed.issuer, wanted_issuer))
    wanted = rid.chosen["subject_key_identifier"] if rid.name == "r_key_id" else rid.chosen
    return parsed.key_identifier is not None and bool(parsed.key_identifier == wanted.native)


@dataclass(frozen=True, slots=True)
class _Recipient:
    info: asn1_cms.KeyTransRecipientInfo | asn1_cms.KeyAgreeRecipientInfo
    encrypted_key: bytes


def _our_recipient(infos: asn1_cms.RecipientInfos, certificate: Certificate, key: PrivateKey) -> _Recipient:
    unreadable: set[str] = set()
    for ri in infos:
        if ri.name == "ktri" and isinstance(key, rsa.RSAPrivateKey) and _matches(ri.chosen["rid"], certificate):
            return _Recipient(ri.chosen, ri.chosen["encrypted_key"].native)
        if ri.name == "kari" and isinstance(key, ec.EllipticCurvePrivateKey):
            for rek in ri.chosen["recipient_encrypted_keys"]:
                if _matches(rek["rid"], certificate):
                    return _Recipient(ri.chosen, rek["encrypted_key"].native)
        if ri.name not in ("ktri", "kari"):
            unreadable.add(ri.name)
    if unreadable:
        raise _unsupported(f"key management {', '.join(sorted(unreadable))} is not accepted; use RSA or ECDH")
    raise DigitalPostError(ErrorCode.ENCRYPTION_WRONG_RECIPIENT, f"the mail is not encrypted to {certificate.subject}")


def _key_management(recipient: _Recipient) -> str:
    """A name for the key management our recipient uses; refuses what we cannot unwrap before using the key."""
    algorithm = recipient.info["key_encryption_algorithm"]
    name = str(algorithm["algorithm"].native)
    if isinstance(recipient.info, asn1_cms.KeyTransRecipientInfo):
        if name == "rsaes_pkcs1v15":
            return name
        if name == "rsaes_oaep":
            _oaep(algorithm["parameters"])
            return f"rsaes_oaep/{algorithm['parameters']['hash_algorithm']['algorithm'].native}"
        raise _unsupported(f"key transport {name} is not accepted; use RSA PKCS#1 v1.5 or RSAES-OAEP")
    oid = algorithm["algorithm"].dotted
    if recipient.info["originator"].name != "originator_key":
        raise _unsupported("static-static ECDH (originator named by certificate) is not accepted; use ephemeral ECDH")
    if oid not in ECDH_SCHEMES:
        raise _unsupported(f"key agreement {name} is not accepted; use ECDH (dhSinglePass) with AES key wrap")
    wrap = _wrap_algorithm(recipient.info)
    if wrap not in WRAP_KEY_LENGTHS:
        raise _unsupported(f"key wrap {wrap} is not accepted; use AES key wrap")
    scheme, kdf_hash = ECDH_SCHEMES[oid]
    return f"ecdh_{scheme}/{kdf_hash}kdf/{wrap}"


def _wrap_algorithm(kari: asn1_cms.KeyAgreeRecipientInfo) -> str:
    parameters = kari["key_encryption_algorithm"]["parameters"]
    return str(asn1_cms.KeyEncryptionAlgorithm.load(parameters.dump())["algorithm"].native)


def _oaep(parameters: algos.RSAESOAEPParams) -> padding.OAEP:
    hash_name = parameters["hash_algorithm"]["algorithm"].native
    mgf = parameters["mask_gen_algorithm"]
    mgf_hash = mgf["parameters"]["algorithm"].native if mgf["algorithm"].native == "mgf1" else None
    source = parameters["p_source_algorithm"]
    if hash_name not in HASHES or mgf_hash not in HASHES or source["algorithm"].native != "p_specified":
        raise _unsupported(f"RSAES-OAEP with {hash_name}, {mgf['algorithm'].native} {mgf_hash} is not accepted")
    label = source["parameters"].native or None
    return padding.OAEP(mgf=padding.MGF1(HASHES[mgf_hash]()), algorithm=HASHES[hash_name](), label=label)


# --- unwrapping the content key and decrypting -----------------------------------------------------------------


def _unwrap(recipient: _Recipient, certificate: Certificate, key: PrivateKey) -> bytes:
    info = recipient.info
    if isinstance(info, asn1_cms.KeyTransRecipientInfo) and isinstance(key, rsa.RSAPrivateKey):
        algorithm = info["key_encryption_algorithm"]
        if algorithm["algorithm"].native == "rsaes_oaep":
            return key.decrypt(recipient.encrypted_key, _oaep(algorithm["parameters"]))
        return key.decrypt(recipient.encrypted_key, padding.PKCS1v15())
    if isinstance(info, asn1_cms.KeyAgreeRecipientInfo) and isinstance(key, ec.EllipticCurvePrivateKey):
        return _unwrap_ecdh(info, recipient.encrypted_key, key)
    raise _Failed


def _unwrap_ecdh(kari: asn1_cms.KeyAgreeRecipientInfo, wrapped: bytes, key: ec.EllipticCurvePrivateKey) -> bytes:
    point = kari["originator"].chosen["public_key"].native
    ephemeral = ec.EllipticCurvePublicKey.from_encoded_point(key.curve, point)
    shared_secret = key.exchange(ec.ECDH(), ephemeral)
    wrap = _wrap_algorithm(kari)
    kek_length = WRAP_KEY_LENGTHS[wrap]
    shared_info = _EccCmsSharedInfo({
        "key_info": {"algorithm": asn1_cms.KeyEncryptionAlgorithmId(wrap).dotted},
        "supp_pub_info": (kek_length * 8).to_bytes(4, "big"),
    })
    if kari["ukm"]:
        shared_info["entity_u_info"] = kari["ukm"].native
    _, kdf_hash = ECDH_SCHEMES[kari["key_encryption_algorithm"]["algorithm"].dotted]
    kek = X963KDF(algorithm=HASHES[kdf_hash](), length=kek_length, sharedinfo=shared_info.dump()).derive(shared_secret)
    return keywrap.aes_key_unwrap(kek, wrapped)


def _decrypt_cbc(encrypted: asn1_cms.EncryptedContentInfo, content_key: bytes, ciphertext: bytes, cipher: str) -> bytes:
    iv = encrypted["content_encryption_algorithm"]["parameters"].native
    if not isinstance(iv, bytes):
        raise _Failed
    block: algorithms.AES | TripleDES
    block = TripleDES(content_key) if cipher in LEGACY_CIPHERS else algorithms.AES(content_key)
    decryptor = Cipher(block, modes.CBC(iv)).decryptor()
    padded = decryptor.update(ciphertext) + decryptor.finalize()
    # cryptography's unpadder checks in constant time; its ValueError becomes the uniform failure.
    unpadder = sym_padding.PKCS7(block.block_size).unpadder()
    return unpadder.update(padded) + unpadder.finalize()


def _decrypt_gcm(
    encrypted: asn1_cms.EncryptedContentInfo,
    content_key: bytes,
    envelope: asn1_cms.AuthEnvelopedData,
    ciphertext: bytes,
) -> bytes:
    parameters = _GcmParameters.load(encrypted["content_encryption_algorithm"]["parameters"].dump())
    nonce = parameters["aes_nonce"].native
    tag = envelope["mac"].native
    if len(tag) != parameters["aes_icvlen"].native or not 12 <= len(tag) <= 16:
        raise _Failed
    decryptor = Cipher(algorithms.AES(content_key), modes.GCM(nonce, tag, min_tag_length=len(tag))).decryptor()
    attributes = envelope["auth_attrs"]
    if attributes:  # RFC 5083 §2.2: the DER of authAttrs with the SET OF tag is the additional authenticated data
        decryptor.authenticate_additional_data(der_set(attributes))
    return decryptor.update(ciphertext) + decryptor.finalize()
