"""Shapes of the admin API: one `ThingOut` per set-up object, camelCase like the sender API.

Secrets never appear here: token hashes, passwords and private keys are not part of any response; a new
token is returned once by the operation that issues it.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from django.utils import timezone
from ninja import Field, Schema

from digitalpost.accounts.models import Invitation, Membership
from digitalpost.api.schemas import MAX_CURSOR
from digitalpost.audit.models import AuditEntry
from digitalpost.authorities.models import Authority, AuthorityMailbox, Material, SubscriptionGroup
from digitalpost.authorities.selectors import SetupProblem, mailbox_problems
from digitalpost.systems.models import Certificate, ReceiverSystem, SecureAddress, SenderPushEndpoint, SenderSystem
from digitalpost.systems.selectors import CertificateUse


class RefOut(Schema):
    id: uuid.UUID
    name: str


class ContactOut(Schema):
    name: str
    email: str
    phone: str


class OrganisationOut(Schema):
    cvr: str
    name: str
    kind: str = Field(description="KOMMUNE, REGION, STAT or ANDEN")
    maySendMandatory: bool
    maySendLegalNotification: bool
    technicalContact: ContactOut
    businessContact: ContactOut
    replyDeadlineDays: int
    refuseSha1Signatures: bool = Field(description="Secure-mail replies signed with SHA-1 bounce with "
                                                   "signature.sha1.refused (else: filed, and the doctor warns).")
    acceptGatewayAddresses: bool = Field(description="New letters by secure mail may be addressed in NgDP's gateway "
                                                     "address form (else: letter.gateway.address.off).")

    @classmethod
    def of(cls, authority: Authority) -> OrganisationOut:
        a = authority
        return cls(
            cvr=a.cvr, name=a.name, kind=a.kind, maySendMandatory=a.may_send_mandatory,
            maySendLegalNotification=a.may_send_legal_notification,
            technicalContact=ContactOut(name=a.technical_contact_name, email=a.technical_contact_email,
                                        phone=a.technical_contact_phone),
            businessContact=ContactOut(name=a.business_contact_name, email=a.business_contact_email,
                                       phone=a.business_contact_phone),
            replyDeadlineDays=a.reply_deadline_days, refuseSha1Signatures=a.refuse_sha1_signatures,
            acceptGatewayAddresses=a.accepts_gateway_addresses,
        )


class OrganisationRefOut(Schema):
    cvr: str
    name: str


class MetadataFieldOut(Schema):
    label: str
    required: bool


class MailboxOut(Schema):
    id: uuid.UUID
    name: str
    description: str
    parentId: uuid.UUID | None
    isOpen: bool = Field(description="Open for new inquiries from citizens and companies.")
    isVisible: bool
    isStandard: bool = Field(description="Replies to materials with reply rule STANDARD arrive here.")
    maxMessageBytes: int
    receiverSystem: RefOut | None
    topics: list[str]
    metadataFields: list[MetadataFieldOut]
    problems: list[str] = Field(description="Set-up problems to fix, e.g. mailbox.no.receiver.")

    @classmethod
    def of(cls, mailbox: AuthorityMailbox) -> MailboxOut:
        receiver = mailbox.receiver_system
        return cls(
            id=mailbox.pk, name=mailbox.name, description=mailbox.description, parentId=mailbox.parent_id,
            isOpen=mailbox.is_open, isVisible=mailbox.is_visible, isStandard=mailbox.is_standard,
            maxMessageBytes=mailbox.max_message_bytes,
            receiverSystem=RefOut(id=receiver.pk, name=receiver.name) if receiver is not None else None,
            topics=[topic.name for topic in mailbox.topics.all()],
            metadataFields=[MetadataFieldOut(label=f.label, required=f.is_required)
                            for f in mailbox.metadata_fields.all()],
            problems=[str(problem) for problem in mailbox_problems(mailbox)],
        )


class RoleOut(Schema):
    role: str
    mailboxes: list[RefOut] = Field(description="Caseworkers only: the mailboxes they handle.")


class MemberOut(Schema):
    username: str
    name: str
    email: str
    roles: list[RoleOut]

    @classmethod
    def of_memberships(cls, memberships: list[Membership]) -> list[MemberOut]:
        members: dict[int, MemberOut] = {}
        for m in memberships:
            user = m.user
            member = members.setdefault(user.pk, cls(username=user.get_username(), name=user.get_full_name(),
                                                     email=user.email, roles=[]))
            member.roles.append(RoleOut(role=m.role, mailboxes=[RefOut(id=mb.pk, name=mb.name)
                                                                for mb in m.mailboxes.all()]))
        return list(members.values())


class CertificateUserOut(Schema):
    kind: str = Field(description="secure_address or sender_system")
    name: str = Field(description="The address or the system's name.")


class CertificateOut(Schema):
    id: uuid.UUID
    subject: str
    issuer: str
    serial: str
    sha256: str
    emails: list[str]
    notBefore: datetime
    notAfter: datetime
    daysToExpiry: int = Field(description="Negative when the certificate has expired.")
    status: str = Field(description="ok, warning (60 days or less) or critical (14 days or less, or expired)")
    usedBy: list[CertificateUserOut]

    @classmethod
    def of(cls, use: CertificateUse) -> CertificateOut:
        cert = use.certificate
        return cls(id=cert.pk, subject=cert.subject, issuer=cert.issuer, serial=cert.serial, sha256=cert.sha256,
                   emails=list(cert.emails), notBefore=cert.not_before, notAfter=cert.not_after,
                   daysToExpiry=use.days_left, status=use.status,
                   usedBy=[CertificateUserOut(kind=kind, name=name) for kind, name in use.used_by])


class CertificateRefOut(Schema):
    id: uuid.UUID
    notAfter: datetime
    daysToExpiry: int

    @classmethod
    def of(cls, cert: Certificate | None) -> CertificateRefOut | None:
        if cert is None:
            return None
        return cls(id=cert.pk, notAfter=cert.not_after, daysToExpiry=(cert.not_after - timezone.now()).days)


class SecureAddressOut(Schema):
    id: uuid.UUID
    email: str
    certificate: CertificateRefOut | None
    receiverSystems: list[RefOut]

    @classmethod
    def of(cls, address: SecureAddress) -> SecureAddressOut:
        return cls(id=address.pk, email=address.email, certificate=CertificateRefOut.of(address.certificate),
                   receiverSystems=[RefOut(id=r.pk, name=r.name) for r in address.receiver_systems.all()])


class SenderSystemOut(Schema):
    id: uuid.UUID
    name: str
    channel: str = Field(description="REST or SECURE_MAIL")
    isStandard: bool
    isActive: bool
    tokenIssuedAt: datetime
    ipAllowlist: list[str] = Field(description="Addresses and networks it may call from; empty: any.")
    certificate: CertificateRefOut | None

    @classmethod
    def of(cls, system: SenderSystem) -> SenderSystemOut:
        return cls(id=system.pk, name=system.name, channel=system.channel, isStandard=system.is_standard,
                   isActive=system.is_active, tokenIssuedAt=system.token_issued_at,
                   ipAllowlist=list(system.ip_allowlist or []), certificate=CertificateRefOut.of(system.certificate))


class ReceiverSystemOut(Schema):
    id: uuid.UUID
    name: str
    kind: str = Field(description="SECURE_ADDRESS, REST_PUSH or REST_PULL")
    secureAddress: str | None
    endpointUrl: str
    isActive: bool
    failingSince: datetime | None
    mailboxes: list[RefOut]

    @classmethod
    def of(cls, receiver: ReceiverSystem) -> ReceiverSystemOut:
        address = receiver.secure_address
        return cls(id=receiver.pk, name=receiver.name, kind=receiver.kind,
                   secureAddress=address.email if address is not None else None, endpointUrl=receiver.endpoint_url,
                   isActive=receiver.is_active, failingSince=receiver.failing_since,
                   mailboxes=[RefOut(id=mb.pk, name=mb.name) for mb in receiver.mailboxes.all()])


class MaterialOut(Schema):
    id: uuid.UUID
    name: str
    description: str
    replyRule: str = Field(description="NONE, STANDARD (the standard mailbox) or MAILBOX (replyMailbox)")
    replyMailbox: RefOut | None
    isMandatory: bool
    problems: list[str] = Field(description="Set-up problems to fix, e.g. material.no.standard.mailbox.")

    @classmethod
    def of(cls, material: Material, problems: list[SetupProblem]) -> MaterialOut:
        box = material.reply_mailbox
        return cls(id=material.pk, name=material.name, description=material.description,
                   replyRule=material.reply_rule, replyMailbox=RefOut(id=box.pk, name=box.name) if box else None,
                   isMandatory=material.is_mandatory, problems=[str(p) for p in problems])


class SubscriptionGroupOut(Schema):
    id: uuid.UUID
    name: str
    description: str
    materials: list[RefOut]

    @classmethod
    def of(cls, group: SubscriptionGroup) -> SubscriptionGroupOut:
        return cls(id=group.pk, name=group.name, description=group.description,
                   materials=[RefOut(id=m.pk, name=m.name) for m in group.materials.all()])


class PushEndpointOut(Schema):
    id: uuid.UUID
    url: str
    signing: str = Field(description="HMAC or RSA")
    eventTypes: list[str] = Field(description="The pushed types; empty: all.")
    isActive: bool
    failingSince: datetime | None
    deactivatedAt: datetime | None
    lastError: str
    lastSuccessAt: datetime | None

    @classmethod
    def of(cls, endpoint: SenderPushEndpoint) -> PushEndpointOut:
        return cls(id=endpoint.pk, url=endpoint.url, signing=endpoint.signing, eventTypes=list(endpoint.event_types),
                   isActive=endpoint.is_active, failingSince=endpoint.failing_since,
                   deactivatedAt=endpoint.deactivated_at, lastError=endpoint.last_error,
                   lastSuccessAt=endpoint.last_success_at)


class PushEndpointCreatedOut(Schema):
    endpoint: PushEndpointOut
    secret: str | None = Field(description="HMAC: the signing secret, shown once. RSA: null (check with the hub "
                                           "certificate).")


class IssuedTokenOut(Schema):
    token: str = Field(description="Shown once: store it now. Only its hash is kept.")


class SenderSystemCreatedOut(Schema):
    system: SenderSystemOut
    token: str | None = Field(description="REST: the system's API token, shown once (only its hash is kept). "
                                          "SECURE_MAIL: null; it signs with its certificate.")


class ReceiverSystemCreatedOut(Schema):
    receiver: ReceiverSystemOut
    token: str | None = Field(description="REST_PULL: the receiver's API token, shown once; otherwise null.")


class InvitationOut(Schema):
    id: int
    email: str
    role: str
    mailboxes: list[RefOut]
    status: str = Field(description="pending, accepted, expired or revoked")
    invitedBy: str
    createdAt: datetime
    expiresAt: datetime
    mailedAt: datetime | None
    acceptedAt: datetime | None
    acceptedBy: str | None = Field(description="The member's user name, once accepted.")
    revokedAt: datetime | None

    @classmethod
    def of(cls, invitation: Invitation, now: datetime) -> InvitationOut:
        return cls(id=invitation.pk, email=invitation.email, role=invitation.role,
                   mailboxes=[RefOut(id=mb.pk, name=mb.name) for mb in invitation.mailboxes.all()],
                   status=invitation.status_at(now).value, invitedBy=invitation.invited_by,
                   createdAt=invitation.created_at, expiresAt=invitation.expires_at, mailedAt=invitation.mailed_at,
                   acceptedAt=invitation.accepted_at,
                   acceptedBy=invitation.accepted_by.get_username() if invitation.accepted_by else None,
                   revokedAt=invitation.revoked_at)


class DeletedSecureAddressOut(Schema):
    repointedMailboxes: list[RefOut]


class AuditEntryOut(Schema):
    seq: int
    at: datetime
    actor: str
    actorUserId: int | None
    action: str = Field(description="<object>.<verb>, e.g. mailbox.created, role.granted")
    objectType: str
    objectId: str
    objectLabel: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    hash: str

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditEntryOut:
        return cls(seq=entry.seq, at=entry.at, actor=entry.actor_label, actorUserId=entry.actor_user_id,
                   action=entry.action, objectType=entry.object_type, objectId=entry.object_id,
                   objectLabel=entry.object_label, before=entry.before, after=entry.after, hash=entry.hash)


class AuditPageOut(Schema):
    entries: list[AuditEntryOut] = Field(description="Newest first.")
    next: int | None = Field(description="Pass as ?before= for the next (older) page; null at the end.")


class AuditQuery(Schema):
    action: str = Field("", description="Only actions starting with this, e.g. 'mailbox' or 'role.granted'.")
    actor: str = Field("", description="Only changes by an actor whose name contains this.")
    since: date | None = Field(None, description="From this day (inclusive).")
    until: date | None = Field(None, description="To this day (inclusive).")
    before: int | None = Field(None, ge=1, le=MAX_CURSOR, description="Only entries older than this seq (paging).")
    limit: int = Field(100, ge=1, le=1000)
