"""Writes to the organisation itself: creating it, its profile (name, kind, contacts, reply deadline), its
secure-mail policy (refuse SHA-1 signatures) and the permissions only the platform operator grants. Every change
lands in the audit log with its before and after, inside the same transaction. Users and roles are in `accounts`.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from digitalpost.audit.services import record_change, snapshot
from digitalpost.authorities.models import (
    Authority,
)
from digitalpost.authorities.services.fields import checked_email, checked_text
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.parties import is_valid_cvr
from digitalpost.core.roles import SYSTEM_ACTOR, Actor

MAX_REPLY_DEADLINE_DAYS = 60


def insert_authority(
    *, cvr: str, name: str, kind: str, may_send_mandatory: bool, may_send_legal_notification: bool, actor: Actor,
) -> Authority:
    """The steps of `create_authority`, for a use case that creates an organisation inside its own transaction
    (accounts.services.create_organisation also gives it its first superadministrator)."""
    if not is_valid_cvr(cvr):
        raise DigitalPostError(ErrorCode.CONTACT_ID_INVALID, f"CVR {cvr!r}")
    if kind not in Authority.Kind.values:
        raise DigitalPostError(ErrorCode.REQUEST_INVALID, f"authority type {kind!r}")
    if Authority.objects.filter(cvr=cvr).exists():
        raise DigitalPostError(ErrorCode.NAME_TAKEN, f"CVR {cvr} is already registered")
    authority = Authority.objects.create(
        cvr=cvr, name=checked_text(name, "name", max_length=200), kind=kind, may_send_mandatory=may_send_mandatory,
        may_send_legal_notification=may_send_legal_notification,
    )
    record_change(actor=actor, organisation=cvr, action="organisation.created", target=authority,
                  after=snapshot(authority))
    return authority


@transaction.atomic(durable=True)
def create_authority(
    *, cvr: str, name: str, kind: str = Authority.Kind.MUNICIPALITY, may_send_mandatory: bool = False,
    may_send_legal_notification: bool = False, actor: Actor = SYSTEM_ACTOR,
) -> Authority:
    return insert_authority(cvr=cvr, name=name, kind=kind, may_send_mandatory=may_send_mandatory,
                            may_send_legal_notification=may_send_legal_notification, actor=actor)


PROFILE_FIELDS = (
    "name", "kind", "technical_contact_name", "technical_contact_email", "technical_contact_phone",
    "business_contact_name", "business_contact_email", "business_contact_phone", "reply_deadline_days",
)


@transaction.atomic(durable=True)
def update_authority_profile(
    *, authority: Authority, name: str, kind: str, technical_contact_name: str = "",
    technical_contact_email: str = "", technical_contact_phone: str = "", business_contact_name: str = "",
    business_contact_email: str = "", business_contact_phone: str = "", reply_deadline_days: int = 10,
    actor: Actor = SYSTEM_ACTOR,
) -> Authority:
    """The organisation's own description: name, type, contacts, reply deadline (not its CVR or permissions)."""
    if kind not in Authority.Kind.values:
        raise DigitalPostError(ErrorCode.REQUEST_INVALID, f"authority type {kind!r}")
    if not 1 <= reply_deadline_days <= MAX_REPLY_DEADLINE_DAYS:
        raise DigitalPostError(ErrorCode.REQUEST_INVALID,
                               f"reply deadline must be 1 to {MAX_REPLY_DEADLINE_DAYS} working days")
    values: dict[str, Any] = {
        "name": checked_text(name, "name", max_length=200), "kind": kind,
        "technical_contact_name": checked_text(technical_contact_name, "technical contact", max_length=200,
                                               required=False),
        "technical_contact_email": checked_email(technical_contact_email, "technical contact e-mail"),
        "technical_contact_phone": checked_text(technical_contact_phone, "technical contact phone", max_length=40,
                                                required=False),
        "business_contact_name": checked_text(business_contact_name, "business contact", max_length=200,
                                              required=False),
        "business_contact_email": checked_email(business_contact_email, "business contact e-mail"),
        "business_contact_phone": checked_text(business_contact_phone, "business contact phone", max_length=40,
                                               required=False),
        "reply_deadline_days": reply_deadline_days,
    }
    return _change_authority(authority, values, actor=actor, action="organisation.changed")


@transaction.atomic(durable=True)
def set_authority_permissions(
    *, authority: Authority, may_send_mandatory: bool, may_send_legal_notification: bool,
    actor: Actor = SYSTEM_ACTOR,
) -> Authority:
    """Granted by the platform operator, never chosen by the organisation (the view enforces who calls it)."""
    values = {"may_send_mandatory": may_send_mandatory, "may_send_legal_notification": may_send_legal_notification}
    return _change_authority(authority, values, actor=actor, action="organisation.permissions.changed")


@transaction.atomic(durable=True)
def set_secure_mail_policy(*, authority: Authority, refuse_sha1_signatures: bool,
                           accepts_gateway_addresses: bool | None = None, actor: Actor = SYSTEM_ACTOR,
                           ) -> Authority:
    """Whether secure-mail replies to the organisation's threads may be signed with the SHA-1 digest, and whether
    its new letters by secure mail may name the recipient in NgDP's gateway address form (None: unchanged).

    SHA-1 is accepted by default: old clients (Outlook 2013) sign with SHA-1 and the hub files their replies while
    the doctor warns. Switched on, such replies bounce with `signature.sha1.refused`; chosen by the organisation
    itself. Gateway addresses are accepted by default (existing Outlook add-ons); switched off, a letter addressed
    that way bounces with `letter.gateway.address.off` (docs/secure-mail-letters.md).
    """
    values: dict[str, Any] = {"refuse_sha1_signatures": refuse_sha1_signatures}
    if accepts_gateway_addresses is not None:
        values["accepts_gateway_addresses"] = accepts_gateway_addresses
    return _change_authority(authority, values, actor=actor, action="organisation.secure_mail.changed")


def _change_authority(authority: Authority, values: dict[str, Any], *, actor: Actor, action: str) -> Authority:
    locked = Authority.objects.select_for_update().get(pk=authority.pk)
    before = snapshot(locked, values.keys())
    for name, value in values.items():
        setattr(locked, name, value)
    locked.save(update_fields=list(values))
    record_change(actor=actor, organisation=locked.cvr, action=action, target=locked, before=before,
                  after=snapshot(locked, values.keys()))
    return locked
