"""A throwaway certificate authority for development and tests: never for production certificates.

`make_dev_ca` makes a root (or, with `issuer`, an intermediate) CA, `issue_certificate` issues RSA end-entity
certificates for S/MIME (`Purpose.EMAIL`) and/or TLS client authentication (`Purpose.CLIENT_AUTH`), and
`make_crl` revokes serials. Everything returns PEM bytes so the result can be written to files for `openssl`
or mail clients. The clock is a parameter, which is how tests make expired and not-yet-valid certificates.
Not for: real deployments, which use certificates from a qualified issuer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from digitalpost.protocols.smime.certificates import (
    Certificate,
    PrivateKey,
    Purpose,
    load_certificate,
    load_private_key,
)


@dataclass(frozen=True)
class Issued:
    """A certificate and its (unencrypted, PKCS#8) private key, both PEM; parsed once on first use."""

    certificate_pem: bytes
    key_pem: bytes

    @cached_property
    def certificate(self) -> Certificate:
        return load_certificate(self.certificate_pem)

    @cached_property
    def key(self) -> PrivateKey:  # loading checks the RSA key, which takes tens of milliseconds
        return load_private_key(self.key_pem)


def _new_key(key_size: int) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=key_size)


def _issued(cert: x509.Certificate, key: rsa.RSAPrivateKey) -> Issued:
    return Issued(
        certificate_pem=cert.public_bytes(serialization.Encoding.PEM),
        key_pem=key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
    )


def _ca_parts(ca: Issued) -> tuple[x509.Certificate, PrivateKey]:
    return ca.certificate.x509, ca.key


def make_dev_ca(
    name: str, *, now: datetime, days: int, issuer: Issued | None = None, key_size: int = 2048
) -> Issued:
    """A CA certificate valid from `now` for `days`: self-signed, or an intermediate signed by `issuer`."""
    key = _new_key(key_size)
    subject = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "digitalpost development"),
        x509.NameAttribute(NameOID.COMMON_NAME, name),
    ])
    signing_key: PrivateKey = key
    issuer_name, issuer_public = subject, key.public_key()
    if issuer is not None:
        issuer_cert, signing_key = _ca_parts(issuer)
        issuer_name, issuer_public = issuer_cert.subject, issuer_cert.public_key()  # type: ignore[assignment]
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_key_usage(key_cert_sign=True, crl_sign=True, digital_signature=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_public), critical=False
        )
        .sign(signing_key, hashes.SHA256())
    )
    return _issued(cert, key)


def _key_usage(
    *,
    digital_signature: bool = False,
    key_encipherment: bool = False,
    key_cert_sign: bool = False,
    crl_sign: bool = False,
) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=False,
        key_encipherment=key_encipherment,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=key_cert_sign,
        crl_sign=crl_sign,
        encipher_only=False,
        decipher_only=False,
    )


_EKU = {
    Purpose.EMAIL: ExtendedKeyUsageOID.EMAIL_PROTECTION,
    Purpose.EMAIL_SIGNING: ExtendedKeyUsageOID.EMAIL_PROTECTION,
    Purpose.EMAIL_ENCRYPTION: ExtendedKeyUsageOID.EMAIL_PROTECTION,
    Purpose.CLIENT_AUTH: ExtendedKeyUsageOID.CLIENT_AUTH,
}


def issue_certificate(
    ca: Issued,
    *,
    common_name: str,
    now: datetime,
    days: int,
    emails: Sequence[str] = (),
    purposes: Sequence[Purpose] = (Purpose.EMAIL,),
    key_size: int = 2048,
    serial: int | None = None,
) -> Issued:
    """An RSA end-entity certificate signed by `ca`, valid from `now` for `days` (negative: already expired).

    `emails` go into the subjectAltName as rfc822Name; `purposes` set the extended key usages and the key
    usage bits (digitalSignature, plus keyEncipherment for e-mail encryption). `serial` is random unless given.
    """
    ca_cert, ca_key = _ca_parts(ca)
    key = _new_key(key_size)
    ekus = list(dict.fromkeys(_EKU[p] for p in purposes))
    encrypts = any(p in (Purpose.EMAIL, Purpose.EMAIL_ENCRYPTION) for p in purposes)
    signs = any(p != Purpose.EMAIL_ENCRYPTION for p in purposes)
    start, end = sorted((now, now + timedelta(days=days)))
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "digitalpost development"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(serial if serial is not None else x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(digital_signature=signs, key_encipherment=encrypts), critical=True)
        .add_extension(x509.ExtendedKeyUsage(ekus), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
    )
    if emails:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.RFC822Name(e) for e in emails]), critical=False
        )
    return _issued(builder.sign(ca_key, hashes.SHA256()), key)


def make_crl(ca: Issued, revoked_serials: Iterable[int], now: datetime, *, days: int = 7) -> bytes:
    """A PEM CRL signed by `ca` listing `revoked_serials` (revoked at `now`), next update in `days`."""
    ca_cert, ca_key = _ca_parts(ca)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca_cert.subject)
        .last_update(now)
        .next_update(now + timedelta(days=days))
        .add_extension(x509.CRLNumber(1), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
    )
    for serial in revoked_serials:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(now).build()
        )
    return builder.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)
