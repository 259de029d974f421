"""Nobody clearly responsible for upkeep: too few superadministrators, no technical contact.

Certificates must be renewed and failing receivers repaired by someone who may change the set-up and who
hears about it: the superadministrators (two, so one can be away) and the technical contact, who are the
people the doctor's alerts go to. Not for: whether those people act (the other checks show that).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from digitalpost.core.findings import Finding, Severity, Subject, SubjectKind
from digitalpost.doctor.checks.registry import register
from digitalpost.doctor.checks.snapshot import OrgSnapshot

ENOUGH_SUPERADMINISTRATORS = 2


def _organisation(org: OrgSnapshot) -> Subject:
    return Subject(SubjectKind.ORGANISATION, org.cvr, org.name)


@register("superadministrators.too.few")
def too_few_superadministrators(org: OrgSnapshot, now: datetime) -> Iterator[Finding]:
    count = org.superadministrators
    if count >= ENOUGH_SUPERADMINISTRATORS:
        return
    if count == 0:
        why = (f"{org.name} has no superadministrator: nobody may renew certificates, repair receivers or add "
               "users, and nobody but the technical contact hears the doctor's alerts.")
        fix = ("Ask the platform operator to appoint a superadministrator (Portal → Users for the operator), then "
               "appoint a second one.")
    else:
        why = (f"{org.name} has only one superadministrator: when that person is away or leaves, nobody may renew "
               "certificates, repair receivers or add users.")
        fix = "Appoint a second superadministrator: Portal → Users → the person → role Superadministrator."
    yield Finding(
        code="superadministrators.too.few", severity=Severity.CRITICAL if count == 0 else Severity.WARNING,
        subject=_organisation(org), stage="none" if count == 0 else "one", why=why, fix=fix,
        facts={"superadministrators": count, "wanted": ENOUGH_SUPERADMINISTRATORS},
    )


@register("technical.contact.missing")
def missing_technical_contact(org: OrgSnapshot, now: datetime) -> Iterator[Finding]:
    if org.technical_contact_email.strip():
        return
    yield Finding(
        code="technical.contact.missing", severity=Severity.WARNING, subject=_organisation(org),
        why=(f"{org.name} has no technical contact e-mail: the people who run its mail server and systems do not "
             "get the doctor's alerts about expiring certificates and failing receivers."),
        fix="Enter the technical contact's name and e-mail address: Portal → Organisation → Edit.",
        facts={"technicalContactName": org.technical_contact_name},
    )
