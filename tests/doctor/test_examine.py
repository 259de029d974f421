"""The doctor's bookkeeping: findings are stored once, refreshed, escalated, and resolved when fixed."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from digitalpost.core.findings import Severity, exit_code
from digitalpost.doctor.models import DoctorRun, StoredFinding
from digitalpost.doctor.selectors import critical_count, list_open_findings
from digitalpost.doctor.services import Change, examine
from helpers.doctor_world import HealthyOrg, codes, findings_of


def test_a_healthy_organisation_has_no_findings(healthy: HealthyOrg):
    found = findings_of(healthy)
    assert found == [], [(f.code, f.subject.name, f.why) for f in found]
    assert exit_code(found) == 0
    run = DoctorRun.objects.get(authority=healthy.authority)
    assert (run.critical, run.warning, run.info) == (0, 0, 0)


def test_the_standard_senders_certificate_is_flagged_as_it_nears_expiry(healthy: HealthyOrg):
    expires = healthy.standard_sender.certificate.not_after
    found = findings_of(healthy, now=expires - timedelta(days=45))
    mine = [f for f in found if f.subject.id == str(healthy.standard_sender.certificate_id)]
    assert [(f.code, f.severity, f.stage) for f in mine] == [("certificate.expiring", Severity.WARNING, "60")]
    assert "standard sender system Nordby sikker post" in mine[0].why
    assert mine[0].facts["daysLeft"] == 45


def test_stages_escalate_and_the_same_stage_is_not_new(healthy: HealthyOrg):
    expires = healthy.standard_sender.certificate.not_after
    cert_id = str(healthy.standard_sender.certificate_id)

    def change_at(days_before: float) -> tuple[str, str, Change]:
        examined = examine(healthy.authority, now=expires - timedelta(days=days_before))
        ((finding, change),) = [(f, c) for f, c in examined.findings if f.subject.id == cert_id]
        return finding.stage, finding.severity.value, change

    assert change_at(50) == ("60", "warning", Change.NEW)
    assert change_at(40) == ("60", "warning", Change.SAME)
    assert change_at(25) == ("30", "warning", Change.ESCALATED)
    assert change_at(10) == ("14", "critical", Change.ESCALATED)
    assert change_at(0.5) == ("1", "critical", Change.ESCALATED)
    assert change_at(-1) == ("expired", "critical", Change.NEW)  # another code: a new problem
    rows = StoredFinding.objects.filter(authority=healthy.authority, subject_id=cert_id)
    # the expiring finding was resolved when it became the expired one; one open row per problem
    assert sorted((r.code, r.resolved_at is None) for r in rows) == [
        ("certificate.expired", True), ("certificate.expiring", False)]


def test_a_fixed_problem_is_resolved_and_the_badge_counts_open_criticals(healthy: HealthyOrg):
    expires = healthy.standard_sender.certificate.not_after
    examine(healthy.authority, now=expires - timedelta(days=5))
    assert critical_count(healthy.authority) >= 1
    assert "certificate.expiring" in codes([_plain(r) for r in list_open_findings(healthy.authority)])
    examined = examine(healthy.authority, now=timezone.now())
    assert "certificate.expiring" in [r.code for r in examined.resolved]
    assert critical_count(healthy.authority) == 0


def _plain(row: StoredFinding):
    from digitalpost.doctor.selectors import as_finding

    return as_finding(row)
