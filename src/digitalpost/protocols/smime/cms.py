"""The one small CMS adapter: verify SignedData and vet EnvelopedData, with asn1crypto for parsing.

Why it exists: cryptography can build CMS signatures and decrypt EnvelopedData, but verifying a CMS
signature is not in its public API. So this module parses the DER with asn1crypto, finds the signer's
certificate (by issuer and serial number, or by subject key identifier — never by serial alone), checks the
messageDigest attribute against the content and verifies the signature over the signed attributes with
cryptography's public-key primitives. It also inspects EnvelopedData before decryption so that algorithms we
refuse (RSA-OAEP, AES-GCM / AuthEnvelopedData, 3DES, ...) get a precise code, and it decrypts the two
accepted variants cryptography's `pkcs7_decrypt_der` cannot (AES-192-CBC, recipients named by subject key
identifier). Tested against `openssl cms`. Not for: MIME (see smime.py) or certificate trust (see
certificates.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from asn1crypto import cms as asn1_cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.protocols.smime.certificates import Certificate

_DIGESTS: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1,
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}
ACCEPTED_CIPHERS = {"aes128_cbc": 16, "aes192_cbc": 24, "aes256_cbc": 32}
# Content encryption that cryptography's pkcs7_decrypt_der handles itself.
LIBRARY_CIPHERS = {"aes128_cbc", "aes256_cbc"}


def _invalid(detail: str) -> DigitalPostError:
    return DigitalPostError(ErrorCode.SIGNATURE_INVALID, detail)


@dataclass(frozen=True, slots=True)
class SignedContent:
    signer: Certificate
    content: bytes
    signed_at: datetime | None


def verify_signed_data(
    der: bytes, *, detached_content: bytes | None, known_certificates: Sequence[Certificate] = ()
) -> SignedContent:
    """Verify a CMS ContentInfo holding SignedData; every signer must verify. Returns the first signer.

    `detached_content` is the signed content of a multipart/signed mail; None means it is embedded.
    Raises `signature.invalid` for anything that does not verify, including unparseable DER.
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
        embedded_certs = [
            Certificate.from_x509(_to_x509(c.chosen))
            for c in signed["certificates"] or []
            if c.name == "certificate"
        ]
        candidates = [*embedded_certs, *known_certificates]
        signer_infos = list(signed["signer_infos"])
        if not signer_infos:
            raise _invalid("the signature has no signer")
        results = [_verify_signer(si, content, encap["content_type"].native, candidates) for si in signer_infos]
    except DigitalPostError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise _invalid(f"the signature cannot be parsed: {error}") from None
    signer, signed_at = results[0]
    return SignedContent(signer=signer, content=content, signed_at=signed_at)


def _to_x509(cert: asn1_x509.Certificate) -> x509.Certificate:
    return x509.load_der_x509_certificate(cert.dump())


def _find_signer(sid: asn1_cms.SignerIdentifier, candidates: Sequence[Certificate]) -> Certificate:
    for candidate in candidates:
        parsed = asn1_x509.Certificate.load(candidate.der)
        if sid.name == "issuer_and_serial_number":
            wanted = sid.chosen
            # Name equality in asn1crypto compares with RFC 5280 normalisation (case, spaces).
            if parsed.serial_number == wanted["serial_number"].native and parsed.issuer == wanted["issuer"]:
                return candidate
        elif sid.name == "subject_key_identifier" and parsed.key_identifier == sid.chosen.native:
            return candidate
    raise _invalid(f"the signer's certificate ({_describe(sid)}) is not in the mail")


def _describe(sid: asn1_cms.SignerIdentifier) -> str:
    if sid.name == "issuer_and_serial_number":
        return f"serial {sid.chosen['serial_number'].native:x} from {sid.chosen['issuer'].human_friendly}"
    return f"key identifier {sid.chosen.native.hex()}"


def _verify_signer(
    si: asn1_cms.SignerInfo, content: bytes, content_type: str, candidates: Sequence[Certificate]
) -> tuple[Certificate, datetime | None]:
    signer = _find_signer(si["sid"], candidates)
    digest_name = si["digest_algorithm"]["algorithm"].native
    if digest_name not in _DIGESTS:
        raise _invalid(f"digest algorithm {digest_name} is not accepted")
    digest = _DIGESTS[digest_name]()
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
        hasher = hashes.Hash(_DIGESTS[digest_name]())
        hasher.update(content)
        if values["message_digest"][0].native != hasher.finalize():
            raise _invalid("the content was changed after signing (message digest differs)")
        if "signing_time" in values:
            signed_at = values["signing_time"][0].native
        # The signature covers the DER of the attributes as a SET OF, not with the [0] IMPLICIT tag they have
        # inside SignerInfo; dump() returns the bytes as received.
        to_verify = b"\x31" + attrs.dump()[1:]
    else:
        to_verify = content
    _check_signature(signer, si, to_verify, digest)
    return signer, signed_at


