"""Letters on their way to paper: one row per printed message, and the batches handed to the print provider."""

from __future__ import annotations

import uuid

from django.db import models

from digitalpost.messages.models import Message


class PrintBatch(models.Model):
    """A folder of letters plus its manifest, written to the spool folder (or uploaded) in one piece."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=64, unique=True)  # the folder name the provider sees
    created_at = models.DateTimeField()
    letters = models.PositiveIntegerField(default=0)
    pages = models.PositiveIntegerField(default=0)
    transport = models.CharField(max_length=8, default="spool")
    # Set once the whole folder is in place; a batch without it is written again (crash in between).
    handed_over_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name


class PrintLetter(models.Model):
    class State(models.TextChoices):
        RENDERED = "RENDERED"  # the PDF is made, waiting for the next batch
        BATCHED = "BATCHED"  # with the print provider
        SENT = "SENT"  # AFLEVERET: handed to the postal service
        REFUSED = "REFUSED"  # AFVIST: the provider could not print or post it
        RETURNED = "RETURNED"  # returned mail after it was sent

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)  # the letter id on paper
    message = models.OneToOneField(Message, on_delete=models.PROTECT, related_name="letter")
    state = models.CharField(max_length=10, choices=State.choices, default=State.RENDERED)
    pdf_blob = models.CharField(max_length=64)
    pages = models.PositiveIntegerField()
    rendered_at = models.DateTimeField()
    batch = models.ForeignKey(PrintBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="items")
    status_reason = models.TextField(blank=True)
    status_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["state", "rendered_at"], name="letters_by_state")]

    def __str__(self) -> str:
        return f"letter {self.pk} ({self.state})"
