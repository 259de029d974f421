"""Writes to sender systems, receiver systems, secure addresses and their certificates.

Every change lands in the audit log (before and after) in the same transaction. Tokens are shown once and
stored hashed; certificates are checked at once (parse, key usage, chain, expiry, e-mail) before anything is
written, and logged by subject, serial, expiry and fingerprint, never as PEM. Not for: reads (selectors.py) or
delivering anything (securemail, delivery).
"""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone

from digitalpost.audit.services import record_change, snapshot
from digitalpost.authorities.models import Authority, AuthorityMailbox
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.roles import SYSTEM_ACTOR, Actor
from digitalpost.protocols import smime
from digitalpost.systems.models import Certificate, ReceiverSystem, SecureAddress, SenderSystem
from digitalpost.systems.selectors import forget_cached_system, hash_token, list_mailboxes_using_address, names

__all__ = ["hash_token", "new_token"]  # hash_token lives with the reads; callers import it from here too


def new_token() -> str:
    return "dp_" + secrets.token_urlsafe(32)


@dataclass(frozen=True)
class IssuedSystem:
    system: SenderSystem
    token: str  # shown to the caller once; only its hash is kept


# --- certificates ------------------------------------------------------------------------------------------------


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


def _certificate_row(authority: Authority, cert: smime.Certificate) -> Certificate:
    found = Certificate.objects.filter(authority=authority, sha256=cert.fingerprint).first()
    if found is not None:
        return found
    return Certificate.objects.create(
        authority=authority, pem=cert.pem.decode(), sha256=cert.fingerprint, subject=cert.subject,
        issuer=cert.issuer, serial=str(cert.serial), emails=list(cert.emails), not_before=cert.not_before,
        not_after=cert.not_after,
    )


def _sender_purpose(channel: str) -> smime.Purpose:
    """Secure-mail systems sign mail; REST systems present their certificate as a TLS client (mTLS)."""
    return smime.Purpose.EMAIL if channel == SenderSystem.Channel.SECURE_MAIL else smime.Purpose.CLIENT_AUTH


# --- sender systems ----------------------------------------------------------------------------------------------


def _sender_picture(system: SenderSystem) -> dict[str, Any]:
    return snapshot(system, ["name", "channel", "is_active", "is_standard", "ip_allowlist", "token_issued_at"],
                    certificate=certificate_picture(system.certificate))


def _record_sender(actor: Actor, action: str, system: SenderSystem, before: dict[str, Any] | None) -> None:
    record_change(actor=actor, organisation=system.authority.cvr, action=action, target=system,
                  object_label=system.name, before=before, after=_sender_picture(system))


def _check_sender_name(authority: Authority, name: str, *, exclude: SenderSystem | None = None) -> str:
    name = name.strip()
    if not name:
        raise DigitalPostError(ErrorCode.REQUEST_INVALID, "name: give the system a name")
    taken = SenderSystem.objects.filter(authority=authority, name__iexact=name)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        raise DigitalPostError(ErrorCode.NAME_TAKEN, f"sender system {name!r}")
    return name


def _take_standard_flag(system: SenderSystem, actor: Actor) -> None:
    """Move the organisation's one standard flag to `system` (inside the caller's transaction)."""
    # of=("self",): PostgreSQL cannot lock the nullable side of the certificate's outer join.
    previous = (SenderSystem.objects.select_for_update(of=("self",)).select_related("authority", "certificate")
                .filter(authority_id=system.authority_id, is_standard=True).exclude(pk=system.pk).first())
    if previous is not None:
        before = _sender_picture(previous)
        previous.is_standard = False
        previous.save(update_fields=["is_standard"])  # first: the database allows one standard at a time
        _record_sender(actor, "sender_system.standard_removed", previous, before)


def _new_sender(
    *, authority: Authority, name: str, channel: str, token: str, certificate: Certificate | None,
    is_standard: bool, actor: Actor,
) -> SenderSystem:
    system = SenderSystem(authority=authority, name=_check_sender_name(authority, name), channel=channel,
                          certificate=certificate, token_sha256=hash_token(token), token_issued_at=timezone.now())
    if is_standard:
        _take_standard_flag(system, actor)
        system.is_standard = True
    system.save(force_insert=True)
    _record_sender(actor, "sender_system.created", system, None)
    return system


