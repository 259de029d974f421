"""Replies the hub refused in the last REFUSAL_WINDOW_DAYS, one finding per cause and sender.

Secure-mail replies (the gateway) and REST replies (a MeMo on POST /apis/v1/memos whose ReplyData names a
conversation) are counted alike; a REST refusal's sender is the sender system whose token sent it.

Every refused reply is an answer a citizen never got; the sender got a bounce, but bounces are easy to miss.
Causes are grouped into a few classes, each with its own code and runbook: the ones where every reply from that
sender fails (an expired or unregistered signing certificate, a system that may not reply) are critical; the
ones that depend on the single reply (no dialog thread, bad content) are warnings. Not for: why one particular
mail was refused — the bounce and docs/errors.md say that.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from digitalpost.core.findings import Finding, Severity, Subject, SubjectKind
from digitalpost.doctor.checks.registry import register
from digitalpost.doctor.checks.snapshot import REFUSAL_WINDOW_DAYS, OrgSnapshot, RefusalGroup

THREAD = "reply.refused.thread"
CERTIFICATE = "reply.refused.certificate"
NOT_STANDARD = "reply.refused.not.standard"
SIGNER_UNKNOWN = "reply.refused.signer.unknown"
OTHER = "reply.refused.other"
LETTER = "letter.refused"
LETTER_CHANNEL = "mail-letter"  # messages.services.mail_letters.CHANNEL

# Refusal codes (core.errors catalogue) → the finding code of their class; anything else is OTHER.
CLASS_OF: dict[str, str] = {
    "thread.missing": THREAD,
    "thread.invalid": THREAD,
    "thread.not.yours": THREAD,
    "sender.certificate.expired": CERTIFICATE,
    "certificate.expired": CERTIFICATE,
    "certificate.not.yet.valid": CERTIFICATE,
    "certificate.revoked": CERTIFICATE,
    "sender.not.standard.system": NOT_STANDARD,
    "reply.sender.not.allowed": NOT_STANDARD,
    "reply.thread.invalid": THREAD,
    "sender.certificate.unknown": SIGNER_UNKNOWN,
}
EVERY_REPLY_FAILS = {CERTIFICATE, NOT_STANDARD, SIGNER_UNKNOWN}

_BECAUSE = {
    THREAD: "no valid dialog thread (or ReplyData naming two conversations), so the hub cannot tell which "
            "conversation the answer belongs to",
    CERTIFICATE: "the signing certificate has expired or is not valid, and every reply signed with it is refused",
    NOT_STANDARD: "sent by a system that may not answer that way (mail signed by a system that is neither the "
                  "standard nor a secure-mail sender system; a REST reply from a secure-mail system's token), and "
                  "every reply it sends is refused",
    SIGNER_UNKNOWN: "signed with a certificate registered for no sender system, and every reply signed with it is "
                    "refused",
    OTHER: "the reply broke the rules for replies by secure mail or REST (see the codes)",
    LETTER: "new letters started by secure mail named no or an unknown recipient, or broke the rules every MeMo "
            "must follow (see the codes)",
}
_FIX = {
    THREAD: ("Reply with the mail client's Reply function so the attachment dkaldialogtraad.xml and the [DP:…] tag "
             "in the subject stay in the mail; over REST copy the inquiry's ReplyData unchanged (docs/replies.md); "
             "or answer in Portal → Inquiries; re-send the refused answers."),
    CERTIFICATE: ("Upload the renewed certificate on the sender system (Portal → Sender systems → Renew "
                  "certificate) and make the mail server sign with it; then re-send the refused answers."),
    NOT_STANDARD: ("Sign replies with the standard sender system's certificate, or register the signing "
                   "certificate on a secure-mail sender system or make it the standard one (Portal → Sender "
                   "systems); REST replies come from the case system's own REST token; then re-send the refused "
                   "answers."),
    SIGNER_UNKNOWN: ("Register the certificate the mail server signs with on the standard secure-mail sender "
                     "system (Portal → Sender systems → Renew certificate), or make the mail server sign with the "
                     "registered one; then re-send the refused answers."),
    LETTER: ("Look up each code in the receipt mail and in docs/errors.md: name the recipient as 'Modtager: <CPR or "
             "CVR>' alone on the body's first line or in digitalpost-letter.xml (docs/secure-mail-letters.md), "
             "attach allowed file types, then send the letters again."),
    OTHER: ("Look up each code in the bounce and in docs/errors.md, correct the mail client or system that "
            "sends the replies, then re-send the refused answers (or answer in Portal → Inquiries)."),
}


@dataclass
class _Bucket:
    subject: Subject
    senders: set[str] = field(default_factory=set)
    codes: dict[str, int] = field(default_factory=dict)
    count: int = 0
    last_at: datetime | None = None

    def add(self, group: RefusalGroup) -> None:
        self.senders.add(group.sender)
        self.codes[group.code] = self.codes.get(group.code, 0) + group.count
        self.count += group.count
        self.last_at = group.last_at if self.last_at is None else max(self.last_at, group.last_at)


def class_of(code: str, channel: str = "secure-mail") -> str:
    if channel == LETTER_CHANNEL:
        return LETTER
    return CLASS_OF.get(code, OTHER)


def _short_id(text: str) -> str:
    """A stable subject id of at most 64 characters (the stored findings' limit) for a sender without an object."""
    return text if 0 < len(text) <= 64 else hashlib.sha256(text.encode()).hexdigest()[:32]


def sender_subject(org: OrgSnapshot, group: RefusalGroup) -> Subject:
    """The sender system the signer belongs to; else the secure address it came from; else the sender as named."""
    system = next((s for s in org.sender_systems if s.id == group.sender_system_id), None)
    if system is not None:
        return Subject(SubjectKind.SENDER_SYSTEM, system.id, system.name)
    address = next((a for a in org.secure_addresses if a.email.lower() == group.sender.lower()), None)
    if address is not None:
        return Subject(SubjectKind.SECURE_ADDRESS, address.id, address.email)
    sender = group.sender or "unknown sender"
    return Subject(SubjectKind.ORGANISATION, _short_id(sender), sender)


@register(THREAD, CERTIFICATE, NOT_STANDARD, SIGNER_UNKNOWN, OTHER, LETTER)
def refused_replies(org: OrgSnapshot, now: datetime) -> Iterator[Finding]:
    # One finding per class and sender: several codes of one class from one sender share a fingerprint.
    buckets: dict[tuple[str, SubjectKind, str], _Bucket] = {}
    for group in org.refusals:
        subject = sender_subject(org, group)
        key = (class_of(group.code, group.channel), subject.kind, subject.id)
        buckets.setdefault(key, _Bucket(subject)).add(group)
    for (code, _, _), bucket in sorted(buckets.items()):
        assert bucket.last_at is not None
        codes = ", ".join(sorted(bucket.codes))
        senders = ", ".join(sorted(s for s in bucket.senders if s))
        sent_by = f" from {bucket.subject.name}" + (f" ({senders})" if senders and senders != bucket.subject.name
                                                     else "")
        plural = bucket.count != 1
        if code == LETTER:
            yield _letter_finding(bucket, sent_by, codes, senders)
            continue
        yield Finding(
            code=code, severity=Severity.CRITICAL if code in EVERY_REPLY_FAILS else Severity.WARNING,
            subject=bucket.subject,
            why=(f"{bucket.count} {'replies' if plural else 'reply'}{sent_by} {'were' if plural else 'was'} refused "
                 f"in the last {REFUSAL_WINDOW_DAYS} days ({codes}), the last on "
                 f"{bucket.last_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC. Cause: {_BECAUSE[code]}. The citizens never "
                 f"got {'those answers' if plural else 'that answer'}."),
            fix=_FIX[code],
            facts={"count": bucket.count, "lastAt": bucket.last_at.isoformat(), "code": codes, "sender": senders,
                   "windowDays": REFUSAL_WINDOW_DAYS},
        )


def _letter_finding(bucket: _Bucket, sent_by: str, codes: str, senders: str) -> Finding:
    assert bucket.last_at is not None
    plural = bucket.count != 1
    return Finding(
        code=LETTER, severity=Severity.WARNING, subject=bucket.subject,
        why=(f"{bucket.count} {'letters' if plural else 'letter'} started by secure mail{sent_by} "
             f"{'were' if plural else 'was'} refused in the last {REFUSAL_WINDOW_DAYS} days ({codes}), the last on "
             f"{bucket.last_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC. Cause: {_BECAUSE[LETTER]}. The recipients never "
             f"got {'them' if plural else 'it'}."),
        fix=_FIX[LETTER],
        facts={"count": bucket.count, "lastAt": bucket.last_at.isoformat(), "code": codes, "sender": senders,
               "windowDays": REFUSAL_WINDOW_DAYS},
    )
