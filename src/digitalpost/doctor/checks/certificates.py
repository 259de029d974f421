"""Certificates that expire soon or have expired: the most common reason replies and inquiries stop flowing.

Only certificates something uses are checked (a secure address or a sender system); an unused upload harms
nobody. Not for: whether a certificate is fit for its purpose — mailboxes.py and sender_systems.py say that.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from digitalpost.core.findings import Finding, Severity, Subject, SubjectKind
from digitalpost.doctor.checks.registry import register
from digitalpost.doctor.checks.snapshot import CertificateInfo, OrgSnapshot

STAGES = (1, 7, 14, 30, 60)  # warn when this many days (or fewer) are left; each step alerts again
CRITICAL_FROM = 14


def days_left(cert: CertificateInfo, now: datetime) -> int:
    return int((cert.not_after - now).total_seconds() // 86400)


def stage_for(days: int) -> str | None:
    """"expired", or the smallest warning step the days left fall within; None when far from expiry."""
    if days < 0:
        return "expired"
    return next((str(step) for step in STAGES if days <= step), None)


def uses_of(org: OrgSnapshot, cert: CertificateInfo) -> list[str]:
    uses = [f"secure address {a.email}" for a in org.secure_addresses if a.certificate_id == cert.id]
    uses += [f"{'standard ' if s.is_standard else ''}sender system {s.name}"
             for s in org.sender_systems if s.certificate_id == cert.id]
    return uses


@register("certificate.expiring", "certificate.expired")
def expiring_certificates(org: OrgSnapshot, now: datetime) -> Iterator[Finding]:
    for cert in org.certificates:
        uses = uses_of(org, cert)
        days = days_left(cert, now)
        stage = stage_for(days)
        if not uses or stage is None:
            continue
        subject = Subject(SubjectKind.CERTIFICATE, cert.id, cert.subject)
        used_by = ", ".join(uses)
        standard = any(s.is_standard and s.certificate_id == cert.id for s in org.sender_systems)
        if stage == "expired":
            effect = ("no reply from this organisation can be signed, so citizens' answers are refused"
                      if standard else "mail to or from it is refused")
            yield Finding(
                code="certificate.expired", severity=Severity.CRITICAL, subject=subject, stage=stage,
                why=f"The certificate of {used_by} expired on {cert.not_after:%Y-%m-%d}: {effect}.",
                fix="Upload the renewed certificate: Portal → Certificates, then the secure address or sender system.",
                facts={"daysLeft": days, "expiresOn": cert.not_after.date().isoformat(), "usedBy": used_by},
            )
            continue
        severity = Severity.CRITICAL if days <= CRITICAL_FROM else Severity.WARNING
        yield Finding(
            code="certificate.expiring", severity=severity, subject=subject, stage=stage,
            why=(f"The certificate of {used_by} expires on {cert.not_after:%Y-%m-%d} ({days} days left); "
                 "after that "
                 + ("replies cannot be signed." if standard else "mail to or from it is refused.")),
            fix="Order the renewed certificate now and upload it: Portal → Certificates.",
            facts={"daysLeft": days, "expiresOn": cert.not_after.date().isoformat(), "usedBy": used_by},
        )
