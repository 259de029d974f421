"""Reading what the doctor found: open findings per organisation and the latest run's counts."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from digitalpost.authorities.models import Authority
from digitalpost.core.findings import Finding, Severity, Subject, SubjectKind
from digitalpost.doctor.models import DoctorRun, StoredFinding


def open_findings(authority: Authority) -> QuerySet[StoredFinding]:
    return StoredFinding.objects.filter(authority=authority, resolved_at__isnull=True)


def as_finding(row: StoredFinding) -> Finding:
    return Finding(code=row.code, severity=Severity(row.severity),
                   subject=Subject(SubjectKind(row.subject_kind), row.subject_id, row.subject_name),
                   why=row.why, fix=row.fix, stage=row.stage, facts=dict(row.facts))


def list_open_findings(authority: Authority) -> list[StoredFinding]:
    """Most urgent first, then by code and object name."""
    rows = list(open_findings(authority))
    return sorted(rows, key=lambda r: (-Severity(r.severity).rank, r.code, r.subject_name))


def latest_run(authority: Authority) -> DoctorRun | None:
    return DoctorRun.objects.filter(authority=authority).order_by("-at").first()


def critical_count(authority: Authority) -> int:
    """Open critical findings (the portal header's badge)."""
    return open_findings(authority).filter(severity=Severity.CRITICAL.value).count()


def open_findings_by_severity() -> dict[str, int]:
    """Open findings across every organisation, per severity (all severities present, zero included)."""
    counts = dict.fromkeys((s.value for s in Severity), 0)
    rows = (StoredFinding.objects.filter(resolved_at__isnull=True).values("severity")
            .annotate(n=Count("id")).values_list("severity", "n"))
    counts.update(dict(rows))
    return counts
