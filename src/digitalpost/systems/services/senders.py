"""Writes to sender systems: creating them, tokens and certificates, the IP allow-list, the standard flag,
activation, and acknowledging pulled receipts. Every change lands in the audit log (before and after) in the
same transaction. Not for: reads (systems.selectors).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from digitalpost.audit.services import record_change, snapshot
from digitalpost.authorities.models import Authority
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.roles import SYSTEM_ACTOR, Actor
from digitalpost.protocols import smime
from digitalpost.systems.models import Certificate, SenderSystem
from digitalpost.systems.selectors import forget_cached_system, hash_token
from digitalpost.systems.services.certificates import certificate_picture, certificate_row, checked_certificate
from digitalpost.systems.services.tokens import new_token


@dataclass(frozen=True)
class IssuedSystem:
    system: SenderSystem
    token: str  # shown to the caller once; only its hash is kept


def _sender_purpose(channel: str) -> smime.Purpose:
    """Secure-mail systems sign mail; REST systems present their certificate as a TLS client (mTLS)."""
    return smime.Purpose.EMAIL if channel == SenderSystem.Channel.SECURE_MAIL else smime.Purpose.CLIENT_AUTH


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
                             certificate=certificate_row(authority, cert) if cert else None,
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
                           token=new_token(), certificate=certificate_row(authority, cert),
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
        locked.certificate = certificate_row(locked.authority, cert)
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