def create_sender_system(
    *, authority: Authority, name: str, is_standard: bool = False, token: str | None = None,
    certificate_pem: bytes | None = None, trust_anchors: Sequence[smime.Certificate] = (),
    actor: Actor = SYSTEM_ACTOR,
) -> IssuedSystem:
    """A REST sender system and its first API token (`token` only for deterministic demos).

    An optional certificate is the one the system presents over mutual TLS (client authentication).
    Marked standard, it takes the flag from the previous standard system in the same transaction.
    """
    cert = (checked_certificate(certificate_pem, purpose=smime.Purpose.CLIENT_AUTH, trust_anchors=trust_anchors)
            if certificate_pem else None)
    token = token or new_token()
    with transaction.atomic(durable=True):
        system = _new_sender(authority=authority, name=name, channel=SenderSystem.Channel.REST, token=token,
                             certificate=_certificate_row(authority, cert) if cert else None,
                             is_standard=is_standard, actor=actor)
    return IssuedSystem(system=system, token=token)


def create_secure_mail_sender(
    *, authority: Authority, name: str, certificate_pem: bytes | None, trust_anchors: Sequence[smime.Certificate],
    is_standard: bool = False, actor: Actor = SYSTEM_ACTOR,
) -> SenderSystem:
    """A sender system that signs secure mail (replies) with the given certificate (required, checked at once)."""
    if not certificate_pem:
        raise DigitalPostError(ErrorCode.SENDER_CERTIFICATE_REQUIRED, name)
    cert = checked_certificate(certificate_pem, purpose=smime.Purpose.EMAIL, trust_anchors=trust_anchors)
    with transaction.atomic(durable=True):
        return _new_sender(authority=authority, name=name, channel=SenderSystem.Channel.SECURE_MAIL,
                           token=new_token(), certificate=_certificate_row(authority, cert),
                           is_standard=is_standard, actor=actor)


def _locked_sender(system: SenderSystem) -> SenderSystem:
    return (SenderSystem.objects.select_for_update(of=("self",))
              .select_related("authority", "certificate").get(pk=system.pk))


def rotate_sender_token(*, system: SenderSystem, actor: Actor = SYSTEM_ACTOR) -> str:
    """A new API token for the system (returned once); the old one stops working at once in this process.

    Other processes may accept the old token for at most selectors.TOKEN_CACHE_SECONDS (their token cache).
    """
    token = new_token()
    with transaction.atomic(durable=True):
        locked = _locked_sender(system)
        before = _sender_picture(locked)
        locked.token_sha256, locked.token_issued_at = hash_token(token), timezone.now()
        locked.save(update_fields=["token_sha256", "token_issued_at"])
        _record_sender(actor, "sender_system.token_rotated", locked, before)
    forget_cached_system(system.pk)  # after the commit, so no request can re-cache the old token meanwhile
    return token


def renew_sender_certificate(
    *, system: SenderSystem, certificate_pem: bytes, trust_anchors: Sequence[smime.Certificate],
    actor: Actor = SYSTEM_ACTOR,
) -> SenderSystem:
    """Register a new certificate for the system (same checks as on creation); the old row stays, unused."""
    cert = checked_certificate(certificate_pem, purpose=_sender_purpose(system.channel), trust_anchors=trust_anchors)
    with transaction.atomic(durable=True):
        locked = _locked_sender(system)
        before = _sender_picture(locked)
        locked.certificate = _certificate_row(locked.authority, cert)
        locked.save(update_fields=["certificate"])
        _record_sender(actor, "sender_system.certificate_renewed", locked, before)
    forget_cached_system(system.pk)
    return locked


def parse_ip_allowlist(entries: str | Sequence[str]) -> list[str]:
    """One IP address or CIDR network per entry, normalised and without duplicates; IP_ALLOWLIST_INVALID else."""
    lines = entries.splitlines() if isinstance(entries, str) else list(entries)
    parsed: list[str] = []
    for raw in lines:
        entry = raw.strip()
        if not entry:
            continue
        try:
            network = ipaddress.ip_network(entry, strict=True)
        except ValueError:
            raise DigitalPostError(ErrorCode.IP_ALLOWLIST_INVALID, entry) from None
        single = network.prefixlen == network.max_prefixlen
        value = str(network.network_address) if single else str(network)
        if value not in parsed:
            parsed.append(value)
    return parsed


