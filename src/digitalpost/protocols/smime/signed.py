"""Verify CMS SignedData (RFC 5652) in BER or DER: the one small adapter cryptography's public API lacks.

Why it exists: cryptography can build CMS signatures but not verify them. So this module parses the
signature with asn1crypto (indefinite-length BER as real clients write it, or DER), finds the signer's
certificate (by issuer and serial number, or by subject key identifier — never by serial alone), checks the
messageDigest attribute against the content and verifies the signature over the DER of the signed attributes
with cryptography's public-key primitives (RSA PKCS#1 v1.5, RSA-PSS, ECDSA; SHA-1/224/256/384/512). It returns
the digest algorithm so callers can see (or, with `refuse_sha1`, refuse) SHA-1 message signatures, and the
certificates the signature carries so they can serve as intermediates in path validation. Not for: MIME (see
smime.py), decryption (envelope.py) or certificate trust (certificates.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from asn1crypto import cms as asn1_cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.protocols.smime.certificates import Certificate
from digitalpost.protocols.smime.der import der_set, parsed_certificate, received_set, same_name
from digitalpost.protocols.smime.envelope import HASHES


def _invalid(detail: str) -> DigitalPostError:
    return DigitalPostError(ErrorCode.SIGNATURE_INVALID, detail)


@dataclass(frozen=True, slots=True)
class SignedContent:
    signer: Certificate
    content: bytes
    signed_at: datetime | None
    digest_algorithm: str  # "sha1", "sha256", ... as named by asn1crypto
    certificates: tuple[Certificate, ...]  # every certificate the signature carries


def verify_signed_data(
    der: bytes,
    *,
    detached_content: bytes | None,
    known_certificates: Sequence[Certificate] = (),
    refuse_sha1: bool = False,
) -> SignedContent:
    """Verify a CMS ContentInfo holding SignedData; every signer must verify. Returns the first signer.

    `detached_content` is the signed content of a multipart/signed mail; None means it is embedded. A
    detached signature is always checked against `detached_content`, never against content it may also embed.
    Raises `signature.invalid` for anything that does not verify, including unparseable input, and
    `signature.sha1.refused` for a SHA-1 digest when `refuse_sha1` is set.
    """
    try:
        info = asn1_cms.ContentInfo.load(der)
        if info["content_type"].native != "signed_data":
            raise _invalid(f"the signature is {info['content_type'].native}, not signed data")
        signed = info["content"]
        encap = signed["encap_content_info"]
        embedded = encap["content"].native if encap["content"] else None
        content = detached_content if detached_content is not None else embedded
        if not isinstance(content, bytes):
            raise _invalid("the signature carries no content and none was sent beside it")
        carried = tuple(
            _carried_certificate(c.chosen.dump()) for c in signed["certificates"] or [] if c.name == "certificate"
        )
        candidates = _CarriedThenKnown(carried, known_certificates)
        signer_infos = list(signed["signer_infos"])
        if not signer_infos:
            raise _invalid("the signature has no signer")
        results = [
            _verify_signer(si, content, encap["content_type"].native, candidates, refuse_sha1) for si in signer_infos
        ]
    except DigitalPostError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise _invalid(f"the signature cannot be parsed: {error}") from None
    signer, signed_at, digest_name = results[0]
    return SignedContent(signer, content, signed_at, digest_name, carried)


@lru_cache(maxsize=512)
def _carried_certificate(encoded: bytes) -> Certificate:
    """A certificate a signature carries, from its encoding as received. Cached: the same senders' certificates
    ride in every mail, and reading one (parse, fingerprint, extensions) cost more than the signature check."""
    return Certificate.from_x509(_to_x509(asn1_x509.Certificate.load(encoded)))


def _to_x509(cert: asn1_x509.Certificate) -> x509.Certificate:
    try:
        return x509.load_der_x509_certificate(cert.dump())
    except ValueError:  # a certificate written in BER inside a BER signature: re-encode it
        return x509.load_der_x509_certificate(cert.copy().dump(force=True))


class _CarriedThenKnown:
    """The signature's own certificates, then the caller's known ones — which are only looked at (and, if the
    caller made them lazy, only loaded) when the signer is not among the carried ones."""

    def __init__(self, carried: Sequence[Certificate], known: Sequence[Certificate]) -> None:
        self.carried, self.known = carried, known

    def __iter__(self) -> Iterator[Certificate]:
        yield from self.carried
        yield from self.known


def _find_signer(sid: asn1_cms.SignerIdentifier, candidates: Iterable[Certificate]) -> Certificate:
    for candidate in candidates:
        parsed = parsed_certificate(candidate.der)
        if sid.name == "issuer_and_serial_number":
            wanted = sid.chosen
            if parsed.serial_number == wanted["serial_number"].native and same_name(parsed.issuer, wanted["issuer"]):
                return candidate
        elif sid.name == "subject_key_identifier" and parsed.key_identifier == sid.chosen.native:
            return candidate
    raise _invalid(f"the signer's certificate ({_describe(sid)}) is not in the mail")


def _describe(sid: asn1_cms.SignerIdentifier) -> str:
    if sid.name == "issuer_and_serial_number":
        return f"serial {sid.chosen['serial_number'].native:x} from {sid.chosen['issuer'].human_friendly}"
    return f"key identifier {sid.chosen.native.hex()}"


def _verify_signer(
    si: asn1_cms.SignerInfo,
    content: bytes,
    content_type: str,
    candidates: Iterable[Certificate],
    refuse_sha1: bool,
) -> tuple[Certificate, datetime | None, str]:
    signer = _find_signer(si["sid"], candidates)
    digest_name = si["digest_algorithm"]["algorithm"].native
    if digest_name not in HASHES:
        raise _invalid(f"digest algorithm {digest_name} is not accepted")
    if refuse_sha1 and digest_name == "sha1":
        raise DigitalPostError(ErrorCode.SIGNATURE_SHA1_REFUSED, "the message signature uses the SHA-1 digest")
    attrs = si["signed_attrs"]
    signed_at: datetime | None = None
    if attrs:
        values = {a["type"].native: a["values"] for a in attrs}
        if len(values) != len(attrs):
            raise _invalid("a signed attribute occurs twice")
        if "message_digest" not in values or "content_type" not in values:
            raise _invalid("the signed attributes lack messageDigest or contentType")
        if values["content_type"][0].native != content_type:
            raise _invalid("the contentType attribute does not match the content")
        hasher = hashes.Hash(HASHES[digest_name]())
        hasher.update(content)
        if values["message_digest"][0].native != hasher.finalize():
            raise _invalid("the content was changed after signing (message digest differs)")
        if "signing_time" in values:
            signed_at = values["signing_time"][0].native
        # The signature covers the DER of the attributes as a SET OF, not the [0] IMPLICIT form they have inside
        # SignerInfo, which may also be BER. A signer that did not re-encode signed the bytes as sent.
        to_verify: Iterable[bytes] = _attribute_encodings(attrs)
    else:
        to_verify = [content]
    _check_signature(signer, si, to_verify, HASHES[digest_name]())
    return signer, signed_at, digest_name


def _attribute_encodings(attrs: asn1_cms.CMSAttributes) -> Iterator[bytes]:
    """The signed attributes as a SET OF, as received, then re-encoded as DER if that differs.

    A signature is good if it verifies over either (the same answer as before, in the other order). The
    received bytes come first because they are the DER in nearly every mail (what OpenSSL, cryptography and
    the clients we test write): asn1crypto's re-encoding of the set (copy, then dump with force) cost more CPU
    than the RSA check, and is now only paid when the received bytes do not verify (decision 0033)."""
    received = received_set(attrs)
    yield received
    der = der_set(attrs)
    if der != received:
        yield der


def _check_signature(
    signer: Certificate, si: asn1_cms.SignerInfo, candidates: Iterable[bytes], digest: hashes.HashAlgorithm
) -> None:
    algorithm = si["signature_algorithm"]
    kind = algorithm.signature_algo
    signature = si["signature"].native
    try:
        key = signer.x509.public_key()
        for data in candidates:
            try:
                if kind == "rsassa_pkcs1v15" and isinstance(key, rsa.RSAPublicKey):
                    key.verify(signature, data, padding.PKCS1v15(), digest)
                elif kind == "rsassa_pss" and isinstance(key, rsa.RSAPublicKey):
                    params = algorithm["parameters"]
                    pss_hash = HASHES[params["hash_algorithm"]["algorithm"].native]()
                    mgf_hash = HASHES[params["mask_gen_algorithm"]["parameters"]["algorithm"].native]()
                    salt = params["salt_length"].native
                    key.verify(signature, data, padding.PSS(padding.MGF1(mgf_hash), salt), pss_hash)
                elif kind == "ecdsa" and isinstance(key, ec.EllipticCurvePublicKey):
                    key.verify(signature, data, ec.ECDSA(digest))
                else:
                    raise _invalid(f"signature algorithm {kind} does not fit the signer's {type(key).__name__}")
                return
            except InvalidSignature:
                continue
    except (UnsupportedAlgorithm, ValueError, TypeError, KeyError) as exc:
        # A damaged or exotic algorithm identifier: as untrustworthy as a wrong signature.
        raise _invalid(f"the signature cannot be checked ({exc})") from None
    raise _invalid("the signature does not match the signed attributes and the signer's key")
