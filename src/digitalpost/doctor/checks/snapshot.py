"""The plain-data picture of one organisation that every check reads (assembled by `doctor.gather`).

Everything a check needs is here, already fetched and computed (certificate problems, last traffic, waiting
inquiries), so checks stay pure functions that never query. Not for: deciding what is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class CertificateInfo:
    id: str
    subject: str
    not_before: datetime
    not_after: datetime
    emails: tuple[str, ...]
    # Catalogue codes of what stops the certificate from being used for that purpose today (expiry included);
    # empty means usable. Computed with protocols.smime.check_certificate against the hub's trust anchors.
    encryption_problems: tuple[str, ...] = ()
    signing_problems: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SenderSystemInfo:
    id: str
    name: str
    channel: str  # "REST" or "SECURE_MAIL" (SenderSystem.Channel values)
    is_active: bool
    is_standard: bool
    certificate_id: str | None
    token_issued_at: datetime
    created_at: datetime
    last_used_at: datetime | None  # last message accepted from it or reply filed through it


@dataclass(frozen=True, slots=True)
class PushEndpointInfo:
    """An HTTPS endpoint a sender system's receipts and events are pushed to."""

    id: str
    sender_system_id: str
    sender_system_name: str
    url: str
    is_active: bool
    failing_since: datetime | None
    deactivated_at: datetime | None
    last_error: str = ""
    last_error_at: datetime | None = None
    waiting_pushes: int = 0  # events queued for it and not yet taken


@dataclass(frozen=True, slots=True)
class SecureAddressInfo:
    id: str
    email: str
    certificate_id: str


@dataclass(frozen=True, slots=True)
class ReceiverSystemInfo:
    id: str
    name: str
    kind: str  # ReceiverSystem.Kind values: SECURE_ADDRESS, REST_PULL, REST_PUSH
    is_active: bool
    secure_address_id: str | None
    failing_since: datetime | None
    deactivated_at: datetime | None
    waiting_inquiries: int = 0  # inquiries accepted but not yet handed over to this receiver
    oldest_waiting_since: datetime | None = None
    last_error: str = ""  # the last hand-over error (e.g. the authority's mail server's "550 user unknown")
    last_error_at: datetime | None = None
    dead_inquiries: int = 0  # inquiries whose hand-over the outbox gave up on (dead-lettered FORWARD jobs)
    dead_since: datetime | None = None  # when the first of them was given up
    dead_error: str = ""  # why the latest was given up


@dataclass(frozen=True, slots=True)
class MailboxInfo:
    id: str
    name: str  # the full path as people see it ("Borgerservice / Pas")
    is_open: bool
    is_visible: bool
    is_standard: bool
    receiver_system_id: str | None


@dataclass(frozen=True, slots=True)
class MaterialInfo:
    id: str
    name: str
    reply_rule: str  # Material.ReplyRule values: NONE, STANDARD, MAILBOX
    reply_mailbox_id: str | None


@dataclass(frozen=True, slots=True)
class SubscriptionGroupInfo:
    id: str
    name: str
    material_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RefusalGroup:
    """Replies refused in the look-back period with one cause from one sender (address or signer)."""

    code: str
    sender: str
    count: int
    last_at: datetime
    sender_system_id: str | None = None  # when the signer matched one of the organisation's sender systems
    channel: str = "secure-mail"  # "secure-mail" or "rest" (replies), "mail-letter" (new letters by secure mail)


@dataclass(frozen=True, slots=True)
class LegacyCryptoGroup:
    """Replies filed in the look-back period whose sender used one retiring algorithm ("cipher.3des", ...)."""

    kind: str
    sender: str  # the address the replies came from
    count: int
    last_at: datetime
    sender_system_id: str | None = None


@dataclass(frozen=True, slots=True)
class WaitingInquiry:
    """A conversation whose latest message from the citizen or company has no answer yet and is not handled."""

    thread_id: str
    mailbox_id: str
    subject: str
    received_at: datetime  # the oldest unanswered inquiry in the thread


@dataclass(frozen=True, slots=True)
class ProbeInfo:
    """The latest probe of one mailbox's route (doctor.probe)."""

    mailbox_id: str
    at: datetime
    ok: bool
    detail: str
    outcome: str = ""  # ProbeResult.Outcome values: OK, FAILED, WAITING
    route: str = ""  # the receiver kind probed


@dataclass(frozen=True, slots=True)
class OrgSnapshot:
    cvr: str
    name: str
    technical_contact_name: str
    technical_contact_email: str
    superadministrators: int
    reply_deadline_days: int  # working days
    certificates: tuple[CertificateInfo, ...] = ()
    sender_systems: tuple[SenderSystemInfo, ...] = ()
    push_endpoints: tuple[PushEndpointInfo, ...] = ()
    secure_addresses: tuple[SecureAddressInfo, ...] = ()
    receiver_systems: tuple[ReceiverSystemInfo, ...] = ()
    mailboxes: tuple[MailboxInfo, ...] = ()
    materials: tuple[MaterialInfo, ...] = ()
    subscription_groups: tuple[SubscriptionGroupInfo, ...] = ()
    refusals: tuple[RefusalGroup, ...] = ()  # the last REFUSAL_WINDOW_DAYS
    legacy_crypto: tuple[LegacyCryptoGroup, ...] = ()  # the last REFUSAL_WINDOW_DAYS
    waiting_inquiries: tuple[WaitingInquiry, ...] = ()
    probes: tuple[ProbeInfo, ...] = ()
    created_at: datetime | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def certificate(self, certificate_id: str | None) -> CertificateInfo | None:
        return next((c for c in self.certificates if c.id == certificate_id), None)

    def receiver(self, receiver_id: str | None) -> ReceiverSystemInfo | None:
        return next((r for r in self.receiver_systems if r.id == receiver_id), None)

    def secure_address(self, address_id: str | None) -> SecureAddressInfo | None:
        return next((a for a in self.secure_addresses if a.id == address_id), None)

    def mailbox(self, mailbox_id: str | None) -> MailboxInfo | None:
        return next((m for m in self.mailboxes if m.id == mailbox_id), None)


REFUSAL_WINDOW_DAYS = 30
