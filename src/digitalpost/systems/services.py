"""Writes to sender systems: creation and API token issue. A token is shown once and stored hashed."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone

from digitalpost.authorities.models import Authority
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.protocols import smime
from digitalpost.systems.models import Certificate, ReceiverSystem, SecureAddress, SenderSystem


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return "dp_" + secrets.token_urlsafe(32)


@dataclass(frozen=True)
class IssuedSystem:
    system: SenderSystem
    token: str  # shown to the caller once; only its hash is kept


@transaction.atomic(durable=True)
def create_sender_system(
    *, authority: Authority, name: str, is_standard: bool = False, token: str | None = None
) -> IssuedSystem:
    """Create a sender system and issue its first API token (`token` only for deterministic demos)."""
    token = token or new_token()
    system = SenderSystem.objects.create(
        authority=authority,
        name=name,
        is_standard=is_standard,
        token_sha256=hash_token(token),
        token_issued_at=timezone.now(),
    )
    return IssuedSystem(system=system, token=token)


@transaction.atomic(durable=True)
def acknowledge_receipts(*, system: SenderSystem, up_to: int) -> None:
    """The system has processed every receipt up to `up_to`; it will not be shown them again."""
    SenderSystem.objects.filter(pk=system.pk, receipt_cursor__lt=up_to).update(receipt_cursor=up_to)


def _certificate_row(authority: Authority, cert: smime.Certificate) -> Certificate:
    found = Certificate.objects.filter(authority=authority, sha256=cert.fingerprint).first()
    if found is not None:
        return found
    return Certificate.objects.create(
        authority=authority, pem=cert.pem.decode(), sha256=cert.fingerprint, subject=cert.subject,
        issuer=cert.issuer, serial=str(cert.serial), emails=list(cert.emails), not_before=cert.not_before,
        not_after=cert.not_after,
    )


def checked_certificate(
    pem: bytes, *, purpose: smime.Purpose, trust_anchors: Sequence[smime.Certificate], email: str | None = None
) -> smime.Certificate:
    """Parse and check an uploaded certificate at once; every problem in one refusal."""
    cert = smime.load_certificate(pem)
    problems = smime.check_certificate(
        cert, purpose=purpose, trust_anchors=trust_anchors, at=timezone.now(), email=email
    )
    if problems:
        raise smime.CertificateRejected(problems)
    return cert


@transaction.atomic(durable=True)
def create_secure_address(
    *, authority: Authority, email: str, certificate_pem: bytes, trust_anchors: Sequence[smime.Certificate],
    receiver_name: str | None = None,
) -> ReceiverSystem:
    """A secure address with its certificate (checked: usage, chain, expiry, e-mail) and its receiver system."""
    cert = checked_certificate(certificate_pem, purpose=smime.Purpose.EMAIL, trust_anchors=trust_anchors, email=email)
    address = SecureAddress.objects.create(
        authority=authority, email=email, certificate=_certificate_row(authority, cert)
    )
    return ReceiverSystem.objects.create(
        authority=authority, name=receiver_name or email, kind=ReceiverSystem.Kind.SECURE_ADDRESS,
        secure_address=address,
    )


@transaction.atomic(durable=True)
def create_secure_mail_sender(
    *, authority: Authority, name: str, certificate_pem: bytes, trust_anchors: Sequence[smime.Certificate],
    is_standard: bool = False,
) -> SenderSystem:
    """A sender system that signs secure mail (replies) with the given certificate."""
    cert = checked_certificate(certificate_pem, purpose=smime.Purpose.EMAIL, trust_anchors=trust_anchors)
    return SenderSystem.objects.create(
        authority=authority, name=name, channel=SenderSystem.Channel.SECURE_MAIL, is_standard=is_standard,
        certificate=_certificate_row(authority, cert), token_sha256=hash_token(new_token()),
        token_issued_at=timezone.now(),
    )


@transaction.atomic(durable=True)
def create_pull_receiver(
    *, authority: Authority, name: str, token: str | None = None
) -> tuple[ReceiverSystem, str]:
    """A REST pull receiver system and its API token (shown once, stored hashed; `token` only for demos)."""
    token = token or new_token()
    receiver = ReceiverSystem.objects.create(
        authority=authority, name=name, kind=ReceiverSystem.Kind.REST_PULL, token_sha256=hash_token(token),
    )
    return receiver, token


@transaction.atomic(durable=True)
def create_push_receiver(*, authority: Authority, name: str, endpoint_url: str) -> ReceiverSystem:
    """A REST push receiver system: the hub POSTs inquiries to `endpoint_url` (https only)."""
    parts = urlsplit(endpoint_url.strip())
    if parts.scheme != "https" or not parts.hostname:
        raise DigitalPostError(ErrorCode.REQUEST_INVALID, "endpointUrl: must be an https:// URL")
    return ReceiverSystem.objects.create(
        authority=authority, name=name, kind=ReceiverSystem.Kind.REST_PUSH, endpoint_url=endpoint_url.strip(),
    )
