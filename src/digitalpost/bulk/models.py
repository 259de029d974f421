"""Mass sends: one row per archive sent, one row per item with its receipt (accepted message or refusal)."""

from __future__ import annotations

import uuid

from django.db import models

from digitalpost.messages.models import Message
from digitalpost.systems.models import SenderSystem


class MassSend(models.Model):
    class State(models.TextChoices):
        RUNNING = "RUNNING"
        COMPLETED = "COMPLETED"  # the archive was read to its end (items may still have been refused)
        DAMAGED = "DAMAGED"  # the archive could not be read on; the items before the damage stand

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    sender_system = models.ForeignKey(SenderSystem, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=10, choices=State.choices, default=State.RUNNING)
    # Progress, updated with each group of items (DIGITALPOST_BULK_GROUP_ITEMS), in the commit that accepts them.
    items = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)  # new messages
    replayed = models.PositiveIntegerField(default=0)  # accepted before (same messageUUID and bytes): receipt replayed
    refused = models.PositiveIntegerField(default=0)
    compressed_bytes = models.PositiveBigIntegerField(default=0)
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.TextField(blank=True)
    started_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["sender_system", "started_at"], name="bulk_massend_system")]

    def __str__(self) -> str:
        return f"mass send {self.pk} ({self.state}, {self.items} items)"


class MassSendItem(models.Model):
    """The receipt of one archive member: its message (accepted or replayed) or its refusal."""

    mass_send = models.ForeignKey(MassSend, on_delete=models.CASCADE, related_name="item_rows")
    position = models.PositiveIntegerField()  # 1-based order of the file in the archive
    name = models.CharField(max_length=255)
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    message_uuid = models.CharField(max_length=36, blank=True)
    status = models.CharField(max_length=12)  # the national receipt status: RECEIVED, INVALID, NOT_ALLOWED
    is_replay = models.BooleanField(default=False)
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["mass_send", "position"], name="bulk_item_position")]

    def __str__(self) -> str:
        return f"item {self.position} of {self.mass_send_id}: {self.status}"
