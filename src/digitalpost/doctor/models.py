"""What the doctor remembers: the open findings per organisation, the alerts it sent, and probe results.

A stored finding stays open while the checks keep yielding it (same fingerprint) and is resolved when they
stop; an escalation (a more urgent severity or stage) is what makes an alert go out again.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from digitalpost.authorities.models import Authority, AuthorityMailbox


class StoredFinding(models.Model):
    authority = models.ForeignKey(Authority, on_delete=models.CASCADE, related_name="findings")
    fingerprint = models.CharField(max_length=200)
    code = models.CharField(max_length=64)
    severity = models.CharField(max_length=8)
    stage = models.CharField(max_length=16, blank=True)
    subject_kind = models.CharField(max_length=24)
    subject_id = models.CharField(max_length=64)
    subject_name = models.CharField(max_length=500)
    why = models.TextField()
    fix = models.TextField()
    facts = models.JSONField(default=dict)
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["authority", "fingerprint"], condition=Q(resolved_at__isnull=True),
                                    name="one_open_finding_per_fingerprint"),
        ]
        indexes = [models.Index(fields=["authority", "resolved_at"], name="findings_of_authority")]

    def __str__(self) -> str:
        return f"{self.code} {self.subject_name} ({self.severity})"


class DoctorRun(models.Model):
    """One examination of one organisation, with its counts (the portal badge reads the latest)."""

    authority = models.ForeignKey(Authority, on_delete=models.CASCADE, related_name="doctor_runs")
    at = models.DateTimeField()
    critical = models.PositiveIntegerField(default=0)
    warning = models.PositiveIntegerField(default=0)
    info = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["authority", "-at"], name="latest_doctor_run")]


class SentAlert(models.Model):
    """One alert e-mail about one finding at one stage: the log, and what stops the same alert twice a day."""

    authority = models.ForeignKey(Authority, on_delete=models.CASCADE, related_name="alerts")
    fingerprint = models.CharField(max_length=200)
    code = models.CharField(max_length=64)
    severity = models.CharField(max_length=8)
    stage = models.CharField(max_length=16, blank=True)
    recipients = models.JSONField(default=list)
    sent_at = models.DateTimeField()
    delivered = models.BooleanField(default=False)
    error = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["authority", "fingerprint", "-sent_at"], name="alerts_by_finding")]


class ProbeResult(models.Model):
    """One synthetic inquiry sent through a mailbox's real route, and what came back."""

    class Outcome(models.TextChoices):
        OK = "OK"
        FAILED = "FAILED"
        WAITING = "WAITING"  # handed to a pull system; OK once fetched, FAILED if not within the set time

    authority = models.ForeignKey(Authority, on_delete=models.CASCADE, related_name="probes")
    mailbox = models.ForeignKey(AuthorityMailbox, null=True, on_delete=models.SET_NULL, related_name="probes")
    mailbox_name = models.CharField(max_length=500)
    route = models.CharField(max_length=16)  # the receiver kind probed
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    detail = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["mailbox", "-started_at"], name="latest_probe")]


class SchedulerPass(models.Model):
    """One pass of the doctor's scheduler (examine all, alerts, probe) by the node that led it.

    On several nodes only the leader runs passes (hub.leadership); the log shows which node ran when, and that two
    never ran at once. A pass whose node died midway has no `finished_at`.
    """

    node = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["started_at"], name="scheduler_passes_by_start")]

    def __str__(self) -> str:
        return f"scheduler pass {self.node}:{self.pid} at {self.started_at:%Y-%m-%d %H:%M:%S}"
