"""S/MIME on whole RFC 5322 messages as bytes: sign, encrypt, decrypt and verify.

`sign` makes multipart/signed (detached, RFC 5751) or opaque signed-data, `encrypt` makes enveloped-data with
AES-256-CBC and RSA PKCS#1 v1.5 key transport; both move the message's own header fields (From, To, Subject,
...) outside and protect the Content-* fields and body, and write CRLF line endings only. `decrypt` refuses
algorithms we do not accept before decrypting; `verify` checks the signature and returns the signer's
certificate, but whether that signer is trusted, registered or expired is the caller's decision (see
`check_certificate`). Keys and certificates are parameters. Not for: SMTP, DSNs, or composing mail bodies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from asn1crypto import cms as asn1_cms
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import algorithms
from cryptography.hazmat.primitives.serialization import pkcs7

from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.protocols.smime.certificates import Certificate, PrivateKey
from digitalpost.protocols.smime.cms import decrypt_enveloped, inspect_enveloped, verify_signed_data
from digitalpost.protocols.smime.mime import (
    CRLF,
    Entity,
    base64_lines,
    canonicalize,
    decode_body,
    inner_entity,
    multipart_parts,
    new_boundary,
    outer_fields,
    parse_entity,
)

_PKCS7_MIME = {"application/pkcs7-mime", "application/x-pkcs7-mime"}
_PKCS7_SIGNATURE = {"application/pkcs7-signature", "application/x-pkcs7-signature"}
# How far a signer's clock may run ahead of ours before its signing-time claim is refused.
CLOCK_SKEW = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Verified:
    """A verified signature: who signed, the exact signed MIME entity, and the signer's claimed signing time."""

    signer: Certificate
    content: bytes
    signed_at: datetime | None


def _split(mime_entity: bytes) -> tuple[list[bytes], bytes]:
    entity = parse_entity(canonicalize(mime_entity))
    return outer_fields(entity), inner_entity(entity)


def _message(outer: list[bytes], fields: list[bytes], body: bytes) -> bytes:
    head = [*outer, b"MIME-Version: 1.0", *fields]
    return b"".join(f + CRLF for f in head) + CRLF + body


def sign(
    mime_entity: bytes,
    *,
    certificate: Certificate,
    key: PrivateKey,
    detached: bool = True,
    chain: Sequence[Certificate] = (),
) -> bytes:
    """Sign a message (or a bare MIME entity) with SHA-256; the certificate and `chain` are embedded.

    The signed content is the Content-* fields plus body with CRLF line endings, byte for byte the first part
    of the multipart/signed result. Send 7-bit content (base64 or quoted-printable) so no relay alters it.
    """
    outer, inner = _split(mime_entity)
    builder = pkcs7.PKCS7SignatureBuilder().set_data(inner).add_signer(certificate.x509, key, hashes.SHA256())
    for extra in chain:
        builder = builder.add_certificate(extra.x509)
    # Binary: we canonicalised ourselves; cryptography must sign exactly these bytes.
    options = [pkcs7.PKCS7Options.Binary]
    if not detached:
        der = builder.sign(serialization.Encoding.DER, options)
        return _message(outer, [
            b'Content-Type: application/pkcs7-mime; smime-type=signed-data; name="smime.p7m"',
            b"Content-Transfer-Encoding: base64",
            b'Content-Disposition: attachment; filename="smime.p7m"',
        ], base64_lines(der))
    der = builder.sign(serialization.Encoding.DER, [*options, pkcs7.PKCS7Options.DetachedSignature])
    boundary = new_boundary(inner).encode("ascii")
    body = (
        b"This is an S/MIME signed message." + CRLF + CRLF
        + b"--" + boundary + CRLF + inner + CRLF
        + b"--" + boundary + CRLF
        + b'Content-Type: application/pkcs7-signature; name="smime.p7s"' + CRLF
        + b"Content-Transfer-Encoding: base64" + CRLF
        + b'Content-Disposition: attachment; filename="smime.p7s"' + CRLF + CRLF
        + base64_lines(der)
        + b"--" + boundary + b"--" + CRLF
    )
    return _message(outer, [
        b'Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256;'
        + CRLF + b' boundary="' + boundary + b'"'
    ], body)


def encrypt(mime_entity: bytes, *, recipients: Sequence[Certificate]) -> bytes:
    """Encrypt a message (or a bare MIME entity) to every recipient: AES-256-CBC, RSA PKCS#1 v1.5."""
    if not recipients:
        raise ValueError("encrypt needs at least one recipient")
    outer, inner = _split(mime_entity)
    builder = pkcs7.PKCS7EnvelopeBuilder().set_data(inner).set_content_encryption_algorithm(algorithms.AES256)
    for recipient in recipients:
        builder = builder.add_recipient(recipient.x509)
    der = builder.encrypt(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary])
    return _message(outer, [
        b'Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"',
        b"Content-Transfer-Encoding: base64",
        b'Content-Disposition: attachment; filename="smime.p7m"',
    ], base64_lines(der))


