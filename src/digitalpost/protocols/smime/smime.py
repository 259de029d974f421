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
    base64_lines,
    canonicalize,
    inner_entity,
    new_boundary,
    outer_fields,
    parse_entity,
)


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


