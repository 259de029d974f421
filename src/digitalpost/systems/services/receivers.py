"""Writes to receiver systems and secure addresses: creating REST pull and push receivers, secure addresses with
their certificates, tokens, reactivation, and deleting them (repointing the mailboxes that use them). Every
change lands in the audit log in the same transaction. Not for: reads (systems.selectors) or delivering
anything (delivery).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction

from digitalpost.audit.services import record_change, snapshot
from digitalpost.authorities.models import Authority, AuthorityMailbox
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.roles import SYSTEM_ACTOR, Actor
from digitalpost.hub import egress
from digitalpost.protocols import smime
from digitalpost.systems.models import ReceiverSystem, SecureAddress
from digitalpost.systems.selectors import hash_token, list_mailboxes_using_address, names
from digitalpost.systems.services.certificates import certificate_picture, certificate_row, checked_certificate
from digitalpost.systems.services.tokens import new_token

log = logging.getLogger(__name__)


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
            authority=authority, email=email, certificate=certificate_row(authority, cert)
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
        locked.certificate = certificate_row(locked.authority, cert)
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
    """An https URL whose host is not loopback, private, link-local, reserved or multicast (hub.egress); the
    administrator sees one generic refusal, the operator's log says which address it was."""
    url = endpoint_url.strip()
    parts = urlsplit(url)
    try:
        port = parts.port or 443
    except ValueError:
        raise DigitalPostError(ErrorCode.REQUEST_INVALID, "endpointUrl: must be an https:// URL") from None
    if parts.scheme != "https" or not parts.hostname:
        raise DigitalPostError(ErrorCode.REQUEST_INVALID, "endpointUrl: must be an https:// URL")
    because = egress.refused_because(parts.hostname, port)
    if because is not None:
        log.warning("push endpoint %s refused: %s", url, because)
        raise DigitalPostError(ErrorCode.RECEIVER_ENDPOINT_NOT_ALLOWED)
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
