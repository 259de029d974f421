"""Examining organisations: gather the snapshot, run the checks, keep the stored findings in step.

`examine` is the one write path for findings: new ones are stored, ones still present are refreshed, ones no
longer found are resolved. Every change it reports (NEW, ESCALATED) is what alerts are sent about. Not for:
sending alerts (alerts.py) or probing (probe.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from django.db import transaction
from django.utils import timezone

from digitalpost.authorities.models import Authority
from digitalpost.core.findings import Finding, Severity
from digitalpost.doctor.checks import run_checks
from digitalpost.doctor.checks.certificates import STAGES
from digitalpost.doctor.gather import build_snapshot
from digitalpost.doctor.models import DoctorRun, SchedulerPass, StoredFinding


class Change(StrEnum):
    NEW = "new"
    ESCALATED = "escalated"  # more urgent severity or a later stage than when last seen
    SAME = "same"


@dataclass(frozen=True)
class Examined:
    authority: Authority
    at: datetime
    findings: list[tuple[Finding, Change]]
    resolved: list[StoredFinding]

    @property
    def plain(self) -> list[Finding]:
        return [finding for finding, _ in self.findings]


def stage_urgency(stage: str) -> int:
    """Orders stages: "expired" beyond any count of days; fewer days left more urgent; other labels equal."""
    if stage == "expired":
        return len(STAGES) + 1
    if stage.isdigit():
        return sum(1 for step in STAGES if int(stage) <= step)
    return 0


def _change(stored: StoredFinding | None, finding: Finding) -> Change:
    if stored is None:
        return Change.NEW
    if (finding.severity.rank > Severity(stored.severity).rank
            or stage_urgency(finding.stage) > stage_urgency(stored.stage)):
        return Change.ESCALATED
    return Change.SAME


def examine(authority: Authority, *, now: datetime | None = None) -> Examined:
    """Run every check over one organisation and store the outcome (one transaction)."""
    now = now or timezone.now()
    findings = run_checks(build_snapshot(authority, now), now)
    with transaction.atomic():
        open_rows = {row.fingerprint: row for row in
                     StoredFinding.objects.select_for_update().filter(authority=authority, resolved_at__isnull=True)}
        outcome = []
        for finding in findings:
            row = open_rows.pop(finding.fingerprint, None)
            outcome.append((finding, _change(row, finding)))
            _store(authority, row, finding, now)
        resolved = list(open_rows.values())
        StoredFinding.objects.filter(pk__in=[row.pk for row in resolved]).update(resolved_at=now)
        DoctorRun.objects.create(
            authority=authority, at=now,
            critical=sum(f.severity is Severity.CRITICAL for f in findings),
            warning=sum(f.severity is Severity.WARNING for f in findings),
            info=sum(f.severity is Severity.INFO for f in findings),
        )
    return Examined(authority=authority, at=now, findings=outcome, resolved=resolved)


def _store(authority: Authority, row: StoredFinding | None, finding: Finding, now: datetime) -> None:
    fields = {
        "code": finding.code, "severity": finding.severity.value, "stage": finding.stage,
        "subject_kind": finding.subject.kind.value, "subject_id": finding.subject.id,
        "subject_name": finding.subject.name[:500], "why": finding.why, "fix": finding.fix,
        "facts": finding.facts, "last_seen_at": now,
    }
    if row is None:
        StoredFinding.objects.create(authority=authority, fingerprint=finding.fingerprint, first_seen_at=now,
                                     **fields)
        return
    for name, value in fields.items():
        setattr(row, name, value)
    row.save(update_fields=list(fields))


def examine_all(*, now: datetime | None = None) -> list[Examined]:
    """Every organisation, one after another (each in its own transaction)."""
    now = now or timezone.now()
    return [examine(authority, now=now) for authority in Authority.objects.order_by("name")]


SCHEDULER_PASSES_KEPT = timedelta(days=30)


@contextmanager
def scheduler_pass(*, node: str, pid: int) -> Iterator[None]:
    """Record one scheduler pass around the block: started before it, finished after it (also when it failed)."""
    started = timezone.now()
    SchedulerPass.objects.filter(started_at__lt=started - SCHEDULER_PASSES_KEPT).delete()
    record = SchedulerPass.objects.create(node=node, pid=pid, started_at=started)
    try:
        yield
    finally:
        SchedulerPass.objects.filter(pk=record.pk).update(finished_at=timezone.now())
