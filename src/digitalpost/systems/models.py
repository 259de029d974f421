"""Sender systems: machines allowed to send for an authority, authenticated by a hashed API token."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q

from digitalpost.authorities.models import Authority


class SenderSystem(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="sender_systems")
    name = models.CharField(max_length=200)
    # SHA-256 of the token: tokens are long random strings, so a fast hash suffices and lookup is exact.
    token_sha256 = models.CharField(max_length=64, unique=True)
    token_issued_at = models.DateTimeField()
    is_active = models.BooleanField(default=True)
    is_standard = models.BooleanField(default=False)
    # The receipts this system has already pulled: it sees each one once.
    receipt_cursor = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["authority"], condition=Q(is_standard=True), name="one_standard_sender_system"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.authority.cvr})"
