"""Uploaded certificates: reading the file (PEM, DER, PKCS#12), checking it at once (usage, chain, expiry,
e-mail), storing it once per organisation, and how it appears in the audit log (never as PEM).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from digitalpost.authorities.models import Authority
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.protocols import smime
from digitalpost.systems.models import Certificate


@dataclass(frozen=True)
class Upload:
    """An uploaded certificate file: the certificate itself and any chain certificates that came with it."""

    certificate: smime.Certificate
    intermediates: tuple[smime.Certificate, ...] = ()


def read_certificate_upload(data: bytes) -> Upload:
    """PEM (a bundle: the first is the certificate, the rest its chain), DER, or PKCS#12 without password.

    A private key inside a PKCS#12 file is never kept: only the certificate is stored.
    """
    try:
        found = smime.load_certificates(data)
        return Upload(certificate=found[0], intermediates=tuple(found[1:]))
    except DigitalPostError:
        pass
    try:
        _, certificate, chain = smime.load_pkcs12(data, None)
    except DigitalPostError:
        raise DigitalPostError(
            ErrorCode.CERTIFICATE_UNREADABLE, "neither PEM, DER nor PKCS#12 without password"
        ) from None
    return Upload(certificate=certificate, intermediates=chain)


def checked_certificate(
    pem: bytes, *, purpose: smime.Purpose, trust_anchors: Sequence[smime.Certificate], email: str | None = None
) -> smime.Certificate:
    """Parse and check an uploaded certificate at once (any format of read_certificate_upload).

    Every problem comes in one refusal (smime.CertificateRejected, whose `problems` the portal lists).
    """
    upload = read_certificate_upload(pem)
    problems = smime.check_certificate(
        upload.certificate, purpose=purpose, trust_anchors=trust_anchors, at=timezone.now(), email=email,
        intermediates=upload.intermediates,
    )
    if problems:
        raise smime.CertificateRejected(problems)
    return upload.certificate


def certificate_picture(row: Certificate | None) -> dict[str, Any] | None:
    """How a certificate appears in the audit log: never the PEM."""
    if row is None:
        return None
    return {"subject": row.subject, "issuer": row.issuer, "serial": row.serial, "not_after": row.not_after,
            "sha256": row.sha256}


def certificate_row(authority: Authority, cert: smime.Certificate) -> Certificate:
    """The organisation's stored certificate, created on its first upload (one row per certificate)."""
    found = Certificate.objects.filter(authority=authority, sha256=cert.fingerprint).first()
    if found is not None:
        return found
    return Certificate.objects.create(
        authority=authority, pem=cert.pem.decode(), sha256=cert.fingerprint, subject=cert.subject,
        issuer=cert.issuer, serial=str(cert.serial), emails=list(cert.emails), not_before=cert.not_before,
        not_after=cert.not_after,
    )
