"""Replies that were filed although the authority's mail client used an algorithm it should retire.

The hub never loses a citizen's answer over a client setting: a reply encrypted with 3DES or signed with SHA-1
is filed like any other. But both algorithms are on their way out (RFC 8551 keeps 3DES for reading old mail
only; SHA-1 signatures can be forged), so the doctor names the sender and the setting to change. One warning
per algorithm and sender over the last REFUSAL_WINDOW_DAYS. Not for: refused replies (refused_replies.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from digitalpost.core.findings import Finding, Severity, Subject, SubjectKind
from digitalpost.doctor.checks.registry import register
from digitalpost.doctor.checks.snapshot import REFUSAL_WINDOW_DAYS, LegacyCryptoGroup, OrgSnapshot

CIPHER_3DES = "reply.cipher.3des"
SIGNATURE_SHA1 = "reply.signature.sha1"
FINDING_OF_KIND = {"cipher.3des": CIPHER_3DES, "signature.sha1": SIGNATURE_SHA1}

_WHAT = {
    CIPHER_3DES: "encrypted with 3DES (Triple-DES), a cipher RFC 8551 keeps only so old mail can still be read",
    SIGNATURE_SHA1: "signed with SHA-1, a hash that can be forged; such signatures may soon be refused",
}
_FIX = {
    CIPHER_3DES: ("Set the mail client or gateway that sends the replies to encrypt with AES-256 (Outlook: File → "
                  "Options → Trust Center → Trust Center Settings → Email Security → Settings → Encryption "
                  "Algorithm: AES (256-bit); gpgsm/KMail: cipher-algo AES256). The hub's certificate supports it."),
    SIGNATURE_SHA1: ("Set the mail client or gateway that signs the replies to use SHA-256 (Outlook: File → Options → "
                     "Trust Center → Trust Center Settings → Email Security → Settings → Hash Algorithm: SHA256). "
                     "When every sender is changed, switch on 'Refuse SHA-1 signatures' for the organisation."),
}


def _subject(org: OrgSnapshot, group: LegacyCryptoGroup) -> Subject:
    system = next((s for s in org.sender_systems if s.id == group.sender_system_id), None)
    if system is not None:
        return Subject(SubjectKind.SENDER_SYSTEM, system.id, system.name)
    sender = group.sender or "unknown sender"
    return Subject(SubjectKind.ORGANISATION, sender[:64], sender)


@register(CIPHER_3DES, SIGNATURE_SHA1)
def legacy_crypto_replies(org: OrgSnapshot, now: datetime) -> Iterator[Finding]:
    for group in org.legacy_crypto:
        code = FINDING_OF_KIND.get(group.kind)
        if code is None:
            continue
        plural = group.count != 1
        sender = f" (from {group.sender})" if group.sender else ""
        yield Finding(
            code=code, severity=Severity.WARNING, subject=_subject(org, group),
            why=(f"{group.count} {'replies' if plural else 'reply'}{sender} in the last {REFUSAL_WINDOW_DAYS} days "
                 f"{'were' if plural else 'was'} {_WHAT[code]}, the last on "
                 f"{group.last_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC. The answers reached the citizens; the setting "
                 f"should change before the algorithm is refused."),
            fix=_FIX[code],
            facts={"count": group.count, "lastAt": group.last_at.isoformat(), "sender": group.sender,
                   "windowDays": REFUSAL_WINDOW_DAYS},
        )
