"""The audit log: every change to an organisation's set-up, roles and certificates, append-only and chained.

Rows are never updated or deleted by the application. Each entry's hash covers its content and the hash
before it (core.hashchain), and the head row records the last seq and hash, so `digitalpost audit verify`
finds an edited entry, a deleted one in the middle, and entries cut off at the end.
"""

from __future__ import annotations

from django.db import models


class AuditEntry(models.Model):
    seq = models.PositiveBigIntegerField(unique=True)
    at = models.DateTimeField()
    # Not a foreign key: the log outlives users, and deleting a user must not touch it.
    actor_user_id = models.BigIntegerField(null=True, blank=True)
    actor_label = models.CharField(max_length=150)
    # CVR of the organisation the change belongs to; empty for platform-wide changes.
    organisation = models.CharField(max_length=8, blank=True, db_index=True)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64, blank=True)
    object_label = models.CharField(max_length=300, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["organisation", "-seq"], name="audit_by_organisation")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_label} by {self.actor_label}"

    def body(self) -> dict[str, object]:
        """What the hash covers."""
        return {
            "seq": self.seq, "at": self.at.isoformat(), "actor_user_id": self.actor_user_id,
            "actor": self.actor_label, "organisation": self.organisation, "action": self.action,
            "object_type": self.object_type, "object_id": self.object_id, "object_label": self.object_label,
            "before": self.before, "after": self.after,
        }


class AuditHead(models.Model):
    """One row: the last entry's seq and hash. Appenders lock it, so the chain never forks."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)