def set_ip_allowlist(*, system: SenderSystem, entries: str | Sequence[str], actor: Actor = SYSTEM_ACTOR) -> list[str]:
    """Replace the addresses the system may call the API from; an empty list allows any address."""
    allowlist = parse_ip_allowlist(entries)
    with transaction.atomic(durable=True):
        locked = _locked_sender(system)
        before = _sender_picture(locked)
        locked.ip_allowlist = allowlist
        locked.save(update_fields=["ip_allowlist"])
        _record_sender(actor, "sender_system.ip_allowlist_changed", locked, before)
    forget_cached_system(system.pk)  # other processes follow within selectors.TOKEN_CACHE_SECONDS
    return allowlist


@transaction.atomic(durable=True)
def make_standard_sender_system(*, system: SenderSystem, actor: Actor = SYSTEM_ACTOR) -> SenderSystem:
    """Make this the organisation's one standard sender system; the previous one loses the flag."""
    locked = _locked_sender(system)
    if not locked.is_active:
        raise DigitalPostError(ErrorCode.REQUEST_INVALID, f"{locked.name} is deactivated: activate it first")
    if locked.is_standard:
        return locked
    before = _sender_picture(locked)
    _take_standard_flag(locked, actor)
    locked.is_standard = True
    locked.save(update_fields=["is_standard"])
    _record_sender(actor, "sender_system.made_standard", locked, before)
    return locked


def set_sender_system_active(*, system: SenderSystem, is_active: bool, actor: Actor = SYSTEM_ACTOR) -> SenderSystem:
    """Deactivate (its token and certificate stop working) or activate again; the standard system stays active."""
    with transaction.atomic(durable=True):
        locked = _locked_sender(system)
        if not is_active and locked.is_standard:
            raise DigitalPostError(ErrorCode.STANDARD_SENDER_SYSTEM_REMOVAL, locked.name)
        if locked.is_active != is_active:
            before = _sender_picture(locked)
            locked.is_active = is_active
            locked.save(update_fields=["is_active"])
            _record_sender(actor, "sender_system.activated" if is_active else "sender_system.deactivated",
                           locked, before)
    forget_cached_system(system.pk)
    return locked


@transaction.atomic(durable=True)
def acknowledge_receipts(*, system: SenderSystem, up_to: int) -> None:
    """The system has processed every receipt up to `up_to`; it will not be shown them again."""
    SenderSystem.objects.filter(pk=system.pk, receipt_cursor__lt=up_to).update(receipt_cursor=up_to)


# --- receiver systems and secure addresses -----------------------------------------------------------------------


def _receiver_picture(receiver: ReceiverSystem) -> dict[str, Any]:
    return snapshot(receiver, ["name", "kind", "endpoint_url", "is_active", "failing_since", "deactivated_at"],
                    secure_address=receiver.secure_address.email if receiver.secure_address else None)


def _record_receiver(
    actor: Actor, action: str, receiver: ReceiverSystem, before: dict[str, Any] | None, *, gone: bool = False
) -> None:
    record_change(actor=actor, organisation=receiver.authority.cvr, action=action, target=receiver,
                  object_label=receiver.name, before=before, after=None if gone else _receiver_picture(receiver))


def _address_picture(address: SecureAddress) -> dict[str, Any]:
    return {"email": address.email, "certificate": certificate_picture(address.certificate)}


def _check_receiver_name(authority: Authority, name: str) -> str:
    name = name.strip()
    if not name:
        raise DigitalPostError(ErrorCode.REQUEST_INVALID, "name: give the receiver system a name")
    if ReceiverSystem.objects.filter(authority=authority, name__iexact=name).exists():
        raise DigitalPostError(ErrorCode.NAME_TAKEN, f"receiver system {name!r}")
    return name


