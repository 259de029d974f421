"""GET /apis/v1/admin/organisations/{cvr}/doctor: the doctor's open findings of one organisation.

Each finding has the stable JSON form every surface shares (doctor.links.finding_json, documented in
docs/doctor.md); `?refresh=true` examines the organisation first (that needs the right to edit its set-up).
Not for: running checks or alerting — the doctor app does that.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Query, Router, Schema

from digitalpost.accounts.selectors import OrgAccess
from digitalpost.api.admin.access import org_operation, require
from digitalpost.api.admin.auth import AdminRequest
from digitalpost.api.admin.common import ERRORS
from digitalpost.core.findings import Severity
from digitalpost.core.roles import Action
from digitalpost.doctor.links import finding_json
from digitalpost.doctor.selectors import as_finding, latest_run, list_open_findings
from digitalpost.doctor.services import examine

router = Router(tags=["admin: doctor"])


class FindingSubjectOut(Schema):
    kind: str = Field(description="organisation, certificate, sender_system, secure_address, receiver_system, "
                                  "mailbox, material, subscription_group or inquiry")
    id: str = Field(description="The object's id (a UUID, or the CVR for the organisation).")
    name: str


class FindingOut(Schema):
    code: str = Field(description="Stable code, e.g. certificate.expiring; docs/runbooks/<code>.md explains it.")
    severity: str = Field(description="critical, warning or info")
    organisation: str = Field(description="CVR of the organisation")
    subject: FindingSubjectOut
    why: str = Field(description="Why it matters, one sentence (English).")
    fix: str = Field(description="How to fix it (English).")
    fixPath: str = Field(description="The portal page where it is fixed.")
    stage: str = Field(description="How far a graded problem is, e.g. \"30\" days left or \"expired\"; "
                                   "empty when not graded.")
    facts: dict[str, Any] = Field(description="The numbers behind the sentence, e.g. daysLeft.")
    runbook: str


class FindingCountsOut(Schema):
    critical: int
    warning: int
    info: int


class DoctorReportOut(Schema):
    cvr: str
    checkedAt: datetime | None = Field(description="When the doctor last examined the organisation; null if never.")
    summary: FindingCountsOut = Field(description="Open findings per severity.")
    findings: list[FindingOut] = Field(description="Open findings, most urgent first.")


class DoctorQuery(Schema):
    refresh: bool = Field(False, description="Examine the organisation now, before answering (needs the right "
                                             "to edit the set-up: superadministrator or administrator).")


@router.get("/organisations/{cvr}/doctor", response={200: DoctorReportOut, **ERRORS}, summary="Doctor findings",
            description="The organisation's open findings: severity, object, why it matters, how to fix it and "
                        "where. ?refresh=true examines the organisation first.")
@org_operation(Action.VIEW_DOCTOR)
def get_doctor_report(request: AdminRequest, org: OrgAccess, query: Query[DoctorQuery]) -> dict[str, Any]:
    if query.refresh:
        examine(require(org, Action.EDIT_SETUP).authority)  # examining writes findings: the set-up editors' right
    rows = list_open_findings(org.authority)
    run = latest_run(org.authority)
    return {
        "cvr": org.authority.cvr,
        "checkedAt": run.at if run is not None else None,
        "summary": {severity.value: sum(r.severity == severity for r in rows) for severity in Severity},
        "findings": [finding_json(org.authority.cvr, as_finding(row)) for row in rows],
    }
