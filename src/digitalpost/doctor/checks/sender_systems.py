"""Sender systems: the standard one that signs the organisation's replies, and systems left behind.

Replies from an authority's own mail client are accepted only when signed with a sender system's secure-mail
certificate, and the portal's replies go out in the standard system's name, so an organisation without a
working standard sender system cannot answer citizens. Systems nobody uses any more keep live credentials, and
year-old API tokens have had a year to leak. Not for: certificate expiry — certificates.py reports that for
every certificate, the standard system's included — nor refused replies (refused_replies.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from digitalpost.core.findings import Finding, Severity, Subject, SubjectKind
from digitalpost.doctor.checks.registry import register
from digitalpost.doctor.checks.snapshot import OrgSnapshot, SenderSystemInfo

SECURE_MAIL = "SECURE_MAIL"
REST = "REST"
EXPIRED = "certificate.expired"  # reported by certificates.py; not repeated here
FORGOTTEN_AFTER_DAYS = 90
TOKEN_MAX_AGE_DAYS = 365

# Why the standard system cannot sign, in the order a person fixes them (facts["causes"] uses these words).
CAUSE_TEXT = {
    "inactive": "it is deactivated",
    "not.secure.mail": "it is a REST system, which has no secure-mail certificate to sign replies with",
    "no.certificate": "it has no certificate",
    "certificate.not.yet.valid": "its certificate is not valid yet",
    "certificate.untrusted": "its certificate is not issued by a certificate authority the hub trusts",
    "certificate.revoked": "its certificate has been revoked",
    "hub.trust.anchors.unreadable": ("the hub cannot read its trust anchors (DIGITALPOST_TRUST_ANCHORS), so it "
                                     "cannot check any certificate"),
    "certificate.key.usage": "its certificate may not be used to sign e-mail (key usage)",
}


def sender_subject(system: SenderSystemInfo) -> Subject:
    return Subject(SubjectKind.SENDER_SYSTEM, system.id, system.name)


def signing_causes(org: OrgSnapshot, system: SenderSystemInfo) -> list[str]:
    """Why `system` cannot sign a reply today, expiry aside; empty when it can."""
    causes = [] if system.is_active else ["inactive"]
    if system.channel != SECURE_MAIL:
        return [*causes, "not.secure.mail"]
    cert = org.certificate(system.certificate_id)
    if cert is None:
        return [*causes, "no.certificate"]
    return causes + [code for code in cert.signing_problems if code != EXPIRED]


def describe(cause: str) -> str:
    return CAUSE_TEXT.get(cause, f"its certificate cannot sign ({cause})")


@register("sender.system.standard.missing", "sender.system.standard.cannot.sign")
def standard_sender_system(org: OrgSnapshot, now: datetime) -> Iterator[Finding]:
    standard = next((s for s in org.sender_systems if s.is_standard), None)
    if standard is None:
        yield Finding(
            code="sender.system.standard.missing", severity=Severity.CRITICAL,
            subject=Subject(SubjectKind.ORGANISATION, org.cvr, org.name),
            why=("The organisation has no standard sender system, so every reply a caseworker writes in the portal "
                 "is refused and citizens never get an answer."),
            fix=("Portal → Sender systems: open a secure-mail sender system with a valid certificate (or create "
                 "one) and choose Make standard sender system."),
            facts={"senderSystems": len(org.sender_systems)},
        )
        return
    causes = signing_causes(org, standard)
    if not causes:
        return
    yield Finding(
        code="sender.system.standard.cannot.sign", severity=Severity.CRITICAL, subject=sender_subject(standard),
        why=(f"The standard sender system {standard.name} cannot sign replies ("
             + "; ".join(describe(c) for c in causes) + "): "
             + ("caseworkers' replies in the portal and replies from your mail system are refused"
                if "inactive" in causes else "replies your mail system signs in its name are refused")
             + ", so citizens never get the answer."),
        fix=_cannot_sign_fix(causes),
        facts={"causes": ", ".join(causes), "channel": standard.channel},
    )


def _cannot_sign_fix(causes: list[str]) -> str:
    if "not.secure.mail" in causes:
        return ("Portal → Sender systems: create a secure-mail sender system with your signing certificate (or "
                "open an existing one) and choose Make standard sender system.")
    if "inactive" in causes:
        return "Portal → Sender systems → this system: choose Activate (or make another valid system the standard)."
    return ("Portal → Sender systems → this system: choose Renew certificate and upload a valid e-mail signing "
            "certificate from a trusted issuer (MitID Erhverv / OCES).")


@register("sender.system.forgotten", "sender.system.token.old")
def forgotten_sender_systems(org: OrgSnapshot, now: datetime) -> Iterator[Finding]:
    for system in org.sender_systems:
        if not system.is_active:
            continue  # a deactivated system's token and certificate no longer work: nothing to forget
        yield from _forgotten(system, now)
        if system.channel == REST:  # secure-mail systems authenticate by certificate; their token is never shown
            yield from _old_token(system, now)


def _forgotten(system: SenderSystemInfo, now: datetime) -> Iterator[Finding]:
    since = system.last_used_at or system.created_at
    idle = (now - since).days
    if now - since < timedelta(days=FORGOTTEN_AFTER_DAYS):
        return
    used = f"last used on {since:%Y-%m-%d}" if system.last_used_at else f"never used since {since:%Y-%m-%d}"
    if system.is_standard:
        # The standard system must stay; idle means nobody replies through it, which unanswered.py measures.
        severity, fix = Severity.INFO, ("Nothing to fix if the organisation replies only in the portal; otherwise "
                                        "check in Portal → Sender systems that your mail system still signs with it.")
    else:
        severity, fix = Severity.WARNING, ("Portal → Sender systems → this system: choose Deactivate if it is no "
                                           "longer in use; otherwise issue a new API token and check who holds it.")
    yield Finding(
        code="sender.system.forgotten", severity=severity, subject=sender_subject(system),
        why=(f"The sender system {system.name} is active but has sent nothing for {idle} days ({used}): its "
             "credentials still work, and nobody may notice if they are misused or stop working."),
        fix=fix,
        facts={"daysIdle": idle, "lastUsedAt": system.last_used_at.isoformat() if system.last_used_at else "",
               "createdAt": system.created_at.isoformat()},
    )


def _old_token(system: SenderSystemInfo, now: datetime) -> Iterator[Finding]:
    age = (now - system.token_issued_at).days
    if age <= TOKEN_MAX_AGE_DAYS:
        return
    yield Finding(
        code="sender.system.token.old", severity=Severity.WARNING, subject=sender_subject(system),
        why=(f"The API token of {system.name} was issued {age} days ago ({system.token_issued_at:%Y-%m-%d}); "
             "an old token has had time to be copied, and anyone holding it can send letters in your name."),
        fix=("Portal → Sender systems → this system: choose Issue a new API token and put it in the system's "
             "configuration at once (the old token stops working)."),
        facts={"tokenAgeDays": age, "tokenIssuedAt": system.token_issued_at.isoformat()},
    )
