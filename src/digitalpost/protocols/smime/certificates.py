"""X.509 certificates for secure mail and the REST interface: load, inspect and check them.

`load_certificate` / `load_certificates` / `load_pkcs12` / `load_private_key` / `load_crl` turn uploaded bytes
(PEM, DER, PKCS#12) into values or refuse with `certificate.unreadable`. `Certificate` is a frozen view of the
fields the hub shows and matches on (subject, e-mail addresses, fingerprint, validity, usages). Not for:
deciding whether to trust a certificate (see trust.py).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TypeVar

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509 import Certificate as X509Certificate
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.protocols.smime.pkcs12 import read_pkcs12

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
_E = TypeVar("_E", bound=x509.ExtensionType)

_EKU_NAMES = {
    ExtendedKeyUsageOID.SERVER_AUTH: "serverAuth",
    ExtendedKeyUsageOID.CLIENT_AUTH: "clientAuth",
    ExtendedKeyUsageOID.CODE_SIGNING: "codeSigning",
    ExtendedKeyUsageOID.EMAIL_PROTECTION: "emailProtection",
    ExtendedKeyUsageOID.TIME_STAMPING: "timeStamping",
    ExtendedKeyUsageOID.OCSP_SIGNING: "OCSPSigning",
    ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE: "anyExtendedKeyUsage",
}
_KEY_USAGE_NAMES = (
    ("digital_signature", "digitalSignature"),
    ("content_commitment", "nonRepudiation"),
    ("key_encipherment", "keyEncipherment"),
    ("data_encipherment", "dataEncipherment"),
    ("key_agreement", "keyAgreement"),
    ("key_cert_sign", "keyCertSign"),
    ("crl_sign", "cRLSign"),
)


class Purpose(StrEnum):
    """What a certificate is checked for. EMAIL means both signing and encrypting S/MIME mail."""

    EMAIL = "email"
    EMAIL_SIGNING = "email-signing"
    EMAIL_ENCRYPTION = "email-encryption"
    CLIENT_AUTH = "client-auth"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a certificate: a catalogue code and a sentence naming the exact cause."""

    code: ErrorCode
    text: str


