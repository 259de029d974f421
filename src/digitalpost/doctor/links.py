"""Where a finding is fixed: the portal page for its object, and the JSON shape every surface shares.

The CLI's `--json`, the admin API and the alert e-mails all describe a finding the same way (documented in
docs/doctor.md); the portal and the alerts link to the page below.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse

from digitalpost.core.findings import Finding, SubjectKind

# (url name, whether it takes the object's id as its second argument); object pages where they exist.
_PAGES: dict[SubjectKind, tuple[str, str | None]] = {
    SubjectKind.ORGANISATION: ("portal:profile", None),
    SubjectKind.CERTIFICATE: ("portal:certificates", None),
    SubjectKind.SENDER_SYSTEM: ("portal:sender_system", "system_id"),
    SubjectKind.SECURE_ADDRESS: ("portal:secure_addresses", None),
    SubjectKind.RECEIVER_SYSTEM: ("portal:receiver_systems", None),
    SubjectKind.MAILBOX: ("portal:mailbox_edit", "mailbox_id"),
    SubjectKind.MATERIAL: ("portal:material_edit", "material_id"),
    SubjectKind.SUBSCRIPTION_GROUP: ("portal:subscription_group_edit", "group_id"),
    SubjectKind.INQUIRY: ("portal:inquiry", "thread_id"),
}


# Findings fixed somewhere else than their object's page.
_CODE_PAGES = {"inquiry.unanswered": ("portal:inquiries", None)}


def fix_path(cvr: str, finding: Finding) -> str:
    """The portal path where the finding's object is fixed (the list page when the object has none)."""
    name, id_argument = _CODE_PAGES.get(finding.code) or _PAGES[finding.subject.kind]
    kwargs = {"cvr": cvr}
    if id_argument is not None:
        kwargs[id_argument] = finding.subject.id
    return reverse(name, kwargs=kwargs)


def fix_url(cvr: str, finding: Finding) -> str:
    """Absolute link for e-mails (DIGITALPOST_PORTAL_URL is where people reach the portal)."""
    return settings.DIGITALPOST_PORTAL_URL.rstrip("/") + fix_path(cvr, finding)


def finding_json(cvr: str, finding: Finding) -> dict[str, Any]:
    """The stable JSON form of a finding (docs/doctor.md, "JSON output")."""
    return {
        "code": finding.code,
        "severity": finding.severity.value,
        "organisation": cvr,
        "subject": {"kind": finding.subject.kind.value, "id": finding.subject.id, "name": finding.subject.name},
        "why": finding.why,
        "fix": finding.fix,
        "fixPath": fix_path(cvr, finding),
        "stage": finding.stage,
        "facts": finding.facts,
        "runbook": f"docs/runbooks/{finding.code}.md",
    }
