"""The work table: one row per effect that must leave the process (deliver, notify, push …)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class WorkKind(models.TextChoices):
    """One queue per kind of work, so a flood of one kind never starves another."""

    DELIVER = "DELIVER"
    FORWARD = "FORWARD"  # a citizen's or company's message to the authority's receiver system
    PRINT = "PRINT"  # a message that becomes a letter: rendered, then batched to the print provider
    NOTIFY = "NOTIFY"  # an e-mail notice "you have new Digital Post" (or a reminder) to a citizen or company
    SMS = "SMS"  # a NemSMS message to the SMS provider
    DELIVER_BULK = "DELIVER_BULK"  # deliveries of mass sends: their own lane, so single messages never wait
    PUSH_EVENTS = "PUSH_EVENTS"  # receipts and events POSTed to a sender system's endpoint, in order
    LETTER_RECEIPT = "LETTER_RECEIPT"  # the receipt mail to the sender system of a letter started by secure mail


class Job(models.Model):
    class State(models.TextChoices):
        PENDING = "PENDING"
        DONE = "DONE"
        DEAD = "DEAD"

    kind = models.CharField(max_length=20, choices=WorkKind.choices)
    # Names the effect (deliver:<message>): one job per effect, so enqueuing twice is harmless.
    key = models.CharField(max_length=200, unique=True)
    # Jobs of one lane (e.g. "receiver:<id>": one organisation's endpoint) run one at a time per worker process,
    # so a slow or hanging endpoint holds up only its own lane, never other organisations' work.
    lane = models.CharField(max_length=64, blank=True, default="")
    payload = models.JSONField(default=dict)
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    run_after = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(default=8)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)
    # The worker holding the claim (WorkerPresence.id); a worker that stops beating loses its claims at once,
    # not when the lease runs out.
    claimed_by = models.UUIDField(null=True, blank=True, db_index=True)
    # The web request that queued the work (hub.requestid): the worker logs under the same id.
    request_id = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        indexes = [
            models.Index(fields=["kind", "run_after"], condition=Q(state="PENDING"), name="outbox_due"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.key} ({self.state})"


class WorkerPresence(models.Model):
    """A running worker process and its last heartbeat: the proof that the jobs it claimed are still in hand."""

    id = models.UUIDField(primary_key=True)
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    kinds = models.CharField(max_length=200)
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"worker {self.host}:{self.pid} ({self.kinds})"
