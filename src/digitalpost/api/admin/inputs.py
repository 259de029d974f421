"""Request bodies of the admin API (`ThingIn`), camelCase like the responses. A PUT replaces every editable
field of the object, so a body is always the whole picture, never a patch."""

from __future__ import annotations

import uuid
from typing import Literal

from ninja import Field, Schema

from digitalpost.api.admin.schemas import ContactOut, MetadataFieldOut


class OrganisationIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    kind: str = Field(description="KOMMUNE, REGION, STAT or ANDEN")
    technicalContact: ContactOut = Field(default_factory=lambda: ContactOut(name="", email="", phone=""))
    businessContact: ContactOut = Field(default_factory=lambda: ContactOut(name="", email="", phone=""))
    replyDeadlineDays: int = Field(10, description="Working days within which inquiries should be answered.")


class SecureMailPolicyIn(Schema):
    refuseSha1Signatures: bool = Field(description="Refuse secure-mail replies signed with the SHA-1 digest.")
    acceptGatewayAddresses: bool | None = Field(
        None, description="Accept new letters addressed <CPR or CVR>@<CVR or mailbox id>.<hub mail domain> (NgDP's "
                          "gateway address form; the number travels in the TLS-protected envelope). "
                          "Omitted: unchanged.")


class PermissionsIn(Schema):
    maySendMandatory: bool
    maySendLegalNotification: bool


class InvitationIn(Schema):
    email: str = Field(min_length=3, max_length=254, description="Where the invitation link is mailed.")
    role: str = Field(description="superadministrator, administrator, caseworker or citizen-service")
    mailboxIds: list[uuid.UUID] = Field(default_factory=list, description="Caseworkers only.")


class RoleIn(Schema):
    mailboxIds: list[uuid.UUID] = Field(default_factory=list,
                                        description="Caseworkers only: the mailboxes they will handle.")


class MailboxIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    parentId: uuid.UUID | None = None
    topics: list[str] = Field(default_factory=list)
    metadataFields: list[MetadataFieldOut] = Field(default_factory=list)
    receiverSystemId: uuid.UUID | None = None
    isOpen: bool = True
    isVisible: bool = True
    isStandard: bool = False
    maxMessageBytes: int = Field(10 * 1024 * 1024, ge=1)


class MaterialIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    replyRule: Literal["NONE", "STANDARD", "MAILBOX"] = "STANDARD"
    replyMailboxId: uuid.UUID | None = Field(None, description="Required with replyRule MAILBOX.")
    isMandatory: bool = False


class SubscriptionGroupIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    materialIds: list[uuid.UUID] = Field(default_factory=list)


class CertificateIn(Schema):
    certificatePem: str = Field(description="The certificate as PEM (a bundle may add its chain).")


class SenderSystemIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    channel: Literal["REST", "SECURE_MAIL"] = "REST"
    isStandard: bool = False
    certificatePem: str | None = Field(
        None, description="SECURE_MAIL: required, the signing certificate. REST: optional, the mutual-TLS one.")


class PushEndpointIn(Schema):
    url: str = Field(min_length=9, max_length=500, description="https:// URL the hub POSTs receipts and events to.")
    signing: Literal["HMAC", "RSA"] = Field(
        "HMAC", description="HMAC: a secret for this endpoint, returned once. RSA: signed with the hub's key.")
    eventTypes: list[str] = Field(
        default_factory=list, description="received, delivered, legally_notified, read, printed, returned, "
                                          "refused, failed; empty: all.")


class IpAllowlistIn(Schema):
    entries: list[str] = Field(description="IP addresses or CIDR networks; empty allows any address.")


class ActiveIn(Schema):
    isActive: bool


class SecureAddressIn(Schema):
    email: str = Field(min_length=3, max_length=254)
    certificatePem: str = Field(description="The address's encryption certificate (PEM); its e-mail must match.")
    receiverName: str | None = Field(None, description="Name of the receiver system created with it.")


class ReceiverSystemIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["REST_PULL", "REST_PUSH"] = Field(
        description="Secure-address receivers are created with their secure address.")
    endpointUrl: str = Field("", description="REST_PUSH: the https:// URL the hub posts inquiries to.")