def create_secure_address(
    *, authority: Authority, email: str, certificate_pem: bytes, trust_anchors: Sequence[smime.Certificate],
    receiver_name: str | None = None, actor: Actor = SYSTEM_ACTOR,
) -> ReceiverSystem:
    """A secure address with its certificate (checked: usage, chain, expiry, e-mail) and its receiver system."""
    email = email.strip()
    cert = checked_certificate(certificate_pem, purpose=smime.Purpose.EMAIL, trust_anchors=trust_anchors, email=email)
    with transaction.atomic(durable=True):
        if SecureAddress.objects.filter(authority=authority, email__iexact=email).exists():
            raise DigitalPostError(ErrorCode.NAME_TAKEN, f"secure address {email}")
        address = SecureAddress.objects.create(
            authority=authority, email=email, certificate=_certificate_row(authority, cert)
        )
        record_change(actor=actor, organisation=authority.cvr, action="secure_address.created", target=address,
                      after=_address_picture(address))
        receiver = ReceiverSystem.objects.create(
            authority=authority, name=_check_receiver_name(authority, receiver_name or email),
            kind=ReceiverSystem.Kind.SECURE_ADDRESS, secure_address=address,
        )
        _record_receiver(actor, "receiver_system.created", receiver, None)
    return receiver


def renew_secure_address_certificate(
    *, address: SecureAddress, certificate_pem: bytes, trust_anchors: Sequence[smime.Certificate],
    actor: Actor = SYSTEM_ACTOR,
) -> SecureAddress:
    """A renewed certificate for an existing address (same checks); mail is encrypted to it from now on."""
    cert = checked_certificate(certificate_pem, purpose=smime.Purpose.EMAIL, trust_anchors=trust_anchors,
                               email=address.email)
    with transaction.atomic(durable=True):
        locked = (SecureAddress.objects.select_for_update(of=("self",)).select_related("authority", "certificate")
                  .get(pk=address.pk))
        before = _address_picture(locked)
        locked.certificate = _certificate_row(locked.authority, cert)
        locked.save(update_fields=["certificate"])
        record_change(actor=actor, organisation=locked.authority.cvr, action="secure_address.certificate_renewed",
                      target=locked, before=before, after=_address_picture(locked))
    return locked


def _repoint(mailboxes: Sequence[AuthorityMailbox], target: ReceiverSystem, actor: Actor) -> None:
    """Point mailboxes at another receiver system, each change audited (inside the caller's transaction).

    The mailbox's receiver is the systems side of its set-up, so it is written here, next to the deletion that
    makes it necessary, in one transaction.
    """
    for mailbox in mailboxes:
        before = {"receiver_system": str(mailbox.receiver_system_id)}
        AuthorityMailbox.objects.filter(pk=mailbox.pk).update(receiver_system=target)
        record_change(actor=actor, organisation=target.authority.cvr, action="mailbox.receiver_changed",
                      target=mailbox, object_label=mailbox.name, before=before,
                      after={"receiver_system": str(target.pk), "receiver_name": target.name})


@transaction.atomic(durable=True)
def delete_secure_address(
    *, address: SecureAddress, repoint_to: ReceiverSystem | None = None, actor: Actor = SYSTEM_ACTOR
) -> list[AuthorityMailbox]:
    """Delete the address and its receiver systems; refused while mailboxes use it, unless they are re-pointed.

    Returns the mailboxes that were re-pointed to `repoint_to` (another receiver of the same organisation).
    """
    locked = (SecureAddress.objects.select_for_update(of=("self",))
              .select_related("authority", "certificate").get(pk=address.pk))
    receivers = list(ReceiverSystem.objects.select_for_update().filter(secure_address=locked))
    in_use = list_mailboxes_using_address(locked)
    if in_use:
        if repoint_to is None:
            raise DigitalPostError(ErrorCode.SECURE_ADDRESS_IN_USE, names(in_use))
        target = ReceiverSystem.objects.select_related("authority").filter(
            pk=repoint_to.pk, authority=locked.authority).exclude(secure_address=locked).first()
        if target is None:
            raise DigitalPostError(ErrorCode.OBJECT_NOT_FOUND, "choose another receiver system of this organisation")
        _repoint(in_use, target, actor)
    for receiver in receivers:
        _record_receiver(actor, "receiver_system.deleted", receiver, _receiver_picture(receiver), gone=True)
        receiver.delete()
    record_change(actor=actor, organisation=locked.authority.cvr, action="secure_address.deleted", target=locked,
                  before=_address_picture(locked))
    locked.delete()  # the certificate row stays: the certificates overview lists it as unused
    return in_use


