"""S/MIME on whole RFC 5322 messages as bytes, the reading side: decrypt, verify, and unwrap nested layers.

It takes what real clients write: BER or DER CMS; `application/pkcs7-mime`, `application/x-pkcs7-mime` or an
`application/octet-stream` part named `*.p7m`, with or without `smime-type` (the CMS content type inside
decides); multipart/signed and opaque signed-data; LF or CRLF line ends; decrypted content with or without its
own header fields. `decrypt_message` reports the algorithms the sender used (3DES marked legacy), `verify` the
signer, digest and carried certificates, and `unwrap` opens every layer of sign-then-encrypt,
encrypt-then-sign or double signatures, returning each layer's outcome. Whether a signer is trusted,
registered or expired is the caller's decision (`check_certificate`). Not for: writing S/MIME (smime.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from asn1crypto import cms as asn1_cms

from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.protocols.smime.certificates import Certificate, PrivateKey
from digitalpost.protocols.smime.envelope import Decryption, decrypt_envelope
from digitalpost.protocols.smime.mime import (
    CRLF,
    Entity,
    canonicalize,
    decode_body,
    multipart_parts,
    outer_fields,
    parse_entity,
)
from digitalpost.protocols.smime.signed import SignedContent, verify_signed_data

_PKCS7_MIME = {"application/pkcs7-mime", "application/x-pkcs7-mime"}
_PKCS7_SIGNATURE = {"application/pkcs7-signature", "application/x-pkcs7-signature"}
_SMIME_TYPES = {"enveloped_data": "enveloped-data", "authenticated_enveloped_data": "authenveloped-data",
                "signed_data": "signed-data"}
_ENVELOPED = {"enveloped-data", "authenveloped-data"}
# How far a signer's clock may run ahead of ours before its signing-time claim is refused.
CLOCK_SKEW = timedelta(days=1)
# More nesting than sign + encrypt + sign again is not mail a client writes; stop before it costs too much.
MAX_LAYERS = 6
_MBOX_SEPARATOR = re.compile(rb"\AFrom [^\r\n]*\r?\n")


@dataclass(frozen=True, slots=True)
class Verified:
    """A verified signature: who signed, the exact signed MIME entity, and the signer's claimed signing time.

    `digest_algorithm` names the message digest ("sha1", "sha256", ...): SHA-1 is accepted unless the caller
    asks `verify(..., refuse_sha1=True)`, so the app can warn about it. `certificates` are all certificates the
    signature carries; `chain` those other than the signer's, to pass to `check_certificate` as intermediates.
    `is_detached` is True for multipart/signed, False for opaque signed-data.
    """

    signer: Certificate
    content: bytes
    signed_at: datetime | None
    digest_algorithm: str
    certificates: tuple[Certificate, ...]
    is_detached: bool

    @property
    def chain(self) -> tuple[Certificate, ...]:
        return tuple(c for c in self.certificates if c.fingerprint != self.signer.fingerprint)


@dataclass(frozen=True, slots=True)
class Decrypted:
    """A decrypted message (outer header fields, then the decrypted MIME entity, CRLF) and how it was encrypted.

    `content_cipher` ("aes256_cbc", "aes128_gcm", "tripledes_3key", ...) and `key_management`
    ("rsaes_pkcs1v15", "rsaes_oaep/sha256", "ecdh_stdDH/sha256kdf/aes256_wrap", ...) name the algorithms;
    `is_legacy` is True for 3DES, which is read but should make the doctor warn the sender. `content` is the
    decrypted MIME entity alone (CRLF; an empty header when the sender wrote none), without the outer fields.
    """

    message: bytes
    content: bytes
    content_cipher: str
    key_management: str
    is_legacy: bool
    is_authenticated: bool


@dataclass(frozen=True, slots=True)
class Layer:
    """One S/MIME layer, outermost first: exactly one of `decrypted` and `verified` is set."""

    decrypted: Decrypted | None = None
    verified: Verified | None = None


@dataclass(frozen=True, slots=True)
class Unwrapped:
    """Every layer opened: `message` is the innermost content with the outer header fields, CRLF."""

    message: bytes
    layers: tuple[Layer, ...]

    @property
    def signatures(self) -> tuple[Verified, ...]:
        return tuple(layer.verified for layer in self.layers if layer.verified is not None)

    @property
    def decryptions(self) -> tuple[Decrypted, ...]:
        return tuple(layer.decrypted for layer in self.layers if layer.decrypted is not None)

    @property
    def content(self) -> bytes:
        """The innermost MIME entity alone, without the outer message's fields, as its innermost layer protected
        it: the signed entity, or the decrypted one (the whole message when there are no layers)."""
        if not self.layers:
            return self.message
        last = self.layers[-1]
        if last.verified is not None:
            return last.verified.content
        assert last.decrypted is not None  # a layer is one or the other
        return last.decrypted.content

    @property
    def is_legacy(self) -> bool:
        """Some layer used an algorithm kept only for old mail (3DES content encryption)."""
        return any(d.is_legacy for d in self.decryptions)


def strip_mbox_separator(message: bytes) -> bytes:
    """The message without an mbox `From ` first line (as mail folders and some exports store it)."""
    return _MBOX_SEPARATOR.sub(b"", message, count=1)


def smime_type(entity: Entity) -> str | None:
    """"enveloped-data", "authenveloped-data", "signed-data" (or another label) for a CMS part, else None.

    A part counts when labelled pkcs7-mime (old `x-` form too) or when an `application/octet-stream` part is
    named `*.p7m`; the CMS content type inside decides when `smime-type` is missing.
    """
    name = (entity.param("name") or entity.headers.get_filename() or "").lower()
    if entity.content_type not in _PKCS7_MIME and not (
        entity.content_type == "application/octet-stream" and name.endswith(".p7m")
    ):
        return None
    label = (entity.param("smime-type") or "").lower()
    if label:
        return label
    try:
        return _SMIME_TYPES.get(asn1_cms.ContentInfo.load(decode_body(entity))["content_type"].native, "")
    except (ValueError, TypeError, DigitalPostError):
        return ""  # labelled as CMS but unreadable: the caller's parser names the problem


def _as_entity(content: bytes) -> bytes:
    """`content` as a MIME entity, CRLF: content without header fields gets an empty header."""
    if not content.startswith((b"\r\n", b"\n")):
        try:
            parse_entity(content)
        except DigitalPostError:
            content = CRLF + content
    return canonicalize(content)


def _with_outer(entity: Entity, content: bytes) -> bytes:
    """The outer fields and MIME-Version, then `content` as a MIME entity."""
    head = [*outer_fields(entity), b"MIME-Version: 1.0"]
    return canonicalize(b"".join(f + CRLF for f in head) + _as_entity(content))


def decrypt_message(message: bytes, *, certificate: Certificate, key: PrivateKey) -> Decrypted:
    """Decrypt an S/MIME message (BER or DER) and report the algorithms the sender used.

    Refuses `encryption.missing` (not encrypted), `encryption.algorithm.unsupported` (e.g. RC2, DES, ChaCha20,
    password or KEK recipients), `encryption.wrong.recipient` (not encrypted to `certificate`),
    `decryption.failed` (encrypted to us but not decryptable: one text for every such failure) and
    `mail.malformed` (unreadable).
    """
    entity = parse_entity(message)
    kind = smime_type(entity)
    if kind is None:
        raise DigitalPostError(ErrorCode.ENCRYPTION_MISSING, f"the mail is {entity.content_type} {kind or ''}".strip())
    return _decrypt(entity, certificate=certificate, key=key)


def _decrypt(entity: Entity, *, certificate: Certificate, key: PrivateKey) -> Decrypted:
    """`decrypt_message` of an entity already parsed and known to be CMS (`unwrap` has parsed every layer)."""
    decryption: Decryption = decrypt_envelope(decode_body(entity), certificate=certificate, key=key)
    return Decrypted(
        message=_with_outer(entity, decryption.content),
        content=_as_entity(decryption.content),
        content_cipher=decryption.content_cipher,
        key_management=decryption.key_management,
        is_legacy=decryption.is_legacy,
        is_authenticated=decryption.is_authenticated,
    )


def decrypt(message: bytes, *, certificate: Certificate, key: PrivateKey) -> bytes:
    """The decrypted message: the outer header fields followed by the decrypted MIME entity, CRLF throughout.

    The same refusals as `decrypt_message`, which also reports the algorithms the sender used.
    """
    return decrypt_message(message, certificate=certificate, key=key).message


def verify(
    message: bytes, *, at: datetime, known_certificates: Sequence[Certificate] = (), refuse_sha1: bool = False
) -> Verified:
    """Verify the S/MIME signature of a message (multipart/signed or opaque signed-data, BER or DER).

    The signer's certificate is looked up among the certificates in the signature, then `known_certificates`
    (e.g. the registered ones), by issuer and serial number or subject key identifier. `at` is the time of
    receipt: a signing time claimed more than `CLOCK_SKEW` later is refused. Refuses `signature.missing`,
    `signature.invalid`, or `signature.sha1.refused` (SHA-1 digest while `refuse_sha1`); trust in the signer
    is not checked here.
    """
    return _verify(parse_entity(message), at=at, known_certificates=known_certificates, refuse_sha1=refuse_sha1)


def _verify(entity: Entity, *, at: datetime, known_certificates: Sequence[Certificate], refuse_sha1: bool) -> Verified:
    """`verify` of an entity already parsed (`unwrap` has parsed every layer)."""
    if entity.content_type == "multipart/signed":
        verified = _verify_detached(entity, known_certificates, refuse_sha1)
    elif smime_type(entity) == "signed-data":
        der = decode_body(entity, code=ErrorCode.SIGNATURE_INVALID)
        signed = verify_signed_data(
            der, detached_content=None, known_certificates=known_certificates, refuse_sha1=refuse_sha1
        )
        verified = _verified(signed, is_detached=False)
    else:
        raise DigitalPostError(ErrorCode.SIGNATURE_MISSING, f"the mail is {entity.content_type}")
    if verified.signed_at is not None and verified.signed_at > at + CLOCK_SKEW:
        raise DigitalPostError(
            ErrorCode.SIGNATURE_INVALID, f"the signing time {verified.signed_at:%Y-%m-%d %H:%M} lies in the future"
        )
    return verified


def _verified(signed: SignedContent, *, is_detached: bool) -> Verified:
    return Verified(
        signer=signed.signer,
        content=signed.content,
        signed_at=signed.signed_at,
        digest_algorithm=signed.digest_algorithm,
        certificates=signed.certificates,
        is_detached=is_detached,
    )


def _verify_detached(entity: Entity, known: Sequence[Certificate], refuse_sha1: bool) -> Verified:
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
    # RFC 8551 §3.1.1: the first part is signed in canonical form, CRLF line ends (clients store it with LF).
    # The content embedded in a detached signature is never used: only the MIME part is what the reader sees.
    canonical = canonicalize(parts[0])
    try:
        signed = verify_signed_data(der, detached_content=canonical, known_certificates=known, refuse_sha1=refuse_sha1)
    except DigitalPostError:
        if canonical == parts[0]:
            raise
        # A signer in binary mode signs the bytes as they are.
        signed = verify_signed_data(der, detached_content=parts[0], known_certificates=known, refuse_sha1=refuse_sha1)
    return _verified(signed, is_detached=True)


def unwrap(
    message: bytes,
    *,
    certificate: Certificate,
    key: PrivateKey,
    at: datetime,
    known_certificates: Sequence[Certificate] = (),
    refuse_sha1: bool = False,
) -> Unwrapped:
    """Open every S/MIME layer, outermost first: decrypt envelopes with our key, verify signatures.

    Stops at the first part that is neither encrypted nor signed (which may be the message itself: no layers).
    An mbox `From ` line is stripped first. Any layer that fails raises its own code (see `decrypt_message`
    and `verify`); more than `MAX_LAYERS` layers is `mail.malformed`.
    """
    current = strip_mbox_separator(message)
    layers: list[Layer] = []
    while True:
        entity = parse_entity(current)
        kind = "signed-data" if entity.content_type == "multipart/signed" else smime_type(entity)
        if kind not in (*_ENVELOPED, "signed-data"):
            return Unwrapped(message=current, layers=tuple(layers))
        if len(layers) == MAX_LAYERS:
            raise DigitalPostError(ErrorCode.MAIL_MALFORMED, f"more than {MAX_LAYERS} S/MIME layers")
        if kind in _ENVELOPED:
            # The layer's entity as parsed above: parsing its header again cost as much as the check itself.
            decrypted = _decrypt(entity, certificate=certificate, key=key)
            layers.append(Layer(decrypted=decrypted))
            current = decrypted.message
        else:
            verified = _verify(entity, at=at, known_certificates=known_certificates, refuse_sha1=refuse_sha1)
            layers.append(Layer(verified=verified))
            current = _with_outer(entity, verified.content)