class CertificateRejected(DigitalPostError):
    """A certificate was refused; `problems` holds every problem found, not just the first."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        first = self.problems[0]
        more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        super().__init__(first.code, f"{first.text}{more}")


@dataclass(frozen=True, slots=True)
class Certificate:
    """The fields of an X.509 certificate the hub shows and matches on; `x509` is the full object."""

    x509: X509Certificate = field(repr=False)
    subject: str
    common_name: str | None
    issuer: str
    serial: int
    fingerprint: str  # SHA-256 of the DER, lower-case hex without colons
    not_before: datetime
    not_after: datetime
    key_usages: frozenset[str]  # "digitalSignature", "keyEncipherment", ... (empty: extension absent)
    extended_key_usages: frozenset[str]  # "emailProtection", "clientAuth", ... or dotted OIDs
    emails: tuple[str, ...]  # SAN rfc822Name, then subject emailAddress, as written, without duplicates
    subject_key_identifier: str | None  # lower-case hex
    is_ca: bool
    has_key_usage: bool = False  # whether the keyUsage extension is present at all
    has_extended_key_usage: bool = False

    @classmethod
    def from_x509(cls, cert: X509Certificate) -> Certificate:
        key_usages, has_ku = _key_usages(cert)
        ekus, has_eku = _extended_key_usages(cert)
        ski = _extension(cert, x509.SubjectKeyIdentifier)
        basic = _extension(cert, x509.BasicConstraints)
        names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        return cls(
            x509=cert,
            subject=cert.subject.rfc4514_string(),
            common_name=str(names[0].value) if names else None,
            issuer=cert.issuer.rfc4514_string(),
            serial=cert.serial_number,
            fingerprint=hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest(),
            not_before=cert.not_valid_before_utc,
            not_after=cert.not_valid_after_utc,
            key_usages=key_usages,
            extended_key_usages=ekus,
            emails=_emails(cert),
            subject_key_identifier=ski.digest.hex() if ski is not None else None,
            is_ca=basic is not None and basic.ca,
            has_key_usage=has_ku,
            has_extended_key_usage=has_eku,
        )

    @property
    def pem(self) -> bytes:
        return self.x509.public_bytes(serialization.Encoding.PEM)

    @property
    def der(self) -> bytes:
        return self.x509.public_bytes(serialization.Encoding.DER)

    def days_left(self, at: datetime) -> int:
        """Whole days from `at` until the certificate expires; negative once it has expired."""
        return math.floor((self.not_after - at).total_seconds() / 86400)


def _extension(cert: x509.Certificate, kind: type[_E]) -> _E | None:
    try:
        return cert.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


def _key_usages(cert: x509.Certificate) -> tuple[frozenset[str], bool]:
    usage = _extension(cert, x509.KeyUsage)
    if usage is None:
        return frozenset(), False
    names = {name for attr, name in _KEY_USAGE_NAMES if getattr(usage, attr)}
    if usage.key_agreement:  # encipher_only / decipher_only are only defined with keyAgreement
        names |= {n for attr, n in (("encipher_only", "encipherOnly"), ("decipher_only", "decipherOnly"))
                  if getattr(usage, attr)}
    return frozenset(names), True


def _extended_key_usages(cert: x509.Certificate) -> tuple[frozenset[str], bool]:
    usage = _extension(cert, x509.ExtendedKeyUsage)
    if usage is None:
        return frozenset(), False
    return frozenset(_EKU_NAMES.get(oid, oid.dotted_string) for oid in usage), True


def _emails(cert: x509.Certificate) -> tuple[str, ...]:
    found: list[str] = []
    san = _extension(cert, x509.SubjectAlternativeName)
    if san is not None:
        found.extend(san.get_values_for_type(x509.RFC822Name))
    found.extend(str(a.value) for a in cert.subject.get_attributes_for_oid(NameOID.EMAIL_ADDRESS))
    unique: list[str] = []
    for email in found:
        if email.casefold() not in {u.casefold() for u in unique}:
            unique.append(email)
    return tuple(unique)


# --- loading -----------------------------------------------------------------------------------------------


def _unreadable(detail: str) -> DigitalPostError:
    return DigitalPostError(ErrorCode.CERTIFICATE_UNREADABLE, detail)


def load_certificates(data: bytes) -> list[Certificate]:
    """Every certificate in a PEM bundle, or the one certificate in DER."""
    try:
        if b"-----BEGIN" in data:
            return [Certificate.from_x509(c) for c in x509.load_pem_x509_certificates(data)]
        return [Certificate.from_x509(x509.load_der_x509_certificate(data))]
    except (ValueError, TypeError) as error:
        raise _unreadable(f"not a PEM or DER certificate: {error}") from None


def load_certificate(data: bytes) -> Certificate:
    """One certificate from PEM or DER (the first one of a PEM bundle)."""
    return load_certificates(data)[0]


def _password(password: bytes | str | None) -> bytes | None:
    return password.encode() if isinstance(password, str) else password


def _usable_key(key: object) -> PrivateKey:
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise _unreadable(f"unsupported private key type {type(key).__name__}; use RSA (or EC for signing)")
    return key


def load_pkcs12(
    data: bytes, password: bytes | str | None, *, name: str = "the PKCS#12 file"
) -> tuple[PrivateKey, Certificate, tuple[Certificate, ...]]:
    """(private key, its certificate, further certificates) from a PKCS#12 (.p12/.pfx) file, DER or BER.

    `name` (e.g. the uploaded file's name) is used in the refusal, which says why the file cannot be used.
    """
    key, certificates = read_pkcs12(data, _password(password), name=name)
    if key is None or not certificates:
        raise _unreadable(f"{name}: the PKCS#12 file must hold a private key and its certificate")
    usable = _usable_key(key)
    own = [c for c in certificates if _spki(c.public_key()) == _spki(usable.public_key())]
    if not own:
        raise _unreadable(f"{name}: no certificate in the PKCS#12 file matches its private key")
    chain = tuple(Certificate.from_x509(c) for c in certificates if c is not own[0])
    return usable, Certificate.from_x509(own[0]), chain


def _spki(key: object) -> bytes:
    if not isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        return b""
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def load_private_key(data: bytes, password: bytes | str | None = None) -> PrivateKey:
    """An RSA or EC private key from PEM (PKCS#8 or traditional) or DER."""
    try:
        if b"-----BEGIN" in data:
            key = serialization.load_pem_private_key(data, _password(password))
        else:
            key = serialization.load_der_private_key(data, _password(password))
    except (ValueError, TypeError) as error:
        raise _unreadable(f"not a private key or wrong password: {error}") from None
    return _usable_key(key)


def load_crl(data: bytes) -> x509.CertificateRevocationList:
    """A certificate revocation list from PEM or DER."""
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_crl(data)
        return x509.load_der_x509_crl(data)
    except ValueError as error:
        raise _unreadable(f"not a PEM or DER CRL: {error}") from None