def _push_url(endpoint_url: str) -> str:
    url = endpoint_url.strip()
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise DigitalPostError(ErrorCode.REQUEST_INVALID, "endpointUrl: must be an https:// URL")
    return url


@transaction.atomic(durable=True)
def create_pull_receiver(
    *, authority: Authority, name: str, token: str | None = None, actor: Actor = SYSTEM_ACTOR
) -> tuple[ReceiverSystem, str]:
    """A REST pull receiver system and its API token (shown once, stored hashed; `token` only for demos)."""
    token = token or new_token()
    receiver = ReceiverSystem.objects.create(
        authority=authority, name=_check_receiver_name(authority, name), kind=ReceiverSystem.Kind.REST_PULL,
        token_sha256=hash_token(token),
    )
    _record_receiver(actor, "receiver_system.created", receiver, None)
    return receiver, token


@transaction.atomic(durable=True)
def create_push_receiver(
    *, authority: Authority, name: str, endpoint_url: str, actor: Actor = SYSTEM_ACTOR
) -> ReceiverSystem:
    """A REST push receiver system: the hub POSTs inquiries to `endpoint_url` (https only)."""
    receiver = ReceiverSystem.objects.create(
        authority=authority, name=_check_receiver_name(authority, name), kind=ReceiverSystem.Kind.REST_PUSH,
        endpoint_url=_push_url(endpoint_url),
    )
    _record_receiver(actor, "receiver_system.created", receiver, None)
    return receiver


def _locked_receiver(receiver: ReceiverSystem) -> ReceiverSystem:
    return (ReceiverSystem.objects.select_for_update(of=("self",)).select_related("authority", "secure_address")
            .get(pk=receiver.pk))


@transaction.atomic(durable=True)
def rotate_receiver_token(*, receiver: ReceiverSystem, actor: Actor = SYSTEM_ACTOR) -> str:
    """A new token for a REST pull receiver (returned once); the old one stops working at once."""
    locked = _locked_receiver(receiver)
    if locked.kind != ReceiverSystem.Kind.REST_PULL:
        raise DigitalPostError(ErrorCode.REQUEST_INVALID, "only REST pull receiver systems have a token")
    token = new_token()
    locked.token_sha256 = hash_token(token)
    locked.save(update_fields=["token_sha256"])
    _record_receiver(actor, "receiver_system.token_rotated", locked, _receiver_picture(locked))
    return token


@transaction.atomic(durable=True)
def reactivate_receiver_system(*, receiver: ReceiverSystem, actor: Actor = SYSTEM_ACTOR) -> ReceiverSystem:
    """Take a deactivated (or failing) receiver back into use: delivery to it is tried again."""
    locked = _locked_receiver(receiver)
    before = _receiver_picture(locked)
    locked.is_active, locked.failing_since, locked.deactivated_at = True, None, None
    locked.save(update_fields=["is_active", "failing_since", "deactivated_at"])
    _record_receiver(actor, "receiver_system.reactivated", locked, before)
    return locked


@transaction.atomic(durable=True)
def delete_receiver_system(*, receiver: ReceiverSystem, actor: Actor = SYSTEM_ACTOR) -> None:
    """Delete a REST receiver system no mailbox uses (secure-address receivers go with their address)."""
    locked = _locked_receiver(receiver)
    if locked.kind == ReceiverSystem.Kind.SECURE_ADDRESS:
        raise DigitalPostError(ErrorCode.REQUEST_INVALID, "delete the secure address; its receiver goes with it")
    in_use = list(AuthorityMailbox.objects.filter(receiver_system=locked).order_by("name"))
    if in_use:
        raise DigitalPostError(ErrorCode.RECEIVER_SYSTEM_IN_USE, names(in_use))
    _record_receiver(actor, "receiver_system.deleted", locked, _receiver_picture(locked), gone=True)
    locked.delete()