def decrypt(message: bytes, *, certificate: Certificate, key: PrivateKey) -> bytes:
    """The decrypted message: the outer header fields followed by the decrypted MIME entity, CRLF throughout.

    Refuses `encryption.missing` (not encrypted, or not to `certificate`), `encryption.algorithm.unsupported`
    (RSA-OAEP, AuthEnvelopedData/AES-GCM, 3DES, ...), `mail.malformed` (unreadable or undecryptable).
    """
    entity = parse_entity(message)
    smime_type = (entity.param("smime-type") or "").lower()
    if entity.content_type not in _PKCS7_MIME or smime_type not in ("", "enveloped-data", "authenveloped-data"):
        raise DigitalPostError(ErrorCode.ENCRYPTION_MISSING, f"the mail is {entity.content_type} {smime_type}".strip())
    der = decode_body(entity)
    envelope = inspect_enveloped(der, certificate)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("decryption needs the RSA private key of the recipient certificate")
    if envelope.library_can_decrypt:
        try:
            content = pkcs7.pkcs7_decrypt_der(der, certificate.x509, key, [])
        except (ValueError, UnsupportedAlgorithm):
            raise DigitalPostError(ErrorCode.MAIL_MALFORMED, "the mail could not be decrypted with our key") from None
    else:
        content = decrypt_enveloped(envelope, key)
    head = [*outer_fields(entity), b"MIME-Version: 1.0"]
    return canonicalize(b"".join(f + CRLF for f in head) + content)


def verify(message: bytes, *, at: datetime, known_certificates: Sequence[Certificate] = ()) -> Verified:
    """Verify the S/MIME signature of a message (multipart/signed or opaque signed-data).

    The signer's certificate is looked up among the certificates in the signature, then `known_certificates`
    (e.g. the registered ones), by issuer and serial number or subject key identifier. `at` is the time of
    receipt: a signing time claimed more than `CLOCK_SKEW` later is refused. Refuses `signature.missing` or
    `signature.invalid`; trust in the signer is not checked here.
    """
    entity = parse_entity(message)
    if entity.content_type == "multipart/signed":
        verified = _verify_detached(entity, known_certificates)
    elif entity.content_type in _PKCS7_MIME and _is_signed_data(entity):
        der = decode_body(entity, code=ErrorCode.SIGNATURE_INVALID)
        signed = verify_signed_data(der, detached_content=None, known_certificates=known_certificates)
        verified = Verified(signed.signer, signed.content, signed.signed_at)
    else:
        raise DigitalPostError(ErrorCode.SIGNATURE_MISSING, f"the mail is {entity.content_type}")
    if verified.signed_at is not None and verified.signed_at > at + CLOCK_SKEW:
        raise DigitalPostError(
            ErrorCode.SIGNATURE_INVALID, f"the signing time {verified.signed_at:%Y-%m-%d %H:%M} lies in the future"
        )
    return verified


def _is_signed_data(entity: Entity) -> bool:
    smime_type = (entity.param("smime-type") or "").lower()
    if smime_type:
        return smime_type == "signed-data"
    try:  # old clients omit smime-type: look at the CMS content type
        return bool(asn1_cms.ContentInfo.load(decode_body(entity))["content_type"].native == "signed_data")
    except (ValueError, TypeError):
        return False


def _verify_detached(entity: Entity, known: Sequence[Certificate]) -> Verified:
    boundary = entity.param("boundary")
    if not boundary:
        raise DigitalPostError(ErrorCode.MAIL_MALFORMED, "multipart/signed without a boundary")
    parts = multipart_parts(entity.body, boundary)
    if len(parts) != 2:
        raise DigitalPostError(ErrorCode.SIGNATURE_INVALID, f"multipart/signed has {len(parts)} parts, not 2")
    signature = parse_entity(parts[1])
    if signature.content_type not in _PKCS7_SIGNATURE:
        raise DigitalPostError(ErrorCode.SIGNATURE_MISSING, f"the signature part is {signature.content_type}")
    der = decode_body(signature, code=ErrorCode.SIGNATURE_INVALID)
    canonical = canonicalize(parts[0])
    try:
        signed = verify_signed_data(der, detached_content=canonical, known_certificates=known)
    except DigitalPostError:
        if canonical == parts[0]:
            raise
        # RFC 5751 wants the canonical form signed, but a signer in binary mode signs the bytes as they are.
        signed = verify_signed_data(der, detached_content=parts[0], known_certificates=known)
    return Verified(signed.signer, signed.content, signed.signed_at)
