"""S/MIME on whole RFC 5322 messages as bytes, the writing side: sign and encrypt.

`sign` makes multipart/signed (detached, RFC 8551) or opaque signed-data, `encrypt` makes enveloped-data with
AES-256-CBC and RSA PKCS#1 v1.5 key transport; both move the message's own header fields (From, To, Subject,
...) outside and protect the Content-* fields and body, and write DER and CRLF line endings only, which every client
we test (openssl, NSS `cmsutil`, GnuPG `gpgsm`) reads. Keys and certificates are parameters. Not for: reading
S/MIME (see read.py), SMTP, DSNs, or composing mail bodies.
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.ciphers import algorithms
from cryptography.hazmat.primitives.serialization import pkcs7

from digitalpost.protocols.smime.certificates import Certificate, PrivateKey
from digitalpost.protocols.smime.mime import (
    CRLF,
    canonicalize,
    is_content_field,
    new_boundary,
    outer_fields,
    parse_entity,
)


def _split(mime_entity: bytes, *, canonical: bool = False) -> tuple[list[bytes], bytes]:
    """The message's own fields, and the MIME entity to protect (Content-* fields and body, CRLF-canonical).

    `canonical`: the caller made `mime_entity` with CRLF line ends only, so it is not checked (three counts over
    the whole entity, the largest part of them the CRLF count: ~0.2 ms of CPU at 150 KB)."""
    entity = parse_entity(mime_entity if canonical else canonicalize(mime_entity))
    # Parsed from canonical bytes, the entity's fields and body are canonical: no second pass over the body.
    inner = b"".join([*(f + CRLF for f in entity.fields if is_content_field(f)), CRLF, entity.body])
    return outer_fields(entity), inner


def _message(outer: list[bytes], fields: list[bytes], body: bytes) -> bytes:
    head = [*outer, b"MIME-Version: 1.0", *fields]
    return b"".join([*(f + CRLF for f in head), CRLF, body])


def _entity(fields: list[bytes], body: bytes) -> bytes:
    """A MIME entity of our own making (canonical already): what `_split` of `_message(outer, fields, body)` gives."""
    return b"".join([*(f + CRLF for f in fields), CRLF, body])


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
    return _message(outer, *_signed(inner, certificate=certificate, key=key, detached=detached, chain=chain))


def encrypt(mime_entity: bytes, *, recipients: Sequence[Certificate]) -> bytes:
    """Encrypt a message (or a bare MIME entity) to every recipient: AES-256-CBC, RSA PKCS#1 v1.5."""
    if not recipients:
        raise ValueError("encrypt needs at least one recipient")
    outer, inner = _split(mime_entity)
    return _message(outer, *_enveloped(inner, recipients))


def sign_and_encrypt(
    mime_entity: bytes,
    *,
    certificate: Certificate,
    key: PrivateKey,
    recipients: Sequence[Certificate],
    chain: Sequence[Certificate] = (),
    canonical: bool = False,
) -> bytes:
    """`encrypt(sign(mime_entity, ...), recipients=...)` (detached signature) in one pass: the same structure, but
    the signed entity goes into the envelope as built, not written out and split again.

    `canonical=True` is the caller's word that `mime_entity` has CRLF line ends only (no bare CR or LF), as
    `mail.build_inner_entity` writes: it is then signed as it is. A bare line end signed so would fail to verify
    at the recipient, which canonicalises before checking the digest."""
    if not recipients:
        raise ValueError("encrypt needs at least one recipient")
    outer, inner = _split(mime_entity, canonical=canonical)
    signed = _entity(*_signed(inner, certificate=certificate, key=key, detached=True, chain=chain))
    return _message(outer, *_enveloped(signed, recipients))


def _signed(
    inner: bytes, *, certificate: Certificate, key: PrivateKey, detached: bool, chain: Sequence[Certificate],
) -> tuple[list[bytes], bytes]:
    """The Content-* fields and body of the signed entity (multipart/signed or opaque signed-data) of `inner`."""
    builder = pkcs7.PKCS7SignatureBuilder().set_data(inner).add_signer(certificate.x509, key, hashes.SHA256())
    for extra in chain:
        builder = builder.add_certificate(extra.x509)
    # Binary: we canonicalised ourselves; cryptography must sign exactly these bytes.
    options = [pkcs7.PKCS7Options.Binary]
    if not detached:
        return [
            b'Content-Type: application/pkcs7-mime; smime-type=signed-data; name="smime.p7m"',
            b"Content-Transfer-Encoding: base64",
            b'Content-Disposition: attachment; filename="smime.p7m"',
        ], _base64_body(builder.sign(serialization.Encoding.PEM, options))
    signature = _base64_body(builder.sign(serialization.Encoding.PEM, [*options, pkcs7.PKCS7Options.DetachedSignature]))
    boundary = new_boundary(inner).encode("ascii")
    body = b"".join([  # joined once: `+` would copy the whole content at every step
        b"This is an S/MIME signed message." + CRLF + CRLF,
        b"--" + boundary + CRLF, inner, CRLF,
        b"--" + boundary + CRLF,
        b'Content-Type: application/pkcs7-signature; name="smime.p7s"' + CRLF,
        b"Content-Transfer-Encoding: base64" + CRLF,
        b'Content-Disposition: attachment; filename="smime.p7s"' + CRLF + CRLF,
        signature,
        b"--" + boundary + b"--" + CRLF,
    ])
    return [
        b'Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256;'
        + CRLF + b' boundary="' + boundary + b'"'
    ], body


def _enveloped(inner: bytes, recipients: Sequence[Certificate]) -> tuple[list[bytes], bytes]:
    """The Content-* fields and body of the enveloped-data entity of `inner`."""
    builder = pkcs7.PKCS7EnvelopeBuilder().set_data(inner).set_content_encryption_algorithm(algorithms.AES256)
    for recipient in recipients:
        builder = builder.add_recipient(recipient.x509)
    return [
        b'Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"',
        b"Content-Transfer-Encoding: base64",
        b'Content-Disposition: attachment; filename="smime.p7m"',
    ], _base64_body(builder.encrypt(serialization.Encoding.PEM, [pkcs7.PKCS7Options.Binary]))


def _base64_body(pem: bytes) -> bytes:
    """The DER of a PEM block as a MIME base64 body: its lines of 64 characters (as OpenSSL writes S/MIME), CRLF.

    cryptography writes PEM in compiled code; base64 from Python (lines of 76) cost as much as the whole signing
    and encrypting of a 150 KB mail.
    """
    start = pem.index(b"\n") + 1  # after "-----BEGIN PKCS7-----"
    end = pem.rindex(b"-----END ")
    return pem[start:end].replace(b"\n", CRLF)
