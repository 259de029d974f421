"""Portal page: the doctor's view of one organisation — traffic light, open findings, probes and alert log.

Read-only except for "Examine now", which runs the same examination the scheduled job runs
(doctor.services.examine) and comes back here. The findings' texts are the checks' own (English data, shown
as-is); everything around them is translated. Not for: finding or alerting — the doctor app does that.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, URLPattern, path
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from digitalpost.accounts.selectors import OrgAccess
from digitalpost.authorities.models import Authority
from digitalpost.core.findings import Severity, SubjectKind
from digitalpost.core.roles import Action
from digitalpost.doctor.links import fix_path
from digitalpost.doctor.models import ProbeResult, SentAlert, StoredFinding
from digitalpost.doctor.selectors import as_finding, latest_run, list_open_findings
from digitalpost.doctor.services import examine
from digitalpost.portal.access import org_view

RECENT_ALERTS = 50
PROBES_LOOKED_AT = 500  # enough to find the latest probe of every mailbox of even a large organisation

KIND_LABELS: dict[str, Promise | str] = {
    SubjectKind.ORGANISATION: gettext_lazy("Organisation"),
    SubjectKind.CERTIFICATE: gettext_lazy("Certificate"),
    SubjectKind.SENDER_SYSTEM: gettext_lazy("Sender system"),
    SubjectKind.SECURE_ADDRESS: gettext_lazy("Secure address"),
    SubjectKind.RECEIVER_SYSTEM: gettext_lazy("Receiver system"),
    SubjectKind.MAILBOX: gettext_lazy("Mailbox"),
    SubjectKind.MATERIAL: gettext_lazy("Material"),
    SubjectKind.SUBSCRIPTION_GROUP: gettext_lazy("Subscription group"),
    SubjectKind.INQUIRY: gettext_lazy("Inquiry"),
}
SEVERITY_LABELS: dict[str, Promise | str] = {
    Severity.CRITICAL: gettext_lazy("Critical"),
    Severity.WARNING: gettext_lazy("Warning"),
    Severity.INFO: gettext_lazy("Info"),
}
# The traffic light: the most urgent open finding decides the colour; the status CSS class shows it.
LIGHTS = {Severity.CRITICAL: ("red", "critical"), Severity.WARNING: ("amber", "warning")}
GREEN = ("green", "ok")


@dataclass(frozen=True)
class FindingRow:
    row: StoredFinding
    severity_label: Promise | str
    kind_label: Promise | str
    fix_path: str | None  # None when the object's page cannot be named (e.g. an id that is no longer valid)

    @property
    def status_class(self) -> str:
        return LIGHTS.get(Severity(self.row.severity), GREEN)[1]


def _finding_rows(cvr: str, rows: list[StoredFinding]) -> list[FindingRow]:
    shown = []
    for row in rows:
        try:
            link: str | None = fix_path(cvr, as_finding(row))
        except (NoReverseMatch, ValueError):
            link = None
        shown.append(FindingRow(row=row, severity_label=SEVERITY_LABELS.get(row.severity, row.severity),
                                kind_label=KIND_LABELS.get(row.subject_kind, row.subject_kind), fix_path=link))
    return shown


def _latest_probes(authority: Authority) -> list[ProbeResult]:
    """The newest probe of each mailbox (by name for probes of since-deleted mailboxes), by mailbox name."""
    latest: dict[object, ProbeResult] = {}
    for probe in ProbeResult.objects.filter(authority=authority).order_by("-started_at")[:PROBES_LOOKED_AT]:
        latest.setdefault(probe.mailbox_id or probe.mailbox_name, probe)
    return sorted(latest.values(), key=lambda p: p.mailbox_name)


def _recent_alerts(authority: Authority) -> list[SentAlert]:
    return list(SentAlert.objects.filter(authority=authority).order_by("-sent_at")[:RECENT_ALERTS])


@org_view(Action.VIEW_DOCTOR)
def doctor(request: HttpRequest, org: OrgAccess) -> HttpResponse:
    open_rows = list_open_findings(org.authority)
    counts = {severity.value: sum(r.severity == severity for r in open_rows) for severity in Severity}
    top = next((s for s in (Severity.CRITICAL, Severity.WARNING) if counts[s.value]), None)
    light, status = LIGHTS[top] if top is not None else GREEN
    context: dict[str, Any] = {
        "org": org, "light": light, "light_status": status, "counts": counts, "run": latest_run(org.authority),
        "findings": _finding_rows(org.authority.cvr, open_rows), "probes": _latest_probes(org.authority),
        "alerts": _recent_alerts(org.authority), "may_examine": org.may(Action.EDIT_SETUP),
    }
    return render(request, "portal/doctor/doctor.html", context)


@org_view(Action.EDIT_SETUP)
@require_POST
def doctor_examine(request: HttpRequest, org: OrgAccess) -> HttpResponse:
    examined = examine(org.authority)
    found = examined.plain
    counts = {severity: sum(f.severity is severity for f in found) for severity in Severity}
    text = _("Examined now: %(critical)d critical, %(warning)d warnings, %(info)d for information; "
             "%(resolved)d fixed since the last examination.") % {
        "critical": counts[Severity.CRITICAL], "warning": counts[Severity.WARNING],
        "info": counts[Severity.INFO], "resolved": len(examined.resolved)}
    if counts[Severity.CRITICAL]:
        messages.error(request, text)
    elif counts[Severity.WARNING]:
        messages.warning(request, text)
    else:
        messages.success(request, text)
    return redirect("portal:doctor", cvr=org.authority.cvr)


urlpatterns: list[URLPattern] = [
    path("<str:cvr>/doctor/", doctor, name="doctor"),
    path("<str:cvr>/doctor/examine/", doctor_examine, name="doctor_examine"),
]
