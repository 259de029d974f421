"""Mailboxes open for inquiries that cannot deliver them: no receiver, a gone or deactivated one, or a secure
address whose certificate the hub cannot encrypt to.

A citizen can write to an open mailbox whatever its set-up, so each of these means inquiries that are accepted
and then wait, or are lost. Closed mailboxes take no inquiries and get no finding about their receiver. Not for:
certificate expiry (certificates.py) or receivers that fail at delivery time (receivers.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from digitalpost.core.findings import Finding, Severity, Subject, SubjectKind
from digitalpost.doctor.checks.registry import register
from digitalpost.doctor.checks.snapshot import MailboxInfo, OrgSnapshot, SecureAddressInfo

SECURE_ADDRESS = "SECURE_ADDRESS"
EXPIRED = "certificate.expired"  # reported by certificates.py with its stages; not repeated here
EMAIL_MISMATCH = "certificate.email.mismatch"

CAUSE_TEXT = {
    "no.certificate": "the address has no certificate",
    "certificate.not.yet.valid": "the certificate is not valid yet",
    "certificate.untrusted": "the certificate is not issued by a certificate authority the hub trusts",
    "certificate.revoked": "the certificate has been revoked",
    "hub.trust.anchors.unreadable": ("the hub cannot read its trust anchors (DIGITALPOST_TRUST_ANCHORS), so it "
                                     "cannot check any certificate"),
    "certificate.key.usage": "the certificate may not be used to encrypt e-mail (key usage)",
    EMAIL_MISMATCH: "the certificate is issued to another e-mail address",
}


def mailbox_subject(mailbox: MailboxInfo) -> Subject:
    return Subject(SubjectKind.MAILBOX, mailbox.id, mailbox.name)


# A deactivated receiver is reported once, by receivers.py (receiver.deactivated names its mailboxes): one alert
# for one cause, however many mailboxes use it.
@register("mailbox.no.receiver", "mailbox.receiver.missing", "mailbox.secure.address.missing")
def mailbox_receivers(org: OrgSnapshot, now: datetime) -> Iterator[Finding]:
    for mailbox in org.mailboxes:
        if not mailbox.is_open:
            continue
        if mailbox.receiver_system_id is None:
            yield Finding(
                code="mailbox.no.receiver", severity=Severity.CRITICAL, subject=mailbox_subject(mailbox),
                why=(f"The mailbox {mailbox.name} is open for inquiries but has no receiver system: what citizens "
                     "write to it is accepted and then reaches nobody."),
                fix=("Portal → Mailboxes → this mailbox: choose the receiver system (secure address or REST "
                     "system) inquiries go to, or close the mailbox."),
            )
            continue
        receiver = org.receiver(mailbox.receiver_system_id)
        if receiver is None:
            yield _receiver_missing(mailbox)
            continue
        if receiver.kind == SECURE_ADDRESS and org.secure_address(receiver.secure_address_id) is None:
            yield Finding(
                code="mailbox.secure.address.missing", severity=Severity.CRITICAL, subject=mailbox_subject(mailbox),
                why=(f"The mailbox {mailbox.name} delivers to the receiver system {receiver.name}, whose secure "
                     "address has been deleted: its inquiries cannot be sent anywhere."),
                fix=("Portal → Mailboxes → this mailbox: choose another receiver system, or create the secure "
                     "address again under Portal → Secure addresses."),
                facts={"receiverId": receiver.id, "receiverName": receiver.name,
                       "secureAddressId": receiver.secure_address_id or ""},
            )


def _receiver_missing(mailbox: MailboxInfo) -> Finding:
    return Finding(
        code="mailbox.receiver.missing", severity=Severity.CRITICAL, subject=mailbox_subject(mailbox),
        why=(f"The mailbox {mailbox.name} delivers to a receiver system that no longer exists in this organisation: "
             "inquiries to it reach nobody."),
        fix="Portal → Mailboxes → this mailbox: choose an existing receiver system, or close the mailbox.",
        facts={"receiverId": mailbox.receiver_system_id or ""},
    )


def encryption_causes(org: OrgSnapshot, address: SecureAddressInfo) -> list[str]:
    """Why mail to `address` cannot be encrypted today, expiry aside (certificates.py grades that)."""
    cert = org.certificate(address.certificate_id)
    if cert is None:
        return ["no.certificate"]
    causes = [code for code in cert.encryption_problems if code not in (EXPIRED, EMAIL_MISMATCH)]
    # The snapshot's problems are computed without the address, so the e-mail match is judged here.
    if address.email.casefold() not in {e.casefold() for e in cert.emails}:
        causes.append(EMAIL_MISMATCH)
    return causes


@register("secure.address.certificate.unusable")
def secure_address_certificates(org: OrgSnapshot, now: datetime) -> Iterator[Finding]:
    for address in org.secure_addresses:
        receivers = {r.id for r in org.receiver_systems if r.secure_address_id == address.id}
        mailboxes = [m.name for m in org.mailboxes if m.is_open and m.receiver_system_id in receivers]
        if not mailboxes:
            continue  # no open mailbox delivers to it: nothing is lost while it stays unused
        causes = encryption_causes(org, address)
        if not causes:
            continue
        cert = org.certificate(address.certificate_id)
        yield Finding(
            code="secure.address.certificate.unusable", severity=Severity.CRITICAL,
            subject=Subject(SubjectKind.SECURE_ADDRESS, address.id, address.email),
            why=(f"Inquiries to {', '.join(mailboxes)} cannot be encrypted to the secure address {address.email} ("
                 + "; ".join(CAUSE_TEXT.get(c, c) for c in causes) + "), so they are never delivered."),
            fix=("Portal → Secure addresses → this address: choose Renew certificate and upload a certificate "
                 f"for {address.email} that allows e-mail encryption, from a trusted issuer (MitID Erhverv / OCES)."),
            facts={"causes": ", ".join(causes), "mailboxes": ", ".join(mailboxes),
                   "certificateId": cert.id if cert else "",
                   "certificateEmails": ", ".join(cert.emails) if cert else ""},
        )
