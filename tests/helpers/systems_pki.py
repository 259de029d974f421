"""Certificates for the systems tests: the secure-mail test PKI plus the wrong ones an administrator uploads.

Built once per test process (RSA keys are slow) on top of tests/helpers/secure_mail_pki.py; `trusted(settings)`
points the hub's trust anchors at its CA. Every certificate is available as PEM, DER and PKCS#12 (no password).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.serialization import NoEncryption, pkcs12

from digitalpost.protocols.smime import Issued, Purpose, issue_certificate
from helpers.secure_mail_pki import NORDBY_ADDRESS, SecureMailPki, build_pki

__all__ = ["NORDBY_ADDRESS", "SystemsPki", "der", "p12", "systems_pki", "trusted"]


@dataclass(frozen=True)
class SystemsPki:
    base: SecureMailPki
    address: Issued  # borgerservice@nordby.localhost, a year: status ok
    address_renewed: Issued  # the same address, a newer certificate
    address_soon: Issued  # the same address, 10 days left: critical
    address_expired: Issued
    address_wrong_email: Issued  # issued to another address
    address_wrong_usage: Issued  # client authentication only: no e-mail protection
    address_untrusted: Issued  # issued by a CA the hub does not trust
    sender: Issued  # post@nordby.localhost, 45 days: warning
    sender_renewed: Issued  # post@nordby.localhost, a year
    sender_sydby: Issued
    client: Issued  # a REST system's mTLS client certificate


def der(issued: Issued) -> bytes:
    return issued.certificate.der


def p12(issued: Issued) -> bytes:
    return pkcs12.serialize_key_and_certificates(
        name=b"upload", key=issued.key, cert=issued.certificate.x509, cas=None, encryption_algorithm=NoEncryption()
    )


@cache
def systems_pki() -> SystemsPki:
    base = build_pki(Path(tempfile.mkdtemp(prefix="systems-pki-")))
    ca, untrusted, now = base.ca.issued, base.untrusted_ca.issued, base.now

    def cert(email: str, *, days: int, issuer: Issued = ca, since: Any = now,
             purposes: tuple[Purpose, ...] = (Purpose.EMAIL,)) -> Issued:
        return issue_certificate(issuer, common_name=email, emails=[email], now=since, days=days, purposes=purposes)

    return SystemsPki(
        base=base,
        address=cert(NORDBY_ADDRESS, days=365),
        address_renewed=cert(NORDBY_ADDRESS, days=400),
        address_soon=cert(NORDBY_ADDRESS, days=10),
        address_expired=cert(NORDBY_ADDRESS, days=30, since=now - timedelta(days=100)),
        address_wrong_email=cert("someone@else.localhost", days=365),
        address_wrong_usage=cert(NORDBY_ADDRESS, days=365, purposes=(Purpose.CLIENT_AUTH,)),
        address_untrusted=cert(NORDBY_ADDRESS, days=30, issuer=untrusted),
        sender=cert("post@nordby.localhost", days=45),
        sender_renewed=cert("post@nordby.localhost", days=365),
        sender_sydby=cert("post@sydby.localhost", days=365),
        client=cert("fjernprint@nordby.localhost", days=365, purposes=(Purpose.CLIENT_AUTH,)),
    )


def trusted(settings: Any) -> SystemsPki:
    """The PKI, with the hub trusting its CA (as DIGITALPOST_TRUST_ANCHORS)."""
    pki = systems_pki()
    settings.DIGITALPOST_TRUST_ANCHORS = pki.base.ca.cert_file
    return pki