def _check_signature(signer: Certificate, si: asn1_cms.SignerInfo, data: bytes, digest: hashes.HashAlgorithm) -> None:
    algorithm = si["signature_algorithm"]
    kind = algorithm.signature_algo
    signature = si["signature"].native
    try:
        key = signer.x509.public_key()
        if kind == "rsassa_pkcs1v15" and isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, data, padding.PKCS1v15(), digest)
        elif kind == "rsassa_pss" and isinstance(key, rsa.RSAPublicKey):
            params = algorithm["parameters"]
            pss_hash = _DIGESTS[params["hash_algorithm"]["algorithm"].native]()
            mgf_hash = _DIGESTS[params["mask_gen_algorithm"]["parameters"]["algorithm"].native]()
            key.verify(signature, data, padding.PSS(padding.MGF1(mgf_hash), params["salt_length"].native), pss_hash)
        elif kind == "ecdsa" and isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(digest))
        else:
            raise _invalid(f"signature algorithm {kind} does not fit the signer's {type(key).__name__}")
    except InvalidSignature:
        raise _invalid("the signature does not match the signed attributes and the signer's key") from None
    except (UnsupportedAlgorithm, ValueError, TypeError) as exc:
        # A damaged or exotic algorithm identifier: as untrustworthy as a wrong signature.
        raise _invalid(f"the signature cannot be checked ({exc})") from None


# --- EnvelopedData -----------------------------------------------------------------------------------------


def _unsupported(detail: str) -> DigitalPostError:
    return DigitalPostError(ErrorCode.ENCRYPTION_ALGORITHM_UNSUPPORTED, detail)


def _matches(rid: asn1_cms.RecipientIdentifier, cert: Certificate) -> bool:
    parsed = asn1_x509.Certificate.load(cert.der)
    if rid.name == "issuer_and_serial_number":
        return bool(parsed.serial_number == rid.chosen["serial_number"].native
                    and parsed.issuer == rid.chosen["issuer"])
    return bool(parsed.key_identifier == rid.chosen.native)


@dataclass(frozen=True, slots=True)
class Envelope:
    """An EnvelopedData we accept: RSA PKCS#1 v1.5 key transport to us, AES-CBC content encryption."""

    info: asn1_cms.ContentInfo
    recipient: asn1_cms.KeyTransRecipientInfo
    cipher: str

    @property
    def library_can_decrypt(self) -> bool:
        return self.cipher in LIBRARY_CIPHERS and self.recipient["rid"].name == "issuer_and_serial_number"


def inspect_enveloped(der: bytes, recipient: Certificate) -> Envelope:
    """Refuse, with a precise code, anything but RSA PKCS#1 v1.5 key transport + AES-CBC addressed to us."""
    try:
        info = asn1_cms.ContentInfo.load(der)
        kind = info["content_type"].native
        if kind == "authenticated_enveloped_data":
            raise _unsupported("AuthEnvelopedData (AES-GCM / ChaCha20) is not accepted; use AES-256-CBC")
        if kind in ("signed_data", "data"):
            raise DigitalPostError(ErrorCode.ENCRYPTION_MISSING, f"the S/MIME body is {kind}, not enveloped data")
        if kind != "enveloped_data":
            raise DigitalPostError(ErrorCode.MAIL_MALFORMED, f"unexpected CMS content {kind}")
        enveloped = info["content"]
        cipher = enveloped["encrypted_content_info"]["content_encryption_algorithm"]["algorithm"].native
        ours = None
        for ri in enveloped["recipient_infos"]:
            if ri.name == "ktri" and _matches(ri.chosen["rid"], recipient):
                ours = ri.chosen
        if ours is None:
            other = {ri.name for ri in enveloped["recipient_infos"]} - {"ktri"}
            if other:
                raise _unsupported(f"key management {', '.join(sorted(other))} is not accepted; use RSA key transport")
            raise DigitalPostError(ErrorCode.ENCRYPTION_MISSING, f"the mail is not encrypted to {recipient.subject}")
        key_transport = ours["key_encryption_algorithm"]["algorithm"].native
    except DigitalPostError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise DigitalPostError(ErrorCode.MAIL_MALFORMED, f"the encrypted body cannot be parsed: {error}") from None
    if key_transport != "rsaes_pkcs1v15":
        raise _unsupported(f"key transport {key_transport} is not accepted; use RSA PKCS#1 v1.5")
    if cipher not in ACCEPTED_CIPHERS:
        raise _unsupported(f"content encryption {cipher} is not accepted; use AES-256-CBC")
    return Envelope(info=info, recipient=ours, cipher=cipher)


def decrypt_enveloped(envelope: Envelope, key: rsa.RSAPrivateKey) -> bytes:
    """Decrypt an accepted envelope ourselves (for the variants cryptography's pkcs7_decrypt_der refuses).

    Every failure gives the same error, so the result reveals nothing about the padding (no oracle).
    """
    failed = DigitalPostError(ErrorCode.MAIL_MALFORMED, "the mail could not be decrypted with our key")
    try:
        content_key = key.decrypt(envelope.recipient["encrypted_key"].native, padding.PKCS1v15())
        encrypted = envelope.info["content"]["encrypted_content_info"]
        iv = encrypted["content_encryption_algorithm"]["parameters"].native
        ciphertext = encrypted["encrypted_content"].native
        if len(content_key) != ACCEPTED_CIPHERS[envelope.cipher] or not isinstance(ciphertext, bytes):
            raise failed
        decryptor = Cipher(algorithms.AES(content_key), modes.CBC(iv)).decryptor()
        padded = decryptor.update(ciphertext) + decryptor.finalize()
    except (ValueError, TypeError):
        raise failed from None
    pad = padded[-1] if padded else 0
    if not 1 <= pad <= 16 or padded[-pad:] != bytes([pad]) * pad:
        raise failed
    return padded[:-pad]
