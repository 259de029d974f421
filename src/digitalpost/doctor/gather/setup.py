"""The configuration half of the snapshot: certificates (with what stops their use), systems, mailboxes, people."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Count, Max, Q

from digitalpost.accounts.selectors import count_superadmins
from digitalpost.authorities.models import Authority, AuthorityMailbox, Material, SubscriptionGroup
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.doctor.checks.snapshot import (
    CertificateInfo,
    MailboxInfo,
    MaterialInfo,
    PushEndpointInfo,
    ReceiverSystemInfo,
    SecureAddressInfo,
    SenderSystemInfo,
    SubscriptionGroupInfo,
)
from digitalpost.hub.keys import trust_anchors
from digitalpost.messages.models import Message
from digitalpost.protocols import smime
from digitalpost.systems.models import Certificate, ReceiverSystem, SecureAddress, SenderPushEndpoint, SenderSystem


def _problems(cert: smime.Certificate, purpose: smime.Purpose, anchors: tuple[smime.Certificate, ...],
              now: datetime) -> tuple[str, ...]:
    return tuple(sorted({p.code.value for p in smime.check_certificate(cert, purpose=purpose, trust_anchors=anchors,
                                                                        at=now)}))


def _certificates(authority: Authority, now: datetime) -> tuple[CertificateInfo, ...]:
    try:
        anchors: tuple[smime.Certificate, ...] | None = trust_anchors()
    except DigitalPostError:
        anchors = None  # every certificate is then reported as unusable for that reason, not as untrusted
    unreadable = (ErrorCode.HUB_TRUST_ANCHORS_UNREADABLE.value,)
    found = []
    for row in Certificate.objects.filter(authority=authority).order_by("not_after"):
        parsed = smime.load_certificate(row.pem.encode())
        found.append(CertificateInfo(
            id=str(row.pk), subject=row.subject, not_before=row.not_before, not_after=row.not_after,
            emails=tuple(row.emails),
            encryption_problems=(unreadable if anchors is None
                                 else _problems(parsed, smime.Purpose.EMAIL_ENCRYPTION, anchors, now)),
            signing_problems=(unreadable if anchors is None
                              else _problems(parsed, smime.Purpose.EMAIL_SIGNING, anchors, now)),
        ))
    return tuple(found)


def _mailbox_paths(rows: list[AuthorityMailbox]) -> dict[Any, str]:
    by_id = {m.pk: m for m in rows}

    def path(mailbox: AuthorityMailbox) -> str:
        parent = by_id.get(mailbox.parent_id) if mailbox.parent_id else None
        return f"{path(parent)} / {mailbox.name}" if parent is not None else mailbox.name

    return {m.pk: path(m) for m in rows}


def _last_used(authority: Authority, now: datetime) -> dict[Any, datetime]:
    """Per sender system: when it last sent a message or had a reply filed through it (one query).

    Both are Messages carrying the system (replies are filed as messages from it), so one aggregate covers them.
    """
    rows = (Message.objects.filter(authority=authority, sender_system__isnull=False, accepted_at__lte=now)
            .values("sender_system_id").annotate(last=Max("accepted_at")))
    return {row["sender_system_id"]: row["last"] for row in rows}


def _push_endpoints(authority: Authority) -> tuple[PushEndpointInfo, ...]:
    """The sender systems' push endpoints with how many pushes wait for each (one query)."""
    rows = (SenderPushEndpoint.objects.filter(sender_system__authority=authority)
            .select_related("sender_system")
            .annotate(waiting=Count("pushes", filter=Q(pushes__pushed_at__isnull=True)))
            .order_by("sender_system__name", "created_at"))
    return tuple(
        PushEndpointInfo(
            id=str(e.pk), sender_system_id=str(e.sender_system_id), sender_system_name=e.sender_system.name,
            url=e.url, is_active=e.is_active, failing_since=e.failing_since, deactivated_at=e.deactivated_at,
            last_error=e.last_error, last_error_at=e.last_error_at, waiting_pushes=e.waiting,
        )
        for e in rows
    )


def gather_setup(authority: Authority, now: datetime) -> dict[str, Any]:
    mailboxes = list(AuthorityMailbox.objects.filter(authority=authority))
    paths = _mailbox_paths(mailboxes)
    last_used = _last_used(authority, now)
    return {
        "superadministrators": count_superadmins(authority),
        "certificates": _certificates(authority, now),
        "sender_systems": tuple(
            SenderSystemInfo(
                id=str(s.pk), name=s.name, channel=s.channel, is_active=s.is_active, is_standard=s.is_standard,
                certificate_id=str(s.certificate_id) if s.certificate_id else None,
                token_issued_at=s.token_issued_at, created_at=s.created_at, last_used_at=last_used.get(s.pk),
            )
            for s in SenderSystem.objects.filter(authority=authority).order_by("name")
        ),
        "push_endpoints": _push_endpoints(authority),
        "secure_addresses": tuple(
            SecureAddressInfo(id=str(a.pk), email=a.email, certificate_id=str(a.certificate_id))
            for a in SecureAddress.objects.filter(authority=authority).order_by("email")
        ),
        "receiver_systems": tuple(
            ReceiverSystemInfo(
                id=str(r.pk), name=r.name, kind=r.kind, is_active=r.is_active,
                secure_address_id=str(r.secure_address_id) if r.secure_address_id else None,
                failing_since=r.failing_since, deactivated_at=r.deactivated_at,
            )
            for r in ReceiverSystem.objects.filter(authority=authority).order_by("name")
        ),
        "mailboxes": tuple(
            MailboxInfo(id=str(m.pk), name=paths[m.pk], is_open=m.is_open, is_visible=m.is_visible,
                        is_standard=m.is_standard,
                        receiver_system_id=str(m.receiver_system_id) if m.receiver_system_id else None)
            for m in sorted(mailboxes, key=lambda m: paths[m.pk])
        ),
        "materials": tuple(
            MaterialInfo(id=str(m.pk), name=m.name, reply_rule=m.reply_rule,
                         reply_mailbox_id=str(m.reply_mailbox_id) if m.reply_mailbox_id else None)
            for m in Material.objects.filter(authority=authority).order_by("name")
        ),
        "subscription_groups": tuple(
            SubscriptionGroupInfo(id=str(g.pk), name=g.name,
                                  material_ids=tuple(sorted(str(m.pk) for m in g.materials.all())))
            for g in SubscriptionGroup.objects.filter(authority=authority).prefetch_related("materials")
            .order_by("name")
        ),
    }
